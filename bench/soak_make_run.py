"""Soak of ``make run`` (issue 15): ``manage.py serve`` under a steady load, children killed.

In a fresh ``ZAIRYU_VAR_DIR`` (temporary; SQLite database, the embedded SQLite broker, dev
settings, as ``make run``) it runs ``migrate`` and ``setup_demo``, creates the load's accounts
(``bench_scaleout.py --setup-child``: residents, a university with an API key and its students'
cards), then starts ``manage.py serve --addr 127.0.0.1:<free port>`` and for ``--minutes``:

- a resident files a notification through the pages every ``--filing-pause`` seconds (start →
  form → confirm, as a browser: cookies, CSRF; ``bench_scaleout.file_one``), then opens its page;
- every ``--upload-pause`` seconds the university uploads a small CSV (``--bulk-rows`` rows)
  through ``POST /api/v1/bulk/jobs`` with its API key;
- unless ``--no-kill``, SIGKILL to the worker, the web server and beat, once each, at 30 %, 50 %
  and 70 % of the run; each must be restarted by ``serve`` (its ``restarted (pid N)`` line, the
  new process alive, and for web ``/healthz`` answering again).

Every minute one line: elapsed, requests ok/failed, filings registered/acknowledged, jobs
done/accepted, deaths and restarts per child (``serve``'s lines), RSS of each child's process
group (``/proc/<pid>/status`` VmRSS, the worker's pool processes included). At the end, after
the queue drained (``--drain`` seconds at most), figures as ``name: value unit``.

``deaths_from_broker`` counts worker exits the bench did not cause (each is counted, whatever
its cause) plus ``JSONDecodeError`` / broker exception lines in ``var/log/worker.log``.
Exit status 1 if an acknowledged filing or job was never processed, a killed child did not come
back, or ``deaths_from_broker`` is not 0. Usage::

    .venv/bin/python bench/soak_make_run.py [--minutes 60] [--no-kill] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

import bench_scaleout as scale  # noqa: E402

CHILDREN = ("web", "worker", "beat")
STARTED = re.compile(r"pids (\d+), (\d+), (\d+)")
DIED = re.compile(r"^(\d\d:\d\d:\d\d) (web|worker|beat) (exited with status -?\d+|killed by \S+)")
RESTARTED = re.compile(r"^(\d\d:\d\d:\d\d) (web|worker|beat) restarted \(pid (\d+)\)")
BROKER_TROUBLE = re.compile(
    r"JSONDecodeError|Unrecoverable error|consumer: Cannot connect|Connection to broker lost"
    r"|sqlalchemy\.exc|kombu\.exceptions|database is locked"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser(scale.Client):
    """``bench_scaleout``'s browser, over plain HTTP to runserver (no proxy headers)."""

    def __init__(self, port: int):
        super().__init__(("plain", port), None)
        self.host = f"127.0.0.1:{port}"

    def request(self, method, path, *, form=None, body=None, content_type="", headers=None):
        all_headers = {"Host": self.host, "User-Agent": "zairyu-soak-bench"}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET":
            all_headers["Origin"] = f"http://{self.host}"
            all_headers["Referer"] = f"http://{self.host}{path}"
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
        except (OSError, scale.http.client.HTTPException) as exc:
            self.close()
            raise scale.HttpError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.will_close:
            self.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        answer = scale.Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, data
        )
        if answer.status >= 500:
            raise scale.HttpError(f"{method} {path}: HTTP {answer.status}")
        return answer


class Counting:
    """Wraps a Browser to count requests that got an answer (ok) or none / a 5xx (failed)."""

    def __init__(self, browser: Browser, tally: dict):
        self.browser, self.tally = browser, tally

    def __getattr__(self, name):
        return getattr(self.browser, name)

    def request(self, *args, **kwargs):
        try:
            answer = self.browser.request(*args, **kwargs)
        except scale.HttpError:
            self.tally["failed"] += 1
            raise
        self.tally["ok"] += 1
        return answer


