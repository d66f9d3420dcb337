"""Scale-out (issue 15): two web nodes, two workers and one beat behind HAProxy, with a node lost.

Not part of ``bench/run.py`` (no ``run(ctx)``): it starts its own installation, every process
separate, all on 127.0.0.1, with the **production settings** (``zairyu.settings.production``,
every required variable supplied, encryption keys made with ``manage.py rotate_keys --new-key``):

- PostgreSQL: a database of its own (``zairyu_scaleout``), created and dropped here;
- Redis as the broker, a database number of its own (``/7``, flushed before and after);
- S3-compatible object storage for uploads: moto's standalone server (``moto_server``, from
  ``pip install 'moto[server]'``) through django-storages (``AWS_STORAGE_BUCKET_NAME``);
- mail: a local SMTP server (aiosmtpd, in this process) that records each delivery;
- web nodes A and B: ``gunicorn zairyu.wsgi``, each with its own empty ``MEDIA_ROOT`` (a file
  that went to a local disk instead of the bucket would not be found by the other node);
- HAProxy in front, terminating TLS (a self-signed certificate made here), setting
  ``X-Forwarded-Proto`` and ``X-Forwarded-For`` (``TRUSTED_PROXIES=127.0.0.1/32``), readiness
  checks on ``/readyz`` (as in ``deploy/haproxy.cfg``);
- workers 1 and 2 (``celery -A zairyu worker``) and one ``celery -A zairyu beat``.

Load, through the balancer, for ``--duration`` seconds: residents sign in and file service N
notifications through the pages (start → form → confirm; a step that fails is retried as a
user would, the confirmation with the same token); an organization uploads bulk files through
the REST API (stored in the bucket by a web node, read by a worker); organization staff attach
PDFs to a service A draft and download them again. An upload made through node A is downloaded
through node B (both directly, bypassing the balancer), before and after A is lost. Mid-run,
node A (gunicorn master and workers) and worker 1 (main process and pool) are killed with
SIGKILL and not restarted. Then the workers drain the work, and the figures are read from the
database, the bucket, the SMTP server, the balancer's statistics and the processes' logs.

Run (from the repository root; haproxy from Debian, moto in the virtualenv)::

    apt-get install -y haproxy
    .venv/bin/pip install -e '.[s3]' 'moto[server]'
    .venv/bin/python bench/bench_scaleout.py [--duration 90]

It exits 1 when an acknowledged request has no row (or its work is not done once the workers
drained), when a mail was queued or delivered twice, or when the cross-node download fails;
2 when something it needs is missing. Figures go to standard output as ``name: value unit``
and to ``bench/results/<date>-scaleout.txt``; progress and the log directory to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import http.client
import io
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

REPO = harness.REPO
HOST = "zairyu.test"  # the public name: ALLOWED_HOSTS, the certificate, the Host header
PASSWORD = "Scale#Out2026"
BUCKET = "zairyu-scaleout"
REGION = "ap-northeast-1"
RESIDENT_EVENT = "con_new_contract"
BULK_KIND = "n_19_17_school_acceptance_start"
SWEEP_SECONDS = 5
SEAL_SECONDS = 5
LEASE_SECONDS = 20
RESULTS_DIR = BENCH_DIR / "results"


def log(message: str) -> None:
    harness.log(f"scaleout: {message}")


# --- the set-up child (runs with the production settings) ------------------------------------


def setup_child(residents: int, bulk_rows: int) -> None:
    """Create the accounts and cards the load needs; print them as one JSON line."""
    import django

    django.setup()
    from zairyu.accounts.models import (
        Category,
        OrganizationAccount,
        StaffAccount,
        User,
    )
    from zairyu.api.services import api_key_issue
    from zairyu.bulk.kinds import get_kind
    from zairyu.cards.models import Organization
    from zairyu.cards.rules import CardData
    from zairyu.cards.services import card_create, organization_create
    from zairyu.core import clock

    today = clock.today()

    def card(number: str, name: str, status: str, days: int = 700, **extra):
        values = {
            "number": number,
            "roman_name": name,
            "nationality_id": "VNM",
            "birth_date": dt.date(1995, 4, 1),
            "sex": "F",
            "prefecture_id": "13",
            "municipality_id": "13101",
            "street": "霞が関１−１−１",
            "status_id": status,
            "period_of_stay": "P3Y",
            "stay_until": today + dt.timedelta(days=days),
            "card_valid_until": today + dt.timedelta(days=days),
            "issued_on": today - dt.timedelta(days=100),
            **extra,
        }
        return card_create(actor=None, data=CardData(**values))

    def letters(n: int) -> str:
        return "".join(chr(65 + int(d)) for d in f"{n:04d}")

    out: dict = {"residents": []}
    for n in range(1, residents + 1):
        resident_card = card(
            f"SO{n:08d}RS", f"SCALE RESIDENT {letters(n)}", "engineer_humanities_international"
        )
        user = User.objects.create_user(
            f"scale-res{n:02d}",
            password=PASSWORD,
            category=Category.RESIDENT,
            person=resident_card.person,
            valid_until=resident_card.stay_until,
            language="en",
            email=f"resident{n}@scaleout.example",
            password_changed_at=clock.now(),
        )
        out["residents"].append(user.username)

    university = organization_create(
        actor=None,
        name="スケール大学",
        kind=Organization.Kind.UNIVERSITY,
        prefecture_id="13",
        municipality_id="13101",
        street="丸の内１−１−１",
    )
    org_user = User.objects.create_user(
        "scale-univ",
        password=PASSWORD,
        category=Category.ORGANIZATION,
        uses_service_n=True,
        language="en",
        email="ryugaku@scaleout.example",
        display_name=university.name,
        password_changed_at=clock.now(),
    )
    OrganizationAccount.objects.create(
        user=org_user,
        organization=university,
        registered_at=clock.now(),
        submitted_via="counter",
        submitter_name="スケール",
        staff_id_document="staff_card",
    )
    _key, key_text = api_key_issue(user=org_user, name="scale-out bench")
    with_columns = get_kind(BULK_KIND).columns(org_user)
    students = [
        card(f"SO{n:08d}ST", f"SCALE GAKUSEI {letters(n)}", "student", days=600)
        for n in range(1, bulk_rows + 1)
    ]
    out["api_key"] = key_text
    out["bulk_columns"] = [c.name for c in with_columns]
    out["bulk_labels"] = [c.label for c in with_columns]
    out["bulk_rows"] = [
        {
            "number": s.number,
            "roman_name": s.roman_name,
            "nationality": s.nationality_id,
            "birth_date": s.birth_date.isoformat(),
            "sex": s.sex,
            "prefecture": s.prefecture_id,
            "address": "千代田区霞が関１−１−１",
        }
        for s in students
    ]

    company = organization_create(
        actor=None,
        name="株式会社スケール",
        kind=Organization.Kind.COMPANY,
        prefecture_id="13",
        municipality_id="13101",
        street="丸の内２−２−２",
    )
    staff = User.objects.create_user(
        "scale-staff",
        password=PASSWORD,
        category=Category.ORGANIZATION_STAFF,
        language="en",
        email="jinji@scaleout.example",
        display_name="担当 太郎",
        password_changed_at=clock.now(),
    )
    StaffAccount.objects.create(
        user=staff,
        organization=company,
        issued_at=clock.now(),
        password_by=clock.now() + dt.timedelta(days=30),
        activated_at=clock.now(),
    )
    out["staff"] = staff.username
    print("SETUP " + json.dumps(out, ensure_ascii=False), flush=True)


# --- HTTP: a browser-like client (cookies, CSRF) over HTTPS to the balancer or HTTP to a node ---


class HttpError(Exception):
    """A request that got no usable answer (connection failure or a 5xx)."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """One user's browser: a cookie jar, the CSRF token, one kept-alive connection.

    ``target`` is ("lb", port) for the balancer over HTTPS, or ("node", port) for a web node
    over plain HTTP, sending ``X-Forwarded-Proto: https`` as the proxy would.
    """

    def __init__(self, target: tuple[str, int], tls: ssl.SSLContext | None, cookies=None):
        self.kind, self.port = target
        self.tls = tls
        self.cookies: dict[str, str] = dict(cookies or {})
        self.conn: http.client.HTTPConnection | None = None

    def with_target(self, target: tuple[str, int]) -> Client:
        """The same browser session (cookies) sent to another address."""
        return Client(target, self.tls, self.cookies)

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            if self.kind == "lb":
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, timeout=60, context=self.tls
                )
            else:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        body: bytes | None = None,
        content_type: str = "",
        headers: dict | None = None,
    ) -> Answer:
        all_headers = {"Host": HOST, "User-Agent": "zairyu-scaleout-bench"}
        if self.kind == "node":
            all_headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET":
            all_headers["Origin"] = f"https://{HOST}"
            all_headers["Referer"] = f"https://{HOST}{path}"
            if "csrftoken" in self.cookies:
                all_headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise HttpError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.will_close:
            self.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        if answer.status >= 500:
            raise HttpError(f"{method} {path}: HTTP {answer.status}")
        return answer

    def sign_in(self, username: str) -> None:
        self.request("GET", "/accounts/login/")  # the CSRF cookie
        answer = self.request(
            "POST", "/accounts/login/", form={"auth_id": username, "password": PASSWORD}
        )
        if answer.status != 302:
            raise RuntimeError(f"sign-in of {username} answered {answer.status}")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, (filename, data, ctype) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def pdf_bytes(text: str) -> bytes:
    """A small, plain one-page PDF whose text (and so its hash) is ``text``."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name

    pdf = pikepdf.new()
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    )
    content = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    pdf.pages.append(
        pikepdf.Page(
            Dictionary(
                Type=Name.Page,
                MediaBox=Array([0, 0, 595, 842]),
                Resources=Dictionary(Font=Dictionary(F1=font)),
                Contents=content,
            )
        )
    )
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


