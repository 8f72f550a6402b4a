"""绩效考核: the versioned weights of the score

Revision ID: e3b9c4d27a15
Revises: a5c3e7d19b42
Create Date: 2026-12-06 17:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e3b9c4d27a15"
down_revision = "a5c3e7d19b42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scorecard_weights",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("scoring", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )


def downgrade() -> None:
    op.drop_table("scorecard_weights")
