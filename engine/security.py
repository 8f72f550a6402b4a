"""Password hashing (scrypt), bearer tokens and the masking of personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(_N), str(_R), str(_P), *encoded])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode(),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


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