# --- what the load saw ------------------------------------------------------------------------


@dataclass
class Seen:
    """What the clients were told; shared by the load threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    filings: set[int] = field(default_factory=set)
    filings_abandoned: int = 0
    jobs: set[int] = field(default_factory=set)
    jobs_failed: int = 0
    documents: dict[int, str] = field(default_factory=dict)  # id -> sha256 uploaded
    uploads_failed: int = 0
    downloads_ok: int = 0
    downloads_bad: int = 0
    errors: Counter = field(default_factory=Counter)  # "phase: what" -> count
    error_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    retries: int = 0

    def error(self, what: str) -> None:
        what = re.sub(r"/[0-9a-f-]{36}/", "/<token>/", re.sub(r"/\d+/", "/<id>/", what))
        with self.lock:
            self.errors[what] += 1
            self.error_times.append(time.monotonic())


FILED = re.compile(r"/notifications/(\d+)/$")


def resident_loop(username: str, client: Client, stop: threading.Event, seen: Seen) -> None:
    """File notifications as a resident would, until ``stop``."""
    client.sign_in(username)
    counter = 0
    while not stop.is_set():
        counter += 1
        filing_id = file_one(client, f"{username[-2:]}{counter:05d}", seen)
        with seen.lock:
            if filing_id is None:
                seen.filings_abandoned += 1
            else:
                seen.filings.add(filing_id)
        if filing_id is not None:
            try:  # the page the browser is sent to
                client.request("GET", f"/notifications/{filing_id}/")
            except HttpError as exc:
                seen.error(f"detail page: {exc}")


def file_one(client: Client, label: str, seen: Seen) -> int | None:
    """One notification: start → form → confirm; return its id once the site says it is filed.

    A step that gets no answer (a lost node) is sent again, as a user would press the button
    again: the form and the confirmation carry the same token, so the site files once and then
    answers every repeat with the filing's page.
    """
    token_path = confirm_path = None
    for _attempt in range(10):
        try:
            if token_path is None:
                answer = client.request("GET", f"/notifications/new/{RESIDENT_EVENT}/")
                if answer.status != 302:
                    raise RuntimeError(f"start answered {answer.status}")
                token_path = urllib.parse.urlsplit(answer.location).path
            if confirm_path is None:
                answer = client.request(
                    "POST",
                    token_path,
                    form={
                        "event_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
                        "new_org_name": f"株式会社スケール{label}",
                        "new_org_address": "東京都新宿区西新宿2-8-1",
                        "new_activity": "システム開発",
                    },
                )
                if answer.status == 302 and (filed := FILED.search(answer.location)):
                    return int(filed.group(1))  # filed already under this token
                if answer.status != 302 or "/confirm/" not in answer.location:
                    raise RuntimeError(f"form answered {answer.status} {answer.location}")
                confirm_path = urllib.parse.urlsplit(answer.location).path
            answer = client.request("POST", confirm_path, form={"action": "submit"})
            if answer.status == 302 and (filed := FILED.search(answer.location)):
                return int(filed.group(1))
            # The draft was not kept (its step failed): fill the form in again, same token.
            seen.error(f"confirm answered {answer.status} {answer.location}: form again")
            confirm_path = None
        except (HttpError, RuntimeError) as exc:
            seen.error(f"{type(exc).__name__}: {exc}")
            with seen.lock:
                seen.retries += 1
            time.sleep(0.5)
    return None


def bulk_loop(setup: dict, client: Client, stop: threading.Event, seen: Seen, pause: float) -> None:
    """Upload bulk files through the API (no retry: a POST of a job is not idempotent)."""
    number = 0
    while not stop.is_set():
        number += 1
        start = (dt.date.today() - dt.timedelta(days=1 + number % 10)).isoformat()
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(setup["bulk_labels"])
        for row in setup["bulk_rows"]:
            values = {**row, "start_date": start}
            writer.writerow([values[name] for name in setup["bulk_columns"]])
        body, ctype = multipart(
            {"kind": BULK_KIND},
            {"file": (f"students-{number}.csv", text.getvalue().encode("utf-8-sig"), "text/csv")},
        )
        try:
            answer = client.request(
                "POST",
                "/api/v1/bulk/jobs",
                body=body,
                content_type=ctype,
                headers={"Authorization": f"Bearer {setup['api_key']}"},
            )
            if answer.status != 201:
                raise RuntimeError(f"bulk upload answered {answer.status}: {answer.body[:300]!r}")
            with seen.lock:
                seen.jobs.add(json.loads(answer.body)["id"])
        except HttpError as exc:
            seen.error(f"bulk upload: {exc}")
            with seen.lock:
                seen.jobs_failed += 1
        stop.wait(pause)


def start_application(client: Client) -> int:
    """Start a service A draft through the pages (STEP1); return its id."""
    client.request("GET", "/applications/new/")
    answer = client.request(
        "POST",
        "/applications/new/",
        form={
            "procedure": "extension",
            "status": "engineer_humanities_international",
            "period_requested": "P1Y",
        },
    )
    match = re.search(r"/applications/(\d+)/", answer.location)
    if answer.status != 302 or not match:
        raise RuntimeError(f"starting a draft answered {answer.status}: {answer.body[:500]!r}")
    return int(match.group(1))


def attach(client: Client, application: int, data: bytes, name: str) -> None:
    body, ctype = multipart({"kind": "activity"}, {"file": (name, data, "application/pdf")})
    answer = client.request(
        "POST", f"/applications/{application}/documents/add/", body=body, content_type=ctype
    )
    if answer.status != 302:
        raise RuntimeError(f"attaching {name} answered {answer.status}")


def download(client: Client, application: int, document: int) -> bytes:
    answer = client.request("GET", f"/applications/{application}/documents/{document}/")
    if answer.status != 200:
        raise RuntimeError(f"document {document} answered {answer.status}")
    return answer.body


def upload_loop(
    client: Client,
    application: int,
    db,
    stop: threading.Event,
    seen: Seen,
    pause: float,
) -> None:
    """Attach a PDF through the balancer, find it, download it through the balancer."""
    number = 0
    while not stop.is_set():
        number += 1
        data = pdf_bytes(f"Scale-out upload {number} {secrets.token_hex(8)}")
        digest = hashlib.sha256(data).hexdigest()
        try:
            attach(client, application, data, f"upload-{number}.pdf")
        except HttpError as exc:
            seen.error(f"attach: {exc}")
            with seen.lock:
                seen.uploads_failed += 1
            stop.wait(pause)
            continue
        document = db.document_by_hash(application, digest)
        with seen.lock:
            seen.documents[document] = digest
        try:
            ok = hashlib.sha256(download(client, application, document)).hexdigest() == digest
        except HttpError as exc:
            seen.error(f"download: {exc}")
            ok = False
        with seen.lock:
            if ok:
                seen.downloads_ok += 1
            else:
                seen.downloads_bad += 1
        stop.wait(pause)


# --- the database, read directly (psycopg) ---------------------------------------------------


class Database:
    """Read-only SQL on the run's database: progress while draining, and the figures."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.lock = threading.Lock()

    def one(self, sql: str, params=()):
        with self.lock, self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def all(self, sql: str, params=()):
        with self.lock, self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def document_by_hash(self, application: int, digest: str) -> int:
        row = self.one(
            "SELECT id FROM applications_applicationdocument "
            "WHERE application_id = %s AND sha256 = %s ORDER BY id DESC LIMIT 1",
            (application, digest),
        )
        if row is None:
            raise RuntimeError(f"the attached document {digest[:12]} has no row")
        return row[0]

    def open_work(self) -> dict[str, int]:
        """What the workers still have to do."""
        return {
            "filings_registering": self.one(
                "SELECT count(*) FROM filings_filing WHERE state = 'registering'"
            )[0],
            "jobs_open": self.one(
                "SELECT count(*) FROM bulk_job WHERE state IN ('received', 'processing')"
            )[0],
            "mails_unsent": self.one(
                "SELECT count(*) FROM mail_mail WHERE state IN ('queued', 'sending')"
            )[0],
            "audit_unsealed": self.one(
                "SELECT count(*) FROM audit_auditevent WHERE seal_seq IS NULL"
            )[0],
        }

    def close(self) -> None:
        self.conn.close()


