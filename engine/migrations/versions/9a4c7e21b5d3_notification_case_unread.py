"""Notifications: a case's unread notices through an index

Revision ID: 9a4c7e21b5d3
Revises: c7e2a9f4b810
Create Date: 2026-12-06 22:05:00

Every step closes the case's settled notices (``close_settled``). With no index on the case,
PostgreSQL found them by reading every unread notice of every user, a cost that grows with
the county's backlog at every completion (issue 16). Only unread notices are indexed: the
read ones are never looked up by case.
"""

import sqlalchemy as sa
from alembic import op

revision = "9a4c7e21b5d3"
down_revision = "c7e2a9f4b810"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_notification_case_unread",
        "notification",
        ["case_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notification_case_unread", table_name="notification")
