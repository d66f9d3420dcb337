"""How often a consumer reads a message that is not fully written: kombu's filesystem transport
(celery/kombu#1551) against the SQLAlchemy transport on a SQLite file (the ``make run`` default,
docs/decisions/0007-embedded-background-work.md).

Publishers in other processes put messages on a queue as fast as they can while one consumer
takes them off; every message the consumer cannot decode is counted (the worker of ``make run``
died of the first one). Usage::

    .venv/bin/python bench/broker_torn_reads.py [--messages 20000] [--publishers 3]

Prints ``torn_reads_<transport>: N of M`` and ``puts_refused_<transport>: N`` (a put that
raised, e.g. SQLite's "database is locked" after its busy timeout) per transport.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty

from kombu import Connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from zairyu.core import broker  # noqa: E402

broker.register()  # sqla+ URLs: the transport make run uses (WAL, busy timeout)

QUEUE = "torn"


def _connection(kind: str, folder: Path) -> Connection:
    if kind == "filesystem":
        for sub in ("queue", "processed"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return Connection(
            "filesystem://",
            transport_options={
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "store_processed": True,
                "processed_folder": str(folder / "processed"),
            },
        )
    return Connection(f"sqla+sqlite:///{folder / 'broker.sqlite3'}")


def _publish(kind: str, folder: Path, count: int, pause: float, refused) -> None:
    body = {"task": "x", "args": ["y" * 2000]}  # about the size of a Celery task message
    with _connection(kind, folder) as conn:
        channel = conn.default_channel
        for _ in range(count):
            try:
                channel._put(QUEUE, body)
            except Exception:  # e.g. SQLite "database is locked" after its busy timeout
                with refused.get_lock():
                    refused.value += 1
            if pause:
                time.sleep(pause)  # keep the queue short: the consumer reads new files at once


def measure(kind: str, messages: int, publishers: int, pause: float) -> tuple[int, int, int, float]:
    """Return (torn reads, messages read, puts refused, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with _connection(kind, folder) as conn:
            channel = conn.default_channel
            channel._new_queue(QUEUE)  # tables / folders exist before the publishers start
            share = messages // publishers
            refused = multiprocessing.Value("i", 0)
            procs = [
                multiprocessing.Process(target=_publish, args=(kind, folder, share, pause, refused))
                for _ in range(publishers)
            ]
            start = time.monotonic()
            for proc in procs:
                proc.start()
            torn = read = 0
            while read < share * publishers - refused.value:
                try:
                    channel._get(QUEUE)
                except Empty:
                    if not any(p.is_alive() for p in procs) and channel._size(QUEUE) == 0:
                        break
                    continue
                except json.JSONDecodeError:
                    torn += 1
                read += 1
            for proc in procs:
                proc.join()
            return torn, read, refused.value, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--publishers", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.002, help="seconds between puts")
    parser.add_argument("--only", choices=["filesystem", "sqlalchemy"])
    args = parser.parse_args()
    for kind in [args.only] if args.only else ["filesystem", "sqlalchemy"]:
        torn, read, refused, seconds = measure(kind, args.messages, args.publishers, args.pause)
        print(f"torn_reads_{kind}: {torn} of {read} ({seconds:.1f} s)")
        print(f"puts_refused_{kind}: {refused}")


if __name__ == "__main__":
    main()