# --- the installation --------------------------------------------------------------------------


def run_checked(command: list[str], env: dict | None = None, what: str = "") -> str:
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{what or command[0]} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
    return proc.stdout


def self_signed_pem(path: Path) -> Path:
    """Write a certificate and key for HOST and 127.0.0.1 (HAProxy's crt); return the cert."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(cert_pem + key_pem)
    path.chmod(0o600)
    cert_path = path.with_suffix(".crt")
    cert_path.write_bytes(cert_pem)
    return cert_path


HAPROXY_CFG = """\
global
    maxconn 512
    stats socket {stats} mode 600 level admin
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout http-request 30s
    retries 3
    option redispatch
    option forwardfor

frontend public
    bind 127.0.0.1:{port} ssl crt {pem}
    http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt 28311552 }}
    http-request set-header X-Forwarded-Proto https
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {host}
    http-check expect status 200
    server a 127.0.0.1:{port_a} check inter 1s fall 2 rise 2
    server b 127.0.0.1:{port_b} check inter 1s fall 2 rise 2
"""


class SmtpRecorder:
    """A real SMTP server on loopback that records each delivered message's Message-ID."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        recorder = self
        self.message_ids: list[str] = []
        self.lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
                from email import message_from_bytes

                message = message_from_bytes(envelope.content)
                with recorder.lock:
                    recorder.message_ids.append(message.get("Message-ID", ""))
                return "250 OK"

        self.port = harness.free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path
    port: int = 0
    killed_at: float | None = None


