"""A model's hash is no longer unique per key: older files may be deployed again as newest.

Revision ID: 3a7c2e91d004
Revises: 670dd85bddb3
Create Date: 2026-11-25 19:45:00
"""

from alembic import op

revision = "3a7c2e91d004"
down_revision = "670dd85bddb3"
branch_labels = None
depends_on = None

SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's constraint is unnamed; a naming convention lets batch mode find it.
        with op.batch_alter_table(
            "process_definition", naming_convention=SQLITE_NAMES, recreate="always"
        ) as batch_op:
            batch_op.drop_constraint("uq_process_definition_key_hash", type_="unique")
    else:
        op.drop_constraint("process_definition_key_hash_key", "process_definition", type_="unique")
    op.create_index("ix_process_definition_key_hash", "process_definition", ["key", "hash"])


def downgrade() -> None:
    op.drop_index("ix_process_definition_key_hash", table_name="process_definition")
    op.create_unique_constraint(
        "process_definition_key_hash_key", "process_definition", ["key", "hash"]
    )
