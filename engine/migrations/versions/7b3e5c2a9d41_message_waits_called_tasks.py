"""message waits, tasks of called models, the integration role

Revision ID: 7b3e5c2a9d41
Revises: 9c1d4e7f2a60
Create Date: 2026-12-06 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7b3e5c2a9d41"
down_revision = "9c1d4e7f2a60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("correlation", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "task_id", "name"),
    )
    with op.batch_alter_table("message_wait", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_wait_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_wait_name"), ["name"], unique=False)
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("definition_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_human_task_definition_id", "process_definition", ["definition_id"], ["id"]
        )
    # Other systems (the provincial platform, a bank) deliver BPMN messages with this role.
    role = sa.table("role", sa.column("code", sa.String), sa.column("name", sa.String))
    connection = op.get_bind()
    if not connection.execute(sa.select(role.c.code).where(role.c.code == "integration")).first():
        op.bulk_insert(role, [{"code": "integration", "name": "系统对接"}])


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_constraint("fk_human_task_definition_id", type_="foreignkey")
        batch_op.drop_column("definition_id")
    op.drop_table("message_wait")