class Installation:
    """Every process of the run; ``stop`` ends those still running (ours only, by pid)."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True)
        self.procs: dict[str, Proc] = {}
        self.env: dict[str, str] = {}
        self.started = time.monotonic()

    def spawn(self, name: str, command: list[str], env: dict | None = None, port: int = 0) -> Proc:
        log_path = self.logs / f"{name}.log"
        handle = log_path.open("w")
        popen = subprocess.Popen(
            command,
            cwd=REPO,
            env=env or self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL takes its children too
        )
        handle.close()
        proc = Proc(name, popen, log_path, port)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> float:
        """SIGKILL the process group of ``name`` (a lost machine); return when."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(10)
        proc.killed_at = time.monotonic()
        return proc.killed_at

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in reversed(list(self.procs.values())):
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{proc.name} did not stop; killing its process group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(10)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.3) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def node_healthy(port: int) -> bool:
    try:
        answer = Client(("node", port), None).request("GET", "/readyz")
    except (HttpError, OSError):
        return False
    return answer.status == 200


def haproxy_stats(stats_socket: Path) -> dict[str, dict[str, str]]:
    """``show stat`` from HAProxy's socket, by server name."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(stats_socket))
        sock.sendall(b"show stat\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    lines = b"".join(chunks).decode().lstrip("# ").splitlines()
    rows = list(csv.DictReader(lines))
    return {row["svname"]: row for row in rows if row.get("pxname") == "web"}


def preflight(args: argparse.Namespace) -> list[str]:
    """What is missing for the run; empty when everything is there."""
    missing = []
    if not shutil.which("haproxy"):
        missing.append("haproxy (apt-get install -y haproxy)")
    if not (Path(sys.executable).parent / "moto_server").exists() and not shutil.which(
        "moto_server"
    ):
        missing.append("moto_server (.venv/bin/pip install 'moto[server]')")
    for module, hint in (
        ("storages", "django-storages[s3] (.venv/bin/pip install -e '.[s3]')"),
        ("boto3", "boto3 (.venv/bin/pip install -e '.[s3]')"),
        ("aiosmtpd", "aiosmtpd (.venv/bin/pip install -e '.[test]')"),
        ("psycopg", "psycopg"),
    ):
        try:
            __import__(module)
        except ImportError:
            missing.append(hint)
    for tool in ("createdb", "dropdb"):
        if not shutil.which(tool):
            missing.append(f"{tool} (PostgreSQL client)")
    if not port_open(args.postgres_port):
        missing.append(f"PostgreSQL on 127.0.0.1:{args.postgres_port}")
    if not port_open(6379):
        missing.append("Redis on 127.0.0.1:6379")
    return missing


def production_env(args, work: Path, *, database_url: str, s3_port: int, smtp_port: int) -> dict:
    """The environment of every Zairyu process: the production settings, fully supplied."""
    keys = {}
    bench_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zairyu.settings.bench",
        "ZAIRYU_VAR_DIR": str(work / "keygen"),
        "PYTHONPATH": str(REPO / "src"),
    }
    for variable, key_id in (("FIELD_ENCRYPTION_KEYS", "so1"), ("BLIND_INDEX_KEYS", "sob1")):
        keys[variable] = run_checked(
            [sys.executable, "manage.py", "rotate_keys", "--new-key", key_id],
            env=bench_env,
            what="rotate_keys --new-key",
        ).strip()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "AWS_", "EMAIL_"))
    }
    env.update(keys)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zairyu.settings.production",
            "PYTHONPATH": str(REPO / "src"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "SITE_URL": f"https://{HOST}",
            "DEFAULT_FROM_EMAIL": f"Zairyu <no-reply@{HOST}>",
            "HELPDESK_NAME": "Zairyu scale-out helpdesk",
            "HELPDESK_PHONE": "03-0000-0000",
            "HELPDESK_EMAIL": f"helpdesk@{HOST}",
            "HELPDESK_HOURS": "9:00-17:00",
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "CELERY_BROKER_URL": args.redis_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": "scaleout",
            "AWS_SECRET_ACCESS_KEY": "scaleout-secret",  # moto accepts any credentials
            "ZAIRYU_VAR_DIR": str(work / "var"),
            # Shorter than production's 300 s so that the work of the killed worker is handed
            # out again within the run (the sweeper runs every SWEEP_SECONDS).
            "ZAIRYU_WORK_LEASE_SECONDS": str(LEASE_SECONDS),
            "ZAIRYU_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "ZAIRYU_AUDIT_SEAL_SECONDS": str(SEAL_SECONDS),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
        }
    )
    return env


def wait_for_task_in_flight(path: Path, timeout: float) -> bool:
    """Wait until the worker's log shows a task received and not yet finished (mid-task)."""
    pattern = re.compile(r"Task [\w.]+\[([0-9a-f-]{36})\] (received|succeeded|failed|retry)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        open_ids: set[str] = set()
        for match in pattern.finditer(path.read_text(errors="replace")):
            task_id, what = match.groups()
            if what == "received":
                open_ids.add(task_id)
            else:
                open_ids.discard(task_id)
        if open_ids:
            return True
        time.sleep(0.05)
    return False


def count_worker_tasks(paths: list[Path]) -> dict[str, dict[str, Counter]]:
    """Per task name: ids received and ids that succeeded, over the workers' logs."""
    pattern = re.compile(r"Task (zairyu\.[\w.]+)\[([0-9a-f-]{36})\] (received|succeeded)")
    out: dict[str, dict[str, Counter]] = {}
    for path in paths:
        for match in pattern.finditer(path.read_text(errors="replace")):
            name, task_id, what = match.groups()
            out.setdefault(name, {"received": Counter(), "succeeded": Counter()})[what][
                task_id
            ] += 1
    return out


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=90, help="seconds of load")
    parser.add_argument("--residents", type=int, default=4, help="residents filing at once")
    parser.add_argument("--bulk-rows", type=int, default=20, help="rows per bulk file")
    parser.add_argument("--bulk-pause", type=float, default=4, help="seconds between bulk files")
    parser.add_argument("--upload-pause", type=float, default=1.5, help="seconds between PDFs")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per Celery worker")
    parser.add_argument("--drain-timeout", type=float, default=240)
    parser.add_argument("--postgres-port", type=int, default=5432)
    parser.add_argument("--database", default="zairyu_scaleout")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--no-save", action="store_true", help="no copy under bench/results/")
    parser.add_argument("--setup-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup_child:
        setup_child(*args.setup_child)
        return 0

    missing = preflight(args)
    if missing:
        for item in missing:
            log(f"missing: {item}")
        return 2
    if not args.no_save:
        RESULTS_DIR.mkdir(exist_ok=True)
        sink = (RESULTS_DIR / f"{dt.date.today().isoformat()}-scaleout.txt").open("w")
        harness.FIGURE_SINKS.append(sink)
    work = Path(tempfile.mkdtemp(prefix="zairyu-scaleout-"))
    log(f"working directory {work} (logs in {work / 'logs'})")
    pg = f"postgres://postgres@127.0.0.1:{args.postgres_port}"
    database_url = f"{pg}/{args.database}"
    pg_args = ["-h", "127.0.0.1", "-p", str(args.postgres_port), "-U", "postgres"]
    import redis

    broker = redis.Redis.from_url(args.redis_url)
    broker.flushdb()
    run_checked(["dropdb", *pg_args, "--if-exists", args.database], what="dropdb")
    run_checked(["createdb", *pg_args, args.database], what="createdb")
    load_before = os.getloadavg()[0]
    installation = Installation(args, work)
    smtp = SmtpRecorder()
    failures: list[str] = []
    try:
        exit_code = run(args, work, installation, smtp, database_url, load_before, failures)
    finally:
        installation.stop()
        smtp.stop()
        broker.flushdb()
        if not args.keep:
            run_checked(["dropdb", *pg_args, "--if-exists", args.database], what="dropdb")
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept: database {args.database}, logs in {work / 'logs'}")
        for sink in harness.FIGURE_SINKS:
            sink.close()
    return exit_code


def run(
    args, work, installation: Installation, smtp: SmtpRecorder, database_url, load_before, failures
) -> int:
    emit = harness.emit
    wall_started = time.monotonic()

    # Object storage: moto's server and the bucket.
    s3_port = harness.free_port()
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    installation.spawn("s3", [moto, "-H", "127.0.0.1", "-p", str(s3_port)], env=dict(os.environ))
    wait_until(lambda: port_open(s3_port), 30, "moto_server")
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{s3_port}",
        region_name=REGION,
        aws_access_key_id="scaleout",
        aws_secret_access_key="scaleout-secret",
    )
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

    env = production_env(
        args, work, database_url=database_url, s3_port=s3_port, smtp_port=smtp.port
    )
    installation.env = env
    log("migrating and collecting static files (production settings)")
    manage = [sys.executable, "manage.py"]
    run_checked([*manage, "migrate", "--noinput", "-v0"], env=env, what="migrate")
    run_checked([*manage, "collectstatic", "--noinput", "-v0"], env=env, what="collectstatic")
    log(f"creating {args.residents} residents, a university with {args.bulk_rows} students, staff")
    out = run_checked(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--setup-child",
            str(args.residents),
            str(args.bulk_rows),
        ],
        env=env,
        what="set-up",
    )
    setup = json.loads(next(line for line in out.splitlines() if line.startswith("SETUP "))[6:])
    database, version = harness.describe_database(env)

    # Web nodes, each with a MEDIA_ROOT of its own that must stay empty.
    media = {}
    for name in ("web-a", "web-b"):
        port = harness.free_port()
        media[name] = work / f"media-{name}"
        media[name].mkdir()
        installation.spawn(
            name,
            [
                sys.executable,
                "-m",
                "gunicorn",
                "zairyu.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.web_workers),
                "--graceful-timeout",
                "10",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            env={**env, "MEDIA_ROOT": str(media[name])},
            port=port,
        )
    for name in ("worker-1", "worker-2"):
        media[name] = work / f"media-{name}"
        media[name].mkdir()
        installation.spawn(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "zairyu",
                "worker",
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(args.concurrency),
                "--loglevel",
                "INFO",
            ],
            env={**env, "MEDIA_ROOT": str(media[name])},
        )
    beat_started = time.monotonic()
    installation.spawn(
        "beat",
        [sys.executable, "-m", "celery", "-A", "zairyu", "beat", "--loglevel", "INFO"],
    )
    port_a = installation.procs["web-a"].port
    port_b = installation.procs["web-b"].port
    for port in (port_a, port_b):
        wait_until(lambda port=port: node_healthy(port), 60, f"the web node on {port}")

    # The balancer, terminating TLS.
    lb_port = harness.free_port()
    pem = work / "lb.pem"
    cert = self_signed_pem(pem)
    stats_socket = work / "haproxy.sock"
    config = work / "haproxy.cfg"
    config.write_text(
        HAPROXY_CFG.format(
            stats=stats_socket, port=lb_port, pem=pem, host=HOST, port_a=port_a, port_b=port_b
        )
    )
    run_checked(["haproxy", "-c", "-f", str(config)], what="haproxy -c")
    installation.spawn("haproxy", ["haproxy", "-db", "-f", str(config)], env=dict(os.environ))
    tls = ssl.create_default_context(cafile=str(cert))
    wait_until(
        lambda: (
            stats_socket.exists()
            and all(
                row["status"] == "UP"
                for name, row in haproxy_stats(stats_socket).items()
                if name in ("a", "b")
            )
        ),
        30,
        "HAProxy to see both nodes up",
    )
    wait_until(
        lambda: all(
            "ready" in p.log_path.read_text(errors="replace")
            for n, p in installation.procs.items()
            if n.startswith("worker")
        ),
        90,
        "both workers to be ready",
    )
    lb = ("lb", lb_port)
    db = Database(database_url)

    # An upload through node A, downloaded through node B (both direct, no balancer).
    staff_a = Client(("node", port_a), None)
    staff_a.sign_in(setup["staff"])
    application = start_application(staff_a)
    cross_data = pdf_bytes(f"Uploaded through node A {secrets.token_hex(8)}")
    cross_digest = hashlib.sha256(cross_data).hexdigest()
    attach(staff_a, application, cross_data, "through-node-a.pdf")
    cross_document = db.document_by_hash(application, cross_digest)
    staff_b = staff_a.with_target(("node", port_b))
    cross_ok = hashlib.sha256(download(staff_b, application, cross_document)).hexdigest() == (
        cross_digest
    )
    log(f"upload through node A, download through node B: {'ok' if cross_ok else 'DIFFERENT'}")

    # The load.
    stop = threading.Event()
    seen = Seen()
    seen.documents[cross_document] = cross_digest
    if cross_ok:
        seen.downloads_ok += 1
    else:
        seen.downloads_bad += 1
    threads = []
    for username in setup["residents"]:
        client = Client(lb, tls)
        threads.append(
            threading.Thread(target=resident_loop, args=(username, client, stop, seen), daemon=True)
        )
    threads.append(
        threading.Thread(
            target=bulk_loop,
            args=(setup, Client(lb, tls), stop, seen, args.bulk_pause),
            daemon=True,
        )
    )
    staff_lb = staff_a.with_target(lb)
    staff_lb.tls = tls
    threads.append(
        threading.Thread(
            target=upload_loop,
            args=(staff_lb, application, db, stop, seen, args.upload_pause),
            daemon=True,
        )
    )
    log(f"load for {args.duration:.0f} s through the balancer on https://127.0.0.1:{lb_port}")
    load_started = time.monotonic()
    for thread in threads:
        thread.start()
    kill_web_at = args.duration * 0.4
    kill_worker_at = args.duration * 0.55
    web_killed = worker_killed = None
    while (elapsed := time.monotonic() - load_started) < args.duration:
        if web_killed is None and elapsed >= kill_web_at:
            web_killed = installation.kill("web-a") - load_started
            log(f"SIGKILL web node A (gunicorn master and workers) at {web_killed:.1f} s")
        if worker_killed is None and elapsed >= kill_worker_at:
            busy = wait_for_task_in_flight(installation.procs["worker-1"].log_path, 5)
            worker_killed = installation.kill("worker-1") - load_started
            log(f"worker 1 {'had a task in flight' if busy else 'looked idle'} when killed")
            log(f"SIGKILL worker 1 (main process and pool) at {worker_killed:.1f} s")
        dead = [t for t in threads if not t.is_alive()]
        if dead:
            raise RuntimeError("a load thread stopped by itself; see the messages above")
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join(90)
    load_seconds = time.monotonic() - load_started
    log(
        f"load over: {len(seen.filings)} filings, {len(seen.jobs)} bulk jobs, "
        f"{len(seen.documents)} uploads acknowledged; draining"
    )

    # Drain: every acknowledged thing done, every mail sent, every audit event sealed.
    drain_started = time.monotonic()
    last = {}

    def drained() -> bool:
        nonlocal last
        last = db.open_work()
        return not any(last.values())

    try:
        wait_until(drained, args.drain_timeout, "the workers to drain", interval=1)
    except RuntimeError:
        failures.append(f"not drained after {args.drain_timeout:.0f} s: {last}")
    drain_seconds = time.monotonic() - drain_started
    log(f"drained in {drain_seconds:.1f} s" if not failures else failures[-1])

    # Node A is gone: its upload still comes from node B, and through the balancer.
    after_b = hashlib.sha256(download(staff_b, application, cross_document)).hexdigest()
    after_lb = hashlib.sha256(download(staff_lb, application, cross_document)).hexdigest()
    cross_after_ok = after_b == cross_digest and after_lb == cross_digest
    stats = haproxy_stats(stats_socket)
    time.sleep(SWEEP_SECONDS + 1)  # one more beat tick after the drain, then stop
    beat_seconds = time.monotonic() - beat_started
    installation.procs["beat"].popen.send_signal(signal.SIGTERM)
    installation.procs["beat"].popen.wait(20)
    time.sleep(3)  # the last tick's tasks
    audit_verify = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        keys.update(item["Key"] for item in page.get("Contents", []))
    installation.stop()
    load_after = os.getloadavg()[0]

    # --- figures -----------------------------------------------------------------------------
    emit("date", dt.datetime.now().isoformat(timespec="seconds"))
    emit("machine", f"{platform.machine()}-{os.cpu_count()}cores")
    emit("database", database)
    emit("database_version", version)
    emit("settings", "zairyu.settings.production")
    emit("web_nodes", 2)
    emit("gunicorn_workers_per_node", args.web_workers)
    emit("celery_workers", 2)
    emit("celery_concurrency", args.concurrency)
    emit("beats", 1)
    emit("load_average_before", load_before, "", 2)
    emit("load_average_after", load_after, "", 2)
    emit("load_seconds", load_seconds, "s")
    emit("web_node_a_killed_at", web_killed, "s")
    emit("worker_1_killed_at", worker_killed, "s")

    # Filings through the pages.
    acked = sorted(seen.filings)
    rows = (
        dict(db.all("SELECT id, state FROM filings_filing WHERE id = ANY(%s)", (acked,)))
        if acked
        else {}
    )
    resident_ids = [
        r[0] for r in db.all("SELECT id FROM accounts_user WHERE username LIKE 'scale-res%%'")
    ]
    stored_all = db.one(
        "SELECT count(*) FROM filings_filing WHERE filer_id = ANY(%s)", (resident_ids,)
    )[0]
    states = Counter(rows.values())
    missing_filings = len(acked) - len(rows)
    not_done = states.get("registering", 0)
    emit("filings_acknowledged", len(acked), "filings")
    emit("filings_acknowledged_stored", len(rows), "filings")
    emit("filings_acknowledged_missing", missing_filings, "filings")
    emit("filings_stored_unacknowledged", stored_all - len(rows), "filings")
    emit("filings_registered", states.get("registered", 0), "filings")
    emit("filings_superseded", states.get("superseded", 0), "filings")
    emit("filings_error", states.get("error", 0), "filings")
    emit("filings_still_registering", not_done, "filings")
    emit("filings_abandoned_by_client", seen.filings_abandoned, "filings")
    emit("filings_per_s", len(acked) / load_seconds, "filings/s", 2)
    if missing_filings or not_done:
        failures.append(f"filings: {missing_filings} acknowledged missing, {not_done} not done")

    # Bulk jobs through the API.
    jobs = sorted(seen.jobs)
    job_rows = (
        db.all(
            "SELECT id, state, total_rows, accepted_rows FROM bulk_job WHERE id = ANY(%s)", (jobs,)
        )
        if jobs
        else []
    )
    jobs_all = db.one("SELECT count(*) FROM bulk_job")[0]
    jobs_done = [j for j in job_rows if j[1] == "done" and j[3] == args.bulk_rows]
    bulk_filing_states = Counter(
        dict(
            db.all(
                "SELECT f.state, count(*) FROM bulk_jobrow r JOIN filings_filing f "
                "ON f.id::text = r.object_id WHERE r.job_id = ANY(%s) AND r.object_id <> '' "
                "GROUP BY f.state",
                (jobs,),
            )
        )
        if jobs
        else {}
    )
    emit("bulk_jobs_acknowledged", len(jobs), "jobs")
    emit("bulk_jobs_acknowledged_stored", len(job_rows), "jobs")
    emit("bulk_jobs_stored_unacknowledged", jobs_all - len(job_rows), "jobs")
    emit("bulk_jobs_done_all_rows", len(jobs_done), "jobs")
    emit("bulk_jobs_failed_requests", seen.jobs_failed, "requests")
    emit("bulk_rows_filed", sum(bulk_filing_states.values()), "filings")
    emit("bulk_filings_still_registering", bulk_filing_states.get("registering", 0), "filings")
    emit("bulk_filings_error", bulk_filing_states.get("error", 0), "filings")
    if len(job_rows) != len(jobs) or len(jobs_done) != len(jobs):
        failures.append(
            f"bulk: {len(jobs)} acknowledged, {len(job_rows)} stored, {len(jobs_done)} done"
        )
    if bulk_filing_states.get("registering", 0):
        failures.append("bulk filings still registering")

    # Uploads: rows, objects in the bucket, nothing on any machine's disk.
    documents = seen.documents
    doc_rows = (
        dict(
            db.all(
                "SELECT id, file FROM applications_applicationdocument WHERE id = ANY(%s)",
                (sorted(documents),),
            )
        )
        if documents
        else {}
    )
    in_bucket = sum(1 for name in doc_rows.values() if name in keys)
    local_files = sum(1 for d in media.values() for p in d.rglob("*") if p.is_file())
    emit("uploads_acknowledged", len(documents), "files")
    emit("uploads_acknowledged_stored", len(doc_rows), "files")
    emit("uploads_in_bucket", in_bucket, "files")
    emit("uploads_failed_requests", seen.uploads_failed, "requests")
    emit("uploads_downloaded_same_bytes", seen.downloads_ok, "files")
    emit("uploads_downloaded_wrong", seen.downloads_bad, "files")
    emit("uploads_on_local_disks", local_files, "files")
    emit("bucket_objects", len(keys), "objects")
    emit("upload_node_a_download_node_b", "ok" if cross_ok else "FAILED")
    emit("upload_node_a_download_node_b_after_a_killed", "ok" if cross_after_ok else "FAILED")
    if len(doc_rows) != len(documents) or in_bucket != len(doc_rows) or local_files:
        failures.append(
            f"uploads: {len(documents)} acknowledged, {len(doc_rows)} rows, {in_bucket} in the "
            f"bucket, {local_files} on local disks"
        )
    if not (cross_ok and cross_after_ok):
        failures.append("the upload through node A did not come back through node B")

    # The balancer and the clients.
    for server in ("a", "b"):
        row = stats.get(server, {})
        emit(f"lb_requests_node_{server}", int(row.get("stot") or 0), "requests")
        emit(f"lb_5xx_node_{server}", int(row.get("hrsp_5xx") or 0), "responses")
        emit(f"lb_status_node_{server}", row.get("status", "?").split()[0])
    emit("lb_retries", int(stats.get("BACKEND", {}).get("wretr") or 0), "retries")
    emit("lb_redispatches", int(stats.get("BACKEND", {}).get("wredis") or 0), "redispatches")
    emit("client_errors", sum(seen.errors.values()), "errors")
    emit("client_retries", seen.retries, "retries")
    if seen.error_times:
        emit("client_errors_first_at", min(seen.error_times) - load_started, "s")
        emit("client_errors_last_at", max(seen.error_times) - load_started, "s")
    for what, count in sorted(seen.errors.items()):
        log(f"client error x{count}: {what}")

    # Beat: one beat, each tick's task run once.
    beat_log = installation.procs["beat"].log_path.read_text(errors="replace")
    tasks = count_worker_tasks([installation.procs[n].log_path for n in ("worker-1", "worker-2")])
    killed_tasks = count_worker_tasks([installation.procs["worker-1"].log_path])
    unfinished_on_killed = Counter(
        {
            name: sum(1 for task_id in by["received"] if task_id not in by["succeeded"])
            for name, by in killed_tasks.items()
        }
    )
    unfinished_on_killed = +unfinished_on_killed  # drop the zeros
    # One sweep entry per queue (zairyu.celery.SWEEPS), each tick a task of its own.
    for label, entries, task in (
        ("sweep", ("sweep-work", "sweep-urgent", "sweep-mail"), "zairyu.core.sweep"),
        ("seal", ("seal-audit-events",), "zairyu.audit.seal"),
    ):
        sent = sum(beat_log.count(f"Sending due task {entry} ") for entry in entries)
        by = tasks.get(task, {"received": Counter(), "succeeded": Counter()})
        runs = sum(by["succeeded"].values())
        twice = sum(count - 1 for count in by["succeeded"].values() if count > 1)
        interval = SWEEP_SECONDS if label == "sweep" else SEAL_SECONDS
        at_most = len(entries) * int(beat_seconds // interval)
        emit(f"beat_{label}_interval", interval, "s")
        emit(f"beat_{label}_ticks_sent", sent, "ticks")
        emit(f"beat_{label}_ticks_at_most", at_most, "ticks")
        emit(f"beat_{label}_runs", runs, "runs")
        emit(f"beat_{label}_runs_twice", twice, "runs")
        emit(f"beat_{label}_ticks_not_run", max(sent - len(by["succeeded"]), 0), "ticks")
        if twice or sent > at_most:
            failures.append(f"beat {label}: {sent} ticks sent, {twice} run twice")
    emit("killed_worker_tasks_unfinished", sum(unfinished_on_killed.values()), "tasks")
    for name, count in sorted(unfinished_on_killed.items()):
        log(f"unfinished on the killed worker: {name} x{count}")
    # Rows a worker claimed more than once: the killed worker's, handed out again by the sweeper.
    for name, table, unit in (
        ("filings_claimed_again", "filings_filing", "filings"),
        ("bulk_jobs_claimed_again", "bulk_job", "jobs"),
        ("mails_tried_again", "mail_mail", "mails"),
    ):
        emit(name, db.one(f"SELECT count(*) FROM {table} WHERE attempts > 1")[0], unit)  # noqa: S608
    registrations = tasks.get("zairyu.filings.register", {"succeeded": Counter()})["succeeded"]
    emit("registration_tasks_run", sum(registrations.values()), "tasks")

    # The audit chain, sealed by whichever worker got the tick.
    unsealed = db.one("SELECT count(*) FROM audit_auditevent WHERE seal_seq IS NULL")[0]
    emit("audit_events", db.one("SELECT count(*) FROM audit_auditevent")[0], "events")
    emit("audit_unsealed_after_drain", unsealed, "events")
    emit("audit_chain_verified", "ok" if audit_verify.returncode == 0 else "FAILED")
    if audit_verify.returncode != 0:
        failures.append(f"audit_verify: {audit_verify.stdout}{audit_verify.stderr}"[-500:])

    # Mails: one row per (template, recipient, object), each delivered once.
    mail_states = Counter(dict(db.all("SELECT state, count(*) FROM mail_mail GROUP BY state")))
    duplicate_rows = db.one(
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM mail_mail "
        "GROUP BY template, to_address, related_type, related_id HAVING count(*) > 1) d"
    )[0]
    with smtp.lock:
        delivered = Counter(smtp.message_ids)
    sent_ids = {r[0] for r in db.all("SELECT message_id FROM mail_mail WHERE state = 'sent'")}
    twice_delivered = sum(count - 1 for count in delivered.values() if count > 1)
    emit("mails_queued", sum(mail_states.values()), "mails")
    emit("mails_sent", mail_states.get("sent", 0), "mails")
    emit("mails_unsent", sum(v for k, v in mail_states.items() if k != "sent"), "mails")
    emit("mail_duplicate_rows", int(duplicate_rows), "mails")
    emit("smtp_deliveries", sum(delivered.values()), "messages")
    emit("smtp_duplicate_deliveries", twice_delivered, "messages")
    emit("smtp_sent_not_delivered", len(sent_ids - set(delivered)), "mails")
    if duplicate_rows or twice_delivered:
        failures.append(f"mails: {duplicate_rows} duplicate rows, {twice_delivered} sent twice")
    if mail_states.get("sent", 0) != sum(mail_states.values()) or sent_ids - set(delivered):
        failures.append("mails not all sent and delivered")

    emit("drain_seconds", drain_seconds, "s")
    emit("bench_wall_time", time.monotonic() - wall_started, "s")
    emit(
        "acknowledged_equals_stored",
        "no" if any(f.startswith(("filings", "bulk", "uploads")) for f in failures) else "yes",
    )
    emit("result", "FAILED" if failures else "ok")
    db.close()
    for failure in failures:
        log(f"FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
