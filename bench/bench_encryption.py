"""Encryption at rest (SEC-3): card match and bulk 300 rows before/after, and the rotation rate.

Standalone (not run by ``bench/run.py``). Issue 14 asks for "card-match time and bulk 300-row
time before and after, same run; rotation rate on 1M cards"::

    .venv/bin/python bench/bench_encryption.py [--before-ref 5c9959d] [--after-ref REF] [--rounds 3]
        [--cards 20000] [--matches 2000] [--jobs 5] [--rotation-cards 1000000]
        [--database postgresql|sqlite] [--postgres-url postgres://postgres@127.0.0.1:5432]

**Before and after in one run.** The base ref is checked out with ``git worktree add
--detach`` in a temporary folder (removed at the end); "after" is this working tree, or
``--after-ref`` checked out the same way (to leave out other uncommitted work). The same
child (this file with ``--child``) runs in each tree — ``PYTHONPATH=<tree>/src``, the tree as
working directory, the same interpreter — against a database of its own (PostgreSQL:
``zairyu_bench_enc_before`` / ``_after``, created and dropped with createdb/dropdb on
127.0.0.1; SQLite: files under ``var/bench/enc-before/`` and ``enc-after/``), each migrated
by its own tree and loaded with the same generated cards (``manage.py import_cards`` on a
``bench/generate_cards.py`` file). Rounds are interleaved: before, after, before, after …
Each child measures, with this process's CPU time (``time.process_time``; the database
server's share is not in it) and the wall clock:

- ``card_match``: ``zairyu.cards.selectors.card_match`` for up to ``--matches`` faces of
  existing valid cards (``hit``), the same faces with a number no card has (``miss``), and
  with the birth date one day off (``wrong_birth``: before, SQL compares it; after, the one
  row is read and compared in Python); µs per call.
- ``bulk_300``: a 300-row service N CSV (Art. 19-17, a university's students, every row
  matched and filed) through ``bulk_upload`` and the worker's task ``bulk_process_task``
  called in-process (registration tasks are queued to an in-memory broker, not run; as in
  bench_bulk.py); ms per job, median of ``--jobs`` jobs after one warm-up job.

Printed: ``NAME_before`` and ``NAME_after`` (medians over the rounds), ``NAME_ratio`` (median of
each round's after/before) and ``NAME_ratio_rounds`` (every round's ratio);
``stored_number_before``/``_after``: what the card-number column held (``plain`` or
``ciphertext``, read past the model), so a wrong tree shows. Also, once: the
import of the cards into each tree (``import_cards_<N>_rows_per_s_before``/``_after``, one
import each, not interleaved) and the CPU cost of one ``crypto_encrypt`` / ``crypto_decrypt`` /
``crypto_blind_index`` of a card number in the after tree.

**Rotation** (after tree only, always PostgreSQL, ``zairyu_bench_enc_rotation``): import
``--rotation-cards`` generated cards (minutes for 1M), then ``manage.py rotate_keys`` with a new
key put first in ``FIELD_ENCRYPTION_KEYS`` and ``BLIND_INDEX_KEYS`` (the old one second);
``rotation_cards_rows_per_s`` is the command's own rate for ``cards.residencecard``,
``rotation_seconds`` the whole command. Afterwards, with the new keys alone, ``rotate_keys
--check`` must find nothing left and sampled cards must decrypt and be found by number.
``--rotation-cards 0`` skips it.

Figures go to standard output (``name: value unit``), progress to standard error, and a copy
to ``bench/results/<date>-encryption-<database>.txt`` unless ``--no-save``. Nothing asserts a
time; compare the ratios, which were taken seconds apart on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import harness  # noqa: E402

REPO = harness.REPO
SIDES = ("before", "after")
FIGURE_PREFIX = "FIGURE "
INFO_PREFIX = "INFO "
BULK_ROWS = 300
BULK_KIND = "n_19_17_school_acceptance_start"
DB_PREFIX = "zairyu_bench_enc"
IMPORT_SUMMARY = re.compile(
    r"(?P<rows>\d+) rows: (?P<created>\d+) created, (?P<updated>\d+) updated, "
    r"(?P<unchanged>\d+) unchanged, (?P<superseded>\d+) superseded, (?P<rejected>\d+) rejected"
    r".*?; (?P<seconds>[\d.]+) s;"
)
ROTATE_PROGRESS = re.compile(
    r"^(?P<label>[\w.]+): (?P<done>\d+)/(?P<total>\d+) rows \([\d.]+ %\), (?P<rate>[\d,]+) rows/s$",
    re.M,
)
# Figures the child prints (name, unit) and the digits they are printed with.
CHILD_FIGURES = {
    "card_match_hit_cpu": ("µs", 1),
    "card_match_hit_wall": ("µs", 1),
    "card_match_miss_cpu": ("µs", 1),
    "card_match_miss_wall": ("µs", 1),
    "card_match_wrong_birth_cpu": ("µs", 1),
    "card_match_wrong_birth_wall": ("µs", 1),
    "bulk_300_cpu": ("ms", 0),
    "bulk_300_wall": ("ms", 0),
}


# --- The child: runs inside one tree, against that tree's database ----------------------------


def _bulk_fixture(rows: int = BULK_ROWS):
    """Create (once per database) a university with ``rows`` students' cards; return the user
    and their CSV (bench_bulk.py's set-up, with its own account and card numbers)."""
    import csv
    import io

    from bench_bulk import bench_university

    user, columns, rows = bench_university(
        "benchencuniv", "ベンチ暗号大学", "enc", "BE{:08d}NC", "BENCH ANGOU ", rows, BULK_KIND
    )
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in rows:
        writer.writerow([row[c.name] for c in columns])
    return user, text.getvalue().encode("utf-8-sig")


def _time_calls(call, items) -> tuple[float, float, int]:
    """Call ``call(item)`` for each item; return (CPU µs per call, wall µs per call, found)."""
    found = 0
    started_cpu = time.process_time()
    started = time.perf_counter()
    for item in items:
        if call(item) is not None:
            found += 1
    wall = time.perf_counter() - started
    cpu = time.process_time() - started_cpu
    count = max(1, len(items))
    return cpu * 1e6 / count, wall * 1e6 / count, found


def measure_card_match(matches: int, seed: int, figure) -> None:
    """Time card_match on existing faces, unknown numbers and wrong birth dates."""
    import datetime as dt

    from zairyu.cards.models import ResidenceCard
    from zairyu.cards.selectors import card_match

    # The generated cards (person references "G<seed>-…"), in insertion order: both trees
    # imported the same file into an empty registry, so they pick the same cards.
    pks = list(
        ResidenceCard.objects.filter(person__reference__startswith="G")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not pks:
        raise RuntimeError("no generated cards in the registry: import them first")
    rng = random.Random(seed)
    candidates = rng.sample(pks, min(len(pks), 2 * matches))
    by_pk = {
        pk: (number, name, nationality, birth, sex)
        for pk, number, name, nationality, birth, sex in ResidenceCard.objects.filter(
            pk__in=candidates
        ).values_list("pk", "number", "roman_name", "nationality_id", "birth_date", "sex")
    }

    def match(face):
        number, name, nationality, birth, sex = face
        return card_match(
            number=number, roman_name=name, nationality=nationality, birth_date=birth, sex=sex
        )

    # Untimed pass (it also warms the caches): keep the faces of cards that match (not
    # superseded, not expired).
    hits = []
    for pk in candidates:
        if len(hits) == matches:
            break
        if match(by_pk[pk]) is not None:
            hits.append(by_pk[pk])
    if not hits:
        raise RuntimeError("none of the sampled cards matched")
    # Generated numbers are <2 letters><8 digits, the first 0 below 10M rows><2 letters>.
    misses = [(f"{f[0][:2]}9{f[0][3:]}", *f[1:]) for f in hits]
    wrong_birth = [(f[0], f[1], f[2], f[3] + dt.timedelta(days=1), f[4]) for f in hits]
    for name, faces, expected in (
        ("hit", hits, len(hits)),
        ("miss", misses, 0),
        ("wrong_birth", wrong_birth, 0),
    ):
        cpu, wall, found = _time_calls(match, faces)
        if found != expected:
            raise RuntimeError(f"card_match {name}: {found} of {len(faces)} found")
        figure(f"card_match_{name}_cpu", cpu, "µs")
        figure(f"card_match_{name}_wall", wall, "µs")
    figure("card_match_faces", len(hits), "faces")


def measure_bulk(jobs: int, figure, rows: int = BULK_ROWS) -> None:
    """Time upload + the worker's processing of a 300-row CSV, ``jobs`` times after a warm-up."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zairyu.bulk.models import Job
    from zairyu.bulk.services import bulk_upload
    from zairyu.bulk.tasks import bulk_process_task

    user, content = _bulk_fixture(rows)
    cpu, wall = [], []
    for run in range(jobs + 1):  # the first job warms the caches and is not counted
        started_cpu = time.process_time()
        started = time.perf_counter()
        job = bulk_upload(
            user=user, file=SimpleUploadedFile("rows.csv", content), kind=BULK_KIND, options={}
        )
        bulk_process_task(job.pk)  # what the worker runs for the queued task
        elapsed = time.perf_counter() - started
        elapsed_cpu = time.process_time() - started_cpu
        job = Job.objects.get(pk=job.pk)
        if job.state != "done" or job.accepted_rows != rows:
            raise RuntimeError(f"bulk job {run}: {job.state} {job.accepted_rows} {job.reasons}")
        if run:
            cpu.append(elapsed_cpu * 1000)
            wall.append(elapsed * 1000)
    figure("bulk_300_cpu", statistics.median(cpu), "ms")
    figure("bulk_300_wall", statistics.median(wall), "ms")


def child_measure(
    *, matches: int, jobs: int, seed: int, out=None, bulk_rows: int = BULK_ROWS
) -> None:
    """Measure in this process (Django set up) and print FIGURE lines to ``out``
    (``bulk_rows`` smaller than 300 only for the test)."""
    from django.db import connection

    import zairyu

    out = out or sys.stdout

    def figure(name, value, unit):
        print(f"{FIGURE_PREFIX}{name} {value:.3f} {unit}", file=out, flush=True)

    print(f"{INFO_PREFIX}zairyu {Path(zairyu.__file__).resolve().parent}", file=out, flush=True)
    with connection.cursor() as cursor:  # what the column holds, read past the model
        cursor.execute("SELECT number FROM cards_residencecard ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    stored = "none" if row is None else "ciphertext" if row[0].startswith("zr1.") else "plain"
    print(f"{INFO_PREFIX}stored_number {stored}", file=out, flush=True)
    if matches:
        measure_card_match(matches, seed, figure)
    if jobs:
        measure_bulk(jobs, figure, bulk_rows)


def child_main(args: argparse.Namespace) -> None:
    import django

    django.setup()
    child_measure(matches=args.matches, jobs=args.jobs, seed=args.seed)


def parse_child_output(text: str) -> tuple[dict[str, float], dict[str, str]]:
    """Return the child's figures ({name: value}) and infos ({key: value})."""
    figures, infos = {}, {}
    for line in text.splitlines():
        if line.startswith(FIGURE_PREFIX):
            name, value, _unit = line[len(FIGURE_PREFIX) :].split()
            figures[name] = float(value)
        elif line.startswith(INFO_PREFIX):
            key, _, value = line[len(INFO_PREFIX) :].partition(" ")
            infos[key] = value
    return figures, infos


# --- The parent: trees, databases, rounds -----------------------------------------------------


def summarise(rounds: list[dict[str, dict[str, float]]]) -> list[tuple[str, object, str, int]]:
    """From each round's {side: {figure: value}}, the figures to print: per figure the median
    before and after, the median of the rounds' after/before ratios, and those ratios."""
    out: list[tuple[str, object, str, int]] = []
    for name, (unit, digits) in CHILD_FIGURES.items():
        before = [r["before"][name] for r in rounds if name in r["before"]]
        after = [r["after"][name] for r in rounds if name in r["after"]]
        ratios = [
            r["after"][name] / r["before"][name]
            for r in rounds
            if r["before"].get(name) and name in r["after"]
        ]
        if not before or not after:
            continue
        out.append((f"{name}_before", float(statistics.median(before)), unit, digits))
        out.append((f"{name}_after", float(statistics.median(after)), unit, digits))
        out.append((f"{name}_ratio", float(statistics.median(ratios)), "ratio", 2))
        out.append((f"{name}_ratio_rounds", ",".join(f"{r:.2f}" for r in ratios), "", 0))
    return out


class Tree:
    """One side of the comparison: a source tree and its own database."""

    def __init__(self, side: str, path: Path, database: str, postgres_url: str) -> None:
        self.side = side
        self.path = path
        self.var_dir = REPO / "var" / "bench" / f"enc-{side}"
        self.database = database
        self.db_name = f"{DB_PREFIX}_{side}"
        self.database_url = None
        if database == "postgresql":
            self.database_url = f"{postgres_url.rstrip('/')}/{self.db_name}"
        self.env = dict(os.environ)
        self.env.update(
            DJANGO_SETTINGS_MODULE=harness.SETTINGS,
            ZAIRYU_VAR_DIR=str(self.var_dir),
            PYTHONPATH=str(path / "src"),
            CELERY_BROKER_URL="memory://",  # tasks the services queue are not run
        )
        if self.database_url:
            self.env["DATABASE_URL"] = self.database_url
        else:
            self.env.pop("DATABASE_URL", None)

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, str(self.path / "manage.py"), *args],
            cwd=self.path,
            env=env or self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{self.side}: manage.py {' '.join(args)} failed:\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
            )
        return proc.stdout


