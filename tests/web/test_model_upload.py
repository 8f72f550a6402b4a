"""Model upload checks its key and every form file (issue 9, point 18)."""

from __future__ import annotations

import pytest

from .test_models_api import BASE, multipart


def upload(api, files: dict[str, str], key: str):
    designer = api("designer1")
    return designer.client.post(
        "/api/v1/process-models",
        data=multipart(files, key),
        headers={"Authorization": f"Bearer {designer.token}"},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "key",
    ["", "Upper_case", "../escape", "with space", "a", "x" * 65, "k\ney", "模型"],
)
def test_a_bad_model_key_is_refused(api, key: str) -> None:
    response = upload(api, BASE, key)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_key"
    listed = api("designer1").get("/process-models?per_page=200").get_json()["items"]
    assert key.strip() not in {m["key"] for m in listed}


@pytest.mark.parametrize(
    "text", ['{"type": "object",', "not json at all", "[" * 100_000], ids=["cut", "text", "deep"]
)
def test_a_form_file_that_is_not_json_is_refused_even_if_no_task_uses_it(api, text: str) -> None:
    response = upload(api, {**BASE, "forms/spare.schema.json": text}, "upload_forms")
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_model"
    [problem] = error["details"]["problems"]
    assert problem["file"] == "forms/spare.schema.json"
    assert api("designer1").get("/process-models/upload_forms/versions").status_code == 404
