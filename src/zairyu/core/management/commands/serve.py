"""Start the web server, a Celery worker and Celery beat; Ctrl-C stops all three.

Used by ``make run``. Each runs as its own process group so that one signal reaches it whole.
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web + worker + beat as separate processes (the single-machine default)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, addr: str, concurrency: int, **options):
        python = sys.executable
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "zairyu",
                "worker",
                "-n",
                "worker1@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "zairyu",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        procs = {
            name: subprocess.Popen(cmd, env=env, start_new_session=True)
            for name, cmd in commands.items()
        }
        self.stdout.write(f"Zairyu is running on http://{addr}/ (web, worker, beat). Ctrl-C stops.")
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with {proc.returncode}; stopping the rest."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()  # the main process shuts its children down (warm stop)
            deadline = time.monotonic() + 15
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            self.stdout.write("Stopped web, worker and beat.")
