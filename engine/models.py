"""The tables OneWindow keeps, mapped with SQLAlchemy 2.

Workflow state is split the way SpiffArena learned to: the immutable model version is stored once
(``process_definition``), each case keeps its instance properties on the ``case`` row and one
``workflow_task`` row per SpiffWorkflow task, so a save rewrites only what changed.
``human_task`` is the projection that inboxes read; they never deserialize a workflow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment, timezone-aware: SQLite hands back naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    head_username: Mapped[str | None] = mapped_column(String(64))


class Role(Base):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), primary_key=True)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship(lazy="joined")
    roles: Mapped[list[Role]] = relationship(secondary="user_role", lazy="selectin")

    @property
    def role_codes(self) -> set[str]:
        return {r.code for r in self.roles}

    @property
    def department_code(self) -> str:
        return self.department.code


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored so a leaked table grants nothing."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # Set when a page minted the token for its scripts: logging out of that session revokes it.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("user_session.id"), index=True)

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A logged-in browser (登录会话): the cookie carries a random id whose SHA-256 is here.

    The server decides whether a cookie still counts — logout, the idle and absolute timeouts
    and disabling the user end the row, and a copied cookie dies with it.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(16))


class AuditEvent(Base):
    """The security audit log (安全审计, 等保 2.0): append-only, never edited by the app.

    Log-ins and failures, tokens, users and the settings that change how cases run.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ServiceItem(Base):
    """A 政务服务事项; ``guide`` holds the full GB/T 39046 record from workflows/."""

    __tablename__ = "service_item"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    item_type: Mapped[str] = mapped_column(String(8))
    case_type: Mapped[str] = mapped_column(String(16))
    process_key: Mapped[str] = mapped_column(String(64))
    departments: Mapped[dict[str, Any]] = mapped_column(JSON)
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)

    @property
    def internal(self) -> bool:
        """An item the center runs for itself (``internal = true``: 差评回访整改): no one
        applies for it, so neither the public catalogue nor the window offers it."""
        return bool((self.guide or {}).get("internal"))


class ProcessDefinition(Base):
    """One immutable deployed version of a model, keyed by the hash of its files."""

    __tablename__ = "process_definition"
    # The hash is not unique per key: going back to an older version's files deploys them
    # again as the newest version, so new cases start on what the designer chose last.
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_process_definition_key_hash", "key", "hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    hash: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(128))
    files: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    task_meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class CaseCounter(Base):
    """Daily sequence for case numbers; incremented under the transaction's write lock."""

    __tablename__ = "case_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


# SQL, in the words the partial indexes below and the list filters share (a partial index
# serves a query only when its condition says the same): a case finished after its due date, in
# the service center's days (Asia/Shanghai: UTC+8 all year), and an open task.
FINISHED_LATE = {
    "postgresql": "status = 'finished' AND "
    "CAST(timezone('Asia/Shanghai', finished_at) AS DATE) > due_date",
    "sqlite": "status = 'finished' AND date(finished_at, '+8 hours') > due_date",
}
RUNNING_CLOCK = "clock_state = 'running'"
NOT_FINISHED = "status <> 'finished'"
OPEN_TASK = "state IN ('ready', 'claimed')"


def _partial(name: str, *columns: str, where: str | dict[str, str], **kw: Any) -> Index:
    """An index over the rows ``where`` holds, on both databases."""
    pg, lite = (where["postgresql"], where["sqlite"]) if isinstance(where, dict) else (where,) * 2
    return Index(name, *columns, postgresql_where=text(pg), sqlite_where=text(lite), **kw)


def _trigram(name: str, column: str) -> Index:
    """PostgreSQL: substring search (``LIKE '%…%'``) by index (pg_trgm). SQLite, which has no
    such index, gets a plain one: the same schema on both, and a scan there."""
    return Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})


