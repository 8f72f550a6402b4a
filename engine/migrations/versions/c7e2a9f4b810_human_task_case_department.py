"""绩效考核: the step index by case also holds the step's department

Revision ID: c7e2a9f4b810
Revises: f4a8c21d6e37
Create Date: 2026-12-06 19:25:00

The scorecards read the departments of each open case's steps (overdue, decided in the
period); with the department in the index those come from the index alone. Every lookup by
case still uses it, and the steps keep a single index by case.
"""

from alembic import op

revision = "c7e2a9f4b810"
down_revision = "f4a8c21d6e37"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_human_task_case", table_name="human_task")
    op.create_index("ix_human_task_case", "human_task", ["case_id", "department_code"])


def downgrade() -> None:
    op.drop_index("ix_human_task_case", table_name="human_task")
    op.create_index("ix_human_task_case", "human_task", ["case_id"])
