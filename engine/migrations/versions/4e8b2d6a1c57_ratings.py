"""好差评 ratings: ratings, who they are attributed to, one-time rating links, settings

Revision ID: 4e8b2d6a1c57
Revises: 7b3e5c2a9d41
Create Date: 2026-12-06 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "4e8b2d6a1c57"
down_revision = "7b3e5c2a9d41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handling_case_id", sa.Integer(), nullable=True),
        sa.Column("handling_due_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["handling_case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "stage"),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_client_address"), ["client_address"])
        batch_op.create_index(batch_op.f("ix_rating_rated_at"), ["rated_at"])
    op.create_table(
        "rating_attribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_attribution", schema=None) as batch_op:
        batch_op.create_index("ix_rating_attribution_department", ["department_code"])
        batch_op.create_index("ix_rating_attribution_username", ["username"])
        batch_op.create_index(batch_op.f("ix_rating_attribution_rating_id"), ["rating_id"])
    op.create_table(
        "rating_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("rating_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_link_case_id"), ["case_id"])
    op.create_table(
        "rating_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("rating_settings")
    with op.batch_alter_table("rating_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_link_case_id"))
    op.drop_table("rating_link")
    with op.batch_alter_table("rating_attribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_attribution_rating_id"))
        batch_op.drop_index("ix_rating_attribution_username")
        batch_op.drop_index("ix_rating_attribution_department")
    op.drop_table("rating_attribution")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_rated_at"))
        batch_op.drop_index(batch_op.f("ix_rating_client_address"))
    op.drop_table("rating")
