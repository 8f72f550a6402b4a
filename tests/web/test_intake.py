"""综合受理: the window's one-page intake — catalogue search, materials with scans, decision."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import models
from engine.errors import Forbidden, NotFound
from engine.services import intake as intake_service
from engine.services import materials as material_service
from engine.uow import UnitOfWork
from web import create_app

from .conftest import Api, csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
APPLICANT = {
    "applicant_kind": "enterprise",
    "applicant_name": "青山综合受理测试有限公司",
    "applicant_id_type": "统一社会信用代码",
    "applicant_id_number": "91339901MA2K8Q1X39",
    "applicant_phone": "13812345678",
}
# 企业开办: the first six materials are mandatory, the seventh (授权委托书) is not.
MANDATORY = range(6)


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def intake_app(database_url: str, sessions, upload_dir: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-key",
            "UPLOAD_DIR": str(upload_dir),
        }
    )
    yield app
    app.extensions["onewindow.engine"].dispose()


@pytest.fixture
def client(intake_app: Flask) -> FlaskClient:
    return intake_app.test_client()


def item_code(sessions: sessionmaker[Session], name: str) -> str:
    with UnitOfWork(sessions) as uow:
        return uow.session.scalars(
            select(models.ServiceItem.code).where(models.ServiceItem.name == name)
        ).one()


@pytest.fixture(scope="module")
def enterprise(sessions: sessionmaker[Session]) -> str:
    return item_code(sessions, "企业开办")


def material_names(sessions: sessionmaker[Session], code: str) -> list[str]:
    with UnitOfWork(sessions) as uow:
        item = uow.session.get(models.ServiceItem, code)
        return [m["name"] for m in material_service.item_materials(item)]


def case_count(sessions: sessionmaker[Session]) -> int:
    with UnitOfWork(sessions) as uow:
        return uow.session.scalar(select(func.count()).select_from(models.Case)) or 0


def stored_files(upload_dir: Path) -> set[Path]:
    return {p for p in upload_dir.rglob("*") if p.is_file()}


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def submit(
    client: FlaskClient,
    code: str,
    decision: str,
    *,
    received: Any = MANDATORY,
    files: dict[int, tuple[bytes, str]] | None = None,
    missing: list[str] | None = None,
    reason: str = "",
    extra: dict[str, str] | None = None,
):
    """Post the intake page as a browser would (multipart, with the page's CSRF token)."""
    page = client.get(f"/intake/{code}")
    assert page.status_code == 200, page.get_data(as_text=True)
    data: dict[str, Any] = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        **APPLICANT,
        "decision": decision,
        "reason": reason,
        **(extra or {}),
    }
    # the prefilled originals/copies counts go back as a browser sends them
    for name, value in re.findall(
        r'name="(mat-\d+-(?:originals|copies))" value="(\d*)"', page.text
    ):
        data[name] = value
    for index in received:
        data[f"mat-{index}-received"] = "1"
    for index, (content, filename) in (files or {}).items():
        data[f"mat-{index}-file"] = (io.BytesIO(content), filename)
    if missing:
        data["missing_materials"] = missing
    return client.post(f"/intake/{code}", data=data, content_type="multipart/form-data")


