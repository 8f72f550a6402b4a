"""What a production deployment relies on: the secret key, the cookie flags, the client's
address behind a reverse proxy, and the security headers of every response.

The secret key signs the session cookie; whoever knows it can forge one. ``ONEWINDOW_SECRET_KEY``
sets it; without it the app makes a random key once and keeps it in ``instance/secret_key``
(owner-only), so `make demo` needs no set-up and every worker of one server shares the key. The
old built-in development key is refused, never used.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.services import audit

OLD_BUILT_IN_KEY = "dev-only-change-me"
MIN_GENERATED_BYTES = 48

# Scripts only from this site, inline ones only with the response's nonce. Styles may be
# inline: bpmn-js and dmn-js style the SVG they draw through style attributes.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    app.config["SECRET_KEY"] = secret_key(app.config)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:  # the address and scheme the proxy saw, from its X-Forwarded-* headers
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(_remember_address)
    app.teardown_request(_forget_address)
    app.after_request(_headers)


def secret_key(config: dict[str, Any]) -> str:
    configured = config.get("SECRET_KEY")
    if configured == OLD_BUILT_IN_KEY:
        raise RuntimeError(
            "ONEWINDOW_SECRET_KEY is the old built-in development key, which anyone can read; "
            "set a long random secret (or unset it to have one generated in instance/)"
        )
    if configured:
        return str(configured)
    return instance_secret(Path(config["SECRET_KEY_FILE"]))


def instance_secret(path: Path) -> str:
    """The key kept in ``path``, made on first use with mode 0600.

    Written to a private temporary file and linked into place, so workers starting at the same
    moment all end up reading the one key that won.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(MIN_GENERATED_BYTES))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)  # others could read it: tighten before trusting it
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have one generated")
    return key


def csp_nonce() -> str:
    """This response's nonce, for the few inline scripts (``<script nonce="...">``)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _remember_address() -> None:
    g.audit_address = audit.client_address.set(request.remote_addr or "")


def _forget_address(_error: BaseException | None) -> None:
    token = g.pop("audit_address", None)
    if token is not None:
        audit.client_address.reset(token)


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
