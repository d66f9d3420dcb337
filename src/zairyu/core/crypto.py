"""Encryption at rest for the most sensitive personal data (SEC-3, seed 004 A16).

Residence card numbers and birth dates — and the JSON snapshots that copy them (filing and
application content, bulk rows, audit snapshots) — are stored as ciphertext: AES-256-GCM with
a random 96-bit nonce, the column's name as associated data (a value copied into another
column does not decrypt), in the text form ``zr1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``.
The key id in the clear lets ``rotate_keys`` find, in SQL, the rows still under an older key.

Equality look-ups (a card by its number, the one indexed query of ``card_match``) go through a
keyed blind index stored beside the ciphertext: ``<key id>.<HMAC-SHA256(index key, purpose ‖
value)>`` (hex, 128 bits). The index key is separate from the encryption keys.

**Keys.** Several keys may be active (newest first): the newest encrypts and indexes, every one
decrypts, and a look-up asks for the index under every active index key (``blind_indexes``).
They come from settings (``ZAIRYU_ENCRYPTION_KEYS``, ``ZAIRYU_BLIND_INDEX_KEYS``), which read
the environment or a key file (``keys_from_environment``); production refuses to start
without them. See docs/decisions/0006-encryption-at-rest.md and docs/operations.md.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "zr1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class DecryptionError(Exception):
    """A stored value could not be decrypted: unknown key id, tampered or not ciphertext.

    The message names the key id at most, never the value."""


@dataclasses.dataclass(frozen=True)
class Key:
    id: str
    secret: bytes = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class KeyRing:
    """The active keys, newest first."""

    encryption: tuple[Key, ...]
    blind_index: tuple[Key, ...]

    @property
    def current(self) -> Key:
        return self.encryption[0]

    @property
    def current_index(self) -> Key:
        return self.blind_index[0]

    def find(self, key_id: str) -> Key:
        for key in self.encryption:
            if key.id == key_id:
                return key
        raise DecryptionError(f"no active encryption key has the id {key_id!r}")


# --- Configuration ----------------------------------------------------------------------------


def key_parse(text: str, *, source: str) -> tuple[Key, ...]:
    """Parse ``"id:base64key,id:base64key"`` (newest first) into keys; refuse bad entries.

    Raises ImproperlyConfigured naming ``source`` and the entry's position, never the key.
    """
    keys: list[Key] = []
    for position, entry in enumerate((p.strip() for p in text.split(",") if p.strip()), 1):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"{source}: entry {position} must be <id>:<base64 key>, the id 1-16 letters, "
                "digits, '-' or '_'."
            )
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            secret = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(
                f"{source}: the key of entry {position} ({key_id}) is not base64."
            ) from exc
        if len(secret) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"{source}: the key of entry {position} ({key_id}) must be {KEY_BYTES} bytes "
                "(generate one with `manage.py rotate_keys --new-key`)."
            )
        if any(k.id == key_id for k in keys):
            raise ImproperlyConfigured(f"{source}: the key id {key_id} appears twice.")
        keys.append(Key(key_id, secret))
    return tuple(keys)


def key_format(keys: Iterable[Key]) -> str:
    """The inverse of ``key_parse``."""
    return ",".join(f"{k.id}:{base64.urlsafe_b64encode(k.secret).decode()}" for k in keys)


def key_generate(key_id: str | None = None) -> Key:
    """A fresh random key; its id defaults to a short random one."""
    return Key(key_id or "k" + secrets.token_hex(3), secrets.token_bytes(KEY_BYTES))


def keys_from_file(path: Path) -> tuple[str, str]:
    """Read ``{"encryption": "id:key,…", "blind_index": "id:key,…"}`` from a key file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"The key file {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"The key file {path} must hold a JSON object.")
    return str(data.get("encryption", "")), str(data.get("blind_index", ""))


def keys_from_environment(*, demo_file: Path | None = None) -> tuple[str, str]:
    """Return the (encryption, blind index) key texts for settings.

    ``FIELD_ENCRYPTION_KEYS`` / ``BLIND_INDEX_KEYS`` win; else ``KEY_FILE``; else, when
    ``demo_file`` is given (``make run``), that file — created with fresh keys, readable by its
    owner only, the first time. Empty strings when nothing is configured.
    """
    encryption = os.environ.get("FIELD_ENCRYPTION_KEYS", "").strip()
    blind = os.environ.get("BLIND_INDEX_KEYS", "").strip()
    if encryption or blind:
        return encryption, blind
    key_file = os.environ.get("KEY_FILE", "").strip()
    if key_file:
        return keys_from_file(Path(key_file))
    if demo_file is not None:
        if not demo_file.exists():
            key_file_write(demo_file, encryption=[key_generate()], blind_index=[key_generate()])
        return keys_from_file(demo_file)
    return "", ""


