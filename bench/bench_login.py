"""Sign-in: POST /accounts/login/ with the right password, and the cost of one Argon2id hash.

A sign-in is the most expensive page a visitor can make the server do without an account: one
password hash (Argon2id, tuned in zairyu/accounts/hashers.py to ~20-50 ms) plus the lock-out
bookkeeping, an audit row and a new session. The figures:

- ``argon2_hash_ms``: one hash with the configured parameters, in a process of its own while
  the server idles (median of several runs); ``argon2_hashes_per_s`` is its inverse (one core);
- ``argon2_django_default_hash_ms``: the same with Django's default parameters, for comparison;
- ``logins_per_s``: successful sign-ins per second through the real endpoint (the usual
  ``login_*`` figures too), and ``login_vs_baseline``, its ratio to the baseline insert.

The CSRF check is passed the way a browser passes it: the same token in the cookie and in the
form (an unmasked 32-character secret is a valid token).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

NAME = "login"
AUTH_ID = "bench-login1"
PASSWORD = "Bench#Login2026"  # noqa: S105 (a benchmark account on the benchmark database)
CSRF_SECRET = "benchLoginCsrfSecret0123456789ab"  # 32 letters and digits, like Django's own

# Runs in ``manage.py shell`` under the benchmark settings: (re)creates the account and times
# the configured hasher against Django's default, printing ``name=value`` lines.
SETUP = f"""
import statistics, time
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher
from django_otp.plugins.otp_totp.models import TOTPDevice
from zairyu.accounts.models import Category, TemporaryPassword, User
from zairyu.core import clock

user, _ = User.objects.update_or_create(
    username={AUTH_ID!r},
    defaults=dict(category=Category.RESIDENT, email="bench@example.jp", state="active",
                  is_active=True, failed_logins=0, locked_until=None, language="ja",
                  password_changed_at=clock.now()),
)
user.set_password({PASSWORD!r})
user.save()
TOTPDevice.objects.filter(user=user).delete()
TemporaryPassword.objects.filter(user=user).delete()

def per_hash_ms(hasher, n, rounds=3):
    hasher.encode("warm-up", hasher.salt())
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            hasher.encode({PASSWORD!r}, hasher.salt())
        times.append((time.perf_counter() - start) / n * 1000)
    return statistics.median(times)

tuned = get_hasher("default")
print("hasher=" + type(tuned).__name__)
print(f"params=t{{tuned.time_cost}},m{{tuned.memory_cost}},p{{tuned.parallelism}}")
print(f"tuned_ms={{per_hash_ms(tuned, 10):.3f}}")
print(f"default_ms={{per_hash_ms(Argon2PasswordHasher(), 3):.3f}}")
"""


COUNT = f"""
from zairyu.audit.models import AuditEvent
from zairyu.accounts.models import User
user = User.objects.get(username={AUTH_ID!r})
print(AuditEvent.objects.filter(action="account.login", object_id=str(user.pk)).count())
"""


def _parse(output: str) -> dict[str, str]:
    values = {}
    for line in output.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            values[name.strip()] = value.strip()
    return values


def run(ctx) -> None:
    """Create the account, time the hasher, then load the sign-in endpoint."""
    import harness

    values = _parse(ctx.manage("shell", "--no-imports", "-v0", "-c", SETUP))
    harness.log(f"login: hasher {values['hasher']} ({values['params']})")
    tuned_ms = float(values["tuned_ms"])
    default_ms = float(values["default_ms"])
    ctx.figure("argon2_hash_ms", tuned_ms, "ms", digits=1)
    ctx.figure("argon2_hashes_per_s", 1000 / tuned_ms, "hash/s", digits=1)
    ctx.figure("argon2_django_default_hash_ms", default_ms, "ms", digits=1)

    body = urlencode({"auth_id": AUTH_ID, "password": PASSWORD, "csrfmiddlewaretoken": CSRF_SECRET})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={CSRF_SECRET}",
    }
    # Our own Lua script: harness.request_script writes ``wrk.headers[[[Name]]]``, which Lua
    # reads as a call, and wrk then silently sends plain GETs.
    script = Path(tempfile.mkdtemp(prefix="zairyu-bench-login-")) / "login.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{body}"\n'
        + "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers.items())
    )
    before = _logins(ctx)
    # 302 to My page is a successful sign-in; a wrong password would answer 400.
    result = ctx.load(
        "/accounts/login/", method="POST", body=body, headers=headers, script=script, expect=302
    )
    signed_in = _logins(ctx) - before
    # Every request must have been a real sign-in (warm-up and probe included), or the figure
    # measures something else.
    if signed_in < result.requests:
        harness.log(f"login: only {signed_in} sign-ins for {result.requests} requests")
        ctx.failures.append("login")
    ctx.report("login", result)
    ctx.figure("logins_per_s", result.rps, "login/s")
    ctx.ratio("login_vs_baseline", result)


def _logins(ctx) -> int:
    """Count the audit trail's successful sign-ins of the benchmark account."""
    out = ctx.manage("shell", "--no-imports", "-v0", "-c", COUNT)
    return int(out.strip().splitlines()[-1])
