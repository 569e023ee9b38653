"""Yui's password hasher: Argon2id with OWASP's parameters instead of Django's.

Django's Argon2 defaults (100 MiB, 8 lanes, 2 passes) cost ~220 ms of CPU per check on a
2-core machine: 4,410 staff signing in within 15 minutes would need more than a core for
hashing alone. OWASP's Password Storage Cheat Sheet names Argon2id with at least 19 MiB of
memory, 2 passes and 1 lane as its first choice (or trades of memory for passes of the
same strength, e.g. 46 MiB with 1 pass); we take the 19 MiB / 2 / 1 row. One lane keeps a
check on one core, so two sign-ins on a 2-core machine run side by side instead of each
spreading 8 lanes over both cores.

The algorithm name stays ``argon2``: hashes stored with Django's parameters are still
verified (argon2 reads the parameters from the stored hash), and ``must_update`` sees
their parameters differ, so ``check_password`` re-hashes the password with these on the
next successful sign-in.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class YuiArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id, m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
