"""Serves the front-end libraries that the set-up installs from the npm registry.

Only the dist folders listed here are reachable, never the rest of node_modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

PACKAGES = {
    "bpmn-js": "bpmn-js/dist",
    "dmn-js": "dmn-js/dist",
    "echarts": "echarts/dist",
    "swagger-ui-dist": "swagger-ui-dist",
}


@bp.get("/<package>/<path:filename>")
def asset(package: str, filename: str) -> Any:
    folder = PACKAGES.get(package)
    if folder is None:
        abort(404)
    root = Path(current_app.config["NODE_MODULES"]) / folder
    response = send_from_directory(root, filename, max_age=86400)
    return response
