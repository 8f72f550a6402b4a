"""per-step stats at a million cases: sums kept for ended cases (step_stats), the cases not
in them marked and indexed (issue 16)

``step_stats`` holds the completed steps of ended cases per model version and user task;
``case.stats_folded`` marks the cases in it, and a partial index holds the others, which the
stats read raw (engine/services/step_stats.py). Every case ended before this migration is
folded here, so the stats are fast from the start; the scheduler folds the ones that end later.

Revision ID: b52e7c0f9a13
Revises: e3b9c4d27a15
Create Date: 2026-12-06 19:00:00
"""

import sqlalchemy as sa
from alembic import op

from engine.services.step_stats import fold_all

revision = "b52e7c0f9a13"
down_revision = "e3b9c4d27a15"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "step_stats",
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("spec_name", sa.String(length=128), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("dwell_count", sa.Integer(), nullable=False),
        sa.Column("dwell_hours", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["definition_id"], ["process_definition.id"]),
        sa.PrimaryKeyConstraint("definition_id", "spec_name"),
    )
    with op.batch_alter_table("case") as batch:
        batch.add_column(
            sa.Column("stats_folded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        "ix_case_stats_unfolded",
        "case",
        ["definition_id", "id"],
        postgresql_where=sa.text("NOT stats_folded"),
        sqlite_where=sa.text("NOT stats_folded"),
    )
    fold_all(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_case_stats_unfolded", table_name="case")
    with op.batch_alter_table("case") as batch:
        batch.drop_column("stats_folded")
    op.drop_table("step_stats")
