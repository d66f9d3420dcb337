"""Proof that whoever uploads a My Number card's certificate holds the card (ID-3; 002 Q13-3).

A signature certificate is public: it travels with every document its holder signs. Before a
certificate registers an account or is bound to one, the card proves it is present: the server
issues a one-time challenge and the card signs a message built from it with its private key,
which never leaves the chip. The exchange is documented in docs/jpki-proof-of-possession.md:

    message   = "zairyu-jpki-pop-v1" LF flow LF challenge      (ASCII, no final LF)
    flow      = "register:<category>" | "rebind"
    challenge = base64url (no padding) of 32 random bytes
    signature = base64 of RSA PKCS #1 v1.5 / SHA-256 (JPKI), or ECDSA P-256 / SHA-256

A challenge is bound to the browser session (it is kept there, no table) and to the flow, is
good for ``CHALLENGE_LIFETIME`` (5 minutes on ``zairyu.core.clock``) and is used once: the first
attempt that names it consumes it, whatever the outcome. ``possession_verify`` refuses, each with
its code (``PossessionRefused``): no signature, a signature that is not base64, a challenge
already used, one this session was never given (another session's), one that expired, one
issued for another flow, and a signature that the certificate's key did not make.

A verified ``Proof`` then lets exactly that certificate act in that flow: the registration keeps
it in the session between the card step and the details step, for ``PROOF_LIFETIME``.

Demo only: ``demo_card`` hands out the private key of a demo card (``issue_demo_certificates``
keeps them under ``var/``) so that the demo can sign as the card would. It refuses wherever the
bundled test CA is not trusted, which production settings never allow.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils.translation import gettext as _

from zairyu.core import clock, ratelimit

from . import jpki, testca

MESSAGE_VERSION = "zairyu-jpki-pop-v1"
CHALLENGE_BYTES = 32
CHALLENGE_LIFETIME = dt.timedelta(minutes=5)
PROOF_LIFETIME = dt.timedelta(minutes=30)
FLOW_REBIND = "rebind"
_FLOW = re.compile(r"rebind|register:[a-z_]{1,30}")
# RSA 4096 signs 512 bytes and DER ECDSA P-256 about 72; anything far longer is not a signature.
MAX_SIGNATURE_BYTES = 1024
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")

SESSION_CHALLENGES = "jpki_pop_challenges"
SESSION_PROVEN = "jpki_pop_proven"
# A session keeps its newest open challenges (one per page shown) and remembers the last used
# ones, so that a replay is told apart from another session's challenge.
_OPEN_KEPT = 8
_USED_KEPT = 32
# Guards the concurrent use of one challenge (see _claim); the window only bounds the rows.
_CLAIM_WINDOW = dt.timedelta(days=1)

REFUSAL_CODES = (
    "signature_missing",
    "signature_malformed",
    "signature_invalid",
    "challenge_used",
    "challenge_unknown",
    "challenge_expired",
    "challenge_wrong_flow",
    "proof_missing",
    "demo_unavailable",
    "demo_not_demo_card",
)


def register_flow(category: str) -> str:
    """The flow of a self-registration in ``category`` (ID-3)."""
    return f"register:{category}"


def flow_valid(flow: str) -> bool:
    return bool(_FLOW.fullmatch(flow or ""))


def message(*, flow: str, challenge: str) -> bytes:
    """The exact bytes the card signs for ``challenge`` in ``flow`` (the documented interface)."""
    if not flow_valid(flow):
        raise ValueError(flow)
    return f"{MESSAGE_VERSION}\n{flow}\n{challenge}".encode("ascii")


@dataclass(frozen=True)
class Challenge:
    """A challenge issued to one session for one flow."""

    value: str
    flow: str
    issued_at: dt.datetime

    @property
    def expires_at(self) -> dt.datetime:
        return self.issued_at + CHALLENGE_LIFETIME

    @property
    def message(self) -> bytes:
        return message(flow=self.flow, challenge=self.value)

    @property
    def message_text(self) -> str:
        return self.message.decode("ascii")


@dataclass(frozen=True)
class Proof:
    """The holder of the certificate ``fingerprint`` signed a challenge of ``flow`` at ``at``."""

    flow: str
    fingerprint: str
    at: dt.datetime


class PossessionRefused(Exception):
    """The card's possession is not proven; ``code`` says why, ``message`` what to do (FMT-8)."""

    def __init__(self, code: str):
        assert code in REFUSAL_CODES, code
        super().__init__(code)
        self.code = code

    @property
    def field(self) -> str:
        """The form field the message belongs to."""
        return "certificate" if self.code == "demo_not_demo_card" else "signature"

    @property
    def message(self) -> str:
        minutes = int(CHALLENGE_LIFETIME.total_seconds() // 60)
        proof_minutes = int(PROOF_LIFETIME.total_seconds() // 60)
        messages = {
            "signature_missing": _(
                "Sign the challenge shown on this page with your My Number card (in the JPKI "
                "client software or the smartphone app) and paste the signature here. Uploading "
                "the certificate alone does not prove that you hold the card."
            ),
            "signature_malformed": _(
                "This is not a signature that can be read. Paste the signature exactly as the "
                "JPKI software gave it: one block of base64 text (letters, digits, +, / and =)."
            ),
            "signature_invalid": _(
                "This signature was not made by the card of the uploaded certificate, or not "
                "over the challenge shown on this page. Sign the new challenge shown now with "
                "the same card whose certificate you upload."
            ),
            "challenge_used": _(
                "This challenge has already been used: each challenge can be signed and sent "
                "only once. Sign the new challenge shown on this page."
            ),
            "challenge_unknown": _(
                "This challenge was not issued to this browser session. Sign the challenge "
                "shown on this page, in the browser you are registering with."
            ),
            "challenge_expired": _(
                "This challenge has expired: a challenge must be signed and sent within "
                "%(minutes)d minutes. Sign the new challenge shown on this page."
            )
            % {"minutes": minutes},
            "challenge_wrong_flow": _(
                "This challenge was issued for another step (another user category, or binding "
                "a renewed card). Sign the challenge shown on this page."
            ),
            "proof_missing": _(
                "Your My Number card has not been read in this session, or reading it was more "
                "than %(minutes)d minutes ago. Read the card again: upload its certificate and "
                "sign the new challenge."
            )
            % {"minutes": proof_minutes},
            "demo_unavailable": _(
                "Signing with a demo card is not available on this system. Sign the challenge "
                "with your own My Number card and paste the signature."
            ),
            "demo_not_demo_card": _(
                "This is not one of the demo cards, so the demo cannot sign for it: its private "
                "key is on the card. Upload a demo card certificate, or sign the challenge with "
                "your own card and paste the signature."
            ),
        }
        return messages[self.code]


# --- Challenges ------------------------------------------------------------------------------


def _store(session: SessionBase) -> dict:
    stored = session.get(SESSION_CHALLENGES) or {}
    return {"open": dict(stored.get("open") or {}), "used": list(stored.get("used") or [])}


def _save(session: SessionBase, store: dict) -> None:
    session[SESSION_CHALLENGES] = store  # a new value: the session knows it changed


def _challenge_from(value: str, entry: dict) -> Challenge:
    return Challenge(
        value=value, flow=entry["flow"], issued_at=dt.datetime.fromisoformat(entry["issued_at"])
    )


def challenge_issue(*, session: SessionBase, flow: str) -> Challenge:
    """Issue a new one-time challenge to ``session`` for ``flow``."""
    if not flow_valid(flow):
        raise ValueError(flow)
    challenge = Challenge(
        value=base64.urlsafe_b64encode(secrets.token_bytes(CHALLENGE_BYTES))
        .rstrip(b"=")
        .decode("ascii"),
        flow=flow,
        issued_at=clock.now(),
    )
    store = _store(session)
    store["open"][challenge.value] = {
        "flow": flow,
        "issued_at": challenge.issued_at.isoformat(),
    }
    for stale in list(store["open"])[:-_OPEN_KEPT]:  # oldest first (insertion order)
        del store["open"][stale]
    _save(session, store)
    return challenge


def challenge_for_page(*, session: SessionBase, flow: str, shown: str = "") -> Challenge:
    """The challenge a page shows: the one it showed before (``shown``) while that is still open
    for ``flow`` and unexpired, so that a signature already made stays good; else a new one."""
    entry = _store(session)["open"].get(shown or "")
    if entry is not None and entry.get("flow") == flow:
        challenge = _challenge_from(shown, entry)
        if clock.now() < challenge.expires_at:
            return challenge
    return challenge_issue(session=session, flow=flow)


def _consume(session: SessionBase, value: str, flow: str) -> Challenge:
    """Take ``value`` out of the session's open challenges; refuse when it cannot be used."""
    store = _store(session)
    if value and value in store["used"]:
        raise PossessionRefused("challenge_used")
    entry = store["open"].pop(value, None) if value else None
    if entry is None:
        raise PossessionRefused("challenge_unknown")
    store["used"] = [*store["used"], value][-_USED_KEPT:]
    _save(session, store)
    if not _claim(value):
        raise PossessionRefused("challenge_used")
    challenge = _challenge_from(value, entry)
    if clock.now() >= challenge.expires_at:
        raise PossessionRefused("challenge_expired")
    if challenge.flow != flow:
        raise PossessionRefused("challenge_wrong_flow")
    return challenge


def _claim(value: str) -> bool:
    """Claim a challenge once across processes.

    The session alone cannot stop two requests of one session that arrive together from both
    reading the challenge as open before either saves; one counter row per challenge can.
    """
    return ratelimit.hit(f"jpki-pop:{value}", limit=1, window=_CLAIM_WINDOW)


def _signature_bytes(text: str) -> bytes:
    compact = "".join((text or "").split())
    if not compact:
        raise PossessionRefused("signature_missing")
    mixed = any(c in compact for c in "-_") and any(c in compact for c in "+/")
    if len(compact) > MAX_SIGNATURE_BYTES * 2 or mixed or not _BASE64.fullmatch(compact):
        raise PossessionRefused("signature_malformed")
    standard = compact.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        signature = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PossessionRefused("signature_malformed") from exc
    if not signature or len(signature) > MAX_SIGNATURE_BYTES:
        raise PossessionRefused("signature_malformed")
    return signature


def possession_verify(
    *,
    session: SessionBase,
    flow: str,
    certificate: jpki.VerifiedCertificate,
    challenge: str,
    signature: str,
) -> Proof:
    """Check that the card of ``certificate`` signed ``challenge``, issued to ``session`` for
    ``flow``; consume the challenge. Raise PossessionRefused with the reason otherwise."""
    signature_bytes = _signature_bytes(signature)
    _consume(session, (challenge or "").strip(), flow)
    signed = jpki.public_key_signature_verify(
        public_key=certificate.public_key,
        message=message(flow=flow, challenge=challenge.strip()),
        signature=signature_bytes,
    )
    if not signed:
        raise PossessionRefused("signature_invalid")
    return Proof(flow=flow, fingerprint=certificate.fingerprint, at=clock.now())


# --- Proofs ----------------------------------------------------------------------------------


def proof_check(proof: Proof | None, *, flow: str, certificate: jpki.VerifiedCertificate) -> None:
    """Refuse (``proof_missing``) unless ``proof`` is recent and for this certificate and flow."""
    now = clock.now()
    if (
        proof is None
        or proof.flow != flow
        or proof.fingerprint != certificate.fingerprint
        or not proof.at <= now <= proof.at + PROOF_LIFETIME
    ):
        raise PossessionRefused("proof_missing")


def proven_certificate_keep(*, session: SessionBase, proof: Proof, data: bytes) -> None:
    """Keep the certificate file (``data``) whose card was just proven, for the next step of
    ``proof.flow``."""
    session[SESSION_PROVEN] = {
        "flow": proof.flow,
        "fingerprint": proof.fingerprint,
        "at": proof.at.isoformat(),
        "certificate": base64.b64encode(data).decode("ascii"),
    }


def proven_certificate(*, session: SessionBase, flow: str) -> tuple[bytes, Proof] | None:
    """The certificate file proven in this session for ``flow`` and its proof, while recent."""
    stored = session.get(SESSION_PROVEN) or {}
    if stored.get("flow") != flow:
        return None
    try:
        proof = Proof(
            flow=flow,
            fingerprint=stored["fingerprint"],
            at=dt.datetime.fromisoformat(stored["at"]),
        )
        data = base64.b64decode(stored["certificate"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    if not proof.at <= clock.now() <= proof.at + PROOF_LIFETIME:
        return None
    return data, proof


def proven_certificate_forget(*, session: SessionBase) -> None:
    session.pop(SESSION_PROVEN, None)


# --- Demo signing ----------------------------------------------------------------------------


def demo_signing_enabled() -> bool:
    """Say whether the demo may sign for its cards: only where the bundled test CA is trusted
    (``ZAIRYU_JPKI_TEST_CA``, default DEBUG) — never in production, whose settings turn it off
    and refuse to start with ``JPKI_TEST_CA`` set."""
    return jpki.bundled_test_ca_trusted()


def demo_card(*, certificate: bytes = b"", slug: str = "") -> testca.CardCertificate:
    """The demo card (with its private key) whose certificate is ``certificate`` or whose name
    is ``slug``. Raise PossessionRefused when demo signing is off or it is no demo card."""
    if not demo_signing_enabled():
        raise PossessionRefused("demo_unavailable")
    target = None
    if certificate:
        try:
            target = jpki.certificate_load(certificate)
        except jpki.CertificateRefused as exc:
            raise PossessionRefused("demo_not_demo_card") from exc
    elif not slug:
        raise PossessionRefused("demo_not_demo_card")
    card = testca.demo_card_find(
        Path(settings.ZAIRYU_JPKI_TEST_CA_DIR), slug=slug, certificate=target
    )
    if card is None:
        raise PossessionRefused("demo_not_demo_card")
    return card


def demo_sign(*, card: testca.CardCertificate, flow: str, challenge: str) -> str:
    """Sign ``challenge`` for ``flow`` as the demo card's chip would; return the base64 text."""
    return base64.b64encode(card.sign(message(flow=flow, challenge=challenge))).decode("ascii")