def key_file_write(path: Path, *, encryption: list[Key], blind_index: list[Key]) -> None:
    """Write a key file (mode 0600), replacing any previous one atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(
            {"encryption": key_format(encryption), "blind_index": key_format(blind_index)},
            handle,
            indent=2,
        )
    os.replace(temporary, path)


@functools.cache
def keyring() -> KeyRing:
    """The configured keys; ImproperlyConfigured when either list is empty."""
    from django.conf import settings

    encryption = key_parse(
        getattr(settings, "ZAIRYU_ENCRYPTION_KEYS", ""), source="FIELD_ENCRYPTION_KEYS"
    )
    blind = key_parse(getattr(settings, "ZAIRYU_BLIND_INDEX_KEYS", ""), source="BLIND_INDEX_KEYS")
    if not encryption or not blind:
        raise ImproperlyConfigured(
            "No encryption keys are configured: set FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEYS "
            "or KEY_FILE (see docs/operations.md, “Keys”)."
        )
    return KeyRing(encryption=encryption, blind_index=blind)


@receiver(setting_changed)
def _keys_changed(*, setting, **kwargs) -> None:
    if setting in ("ZAIRYU_ENCRYPTION_KEYS", "ZAIRYU_BLIND_INDEX_KEYS"):
        keyring.cache_clear()
        _aead.cache_clear()


@functools.lru_cache(maxsize=32)
def _aead(secret: bytes) -> AESGCM:
    return AESGCM(secret)


# --- Encryption -------------------------------------------------------------------------------


def encrypt(plaintext: str, *, context: str, key: Key | None = None) -> str:
    """Encrypt ``plaintext`` under the newest key (or ``key``); ``context`` names the column."""
    key = key or keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key.secret).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{PREFIX}.{key.id}.{token}"


def key_id_of(stored: str) -> str:
    """The id of the key ``stored`` was encrypted under."""
    prefix, _, rest = stored.partition(".")
    key_id, sep, _token = rest.partition(".")
    if prefix != PREFIX or not sep:
        raise DecryptionError("the stored value is not ciphertext")
    return key_id


def decrypt(stored: str, *, context: str) -> str:
    """Decrypt a value ``encrypt`` made for the same ``context``; DecryptionError otherwise."""
    key = keyring().find(key_id_of(stored))
    token = stored.split(".", 2)[2]
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plaintext = _aead(key.secret).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionError(f"the value under key {key.id} does not decrypt") from exc
    return plaintext.decode("utf-8")


def encrypt_bytes(data: bytes, *, context: str) -> bytes:
    """Encrypt a file's bytes under the newest key: ``zr1.<key id>.`` then nonce ‖ ciphertext."""
    key = keyring().current
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key.secret).encrypt(nonce, data, context.encode())
    return f"{PREFIX}.{key.id}.".encode("ascii") + nonce + sealed


def decrypt_bytes(stored: bytes, *, context: str) -> bytes:
    """Decrypt what ``encrypt_bytes`` made for the same ``context``; DecryptionError otherwise."""
    prefix, dot, rest = stored.partition(b".")
    key_id, dot2, raw = rest.partition(b".")
    if prefix != PREFIX.encode() or not dot or not dot2:
        raise DecryptionError("the stored file is not ciphertext")
    key = keyring().find(key_id.decode("ascii", "replace"))
    try:
        return _aead(key.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError(f"the file under key {key.id} does not decrypt") from exc


BYTES_OVERHEAD = len(PREFIX) + 2 + 16 + NONCE_BYTES + 16  # prefix, dots, key id, nonce, tag


def reencrypt(stored: str, *, context: str) -> str | None:
    """The value encrypted under the newest key, or None when it already is."""
    if key_id_of(stored) == keyring().current.id:
        return None
    return encrypt(decrypt(stored, context=context), context=context)


# --- Blind indexes ----------------------------------------------------------------------------


def _index(key: Key, purpose: str, value: str) -> str:
    digest = hmac.new(key.secret, f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return f"{key.id}.{digest.hexdigest()[:32]}"


def blind_index(purpose: str, value: str) -> str:
    """The index stored for ``value`` (already normalised) under the newest index key."""
    return _index(keyring().current_index, purpose, value)


def blind_indexes(purpose: str, value: str) -> list[str]:
    """Every index ``value`` may be stored under (one per active index key), for look-ups."""
    return [_index(key, purpose, value) for key in keyring().blind_index]


def index_current(stored: str) -> bool:
    """Whether a stored index was made with the newest index key."""
    return stored.partition(".")[0] == keyring().current_index.id
