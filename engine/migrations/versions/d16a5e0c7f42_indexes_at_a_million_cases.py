"""indexes for inboxes, case lists and stats at a million cases (issue 16)

Partial indexes over open tasks (inboxes), over running clocks and cases finished late (the
light filter), the case's model version and item; on PostgreSQL trigram indexes (pg_trgm) for
substring search by case number and applicant (plain ones on SQLite).

Revision ID: d16a5e0c7f42
Revises: b7d41e9a2c05
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "d16a5e0c7f42"
down_revision = "b7d41e9a2c05"
branch_labels = None
depends_on = None

OPEN_TASK = "state IN ('ready', 'claimed')"
RUNNING_CLOCK = "clock_state = 'running'"
FINISHED_LATE = {
    "postgresql": "status = 'finished' AND "
    "CAST(timezone('Asia/Shanghai', finished_at) AS DATE) > due_date",
    "sqlite": "status = 'finished' AND date(finished_at, '+8 hours') > due_date",
}
PARTIAL = [
    ("ix_case_running_due", "case", ["due_date"], RUNNING_CLOCK),
    ("ix_case_finished_late", "case", ["id"], FINISHED_LATE),
    (
        "ix_human_task_open_department",
        "human_task",
        ["department_code", "due_date", "created_at", "id"],
        OPEN_TASK,
    ),
    ("ix_human_task_open_assignee", "human_task", ["assignee", "due_date"], OPEN_TASK),
    (
        "ix_human_task_open_named",
        "human_task",
        ["due_date", "created_at"],
        f"{OPEN_TASK} AND candidates IS NOT NULL",
    ),
]
TRIGRAM = [("ix_case_case_no_trgm", "case_no"), ("ix_case_applicant_trgm", "applicant_name")]


def upgrade() -> None:
    op.create_index("ix_case_definition", "case", ["definition_id"])
    op.create_index("ix_case_service_item", "case", ["service_item_code"])
    for name, table, columns, where in PARTIAL:
        pg, lite = (
            (where["postgresql"], where["sqlite"]) if isinstance(where, dict) else (where,) * 2
        )
        op.create_index(
            name, table, columns, postgresql_where=sa.text(pg), sqlite_where=sa.text(lite)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in TRIGRAM:  # a plain index on SQLite
        op.create_index(
            name, "case", [column], postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
        )


def downgrade() -> None:
    for name, _column in TRIGRAM:
        op.drop_index(name, table_name="case")
    for name, table, _columns, _where in reversed(PARTIAL):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_case_service_item", table_name="case")
    op.drop_index("ix_case_definition", table_name="case")