def postgres_command(postgres_url: str, command: str, *args: str) -> None:
    """Run createdb/dropdb against the server of ``postgres_url``."""
    url = urllib.parse.urlsplit(postgres_url)
    base = [command, "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    if url.username:
        base += ["-U", url.username]
    subprocess.run([*base, *args], check=True, capture_output=True, text=True)


def fresh_postgres(postgres_url: str, name: str) -> None:
    if not name.startswith(DB_PREFIX):
        raise SystemExit(f"refusing to drop {name!r}")
    harness.log(f"creating database {name}")
    postgres_command(postgres_url, "dropdb", "--if-exists", "--force", name)
    postgres_command(postgres_url, "createdb", name)


def drop_postgres(postgres_url: str, name: str) -> None:
    if name.startswith(DB_PREFIX):
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres_command(postgres_url, "dropdb", "--if-exists", "--force", name)


def prepare(tree: Tree, postgres_url: str) -> None:
    """Give the tree an empty database of its own and migrate it with the tree's code."""
    shutil.rmtree(tree.var_dir, ignore_errors=True)
    tree.var_dir.mkdir(parents=True)
    if tree.database_url:
        fresh_postgres(postgres_url, tree.db_name)
    harness.log(f"{tree.side}: migrating ({tree.path})")
    tree.manage("migrate", "--noinput", "-v0")


def generate_cards(tree: Tree, rows: int, path: Path) -> None:
    """Write ``rows`` generated cards (reference codes read from ``tree``'s database)."""
    harness.log(f"generating {rows:,} cards into {path.relative_to(REPO)}")
    subprocess.run(
        [sys.executable, str(BENCH_DIR / "generate_cards.py"), "--rows", str(rows), "--out", path],
        cwd=tree.path,
        env=tree.env,
        check=True,
    )


def import_cards(tree: Tree, path: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """``manage.py import_cards`` in ``tree``; return the summary's counts and seconds."""
    harness.log(f"{tree.side}: importing {path.name}")
    out = tree.manage("import_cards", str(path), env=env)
    match = IMPORT_SUMMARY.search(out)
    if match is None:
        raise RuntimeError(f"{tree.side}: could not read the import summary:\n{out[-2000:]}")
    counts = {key: float(value) for key, value in match.groupdict().items()}
    if counts["rejected"]:
        raise RuntimeError(f"{tree.side}: {counts['rejected']:.0f} generated rows were rejected")
    harness.log(f"{tree.side}: {out.strip().splitlines()[-1]}")
    return counts


def run_child(
    tree: Tree, args: argparse.Namespace, seed: int
) -> tuple[dict[str, float], dict[str, str]]:
    """Run this file's child in ``tree``; return its figures and infos."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--matches",
            str(args.matches),
            "--jobs",
            str(args.jobs),
            "--seed",
            str(seed),
        ],
        cwd=tree.path,
        env=tree.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{tree.side} child failed:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    figures, infos = parse_child_output(proc.stdout)
    code = Path(infos.get("zairyu", ""))
    if code != (tree.path / "src" / "zairyu").resolve():
        raise RuntimeError(f"{tree.side} child imported zairyu from {code}, not from its tree")
    harness.log(
        f"{tree.side} (load {load:.2f}, {time.monotonic() - started:.0f} s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in figures.items())
    )
    return figures, infos


CRYPTO_COSTS = """
import time
from zairyu.core import crypto
n = 20000
for name, call in (
    ("encrypt", lambda: crypto.encrypt("AB12345678CD", context="cards.residencecard.number")),
    ("blind_index", lambda: crypto.blind_index("card-number", "AB12345678CD")),
):
    call()
    started = time.process_time()
    for _ in range(n):
        call()
    print(name, (time.process_time() - started) * 1e6 / n)
stored = crypto.encrypt("AB12345678CD", context="cards.residencecard.number")
started = time.process_time()
for _ in range(n):
    crypto.decrypt(stored, context="cards.residencecard.number")
print("decrypt", (time.process_time() - started) * 1e6 / n)
"""


def crypto_costs(tree: Tree, emit) -> None:
    """CPU µs of one encrypt, decrypt and blind index of a card number (after tree)."""
    out = tree.manage("shell", "--no-imports", "-v0", "-c", CRYPTO_COSTS)
    for line in out.strip().splitlines()[-3:]:
        name, value = line.split()
        emit(f"crypto_{name}_cpu", float(value), "µs", 1)


def add_worktree(ref: str, parent: Path, side: str) -> Path:
    path = parent / side
    harness.log(f"checking out {ref} in {path}")
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref],
        check=True,
        capture_output=True,
        text=True,
    )
    return path


def short_hash(ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def remove_worktree(path: Path) -> None:
    harness.log(f"removing the worktree {path}")
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)],
        check=False,
        capture_output=True,
    )
    subprocess.run(["git", "-C", str(REPO), "worktree", "prune"], check=False)


def compare(args: argparse.Namespace, paths: dict[str, Path], emit) -> None:
    """Before/after in one run: databases, the same cards, interleaved rounds."""
    trees = {side: Tree(side, paths[side], args.database, args.postgres_url) for side in SIDES}
    csv_path = REPO / "var" / "bench" / f"enc-cards-{args.cards}.csv"
    try:
        for tree in trees.values():
            prepare(tree, args.postgres_url)
        vendor, version = harness.describe_database(trees["after"].env)
        emit("database", vendor)
        emit("database_version", version)
        generate_cards(trees["after"], args.cards, csv_path)
        rates = {}
        for side in SIDES:
            counts = import_cards(trees[side], csv_path)
            rates[side] = counts["rows"] / counts["seconds"]
            emit(f"import_cards_{args.cards}_rows_per_s_{side}", rates[side], "rows/s", 0)
        emit(f"import_cards_{args.cards}_ratio", rates["after"] / rates["before"], "ratio", 2)
        rounds = []
        stored: dict[str, set[str]] = {side: set() for side in SIDES}
        for number in range(1, args.rounds + 1):
            harness.log(f"round {number}/{args.rounds}")
            results = {side: run_child(trees[side], args, seed=number) for side in SIDES}
            rounds.append({side: figures for side, (figures, _infos) in results.items()})
            for side, (_figures, infos) in results.items():
                stored[side].add(infos.get("stored_number", "?"))
        for side in SIDES:
            # "ciphertext" or "plain": what the child read in the column (raw SQL).
            emit(f"stored_number_{side}", "/".join(sorted(stored[side])))
        for name, value, unit, digits in summarise(rounds):
            emit(name, value, unit, digits)
        crypto_costs(trees["after"], emit)
    finally:
        csv_path.unlink(missing_ok=True)
        if not args.keep_databases:
            for tree in trees.values():
                shutil.rmtree(tree.var_dir, ignore_errors=True)
                if tree.database_url:
                    drop_postgres(args.postgres_url, tree.db_name)


def rotation(args: argparse.Namespace, path: Path, emit) -> None:
    """Import ``--rotation-cards`` cards (after tree, PostgreSQL), then time rotate_keys."""
    tree = Tree("after", path, "postgresql", args.postgres_url)
    tree.db_name = f"{DB_PREFIX}_rotation"
    tree.database_url = f"{args.postgres_url.rstrip('/')}/{tree.db_name}"
    tree.env["DATABASE_URL"] = tree.database_url
    tree.var_dir = REPO / "var" / "bench" / "enc-rotation"
    tree.env["ZAIRYU_VAR_DIR"] = str(tree.var_dir)
    csv_path = REPO / "var" / "bench" / f"enc-cards-{args.rotation_cards}.csv"
    try:
        prepare(tree, args.postgres_url)
        generate_cards(tree, args.rotation_cards, csv_path)
        counts = import_cards(tree, csv_path)
        csv_path.unlink(missing_ok=True)
        emit("rotation_import_rows_per_s", counts["rows"] / counts["seconds"], "rows/s", 0)
        old_keys = tree.manage(
            "shell",
            "--no-imports",
            "-v0",
            "-c",
            "from django.conf import settings; "
            "print(settings.ZAIRYU_ENCRYPTION_KEYS); print(settings.ZAIRYU_BLIND_INDEX_KEYS)",
        ).split()[-2:]
        new_keys = [
            tree.manage("rotate_keys", "--new-key", key_id).strip().splitlines()[-1]
            for key_id in ("rot2", "roti2")
        ]
        env = dict(tree.env)
        env["FIELD_ENCRYPTION_KEYS"] = f"{new_keys[0]},{old_keys[0]}"
        env["BLIND_INDEX_KEYS"] = f"{new_keys[1]},{old_keys[1]}"
        check = tree.manage("rotate_keys", "--check", env=env)
        cards_stale = int(re.search(r"cards\.residencecard: (\d+) rows", check).group(1))
        total_stale = sum(int(n) for n in re.findall(r": (\d+) rows under older keys", check))
        emit("rotation_cards", cards_stale, "rows", 0)
        emit("rotation_other_rows", total_stale - cards_stale, "rows", 0)
        emit("load_average_before_rotation", os.getloadavg()[0], "load", digits=2)
        harness.log(f"rotating {total_stale:,} rows")
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(tree.path / "manage.py"), "rotate_keys"],
            cwd=tree.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = proc.communicate()
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            raise RuntimeError(f"rotate_keys failed:\n{out[-2000:]}{err[-4000:]}")
        for line in out.strip().splitlines()[-8:]:
            harness.log(f"rotate_keys: {line}")
        last = {m["label"]: m for m in ROTATE_PROGRESS.finditer(out)}
        cards = last.get("cards.residencecard")
        if cards is None or int(cards["done"]) != cards_stale:
            raise RuntimeError(f"rotate_keys did not report every card:\n{out[-2000:]}")
        rate = float(cards["rate"].replace(",", ""))
        emit("rotation_cards_rows_per_s", rate, "rows/s", 0)
        emit("rotation_cards_seconds", cards_stale / rate, "s", 1)
        emit("rotation_seconds", seconds, "s", 1)
        emit("load_average_after_rotation", os.getloadavg()[0], "load", digits=2)
        # With the new keys alone: nothing left under the old ones, and cards still read.
        alone = dict(tree.env)
        alone["FIELD_ENCRYPTION_KEYS"], alone["BLIND_INDEX_KEYS"] = new_keys
        check = tree.manage("rotate_keys", "--check", env=alone)
        if "Nothing left under older keys" not in check:
            raise RuntimeError(f"rows left under the old keys:\n{check}")
        found = tree.manage(
            "shell",
            "--no-imports",
            "-v0",
            "-c",
            "from zairyu.cards.models import ResidenceCard as C\n"
            "cards = list(C.objects.order_by('?')[:200])\n"
            "print(sum(C.objects.filter(number=c.number).count() == 1 for c in cards), "
            "len(cards))\n",
            env=alone,
        ).split()
        if found[0] != found[1]:
            raise RuntimeError(f"after rotation {found[0]} of {found[1]} cards found by number")
        emit("rotation_verified", f"{found[0]}/{found[1]}", "cards found with the new keys alone")
    finally:
        csv_path.unlink(missing_ok=True)
        if not args.keep_databases:
            shutil.rmtree(tree.var_dir, ignore_errors=True)
            drop_postgres(args.postgres_url, tree.db_name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before-ref", default="5c9959d", help="the base commit (default %(default)s)"
    )
    parser.add_argument(
        "--after-ref",
        help="compare with this commit (checked out like the base) instead of the working tree",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cards", type=int, default=20_000, help="cards in the registry")
    parser.add_argument("--matches", type=int, default=2000, help="faces per kind of match")
    parser.add_argument("--jobs", type=int, default=5, help="timed 300-row jobs per round")
    parser.add_argument("--rotation-cards", type=int, default=1_000_000, help="0: no rotation")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep-databases", action="store_true", help="do not drop them at the end")
    parser.add_argument("--no-save", dest="save", action="store_false")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return 0

    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.save:
            results = BENCH_DIR / "results"
            results.mkdir(exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = results / f"{stamp}-encryption-{args.database}.txt"
            harness.FIGURE_SINKS.append(stack.enter_context(path.open("w")))
            harness.log(f"figures are also written to {path.relative_to(REPO)}")
        emit = harness.emit
        emit("date", datetime.now().astimezone().isoformat(timespec="seconds"))
        emit("machine", f"{platform.machine()} {os.cpu_count()}", "cores")
        emit("before", f"{args.before_ref} ({short_hash(args.before_ref)})")
        if args.after_ref:
            emit("after", f"{args.after_ref} ({short_hash(args.after_ref)})")
        else:
            emit("after", f"{short_hash('HEAD')} + working tree")
        emit("rounds", args.rounds, "rounds")
        emit("cards", args.cards, "cards")
        emit("load_average_before", os.getloadavg()[0], "load", digits=2)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="zairyu-bench-enc-")))
        paths = {"before": None, "after": REPO}
        try:
            if args.rounds:
                paths["before"] = add_worktree(args.before_ref, tmp, "before")
            if args.after_ref and (args.rounds or args.rotation_cards):
                paths["after"] = add_worktree(args.after_ref, tmp, "after")
            if args.rounds:
                compare(args, paths, emit)
                emit("load_average_after_comparison", os.getloadavg()[0], "load", digits=2)
            if args.rotation_cards:
                rotation(args, paths["after"], emit)
        finally:
            for path in paths.values():
                if path is not None and path != REPO:
                    remove_worktree(path)
        emit("load_average_after", os.getloadavg()[0], "load", digits=2)
        emit("bench_wall_time", time.monotonic() - started, "s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