class Case(Base):
    """A 办件. ``version`` is the optimistic row version: a stale writer gets 409."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_definition", "definition_id"),
        Index("ix_case_service_item", "service_item_code"),
        Index("ix_case_finished_at", "finished_at"),
        # the cases a scorecard reads live: the finished ones are counted in scorecard_day
        _partial("ix_case_unfinished_accepted", "accepted_at", where=NOT_FINISHED),
        _partial("ix_case_running_due", "due_date", where=RUNNING_CLOCK),
        _partial("ix_case_finished_late", "id", where=FINISHED_LATE),
        # the cases the designer's stats read raw: running, or ended since the last fold
        _partial("ix_case_stats_unfolded", "definition_id", "id", where="NOT stats_folded"),
        _trigram("ix_case_case_no_trgm", "case_no"),
        _trigram("ix_case_applicant_trgm", "applicant_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(64), unique=True)
    service_item_code: Mapped[str] = mapped_column(ForeignKey("service_item.code"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    status: Mapped[str] = mapped_column(String(16), default="running", index=True)
    result: Mapped[str | None] = mapped_column(String(8))
    applicant_kind: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(128))
    applicant_id_type: Mapped[str] = mapped_column(String(32))
    applicant_id_number: Mapped[str] = mapped_column(String(64))
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    channel: Mapped[str] = mapped_column(String(16), default="window")
    agent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    query_password_hash: Mapped[str] = mapped_column(String(256))
    intake_department: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(Date)
    clock_state: Mapped[str] = mapped_column(String(16), default="not_started")
    visits: Mapped[int] = mapped_column(Integer, default=1)
    supplement_rounds: Mapped[int] = mapped_column(Integer, default=0)  # 补正 rounds
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Deferred: lists join the case row, and only the runtime needs the instance properties.
    workflow: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # In the step stats' sums (engine/services/step_stats.py): ended, and folded since.
    stats_folded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Plain lazy loads: a many-to-one already in the session costs no SQL; lists that span
    # many cases ask for selectinload explicitly (see views.LIST_OPTIONS).
    service_item: Mapped[ServiceItem] = relationship()
    definition: Mapped[ProcessDefinition] = relationship()

    __mapper_args__: ClassVar = {"version_id_col": version}


class WorkflowTask(Base):
    """One SpiffWorkflow task as its serializer writes it (``payload`` is JSON text)."""

    __tablename__ = "workflow_task"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process: Mapped[str] = mapped_column(String(36), default="")
    payload: Mapped[str] = mapped_column(Text)


class HumanTask(Base):
    """Inbox projection of a user task; rows stay after completion as the step record."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_inbox", "state", "department_code"),
        # with the department: a case's departments read from the index alone (scorecards)
        Index("ix_human_task_case", "case_id", "department_code"),
        # inboxes, in their order (due date, then age), over open rows only
        _partial(
            "ix_human_task_open_department",
            "department_code",
            "due_date",
            "created_at",
            "id",
            where=OPEN_TASK,
        ),
        _partial("ix_human_task_open_assignee", "assignee", "due_date", where=OPEN_TASK),
        _partial(
            "ix_human_task_open_named",
            "due_date",
            "created_at",
            where=f"{OPEN_TASK} AND candidates IS NOT NULL",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    spec_name: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    department_code: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="ready")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    due_working_days: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Task operations (issue: approval chains and task operations)
    owner: Mapped[str | None] = mapped_column(String(64))  # 委派: who gets the task back
    candidates: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # named users, if any
    chain_id: Mapped[int | None] = mapped_column(ForeignKey("approval_chain.id"))
    chain_level: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(36))  # a chain level's step
    outcome: Mapped[str | None] = mapped_column(String(16))
    # A task of another model a call activity runs (一件事一次办): that model version; None:
    # the case's own model.
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))

    case: Mapped[Case] = relationship()


def open_task() -> ColumnElement[bool]:
    """``OPEN_TASK`` as a query's condition, its values written into the SQL: a prepared
    statement's generic plan could not match a parameter to the partial indexes' condition."""
    states = bindparam("open_task_states", ("ready", "claimed"), expanding=True)
    return HumanTask.state.in_(states.render_literal_execute())


class StepStats(Base):
    """Completed steps of ended cases per model version and user task, the designer's stats
    (engine/services/step_stats.py) without reading every step of a million cases.

    An ended case never changes again (no migration, no withdrawal, no new step), so what it
    adds here is final; ``Case.stats_folded`` says which cases are in these sums.
    """

    __tablename__ = "step_stats"

    definition_id: Mapped[int] = mapped_column(
        ForeignKey("process_definition.id"), primary_key=True
    )
    spec_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    dwell_count: Mapped[int] = mapped_column(Integer, default=0)  # completed with both times
    dwell_hours: Mapped[float] = mapped_column(Float, default=0.0)  # their summed dwell


