"""A notification's submission over HTTP, against the bare insert, by rate and by server CPU.

Residents sign in (real sessions, CSRF) and, from several threads at once for ``--seconds``
each, the benchmark runs three phases against the same gunicorn:

- ``baseline``: ``POST /bench/baseline/`` (one row inserted: the floor of a request that writes);
- ``submit``: the two POSTs of a submission — the form (checked, kept as a draft) and the
  confirmation (filed: the filing, its history row, its audit event and its mail) — with a
  token the browser would have got from the start page;
- ``flow``: the whole journey as a browser makes it: start, the form, its POST, the confirm
  page, the submit, the filing's page (6 requests).

For each phase: units per second, the server's CPU per unit (the gunicorn processes' user +
system time; PostgreSQL's backends too when it is the database) and the ratios against the
baseline measured in the same run (rate ratio; CPU ratio = baseline CPU per insert / the
phase's CPU per unit). Every submission must have made its filing with its history row, audit
event and mail (checked in the database at the end). Usage::

    .venv/bin/python bench/run.py --only submission          # with the other benchmarks' server
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

NAME = "submission"
EVENT = "con_new_contract"
PASSWORD = "Scale#Out2026"  # bench_scaleout.setup_child's residents
THREADS = 4
SECONDS = 15.0
FILED = re.compile(r"/notifications/(\d+)/$")


class Browser:
    """One signed-in resident: cookies, the CSRF token, one kept-alive connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "zairyu-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method != "GET":
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            body = urllib.parse.urlencode(form or {}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}")
        return response.status, response.getheader("Location") or ""

    def sign_in(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST", "/accounts/login/", {"auth_id": username, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {username}: {status}")


def _form(label: str) -> dict:
    return {
        "event_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "new_org_name": f"株式会社ベンチ{label}",
        "new_org_address": "東京都新宿区西新宿2-8-1",
        "new_activity": "システム開発",
    }


def _submit(browser: Browser, form_path: str, label: str) -> int:
    status, location = browser.request("POST", form_path, _form(label))
    if status != 302 or "/confirm/" not in location:
        raise RuntimeError(f"form: {status} {location}")
    confirm = urllib.parse.urlsplit(location).path
    status, location = browser.request("POST", confirm, {"action": "submit"})
    filed = FILED.search(location)
    if status != 302 or not filed:
        raise RuntimeError(f"submit: {status} {location}")
    return int(filed.group(1))


def _one_submit(browser: Browser, label: str) -> int:
    """The two POSTs, with the token a start page would have handed out."""
    return _submit(browser, f"/notifications/new/{EVENT}/{uuid.uuid4()}/", label)


def _one_flow(browser: Browser, label: str) -> int:
    """start → form → POST → confirm page → submit → the filing's page."""
    status, location = browser.request("GET", f"/notifications/new/{EVENT}/")
    form_path = urllib.parse.urlsplit(location).path
    browser.request("GET", form_path)
    status, location = browser.request("POST", form_path, _form(label))
    confirm = urllib.parse.urlsplit(location).path
    browser.request("GET", confirm)
    status, location = browser.request("POST", confirm, {"action": "submit"})
    filing = int(FILED.search(location).group(1))
    browser.request("GET", f"/notifications/{filing}/")
    return filing


def _one_insert(browser: Browser, label: str) -> int:
    browser.request("POST", "/bench/baseline/")
    return 0


