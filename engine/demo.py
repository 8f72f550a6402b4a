"""The demo organisation of DESIGN.md, the catalogue and the models — loaded idempotently."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from . import models, workdays
from .catalogue import read_items, upsert_item
from .definitions import read_model_folder
from .security import hash_password
from .services.models import deploy_model
from .uow import UnitOfWork

DEPARTMENTS = [
    ("window", "综合受理窗口"),
    ("amr", "市场监督管理局"),
    ("psb", "公安局"),
    ("tax", "税务局"),
    ("hrss", "人力资源和社会保障局"),
    ("housing", "住房和城乡建设局"),
    ("nr", "自然资源局"),
    ("office", "县政府办公室"),
]

ROLES = [
    ("window", "窗口人员"),
    ("reviewer", "部门审批人员"),
    ("approver", "科长/分管领导"),
    ("designer", "流程设计员"),
    ("admin", "管理员"),
    ("supervisor", "督办员"),
    ("monitor", "服务监督员"),
    ("commissioner", "企业服务专员"),
]

# username, display name, department, roles
USERS = [
    ("window1", "窗口一号（王芳）", "window", ["window"]),
    ("window2", "窗口二号（李强）", "window", ["window"]),
    ("amr1", "市场监管审查员（赵敏）", "amr", ["reviewer"]),
    ("amr_chief", "市场监管科长（钱伟）", "amr", ["approver"]),
    ("psb1", "公安局办事员（孙丽）", "psb", ["reviewer", "approver"]),
    ("tax1", "税务局办事员（周杰）", "tax", ["reviewer", "approver"]),
    ("hrss1", "人社局办事员（吴静）", "hrss", ["reviewer", "approver"]),
    ("housing1", "住建局办事员（郑涛）", "housing", ["reviewer", "approver"]),
    ("nr1", "自然资源局办事员（冯雪）", "nr", ["reviewer", "approver"]),
    ("office1", "政府办督办员（陈刚）", "office", ["supervisor"]),
    ("designer1", "流程设计员（褚云）", "office", ["designer"]),
    ("admin", "系统管理员", "office", ["admin"]),
    ("monitor1", "服务监督员（卫红）", "office", ["monitor"]),
    ("commissioner1", "企业服务专员（蒋华）", "window", ["commissioner"]),
]

HEADS = {
    "amr": "amr_chief",
    "psb": "psb1",
    "tax": "tax1",
    "hrss": "hrss1",
    "housing": "housing1",
    "nr": "nr1",
    "window": "window1",
    "office": "admin",
}


def load_organisation(uow: UnitOfWork, password: str) -> None:
    session = uow.session
    depts = {d.code: d for d in session.scalars(select(models.Department))}
    for code, name in DEPARTMENTS:
        dept = depts.get(code) or models.Department(code=code, name=name)
        dept.head_username = HEADS.get(code)
        session.add(dept)
        depts[code] = dept
    roles = {r.code: r for r in session.scalars(select(models.Role))}
    for code, name in ROLES:
        roles.setdefault(code, models.Role(code=code, name=name))
        session.add(roles[code])
    session.flush()
    existing = {u.username for u in session.scalars(select(models.User))}
    # One hash for all: they share the demo password anyway, and each hash costs 128 MiB and
    # a good part of a second (engine/security.py).
    missing = [user for user in USERS if user[0] not in existing]
    password_hash = hash_password(password) if missing else ""
    for username, display, dept, role_codes in missing:
        session.add(
            models.User(
                username=username,
                display_name=display,
                password_hash=password_hash,
                department=depts[dept],
                roles=[roles[c] for c in role_codes],
            )
        )
    session.flush()


def load_catalogue(uow: UnitOfWork, workflows: Path) -> int:
    items = read_items(workflows)
    for item in items:
        upsert_item(uow, item)
    return len(items)


def deploy_folder(uow: UnitOfWork, bpmn: Path) -> list[tuple[str, int, bool]]:
    """Deploy every model folder under ``bpmn``; identical files make no new version."""
    out = []
    for folder in sorted(p for p in bpmn.iterdir() if p.is_dir()):
        result = deploy_model(uow, None, folder.name, read_model_folder(folder), "demo")
        out.append((folder.name, result.definition.version, result.created))
    return out


# 企业开办's 营业执照审核 (approvalChain="enterprise_startup.amr"): 科长审核 always; 局长审批 when
# the registered capital is 1000万元 or more. In the demo organisation amr_chief is both the
# approver and the head of 市场监督管理局, so a large case reaches the same person twice — the
# rule stays "the department head", as a real county would configure it.
DEMO_CHAINS = [
    {
        "key": "enterprise_startup.amr",
        "service_item": "企业开办",
        "department": "amr",
        "note": "演示：科长审核；注册资本 1000 万元及以上加局长审批",
        "levels": [
            {
                "name": "科长审核",
                "assignees": {"rule": "role", "value": "approver"},
                "mode": "single",
            },
            {
                "name": "局长审批",
                "assignees": {"rule": "department_head", "value": None},
                "mode": "single",
                "condition": "registered_capital >= 1000",
            },
        ],
    }
]
DEMO_CHAINS_EFFECTIVE = datetime(2024, 1, 1, tzinfo=UTC)


def load_chains(uow: UnitOfWork) -> int:
    """Seed the demo approval chains whose key has no version yet (edits are never undone)."""
    session = uow.session
    known = set(session.scalars(select(models.ApprovalChain.key)))
    items = dict(session.execute(select(models.ServiceItem.name, models.ServiceItem.code)).all())
    added = 0
    for chain in DEMO_CHAINS:
        if chain["key"] in known:
            continue
        session.add(
            models.ApprovalChain(
                key=chain["key"],
                version=1,
                service_item=items.get(chain["service_item"]),
                department=chain["department"],
                levels={"levels": chain["levels"]},
                effective_at=DEMO_CHAINS_EFFECTIVE,
                note=chain["note"],
                created_by="demo",
            )
        )
        added += 1
    session.flush()
    return added


# monitor1, a chamber-of-commerce representative, follows market-entity registration, market
# regulation and the tax office.
DEMO_MONITOR_SCOPE = (
    "monitor1",
    {"service_item": ["企业开办", "个体工商户设立登记"], "department": ["amr", "tax"]},
)


def load_monitor_scope(uow: UnitOfWork) -> int:
    """Give the demo monitor a scope once (an administrator's later changes stand)."""
    username, scope = DEMO_MONITOR_SCOPE
    session = uow.session
    if session.scalar(
        select(models.MonitorScope.id).where(models.MonitorScope.username == username)
    ):
        return 0
    items = dict(session.execute(select(models.ServiceItem.name, models.ServiceItem.code)).all())
    codes = {"service_item": [items[name] for name in scope["service_item"]]}
    codes["department"] = scope["department"]
    for kind, values in codes.items():
        for code in values:
            session.add(models.MonitorScope(username=username, kind=kind, code=code))
    session.flush()
    return sum(len(v) for v in codes.values())


def load_all(uow: UnitOfWork, password: str, workflows: Path, bpmn: Path) -> dict:
    """Everything the demo needs, in dependency order: calendar, people, catalogue, models."""
    seeded = workdays.seed(uow)
    load_organisation(uow, password)
    items = load_catalogue(uow, workflows)
    deployed = deploy_folder(uow, bpmn)
    chains = load_chains(uow)
    load_monitor_scope(uow)
    return {"calendar_days": seeded, "items": items, "deployed": deployed, "chains": chains}