def created_case(response) -> str:
    assert response.status_code == 302, text_of(response.get_data(as_text=True))[:2000]
    match = re.fullmatch(r"/cases/(\w+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def case_row(sessions: sessionmaker[Session], case_no: str) -> dict[str, Any]:
    with UnitOfWork(sessions) as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        tasks = uow.session.scalars(
            select(models.HumanTask)
            .where(models.HumanTask.case_id == case.id)
            .order_by(models.HumanTask.created_at)
        ).all()
        events = uow.session.scalars(
            select(models.CaseEvent).where(models.CaseEvent.case_id == case.id)
        ).all()
        materials = uow.session.scalars(
            select(models.Material)
            .where(models.Material.case_id == case.id)
            .order_by(models.Material.id)
        ).all()
        return {
            "status": case.status,
            "result": case.result,
            "clock_state": case.clock_state,
            "supplement_rounds": case.supplement_rounds,
            "agent": case.agent,
            "open": [t.name for t in tasks if t.state in ("ready", "claimed")],
            "done": {t.name: t.data for t in tasks if t.state == "completed"},
            "actions": [e.action for e in events],
            "uploads": [e.detail for e in events if e.action == "material_upload"],
            "materials": [
                {
                    "id": m.id,
                    "name": m.name,
                    "filename": m.filename,
                    "sha256": m.sha256,
                    "size": m.size,
                    "content_type": m.content_type,
                    "originals": m.originals,
                    "copies": m.copies,
                    "uploaded_by": m.uploaded_by,
                }
                for m in materials
            ],
        }


# ---- step 1: the catalogue ---------------------------------------------------------------------


def test_search_finds_the_item_by_name_and_by_code(client: FlaskClient, enterprise: str) -> None:
    login(client, "window1")
    by_name = client.get("/intake?q=企业开办")
    assert by_name.status_code == 200
    page = by_name.get_data(as_text=True)
    assert f'href="/intake/{enterprise}"' in page
    assert "不动产转移登记" not in page

    by_code = client.get(f"/intake?q={enterprise}").get_data(as_text=True)
    assert f'href="/intake/{enterprise}"' in by_code and "企业开办" in by_code
    assert "不动产转移登记" not in by_code

    everything = client.get("/intake").get_data(as_text=True)
    assert "企业开办" in everything and "不动产转移登记" in everything
    nothing = client.get("/intake?q=没有这个事项").get_data(as_text=True)
    assert "没有找到事项" in nothing


def test_intake_is_linked_for_the_window_only(client: FlaskClient) -> None:
    login(client, "window1")
    assert 'href="/intake"' in client.get("/tasks").get_data(as_text=True)
    login(client, "amr1")
    assert 'href="/intake"' not in client.get("/tasks").get_data(as_text=True)
    assert client.get("/intake").status_code == 403


def test_intake_page_lists_the_items_materials(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    response = client.get(f"/intake/{enterprise}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page
    names = material_names(sessions, enterprise)
    assert len(names) == 7
    for index, name in enumerate(names):
        assert html.escape(name, quote=False) in page
        assert f'name="mat-{index}-file"' in page
        assert f'name="mat-{index}-received"' in page
    # originals/copies come from the guide: 任职文件 needs one of each
    assert 'name="mat-3-originals" value="1"' in page and 'name="mat-3-copies" value="1"' in page
    # every mandatory material starts on the 需补正 list, the optional one does not
    ticked = re.findall(r'name="missing_materials" value="([^"]+)" checked', page)
    assert [html.unescape(t) for t in ticked] == names[:6]
    for value in ("accept", "supplement", "reject"):
        assert f'name="decision" value="{value}"' in page
    assert 'name="agent_name"' in page and 'name="agent_authorization_no"' in page


# ---- step 2: the decision ----------------------------------------------------------------------


def test_accept_with_scans_stores_them_by_hash(
    client: FlaskClient, sessions, enterprise: str, upload_dir: Path
) -> None:
    login(client, "window1")
    names = material_names(sessions, enterprise)
    response = submit(
        client,
        enterprise,
        "accept",
        files={0: (PDF, "申请书.pdf"), 1: (PNG, "章程.png"), 2: (PDF, "股东证明.pdf")},
    )
    case_no = created_case(response)

    row = case_row(sessions, case_no)
    assert row["open"] == ["营业执照承办"]
    assert row["clock_state"] == "running"
    intake = row["done"]["受理"]
    assert intake["decision"] == "accept" and intake["materials_checked"] is True
    assert "missing_materials" not in intake
    assert [m["name"] for m in row["materials"]] == names[:3]
    assert [m["content_type"] for m in row["materials"]] == [
        "application/pdf",
        "image/png",
        "application/pdf",
    ]
    assert row["materials"][0]["originals"] == 1 and row["materials"][0]["copies"] == 0
    assert all(m["uploaded_by"] == "window1" for m in row["materials"])
    # on disk under its hash; the same content twice is one file
    for material, content in zip(row["materials"], (PDF, PNG, PDF), strict=True):
        digest = sha256(content).hexdigest()
        assert material["sha256"] == digest and material["size"] == len(content)
        assert (upload_dir / digest[:2] / digest).read_bytes() == content
    assert len({m["sha256"] for m in row["materials"]}) == 2
    assert not list(upload_dir.rglob("*.part"))
    assert row["actions"].count("material_upload") == 3
    assert {u["filename"] for u in row["uploads"]} == {"申请书.pdf", "章程.png", "股东证明.pdf"}
    assert "material_check" in row["actions"]

    # the case page: number and query password flashed once, then the 材料 section
    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert re.search(rf"办件已创建：{case_no}，查询密码 \w+", page)
    assert "查询密码" not in client.get(f"/cases/{case_no}").get_data(as_text=True)
    materials = re.search(r'<section class="card case-materials".*?</section>', page, re.S)
    assert materials, "no 材料 section"
    block = materials.group(0)
    for material in row["materials"]:
        assert f'href="/cases/{case_no}/materials/{material["id"]}"' in block
    assert "申请书.pdf" in block and "章程.png" in block and "窗口一号（王芳）" in block  # uploader
    assert "必要材料已收齐" in block

    download = client.get(f"/cases/{case_no}/materials/{row['materials'][0]['id']}")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    attachment = client.get(f"/cases/{case_no}/materials/{row['materials'][1]['id']}?download=1")
    assert attachment.mimetype == "image/png"
    assert attachment.headers["Content-Disposition"].startswith("attachment")


def test_supplement_waits_for_the_missing_materials(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    names = material_names(sessions, enterprise)
    response = submit(
        client,
        enterprise,
        "supplement",
        received=range(4),
        missing=[names[4], names[5]],
        reason="请补交住所使用证明和信息采集表",
    )
    case_no = created_case(response)
    row = case_row(sessions, case_no)
    assert row["open"] == ["补正材料"]
    assert row["status"] == "running" and row["clock_state"] == "not_started"
    assert row["supplement_rounds"] == 1
    intake = row["done"]["受理"]
    assert intake["decision"] == "supplement"
    assert intake["missing_materials"] == [names[4], names[5]]
    assert intake["reason"] == "请补交住所使用证明和信息采集表"
    assert intake["materials_checked"] is False

    page = client.get(f"/cases/{case_no}").get_data(as_text=True)
    assert "已一次性告知补正" in page
    block = re.search(r'<section class="card case-materials".*?</section>', page, re.S).group(0)
    assert "缺少必要材料" in block and html.escape(names[4], quote=False) in block


def test_supplement_defaults_to_every_missing_mandatory_material(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    names = material_names(sessions, enterprise)
    response = submit(client, enterprise, "supplement", received=[0, 1, 2, 3], reason="补正")
    row = case_row(sessions, created_case(response))
    assert row["done"]["受理"]["missing_materials"] == names[4:6]


def test_reject_finishes_the_case_with_result_1(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    response = submit(
        client,
        enterprise,
        "reject",
        received=[],
        reason="不属于本机关职权范围，请向市级登记机关申请",
    )
    row = case_row(sessions, created_case(response))
    assert row["status"] == "finished" and row["result"] == "1"
    assert row["open"] == []


def test_reject_without_a_reason_keeps_what_was_typed(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    before = case_count(sessions)
    response = submit(client, enterprise, "reject", received=[])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert case_count(sessions) == before
    assert 'id="reason-error"' in page and "该字段为必填项" in page
    assert f'value="{APPLICANT["applicant_name"]}"' in page
    assert 'value="reject" checked' in page


def test_accept_with_a_mandatory_material_missing_is_refused(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    before = case_count(sessions)
    response = submit(client, enterprise, "accept", received=range(5))
    page = text_of(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "必要材料未收齐，不能受理" in page and "企业开办涉税及社保登记信息采集表" in page
    assert case_count(sessions) == before


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        pytest.param(EXE, "营业执照扫描.pdf", "不是 PDF、JPEG 或 PNG 文件", id="exe-renamed-pdf"),
        pytest.param(
            PDF + b"\x00" * (11 * 1024 * 1024), "大文件.pdf", "超过 10 MB 的上限", id="11-mb"
        ),
        pytest.param(PNG, "章程.pdf", "扩展名与内容不符", id="png-named-pdf"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client: FlaskClient,
    sessions,
    enterprise: str,
    upload_dir: Path,
    content: bytes,
    filename: str,
    message: str,
) -> None:
    login(client, "window1")
    before, files_before = case_count(sessions), stored_files(upload_dir)
    response = submit(
        client, enterprise, "accept", files={1: (PDF, "ok.pdf"), 2: (content, filename)}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'<p class="field-error" id="mat-2-file-error">(.*?)</p>', page, re.S)
    assert error, "the error is shown at the file's row"
    assert message in html.unescape(error.group(1)) and filename in html.unescape(error.group(1))
    assert "已上传：ok.pdf" in text_of(page)  # the good scan is held, the refused one is not
    assert case_count(sessions) == before
    assert all(p.read_bytes() != content for p in stored_files(upload_dir) - files_before)


def test_scans_survive_a_validation_error(client: FlaskClient, sessions, enterprise: str) -> None:
    """A mistyped credit code sends the page back; the scans chosen stay and reach the case."""
    login(client, "window1")
    names = material_names(sessions, enterprise)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(APPLICANT, "applicant_id_number", "91339901MA2K8Q1X3B")
        refused = submit(
            client, enterprise, "accept", files={0: (PDF, "申请书.pdf"), 1: (PNG, "章程.png")}
        )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="applicant_id_number-error">统一社会信用代码不正确', page)
    assert "已上传：申请书.pdf" in text_of(page) and "已上传：章程.png" in text_of(page)
    kept = dict(re.findall(r'name="(mat-\d+-keep)" value="(1)"', page))
    assert sorted(kept) == ["mat-0-keep", "mat-1-keep"]

    # sent again as the page stands (no file chosen again), with the 章程 scan unticked
    data: dict[str, Any] = {"csrf_token": csrf_token(page), **APPLICANT, "decision": "accept"}
    data.update((f"mat-{index}-received", "1") for index in MANDATORY)
    data["mat-0-keep"] = "1"
    response = client.post(f"/intake/{enterprise}", data=data)
    row = case_row(sessions, created_case(response))
    assert [(m["name"], m["sha256"]) for m in row["materials"]] == [
        (names[0], sha256(PDF).hexdigest())
    ]
    # the draft is gone with the case: a new page holds nothing
    assert "已上传：" not in text_of(client.get(f"/intake/{enterprise}").get_data(as_text=True))


def test_another_department_cannot_download_a_material(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    case_no = created_case(submit(client, enterprise, "accept", files={0: (PDF, "申请书.pdf")}))
    [material] = case_row(sessions, case_no)["materials"]
    url = f"/cases/{case_no}/materials/{material['id']}"
    assert client.get(url).status_code == 200

    login(client, "amr1")  # 市场监管 works the next step: it may read the scans
    assert client.get(url).status_code == 200
    login(client, "nr1")  # 自然资源局 has no part in 企业开办
    assert client.get(url).status_code == 404
    assert client.get(f"/cases/{case_no}").status_code == 404
    login(client, "window1")
    assert client.get(f"/cases/{case_no}/materials/{material['id'] + 10_000}").status_code == 404


def test_agent_filing_is_recorded_on_the_case(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    agent = {
        "agent_name": "李代办",
        "agent_id_number": "330781199001011232",
        "agent_relation": "委托代理人",
        "agent_authorization_no": "WT-2026-0088",
    }
    case_no = created_case(submit(client, enterprise, "accept", received=range(7), extra=agent))
    assert case_row(sessions, case_no)["agent"] == {
        "name": "李代办",
        "id_number": "330781199001011232",
        "relation": "委托代理人",
        "authorization_no": "WT-2026-0088",
    }
    shown = Api(client, "window1").get(f"/cases/{case_no}").get_json()["agent"]
    assert shown["name"] == "李代办" and shown["authorization_no"] == "WT-2026-0088"
    assert shown["relation"] == "委托代理人"
    assert shown["id_number"] != "330781199001011232", "ID numbers leave the engine masked"


def test_an_incomplete_agent_block_is_refused(
    client: FlaskClient, sessions, enterprise: str
) -> None:
    login(client, "window1")
    before = case_count(sessions)
    response = submit(client, enterprise, "accept", extra={"agent_name": "李代办"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="agent_authorization_no-error"' in page
    assert "<details open>" in page
    assert case_count(sessions) == before


def test_an_instant_item_is_decided_on_the_spot(client: FlaskClient, sessions) -> None:
    """即办件: the step spells 受理 ``approve`` and asks for its own fields."""
    code = item_code(sessions, "个体工商户设立登记")
    login(client, "window1")
    page = client.get(f"/intake/{code}").get_data(as_text=True)
    assert 'name="operator_name"' in page and 'name="credit_code"' in page
    assert "autofocus" not in page.split('class="form-section intake-step-fields"')[1]

    missing_fields = submit(client, code, "accept", received=range(3))
    assert missing_fields.status_code == 422
    assert 'id="field-operator_name-error"' in missing_fields.get_data(as_text=True)

    response = submit(
        client,
        code,
        "accept",
        received=range(3),
        files={1: (PNG, "身份证.png")},
        extra={"operator_name": "王五", "credit_code": "92339901MA2H7K3Q05"},
    )
    row = case_row(sessions, created_case(response))
    assert row["status"] == "finished" and row["result"] == "6"
    data = row["done"]["受理并当场办结"]
    assert data["decision"] == "approve" and data["operator_name"] == "王五"
    assert len(row["materials"]) == 1


# ---- the service -------------------------------------------------------------------------------


def test_store_material_rules(sessions, enterprise: str, upload_dir: Path) -> None:
    names = material_names(sessions, enterprise)
    with UnitOfWork(sessions) as uow:
        window = uow.session.scalars(
            select(models.User).where(models.User.username == "window1")
        ).one()
        started = intake_service.take_in(
            uow,
            window,
            enterprise,
            {
                "kind": "person",
                "name": "张三",
                "id_type": "身份证",
                "id_number": "330781199001011232",
            },
            decision="supplement",
            upload_dir=upload_dir,
            reason="补正",
        )
        case_no = started.case.case_no
    with UnitOfWork(sessions) as uow:
        case = uow.session.scalars(select(models.Case).where(models.Case.case_no == case_no)).one()
        users = {
            u.username: u
            for u in uow.session.scalars(
                select(models.User).where(models.User.username.in_(("window1", "amr1")))
            )
        }
        with pytest.raises(NotFound):
            material_service.store_material(
                uow, users["amr1"], case, "公司章程", "a.pdf", "application/pdf", PDF, upload_dir
            )
        with pytest.raises(material_service.UnknownMaterial):
            material_service.store_material(
                uow, users["window1"], case, "不存在的材料", "a.pdf", "", PDF, upload_dir
            )
        with pytest.raises(material_service.TooLarge) as too_large:
            material_service.store_material(
                uow,
                users["window1"],
                case,
                "公司章程",
                "a.pdf",
                "",
                PDF + b"0" * 10485760,
                upload_dir,
            )
        assert too_large.value.status == 413 and too_large.value.code == "too_large"
        with pytest.raises(material_service.UnsupportedType) as bad:
            material_service.store_material(
                uow, users["window1"], case, "公司章程", "a.pdf", "", EXE, upload_dir
            )
        assert bad.value.status == 422
        jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 32
        stored = material_service.store_material(
            uow,
            users["window1"],
            case,
            "公司章程",
            "C:\\scans\\章程.jpg",
            "image/jpeg",
            jpeg,
            upload_dir,
            originals=1,
        )
        assert stored.filename == "章程.jpg" and stored.content_type == "image/jpeg"
        [listed] = material_service.list_materials(uow, case)
        assert listed["name"] == "公司章程" and listed["originals"] == 1
        path, filename, content_type = material_service.material_file(
            uow, users["window1"], case_no, stored.id, upload_dir
        )
        assert path.read_bytes() == jpeg and filename == "章程.jpg"
        assert content_type == "image/jpeg"
        checklist = {c["name"]: c for c in material_service.checklist(uow, case)}
        assert checklist["公司章程"]["received"] and checklist["公司章程"]["scans"] == 1
        assert checklist["公司登记（备案）申请书"]["missing"]

        # once accepted, 市场监管 sees the case but only the window uploads
        accepted = intake_service.take_in(
            uow,
            users["window1"],
            enterprise,
            {
                "kind": "person",
                "name": "李四",
                "id_type": "身份证",
                "id_number": "330781199001011232",
            },
            decision="accept",
            upload_dir=upload_dir,
            received=[intake_service.Received(n, True) for n in names],
        )
        assert [t.name for t in accepted.next_tasks] == ["营业执照承办"]
        with pytest.raises(Forbidden):
            material_service.store_material(
                uow, users["amr1"], accepted.case, "公司章程", "a.pdf", "", PDF, upload_dir
            )
