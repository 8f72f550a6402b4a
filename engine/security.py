"""Password hashing (scrypt), bearer tokens and the masking of personal data."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

# OWASP's scrypt guidance: N=2^17, r=8, p=1. One hash then needs 128 MiB (128·N·r bytes), more
# than OpenSSL's 32 MiB default, hence ``maxmem``; each worker thread hashing at once holds that.
PRODUCTION_COST = (2**17, 8, 1)  # N, r, p
_cost = PRODUCTION_COST
_MAX_N = 2**20  # a stored hash asking for more would only be a way to exhaust memory


def set_cost(n: int) -> None:
    """Hash new passwords at ``2**k`` = ``n`` instead of the production cost.

    For test suites only, which log in thousands of times: a hash always carries its own
    parameters, so verifying is unaffected, and a hash made at another cost than the current
    one is replaced at the user's next log-in (``needs_rehash``).
    """
    global _cost
    _cost = (n, *PRODUCTION_COST[1:])


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    n, r, p = _cost
    digest = _scrypt(password, salt, n, r, p, 32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(n), str(r), str(p), *encoded])


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=129 * r * n + 2**20,
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        params = int(n), int(r), int(p)
        parts = base64.b64decode(salt), base64.b64decode(digest)
    except ValueError:
        return None
    n_ok = 1 < params[0] <= _MAX_N and params[0] & (params[0] - 1) == 0  # a power of two
    if scheme != "scrypt" or not (n_ok and 0 < params[1] <= 8 and params[2] == 1 and parts[1]):
        return None
    return *params, *parts


def verify_password(password: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    return hmac.compare_digest(_scrypt(password, salt, n, r, p, len(expected)), expected)


def needs_rehash(stored: str) -> bool:
    """A hash made with a lower cost than today's: replaced at the user's next log-in."""
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != _cost


@functools.cache
def dummy_password_hash() -> str:
    """Checked when the user is unknown, so a failure costs the same time either way."""
    return hash_password(secrets.token_urlsafe(16))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are random, so a plain SHA-256 is enough (and cheap on every request)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_query_password(password: str) -> str:
    """A salted SHA-256 of the 查询密码.

    Six digits fall to any offline search whatever the hash costs, so a slow hash would only
    hold the case-number lock longer; what protects the lookup is its rate limit.
    """
    salt = secrets.token_hex(8)
    return f"sha256${salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


def verify_query_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    actual = hashlib.sha256((salt + password).encode()).hexdigest()
    return scheme == "sha256" and hmac.compare_digest(actual, digest)


def new_query_password() -> str:
    """The 查询密码 printed on the acceptance notice: six digits, easy to read out."""
    return f"{secrets.randbelow(10**6):06d}"


def mask(value: str, keep_start: int = 3, keep_end: int = 4) -> str:
    """``330102199001011234`` → ``330***********1234``; short values are fully masked."""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
