"""Event-log export (过程挖掘): process-mining tools read it. pm4py, the usual Python library,
reads the XES (IEEE 1849) back and discovers the item's steps from it, and reads the OCEL 2.0
JSON back with the same history; only the center exports.

The cases run in a database of their own, so the period's log holds exactly the histories
driven here, and the discovered model can be compared whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pm4py
import pytest
from lxml import etree

from engine.definitions import model_elements, read_model_folder
from engine.workdays import today
from web import create_app

from ..conftest import ROOT
from ..engine.helpers import ENTERPRISE
from ..engine.test_cases import INSTANT_OK, RECEIVED, SUPPLEMENT
from ..fresh_database import fresh_database
from .conftest import Api
from .test_api_journey import complete, item_code, receive_materials

ITEM = "个体工商户设立登记"
DECIDE, SUPPLEMENTED = "受理并当场办结", "补正材料"


@dataclass(frozen=True)
class Exported:
    """Two cases driven over the API and the period's log in both formats."""

    on_the_spot: str
    came_back: str
    item: str
    first: str
    last: str
    started: datetime
    finished: datetime
    xes: bytes
    ocel: bytes


def _case(window: Api, item: str, decisions: list[tuple[str, dict]]) -> str:
    response = window.post("/cases", json={"service_item": item, "applicant": ENTERPRISE})
    assert response.status_code == 201, response.get_json()
    case_no = response.get_json()["case_no"]
    receive_materials(window, case_no)
    for step, data in decisions:
        complete(window, window.task_named(case_no, step), data)
    return case_no


@pytest.fixture(scope="module")
def exported(database_url: str) -> Iterator[Exported]:
    """window1 decides one case on the spot and sends one back for a supplement (补正) first;
    office1 (督办) exports the log of the days around today."""
    with fresh_database(database_url) as url:
        app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-key"})
        try:
            window = Api(app.test_client(), "window1")
            item = item_code(window, ITEM)
            started = datetime.now(UTC)
            on_the_spot = _case(window, item, [(DECIDE, INSTANT_OK)])
            came_back = _case(
                window, item, [(DECIDE, SUPPLEMENT), (SUPPLEMENTED, RECEIVED), (DECIDE, INSTANT_OK)]
            )
            finished = datetime.now(UTC)
            first, last = (today() + timedelta(days=d) for d in (-1, 1))
            office = Api(app.test_client(), "office1")
            query = f"from={first}&to={last}&service_item={item}"
            logs = [office.get(f"/event-log.{kind}?{query}") for kind in ("xes", "ocel.json")]
            assert [r.status_code for r in logs] == [200, 200]
            yield Exported(
                on_the_spot,
                came_back,
                item,
                first.isoformat(),
                last.isoformat(),
                started,
                finished,
                *(r.data for r in logs),
            )
        finally:
            app.extensions["onewindow.engine"].dispose()


def item_steps() -> set[str]:
    """The user tasks of the item's BPMN model, as the demo deploys it."""
    files = read_model_folder(ROOT / "bpmn" / "individual_business")
    return {e["name"] for e in model_elements(files).values() if e["type"] == "userTask"}


def read_xes(path: Path, **options):
    """pm4py's default reader, the XML one (iterparse), named so pm4py does not warn that its
    optional Rust reader is missing."""
    return pm4py.read_xes(str(path), variant="iterparse", show_progress_bar=False, **options)


def traces(frame) -> dict[str, list[str]]:
    """Each case's activities in the frame's order, from a pm4py event frame."""
    return frame.groupby("case:concept:name")["concept:name"].apply(list).to_dict()