class CaseEvent(Base):
    """Append-only history: who did what, when, on which task, with which data change."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CalendarDay(Base):
    """A day that differs from Monday–Friday: a holiday, or a 调休 make-up working day."""

    __tablename__ = "holiday_calendar"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(256), default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarYear(Base):
    """A year whose schedule the State Council has announced; others count weekends only."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClockPause(Base):
    """A stretch the statutory clock does not count: 补正 after acceptance or a 特别程序."""

    __tablename__ = "clock_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # supplement | special_procedure
    procedure: Mapped[str | None] = mapped_column(String(32))  # 专家评审, 公示, 检验 …
    reason: Mapped[str] = mapped_column(Text, default="")
    planned_days: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(64))
    ended_by: Mapped[str | None] = mapped_column(String(64))


class ClockExtension(Base):
    """An approved 延期: working days added to the deadline, with the approver and reason."""

    __tablename__ = "clock_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Timer(Base):
    """A BPMN timer waiting in a case; the scheduler fires it once, in the case's transaction."""

    __tablename__ = "timer"
    __table_args__ = (UniqueConstraint("case_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128), default="")
    due_at: Mapped[datetime] = mapped_column(index=True)
    fired_at: Mapped[datetime | None]
    fired_by: Mapped[str | None] = mapped_column(String(128))
    # Failed firings (the model's step raised): retried later, then an incident (卡件).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    """A case the engine could not move on by itself (卡件): a timer whose step keeps failing.

    Open until an administrator retries it successfully (after migrating the case to a fixed
    model version); the case itself keeps its status, its open tasks and its history.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # timer
    # The timer row goes when a migration re-predicts the wait; the incident stays.
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timer.id", ondelete="SET NULL"))
    element_id: Mapped[str] = mapped_column(String(128), default="")
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))

    case: Mapped[Case] = relationship()


