"""督办 supervision items, their departments, timeline and notices; joint meetings; settings

Revision ID: b7d41e9a2c05
Revises: 4e8b2d6a1c57
Create Date: 2026-12-06 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7d41e9a2c05"
down_revision = "4e8b2d6a1c57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supervision_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "joint_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "supervision_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("no", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=80), nullable=True),
        sa.Column("case_nos", sa.JSON(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("required_action", sa.Text(), nullable=False),
        sa.Column("lead_department", sa.String(length=64), nullable=False),
        sa.Column("responsible_person", sa.String(length=64), nullable=False),
        sa.Column("due_working_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["joint_meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("no"),
        sa.UniqueConstraint("origin"),
        sa.UniqueConstraint("year", "seq"),
    )
    with op.batch_alter_table("supervision_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_item_source"), ["source"])
        batch_op.create_index(batch_op.f("ix_supervision_item_lead_department"), ["lead_department"])
        batch_op.create_index(batch_op.f("ix_supervision_item_due_date"), ["due_date"])
        batch_op.create_index(batch_op.f("ix_supervision_item_status"), ["status"])
        batch_op.create_index(batch_op.f("ix_supervision_item_meeting_id"), ["meeting_id"])
    op.create_table(
        "supervision_department",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["supervision_item.id"]),
        sa.PrimaryKeyConstraint("item_id", "department_code"),
    )
    with op.batch_alter_table("supervision_department", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_department_code", ["department_code"])
    op.create_table(
        "supervision_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["supervision_item.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_event_item_id"), ["item_id"])
    op.create_table(
        "supervision_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["supervision_item.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "round", "kind"),
    )
    with op.batch_alter_table("supervision_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_notice_item_id"), ["item_id"])
    op.create_table(
        "supervision_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("supervision_settings")
    op.drop_table("supervision_notice")
    op.drop_table("supervision_event")
    op.drop_table("supervision_department")
    op.drop_table("supervision_item")
    op.drop_table("joint_meeting")
    op.drop_table("supervision_counter")
