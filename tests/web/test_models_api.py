"""Deploying models over the API and with `onewindow deploy`: the same checks, the same text."""

from __future__ import annotations

import io
from pathlib import Path

from engine.definitions import read_model_folder

ROOT = Path(__file__).resolve().parents[2]
BASE = read_model_folder(ROOT / "bpmn" / "individual_business")
MAIN = "individual_business.bpmn"
BROKEN = BASE[MAIN].replace('<bpmn:sequenceFlow id="flow_approve" ', "<bpmn:sequenceFlow ", 1)


def multipart(files: dict[str, str], key: str) -> dict:
    return {
        "key": key,
        "note": "测试",
        "files": [(io.BytesIO(text.encode()), name.split("/")[-1]) for name, text in files.items()],
    }


def test_deploy_over_the_api_makes_versions_and_refuses_bad_models(api):
    designer = api("designer1")
    deploy = lambda files: designer.client.post(  # noqa: E731
        "/api/v1/process-models",
        data=multipart(files, "api_model"),
        headers={"Authorization": f"Bearer {designer.token}"},
        content_type="multipart/form-data",
    )
    first = deploy(BASE)
    assert first.status_code == 201, first.get_json()
    again = deploy(BASE)
    assert again.status_code == 200 and again.get_json()["version"] == first.get_json()["version"]

    refused = deploy({**BASE, MAIN: BROKEN})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    [problem] = error["details"]["problems"]
    assert problem["file"] == MAIN and problem["line"] and "顺序流缺少 id" in problem["message"]

    versions = designer.get("/process-models/api_model/versions").get_json()["items"]
    assert [v["version"] for v in versions] == [first.get_json()["version"]]
    assert MAIN in versions[0]["files"]
    text = designer.get(f"/process-models/api_model/versions/{versions[0]['version']}/files/{MAIN}")
    assert text.status_code == 200 and text.get_data(as_text=True) == BASE[MAIN]


def test_cli_deploy_exits_non_zero_with_the_problems(app, tmp_path):
    folder = tmp_path / "cli_model"
    for name, text in {**BASE, MAIN: BROKEN}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["deploy", str(folder)])
    assert result.exit_code == 1
    assert f"{MAIN}:" in result.output and "顺序流缺少 id" in result.output

    (folder / MAIN).write_text(BASE[MAIN], encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["deploy", str(folder)])
    assert result.exit_code == 0, result.output
    assert "cli_model: v1" in result.output