class MessageWait(Base):
    """A BPMN message (消息) a case waits for, kept so a delivery finds its case without loading
    workflows; ``correlation`` holds the values of the correlation properties the model declares.
    """

    __tablename__ = "message_wait"
    __table_args__ = (UniqueConstraint("case_id", "task_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(128), index=True)
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    since: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship()


class Visit(Base):
    """One 到现场 visit of the applicant (the 最多跑一次 promise counts these)."""

    __tablename__ = "case_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    purpose: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))


class RateLimit(Base):
    """Attempts per key in a window, kept in the database so every app server shares it."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, default=0)


class Material(Base):
    """An uploaded material (scan) of a case; the file lives on disk under its SHA-256."""

    __tablename__ = "material"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))  # the checklist entry it satisfies
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    originals: Mapped[int] = mapped_column(Integer, default=0)  # paper originals seen
    copies: Mapped[int] = mapped_column(Integer, default=0)  # paper copies received
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelDraft(Base):
    """A designer's unsaved-to-production work on a model: files saved without deploying."""

    __tablename__ = "model_draft"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_version: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApprovalChain(Base):
    """One version of an approval chain (审批链): levels of who approves, how and when.

    Versions are immutable; the one in force for a step is the newest whose ``effective_at``
    has passed when the step starts.
    """

    __tablename__ = "approval_chain"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    service_item: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    levels: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"levels": [...]}
    effective_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-app notice for one user (new task, urged, returned, CC'd, delegated …)."""

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_read", "username", "read_at"),
        # A case's unread notices, closed at each of its steps (services/notifications.py
        # close_settled): without it every completion read every user's unread notices.
        Index(
            "ix_notification_case_unread",
            "case_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class CaseCopy(Base):
    """抄送: a case copied to a user for information."""

    __tablename__ = "case_copy"
    __table_args__ = (UniqueConstraint("case_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    username: Mapped[str] = mapped_column(String(64), index=True)
    copied_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class Comment(Base):
    """A comment on a case; its attachments are files on disk (``attachments`` holds refs)."""

    __tablename__ = "case_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


BAD_LEVELS = (4, 5)  # 不满意, 非常不满意: a 差评 with its handling
EXCLUDED_OUTCOME = "upheld"  # a bad rating's handling result 申诉成立: kept, never counted


class Rating(Base):
    """One 好差评 rating of a case at one stage (acceptance, finish, rectification).

    Never deleted: an upheld appeal (申诉复核) only takes it out of the scores. A bad rating's
    handling (回访, 核实, 整改 or 解释说明, 申诉 and 复核) runs as a case of the internal
    handling item, ``handling_case_id``.
    """

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("case_id", "stage"),
        _partial(
            "ix_rating_handling_case", "handling_case_id", where="handling_case_id IS NOT NULL"
        ),
        # the bad ratings (only they have a handling limit), for 差评整改率
        _partial(
            "ix_rating_handling_due", "handling_due_date", where="handling_due_date IS NOT NULL"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    stage: Mapped[str] = mapped_column(String(16))  # acceptance | finish | rectification
    level: Mapped[int] = mapped_column(Integer)  # GB/T 39046: 1 非常满意 … 5 非常不满意
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    client_address: Mapped[str] = mapped_column(String(64), default="", index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)  # 默认评价: never proactive
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handling_case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    handling_due_date: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    handling_case: Mapped[Case | None] = relationship(foreign_keys=[handling_case_id])


class RatingAttribution(Base):
    """Who served the rated stage: one row per department and clerk (部门、窗口和工作人员)."""

    __tablename__ = "rating_attribution"
    __table_args__ = (
        Index("ix_rating_attribution_department", "department_code"),
        Index("ix_rating_attribution_username", "username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))


class RatingLink(Base):
    """A one-time rating link (评价码) for the hall's pad or a printed QR code; only the
    SHA-256 of its token is kept, so the table grants nothing."""

    __tablename__ = "rating_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # pad | qr
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()


class RatingSettings(Base):
    """The 好差评 settings an administrator keeps (one row): limits, reasons, default rating."""

    __tablename__ = "rating_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionCounter(Base):
    """Yearly sequence of supervision numbers (督办〔2026〕第N号), drawn by one upsert."""

    __tablename__ = "supervision_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class JointMeeting(Base):
    """A 联席会议 of the departments: who came, and the decisions that became supervision items."""

    __tablename__ = "joint_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    held_on: Mapped[date] = mapped_column(Date)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionItem(Base):
    """A 督办单 (engine/services/supervision.py). ``origin`` names what the system opened it for
    (``overdue:<case_no>``, ``rating:<id>``): unique, so each is opened once whatever runs."""

    __tablename__ = "supervision_item"
    __table_args__ = (UniqueConstraint("year", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), index=True)
    origin: Mapped[str | None] = mapped_column(String(80), unique=True)
    case_nos: Mapped[list[str]] = mapped_column(JSON, default=list)
    problem: Mapped[str] = mapped_column(Text)
    required_action: Mapped[str] = mapped_column(Text)
    lead_department: Mapped[str] = mapped_column(String(64), index=True)
    responsible_person: Mapped[str] = mapped_column(String(64), default="")
    due_working_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    level: Mapped[str] = mapped_column(String(8), default="blue")  # blue | orange | red
    status: Mapped[str] = mapped_column(String(16), default="issued", index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)  # deadlines given: 1 + send-backs
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    feedback_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("joint_meeting.id"), index=True)


class SupervisionDepartment(Base):
    """The lead (牵头) and assisting (协办) departments of an item: who sees and answers it."""

    __tablename__ = "supervision_department"
    __table_args__ = (Index("ix_supervision_department_code", "department_code"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_item.id"), primary_key=True)
    department_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))  # lead | assist


class SupervisionEvent(Base):
    """An item's timeline: issued, feedback (text and files), sent back, escalated, closed."""

    __tablename__ = "supervision_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_item.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SupervisionNotice(Base):
    """A 催办通知书 (``urge``) or 通报 (``circular``) an escalation issued: once per item, deadline
    round and kind, so two schedulers cannot issue it twice."""

    __tablename__ = "supervision_notice"
    __table_args__ = (UniqueConstraint("item_id", "round", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("supervision_item.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupervisionSettings(Base):
    """The 督办 thresholds an administrator keeps (one row): what opens items, when they rise."""

    __tablename__ = "supervision_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MonitorScope(Base):
    """What a 服务监督员 follows: one row per service item or department an administrator put
    in their scope; a monitor reads nothing outside it (engine/access.py)."""

    __tablename__ = "monitor_scope"
    __table_args__ = (UniqueConstraint("username", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # service_item | department
    code: Mapped[str] = mapped_column(String(64))


class MonitorOpinion(Base):
    """A 监督意见 a monitor files; ``supervision_no`` once a supervisor turned it into an item."""

    __tablename__ = "monitor_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    author: Mapped[str] = mapped_column(String(64), index=True)
    case_no: Mapped[str | None] = mapped_column(String(64))
    service_item: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    supervision_no: Mapped[str | None] = mapped_column(String(32))


class EnterpriseCommissioner(Base):
    """The 企业服务专员 an administrator assigned to an enterprise, known by its 统一社会信用代码
    (an enterprise applicant's ``applicant_id_number``)."""

    __tablename__ = "enterprise_commissioner"

    credit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommissionerVisit(Base):
    """A 走访 record: the problems raised, each with the supervision item it became, if any."""

    __tablename__ = "commissioner_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(64))
    visited_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScorecardWeights(Base):
    """One version of the 绩效考核 weights (engine/services/scorecards.py): every save adds a
    version, the latest is in force and the earlier ones stay on record."""

    __tablename__ = "scorecard_weights"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON)
    scoring: Mapped[str] = mapped_column(String(16))  # good_rate | points (10/8/6/3/0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScorecardDay(Base):
    """The finished cases of one scorecard row, counted per (finish day, acceptance day, item)
    (engine/services/scorecard_days.py): written in the transaction that finishes each case,
    and never changed after, as a finished case's figures never change.

    Counts, never working days: the calendar can change after the fact, so the days are worked
    out at read time from the (finish day, acceptance day) pairs. ``accepted_on`` is the finish
    day of a case never accepted (不予受理): ``cases - accepted`` of them.
    """

    __tablename__ = "scorecard_day"

    __table_args__ = (Index("ix_scorecard_day_accepted", "dimension", "accepted_on"),)

    # a period's rows of one dimension are one range of the primary key
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    finished_on: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    accepted_on: Mapped[date] = mapped_column(Date, primary_key=True)
    service_item_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    cases: Mapped[int] = mapped_column(Integer)  # every served case finished
    accepted: Mapped[int] = mapped_column(Integer)  # of them accepted (受理)
    supplemented: Mapped[int] = mapped_column(Integer)  # with ≥ 1 补正 round
    first_time: Mapped[int] = mapped_column(Integer)  # no 补正 round, at most one visit
    with_due: Mapped[int] = mapped_column(Integer)  # with a due date (F of a promised item)
    due_on_time: Mapped[int] = mapped_column(Integer)  # finished on or before it
    due_early: Mapped[int] = mapped_column(Integer)  # finished before it
    due_first_time: Mapped[int] = mapped_column(Integer)
    due_accepted: Mapped[int] = mapped_column(Integer)


class ScorecardRatingDay(Base):
    """The counted ratings of one scorecard row per day and level (engine/services/
    scorecard_days.py): one more as a proactive rating is given, one fewer as an appeal
    against it is upheld (申诉成立, when its handling finishes)."""

    __tablename__ = "scorecard_rating_day"

    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    rated_on: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    ratings: Mapped[int] = mapped_column(Integer)


class SmsMessage(Base):
    """One text message as handed to the SMS gateway: the recording gateway (demo, tests) keeps
    it here as its outbox and sends nothing (engine/sms.py)."""

    __tablename__ = "sms_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # acceptance | supplement | finish
    text: Mapped[str] = mapped_column(Text)
    gateway: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PolicyArticle(Base):
    """A 政策解读 article an administrator writes in Markdown, about a service item or a topic;
    rendered sanitised on the public pages (engine/services/policies.py)."""

    __tablename__ = "policy_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(64), default="", index=True)
    service_item: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