def _cpu_by_process(port: int, database: str | None) -> dict[int, tuple[str, float]]:
    """{pid: ("web" | "db", CPU seconds)} of the gunicorn processes on ``port`` and of the
    PostgreSQL backends connected to ``database`` (None: SQLite, no server)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / ticks
        if "gunicorn" in cmdline and f":{port}" in cmdline:
            found[int(entry.name)] = ("web", used)
        elif database and cmdline.startswith("postgres:") and f" {database} " in cmdline:
            found[int(entry.name)] = ("db", used)
    return found


def _cpu_used(before: dict, after: dict) -> tuple[float, float]:
    """(web, db) CPU seconds spent between two samples: each process's own growth (one that
    started meanwhile counts whole; one that ended is lost, so phases keep connections open)."""
    spent = {"web": 0.0, "db": 0.0}
    for pid, (kind, used) in after.items():
        spent[kind] += used - before.get(pid, (kind, 0.0))[1]
    return spent["web"], spent["db"]


def _phase(name, port, browsers, action, seconds, database) -> dict:
    stop = threading.Event()
    done: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(index: int, browser: Browser) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            try:
                result = action(browser, f"{index}-{count}-{uuid.uuid4().hex[:6]}")
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                browser.conn.close()
                continue
            with lock:
                done.append(result)

    before = _cpu_by_process(port, database)
    start = time.monotonic()
    threads = [
        threading.Thread(target=work, args=(i, b), daemon=True) for i, b in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - start
    web, db = _cpu_used(before, _cpu_by_process(port, database))
    units = len(done)
    harness.log(f"{name}: {units} in {elapsed:.1f} s, {len(errors)} errors")
    for error in errors[:3]:
        harness.log(f"  {error}")
    return {
        "units": units,
        "errors": len(errors),
        "rate": units / elapsed,
        "web_ms": 1000 * web / max(units, 1),
        "db_ms": 1000 * db / max(units, 1),
        "ids": [i for i in done if i],
    }


def _setup(ctx, residents: int) -> list[str]:
    """Residents who file (bench_scaleout's set-up); those of an earlier run when they exist."""
    existing = ctx.manage(
        "shell",
        "-c",
        "from zairyu.accounts.models import User\n"
        "print(','.join(User.objects.filter(username__startswith='scale-res')"
        ".order_by('username').values_list('username', flat=True)))",
    )
    names = [n for n in existing.strip().splitlines()[-1].split(",") if n] if existing else []
    if len(names) >= residents:
        return names[:residents]
    out = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_scaleout.py"), "--setup-child", str(residents)]
        + ["0"],
        env=ctx.server.env,
        cwd=harness.REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(next(ln for ln in out.splitlines() if ln.startswith("SETUP "))[6:])[
        "residents"
    ]


def _check_filings(ctx, ids: list[int]) -> None:
    """Every submission made its filing, history row, audit event and mail."""
    script = (
        "import json,sys\n"
        "from zairyu.filings.models import Filing, FilingStateChange\n"
        "from zairyu.audit.models import AuditEvent\n"
        "from zairyu.mail.models import Mail\n"
        f"ids = {ids!r}\n"
        "f = Filing.objects.filter(pk__in=ids).count()\n"
        "h = FilingStateChange.objects.filter(filing_id__in=ids, from_state='').count()\n"
        "a = AuditEvent.objects.filter(action='filings.filing.submitted',"
        " object_id__in=[str(i) for i in ids]).count()\n"
        "m = Mail.objects.filter(related_type='filings.filing',"
        " related_id__in=[str(i) for i in ids]).values('related_id').distinct().count()\n"
        "print(json.dumps([f, h, a, m]))\n"
    )
    out = ctx.manage("shell", "-c", script)
    filings, history, audit, mails = json.loads(out.strip().splitlines()[-1])
    expected = len(ids)
    harness.log(
        f"checked {expected} submissions: {filings} filings, {history} history rows, "
        f"{audit} audit events, mails for {mails}"
    )
    if not filings == history == audit == mails == expected:
        raise RuntimeError("a submission is missing its filing, history, audit event or mail")


def run(ctx) -> None:
    port = int(ctx.base_url.rsplit(":", 1)[1])
    url = os.environ.get("DATABASE_URL", "")
    database = urllib.parse.urlsplit(url).path.lstrip("/") if url.startswith("postgres") else None
    seconds = float(os.environ.get("BENCH_SUBMISSION_SECONDS", SECONDS))
    usernames = _setup(ctx, THREADS)
    browsers = []
    for username in usernames:
        browser = Browser(port)
        browser.sign_in(username)
        browsers.append(browser)
    _phase("warm-up", port, browsers, _one_flow, 3, database)
    base = _phase("baseline", port, browsers, _one_insert, seconds, database)
    submit = _phase("submit", port, browsers, _one_submit, seconds, database)
    flow = _phase("flow", port, browsers, _one_flow, seconds, database)
    _check_filings(ctx, submit["ids"] + flow["ids"])
    base_cpu = base["web_ms"] + base["db_ms"]
    for name, phase in (("baseline", base), ("submit", submit), ("flow", flow)):
        unit = "inserts/s" if name == "baseline" else f"{name}s/s"
        ctx.figure(f"submission_{name}_rate", phase["rate"], unit)
        ctx.figure(f"submission_{name}_web_cpu", phase["web_ms"], "ms/unit", digits=2)
        ctx.figure(f"submission_{name}_db_cpu", phase["db_ms"], "ms/unit", digits=2)
        ctx.figure(f"submission_{name}_errors", phase["errors"], "errors", digits=0)
        if name != "baseline":
            cpu = phase["web_ms"] + phase["db_ms"]
            ctx.figure(
                f"submission_{name}_vs_baseline_rate", phase["rate"] / base["rate"], "ratio", 3
            )
            ctx.figure(f"submission_{name}_vs_baseline_cpu", base_cpu / cpu, "ratio", 3)
