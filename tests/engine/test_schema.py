"""The migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.models import Base


def test_migrations_match_the_models(sessions):
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_the_engine_never_imports_flask():
    code = (
        "import sys, pkgutil, importlib, engine, engine.services\n"
        "for pkg in (engine, engine.services):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('flask', 'web')], 'flask'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