def group_rss_kb(pgid: int) -> int:
    """VmRSS summed over the processes of process group ``pgid`` (a child and its pool)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # pgrp
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return total


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # not a zombie
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return False


class ServeOutput:
    """What ``serve`` printed: current pids, deaths and restarts per child."""

    def __init__(self, path: Path):
        self.path = path
        self.pids: dict[str, int] = {}
        self.deaths = dict.fromkeys(CHILDREN, 0)
        self.restarts = dict.fromkeys(CHILDREN, 0)
        self.death_lines: list[str] = []

    def read(self) -> None:
        self.deaths = dict.fromkeys(CHILDREN, 0)
        self.restarts = dict.fromkeys(CHILDREN, 0)
        self.death_lines = []
        for line in self.path.read_text(errors="replace").splitlines():
            if (m := STARTED.search(line)) and not self.pids:
                self.pids = dict(zip(CHILDREN, map(int, m.groups()), strict=True))
            elif m := DIED.match(line):
                self.deaths[m.group(2)] += 1
                self.death_lines.append(line)
            elif m := RESTARTED.match(line):
                self.restarts[m.group(2)] += 1
                self.pids[m.group(2)] = int(m.group(3))


def healthz(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--filing-pause", type=float, default=2.0, help="seconds between filings")
    parser.add_argument("--upload-pause", type=float, default=60.0, help="seconds between CSVs")
    parser.add_argument("--bulk-rows", type=int, default=5)
    parser.add_argument("--drain", type=float, default=180, help="seconds to wait at the end")
    parser.add_argument("--no-kill", action="store_true", help="kill no child")
    parser.add_argument("--keep", action="store_true", help="keep the var directory")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="zairyu-soak-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="zairyu.settings.dev",
        ZAIRYU_VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
    )
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    manage = [sys.executable, str(ROOT / "manage.py")]
    print(f"var: {var}", file=sys.stderr, flush=True)
    (var / "log").mkdir(parents=True, exist_ok=True)
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, check=True)
    with (var / "log" / "setup_demo.log").open("w") as demo_log:
        subprocess.run([*manage, "setup_demo"], cwd=ROOT, check=True, stdout=demo_log)
    made = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_scaleout.py"), "--setup-child", "2", "0"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    )
    setup = json.loads(made.stdout.split("SETUP ", 1)[1])
    setup["bulk_rows"] = make_students(args.bulk_rows)

    port = free_port()
    out_path = var / "serve.out"
    out = out_path.open("w")
    serve = subprocess.Popen(
        [*manage, "serve", "--addr", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    seen = ServeOutput(out_path)
    tally = {"ok": 0, "failed": 0}
    filings: list[int] = []
    filings_abandoned = 0
    jobs: list[int] = []
    jobs_failed = 0
    kills: list[dict] = []
    rss_start: dict[str, int] = {}
    code = 0
    try:
        deadline = time.monotonic() + 180
        while "Zairyu is running" not in out_path.read_text():
            if time.monotonic() > deadline or serve.poll() is not None:
                raise SystemExit("serve did not start:\n" + out_path.read_text())
            time.sleep(0.5)
        seen.read()
        time.sleep(5)  # the worker and beat settle
        rss_start = {c: group_rss_kb(seen.pids[c]) for c in CHILDREN}

        import django

        django.setup()
        from zairyu.bulk.models import Job
        from zairyu.filings.models import Filing, FilingState

        def registered(ids):
            return Filing.objects.filter(pk__in=ids, state=FilingState.REGISTERED).count()

        def final(ids):
            return Filing.objects.filter(pk__in=ids).exclude(state=FilingState.REGISTERING).count()

        def jobs_done():
            return sum(1 for j in Job.objects.filter(pk__in=jobs) if j.state == "done")

        residents = []
        for username in setup["residents"]:
            browser = Counting(Browser(port), tally)
            browser.browser.sign_in(username)
            residents.append(browser)
        api = Counting(Browser(port), tally)
        error_log: list[str] = []

        def note(what: str) -> None:
            error_log.append((time.monotonic(), f"{time.strftime('%H:%M:%S')} {what}"))

        class SeenShim:
            lock = threading.Lock()
            retries = 0

            def error(self, what: str) -> None:
                note(what)

        shim = SeenShim()
        duration = args.minutes * 60
        start = time.monotonic()
        plan = (
            []
            if args.no_kill
            else [(0.3 * duration, "worker"), (0.5 * duration, "web"), (0.7 * duration, "beat")]
        )
        next_filing = next_upload = start
        next_line = start + 60
        number = 0
        print(
            "minute  req_ok req_failed  filings_reg/ack  jobs_done/ack  "
            "deaths(web,worker,beat) restarts(web,worker,beat)  rss_kb(web,worker,beat)",
            flush=True,
        )
        while (now := time.monotonic()) < start + duration:
            if plan and now - start >= plan[0][0]:
                _, name = plan.pop(0)
                seen.read()
                pid = seen.pids[name]
                os.kill(pid, signal.SIGKILL)
                kills.append({"name": name, "pid": pid, "at": now, "back": None})
                print(f"# {time.strftime('%H:%M:%S')} SIGKILL {name} (pid {pid})", flush=True)
            for kill in kills:
                if kill["back"] is None:
                    seen.read()
                    new = seen.pids[kill["name"]]
                    if (
                        new != kill["pid"]
                        and alive(new)
                        and (kill["name"] != "web" or healthz(port))
                    ):
                        kill["back"] = time.monotonic() - kill["at"]
                        print(
                            f"# {kill['name']} back after {kill['back']:.1f} s (pid {new})",
                            flush=True,
                        )
            if now >= next_filing:
                next_filing = now + args.filing_pause
                number += 1
                client = residents[number % len(residents)]
                filing_id = scale.file_one(client, f"{number:05d}", shim)
                if filing_id is None:
                    filings_abandoned += 1
                else:
                    filings.append(filing_id)
                    try:
                        client.request("GET", f"/notifications/{filing_id}/")
                    except scale.HttpError as exc:
                        note(f"detail page: {exc}")
            if now >= next_upload:
                next_upload = now + args.upload_pause
                api.close()  # a fresh connection: the last one may be to a killed server
                job = upload(api, setup, len(jobs) + 1, note)
                if job is None:
                    jobs_failed += 1
                else:
                    jobs.append(job)
            if now >= next_line:
                next_line += 60
                seen.read()
                print(
                    f"{(now - start) / 60:6.1f}  {tally['ok']:6d} {tally['failed']:10d}  "
                    f"{registered(filings):7d}/{len(filings):<7d}  "
                    f"{jobs_done():5d}/{len(jobs):<5d}  "
                    f"{','.join(str(seen.deaths[c]) for c in CHILDREN):>23}  "
                    f"{','.join(str(seen.restarts[c]) for c in CHILDREN):>25}  "
                    + ",".join(str(group_rss_kb(seen.pids[c])) for c in CHILDREN),
                    flush=True,
                )
            time.sleep(0.2)
        minutes_run = (time.monotonic() - start) / 60
        # Drain: every acknowledged filing and job processed (or the time is up).
        drain_until = time.monotonic() + args.drain
        while time.monotonic() < drain_until:
            for kill in kills:
                if kill["back"] is None:
                    seen.read()
                    new = seen.pids[kill["name"]]
                    if new != kill["pid"] and alive(new):
                        kill["back"] = time.monotonic() - kill["at"]
            if final(filings) == len(filings) and jobs_done() == len(jobs):
                break
            time.sleep(2)
        seen.read()
        bulk_filings = bulk_filing_ids(jobs)
        rss_end = {c: group_rss_kb(seen.pids[c]) for c in CHILDREN}
        killed = {k["name"] for k in kills}
        unexpected = {c: seen.deaths[c] - (1 if c in killed else 0) for c in CHILDREN}
        trouble = broker_lines(var / "log")
        web_5xx = count_lines(var / "log", "web", re.compile(r'" 5\d\d '))
        tracebacks = {c: count_lines(var / "log", c, re.compile("Traceback")) for c in CHILDREN}
        deaths_from_broker = unexpected["worker"] + len(trouble)
        web_down = [
            (k["at"], k["at"] + (k["back"] or 1e9) + 5) for k in kills if k["name"] == "web"
        ]
        expected = [e for e in error_log if any(a <= e[0] <= b for a, b in web_down)]
        unexplained = [e for e in error_log if e not in expected]
        reg, fin = registered(filings), final(filings)
        bulk_reg, bulk_fin = registered(bulk_filings), final(bulk_filings)
        print()
        figures = [
            ("minutes_run", f"{minutes_run:.1f}", "min"),
            ("requests_ok", tally["ok"], "requests"),
            ("requests_failed", tally["failed"], "requests"),
            ("errors", len(error_log), "errors"),
            ("errors_while_web_restarting", len(expected), "errors"),
            ("errors_otherwise", len(unexplained), "errors"),
            ("filings_acknowledged", len(filings), "filings"),
            ("filings_registered", reg, "filings"),
            ("filings_processed", fin, "filings"),
            ("filings_abandoned", filings_abandoned, "filings"),
            ("registered_vs_acknowledged", f"{reg}/{len(filings)}", "filings"),
            ("jobs_acknowledged", len(jobs), "jobs"),
            ("jobs_done", jobs_done(), "jobs"),
            ("jobs_failed", jobs_failed, "jobs"),
            ("bulk_filings_registered_vs_created", f"{bulk_reg}/{len(bulk_filings)}", "filings"),
            ("bulk_filings_processed", bulk_fin, "filings"),
            ("deaths_from_broker", deaths_from_broker, "deaths"),
            ("broker_error_lines", len(trouble), "lines"),
            ("killed_children", len(kills), "children"),
            ("killed_children_back", sum(1 for k in kills if k["back"] is not None), "children"),
            ("web_5xx_in_log", web_5xx, "responses"),
        ]
        for c in CHILDREN:
            figures += [
                (f"{c}_deaths", seen.deaths[c], "deaths"),
                (f"{c}_deaths_unexpected", unexpected[c], "deaths"),
                (f"{c}_restarts", seen.restarts[c], "restarts"),
                (f"{c}_tracebacks_in_log", tracebacks[c], "tracebacks"),
                (f"{c}_rss_start", rss_start.get(c, 0) // 1024, "MiB"),
                (f"{c}_rss_end", rss_end[c] // 1024, "MiB"),
            ]
        for kill in kills:
            back = f"{kill['back']:.1f}" if kill["back"] is not None else "never"
            figures.append((f"{kill['name']}_back_after_kill", back, "s"))
        figures.append(("restarts", sum(seen.restarts.values()), "restarts"))
        for name, value, unit in figures:
            print(f"{name}: {value} {unit}")
        for line in seen.death_lines:
            print(f"# serve: {line}")
        for line in trouble[:10]:
            print(f"# worker.log: {line}")
        for _at, line in error_log[:30]:
            print(f"# error: {line}")
        if (
            fin != len(filings)
            or bulk_fin != len(bulk_filings)
            or jobs_done() != len(jobs)
            or any(k["back"] is None for k in kills)
            or deaths_from_broker
        ):
            code = 1
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
        out.close()
        if args.keep:
            print(f"# kept {var}", file=sys.stderr)
        else:
            shutil.rmtree(var, ignore_errors=True)
    return code


def make_students(count: int) -> list[dict]:
    """Cards of ``count`` students for the bulk rows (the university's CSV)."""
    script = (
        "import json, datetime as dt\n"
        "import django; django.setup()\n"
        "from zairyu.cards.rules import CardData\n"
        "from zairyu.cards.services import card_create\n"
        "from zairyu.core import clock\n"
        "today = clock.today(); out = []\n"
        f"for n in range(1, {count} + 1):\n"
        "    name = 'SOAK GAKUSEI ' + ''.join(chr(65 + int(d)) for d in f'{n:04d}')\n"
        "    c = card_create(actor=None, data=CardData(number=f'SK{n:08d}ST', roman_name=name,"
        " nationality_id='VNM', birth_date=dt.date(1999, 4, 1), sex='F', prefecture_id='13',"
        " municipality_id='13101', street='霞が関１−１−１', status_id='student',"
        " period_of_stay='P2Y', stay_until=today + dt.timedelta(days=600),"
        " card_valid_until=today + dt.timedelta(days=600),"
        " issued_on=today - dt.timedelta(days=100)))\n"
        "    out.append({'number': c.number, 'roman_name': c.roman_name,"
        " 'nationality': c.nationality_id, 'birth_date': c.birth_date.isoformat(),"
        " 'sex': c.sex, 'prefecture': c.prefecture_id, 'address': '千代田区霞が関１−１−１'})\n"
        "print('ROWS ' + json.dumps(out, ensure_ascii=False))\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    )
    return json.loads(made.stdout.split("ROWS ", 1)[1])


def upload(api, setup: dict, number: int, note) -> int | None:
    """One CSV through the API; the job's id once answered 201."""
    start = (dt.date.today() - dt.timedelta(days=1 + number % 10)).isoformat()
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(setup["bulk_labels"])
    for row in setup["bulk_rows"]:
        values = {**row, "start_date": start}
        writer.writerow([values[name] for name in setup["bulk_columns"]])
    body, ctype = scale.multipart(
        {"kind": scale.BULK_KIND},
        {"file": (f"soak-{number}.csv", text.getvalue().encode("utf-8-sig"), "text/csv")},
    )
    try:
        answer = api.request(
            "POST",
            "/api/v1/bulk/jobs",
            body=body,
            content_type=ctype,
            headers={"Authorization": f"Bearer {setup['api_key']}"},
        )
    except scale.HttpError as exc:
        note(f"bulk upload: {exc}")
        return None
    if answer.status != 201:
        note(f"bulk upload answered {answer.status}: {answer.body[:200]!r}")
        return None
    return json.loads(answer.body)["id"]


def bulk_filing_ids(jobs: list[int]) -> list[int]:
    """The filings the jobs' accepted rows created."""
    from zairyu.bulk.models import JobRow

    ids = JobRow.objects.filter(job_id__in=jobs).values_list("object_id", flat=True)
    return [int(i) for i in ids if i]


def broker_lines(logs: Path) -> list[str]:
    lines = []
    for path in sorted(logs.glob("worker.log*")):
        for line in path.read_text(errors="replace").splitlines():
            if BROKER_TROUBLE.search(line):
                lines.append(line.strip()[:300])
    return lines


def count_lines(logs: Path, child: str, pattern: re.Pattern) -> int:
    return sum(
        1
        for path in logs.glob(f"{child}.log*")
        for line in path.read_text(errors="replace").splitlines()
        if pattern.search(line)
    )


if __name__ == "__main__":
    sys.exit(main())