def test_pm4py_reads_the_xes_log_and_discovers_the_items_steps(exported, tmp_path: Path):
    path = tmp_path / "period.xes"
    path.write_bytes(exported.xes)
    version = etree.fromstring(exported.xes).get("xes.version")
    assert Decimal(version) == Decimal("1849.2016"), "the standard's schema: an xs:decimal"
    log = read_xes(path, return_legacy_log_object=True)
    assert {e["prefix"] for e in log.extensions.values()} == {"concept", "time", "lifecycle", "org"}
    assert log.classifiers == {"Activity": ["concept:name"]}
    assert set(log.omni_present["trace"]) == {"concept:name", "service_item"}
    assert set(log.omni_present["event"]) == {
        "concept:name",
        "lifecycle:transition",
        "time:timestamp",
        "org:group",
    }
    assert log.attributes == {
        "concept:name": f"OneWindow {exported.first}/{exported.last}",
        "lifecycle:model": "standard",
    }

    frame = read_xes(path)
    assert traces(frame) == {
        exported.on_the_spot: [DECIDE],
        exported.came_back: [DECIDE, SUPPLEMENTED, DECIDE],
    }
    assert set(frame["case:service_item"]) == {exported.item}
    assert set(frame["org:resource"]) == {"window1"} and set(frame["org:group"]) == {"window"}
    assert set(frame["lifecycle:transition"]) == {"complete"}
    moments = frame["time:timestamp"]
    assert str(moments.dt.tz) == "UTC"
    assert moments.between(exported.started, exported.finished).all(), "UTC, not local time"
    assert moments.groupby(frame["case:concept:name"]).is_monotonic_increasing.all()

    dfg, starts, ends = pm4py.discover_dfg(frame)
    assert dfg == {(DECIDE, SUPPLEMENTED): 1, (SUPPLEMENTED, DECIDE): 1}
    assert starts == {DECIDE: 2} and ends == {DECIDE: 2}
    net, initial, final = pm4py.discover_petri_net_inductive(frame)
    assert {t.label for t in net.transitions if t.label} == item_steps() == {DECIDE, SUPPLEMENTED}
    replay = pm4py.fitness_token_based_replay(frame, net, initial, final)
    assert replay["perc_fit_traces"] == 100.0


def test_pm4py_reads_the_ocel_log_with_the_same_history(exported, tmp_path: Path):
    path = tmp_path / "period.ocel.json"
    path.write_bytes(exported.ocel)
    ocel = pm4py.read_ocel2_json(str(path))
    kinds = dict(zip(ocel.objects["ocel:oid"], ocel.objects["ocel:type"], strict=True))
    assert kinds == {
        exported.on_the_spot: "case",
        exported.came_back: "case",
        "department:window": "department",
        "clerk:window1": "clerk",
    }
    items = ocel.objects.set_index("ocel:oid")["service_item"]
    assert items[exported.came_back] == items[exported.on_the_spot] == exported.item
    assert sorted(ocel.events["ocel:activity"]) == sorted([DECIDE, DECIDE, DECIDE, SUPPLEMENTED])
    related = ocel.relations.groupby("ocel:eid")
    assert related["ocel:type"].apply(sorted).map(tuple).unique().tolist() == [
        ("case", "clerk", "department")
    ]
    assert set(ocel.relations["ocel:qualifier"]) == {"case", "department", "resource"}

    flat = pm4py.ocel_flattening(ocel, "case")
    assert traces(flat) == {
        exported.on_the_spot: [DECIDE],
        exported.came_back: [DECIDE, SUPPLEMENTED, DECIDE],
    }
    assert pm4py.discover_dfg(flat)[0] == {(DECIDE, SUPPLEMENTED): 1, (SUPPLEMENTED, DECIDE): 1}
    assert json.loads(exported.ocel)["eventTypes"] == [
        {"name": name, "attributes": []} for name in sorted(item_steps())
    ]


def test_only_the_center_exports_event_logs(api):
    day = today().isoformat()
    for username in ("window1", "amr_chief", "monitor1"):
        response = api(username).get(f"/event-log.xes?from={day}&to={day}")
        assert response.status_code == 403
    assert api("admin").get("/event-log.ocel.json?from=x&to=y").status_code == 400
