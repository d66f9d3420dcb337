"""Password hashing (SEC-2): Argon2id with parameters tuned for these machines.

Django's default Argon2 parameters (time_cost 2, memory 100 MiB, parallelism 8) cost about
110 ms a hash on an idle 2-core machine and several times that under load, which caps a web
worker at a handful of sign-ins a second and makes the sign-in page the easiest target for a
denial of service. These are the OWASP Password Storage Cheat Sheet's first Argon2id
configuration (m = 19 MiB, t = 2, p = 1): about 20-50 ms a hash here (bench/bench_login.py
prints the figure), still far beyond what an offline guesser can afford per guess.

The algorithm name stays "argon2" and every hash carries its own parameters, so hashes made
with other parameters still verify; Django re-hashes them with these at the next sign-in
(``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class ZairyuArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, 19 MiB, 2 passes, 1 lane (OWASP's recommended minimum)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
