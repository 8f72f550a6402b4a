"""绩效考核 at a million cases: finished cases and counted ratings per row and day
(scorecard_day, scorecard_rating_day); indexes on the finish instant (overdue and drill-down
reads), on unfinished cases' acceptance and on the ratings with a handling (what a scorecard
still reads live)

Revision ID: f4a8c21d6e37
Revises: b52e7c0f9a13
Create Date: 2026-12-06 18:50:00

Existing finished cases and ratings are counted in by the same statement the service uses
(engine/services/scorecard_days.py ``rebuild``), so the tables are complete from the start.
"""

import sqlalchemy as sa
from alembic import op

from engine.services.scorecard_days import rebuild

# (name, table, column, the rows indexed)
PARTIAL = [
    ("ix_case_unfinished_accepted", "case", "accepted_at", "status <> 'finished'"),
    ("ix_rating_handling_case", "rating", "handling_case_id", "handling_case_id IS NOT NULL"),
    ("ix_rating_handling_due", "rating", "handling_due_date", "handling_due_date IS NOT NULL"),
]

revision = "f4a8c21d6e37"
down_revision = "b52e7c0f9a13"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecard_day",
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("finished_on", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("service_item_code", sa.String(length=64), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("supplemented", sa.Integer(), nullable=False),
        sa.Column("first_time", sa.Integer(), nullable=False),
        sa.Column("with_due", sa.Integer(), nullable=False),
        sa.Column("due_on_time", sa.Integer(), nullable=False),
        sa.Column("due_early", sa.Integer(), nullable=False),
        sa.Column("due_first_time", sa.Integer(), nullable=False),
        sa.Column("due_accepted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "dimension", "finished_on", "key", "accepted_on", "service_item_code"
        ),
    )
    op.create_table(
        "scorecard_rating_day",
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dimension", "rated_on", "key", "level"),
    )
    op.create_index("ix_scorecard_day_accepted", "scorecard_day", ["dimension", "accepted_on"])
    op.create_index("ix_case_finished_at", "case", ["finished_at"])
    for name, table, column, where in PARTIAL:
        op.create_index(
            name, table, [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    rebuild(op.get_bind())


def downgrade() -> None:
    for name, table, _column, _where in PARTIAL:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_case_finished_at", table_name="case")
    op.drop_index("ix_scorecard_day_accepted", table_name="scorecard_day")
    op.drop_table("scorecard_rating_day")
    op.drop_table("scorecard_day")
