"""服务监督员: the scope an administrator sets, and the opinions (监督意见) monitors file;
企业服务专员: enterprises assigned to commissioners, and their visit logs (走访); the SMS
outbox of the recording gateway; 政策解读 articles

Revision ID: a5c3e7d19b42
Revises: d16a5e0c7f42
Create Date: 2026-12-06 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a5c3e7d19b42"
down_revision = "d16a5e0c7f42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitor_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "kind", "code"),
    )
    op.create_index("ix_monitor_scope_username", "monitor_scope", ["username"])
    op.create_table(
        "monitor_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=True),
        sa.Column("service_item", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supervision_no", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitor_opinion_author", "monitor_opinion", ["author"])
    op.create_index("ix_monitor_opinion_created_at", "monitor_opinion", ["created_at"])
    op.create_table(
        "enterprise_commissioner",
        sa.Column("credit_code", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("credit_code"),
    )
    op.create_index("ix_enterprise_commissioner_username", "enterprise_commissioner", ["username"])
    op.create_table(
        "commissioner_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_commissioner_visit_credit_code", "commissioner_visit", ["credit_code"])
    op.create_table(
        "sms_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("gateway", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sms_message_case_id", "sms_message", ["case_id"])
    op.create_index("ix_sms_message_created_at", "sms_message", ["created_at"])
    op.create_table(
        "policy_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("service_item", sa.String(length=64), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_policy_article_topic", "policy_article", ["topic"])
    op.create_index("ix_policy_article_service_item", "policy_article", ["service_item"])


def downgrade() -> None:
    op.drop_table("policy_article")
    op.drop_table("sms_message")
    op.drop_table("commissioner_visit")
    op.drop_table("enterprise_commissioner")
    op.drop_table("monitor_opinion")
    op.drop_table("monitor_scope")
