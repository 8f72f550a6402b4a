"""Event-log export (过程挖掘): XES (IEEE 1849) read back, and a directly-follows graph
discovered from it, and OCEL 2.0 JSON; only the center exports.

pm4py (the usual reader) pulls in pandas, numpy, scipy, networkx and more — too heavy for this
suite — so the XES is read back here by a small lxml reader that follows the standard."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise

from lxml import etree

from engine.uow import UnitOfWork
from engine.workdays import today

from ..engine.helpers import complete, item_code, start
from ..engine.test_cases import INSTANT_OK, RECEIVED, SUPPLEMENT

XES = "{http://www.xes-standard.org/}"


def read_xes(data: bytes) -> dict[str, list[dict[str, str]]]:
    """Traces by ``concept:name``, each a list of events as {key: value}."""
    root = etree.fromstring(data)
    assert root.tag == f"{XES}log" and root.get("xes.version")
    prefixes = {e.get("prefix") for e in root.iter(f"{XES}extension")}
    assert {"concept", "time", "lifecycle", "org"} <= prefixes
    traces = {}
    for trace in root.iter(f"{XES}trace"):
        name = next(a.get("value") for a in trace if a.get("key") == "concept:name")
        traces[name] = [
            {a.get("key"): a.get("value") for a in event} for event in trace.iter(f"{XES}event")
        ]
    return traces


def directly_follows(traces: dict[str, list[dict[str, str]]]) -> Counter:
    """The directly-follows graph, the first step of most discovery algorithms."""
    graph: Counter = Counter()
    for events in traces.values():
        names = [e["concept:name"] for e in events]
        graph.update(pairwise(names))
    return graph


def instant_case_with_a_supplement(sessions) -> tuple[str, str]:
    make_uow = lambda: UnitOfWork(sessions)  # noqa: E731
    case_no = start(make_uow, "个体工商户设立登记")
    complete(make_uow, "window1", case_no, "受理并当场办结", SUPPLEMENT)
    complete(make_uow, "window1", case_no, "补正材料", RECEIVED)
    complete(make_uow, "window1", case_no, "受理并当场办结", INSTANT_OK)
    with make_uow() as uow:
        return case_no, item_code(uow, "个体工商户设立登记")


def test_the_xes_log_reads_back_and_discovers_the_steps(api, sessions):
    case_no, item = instant_case_with_a_supplement(sessions)
    day = today().isoformat()
    response = api("office1").get(f"/event-log.xes?from={day}&to={day}&service_item={item}")
    assert response.status_code == 200
    traces = read_xes(response.data)
    events = traces[case_no]
    assert [e["concept:name"] for e in events] == ["受理并当场办结", "补正材料", "受理并当场办结"]
    assert {e["org:resource"] for e in events} == {"window1"}
    assert all(e["lifecycle:transition"] == "complete" and e["time:timestamp"] for e in events)
    graph = directly_follows(traces)
    assert graph[("受理并当场办结", "补正材料")] >= 1 and graph[("补正材料", "受理并当场办结")] >= 1


def test_the_ocel_log_relates_each_step_to_its_case_department_and_clerk(api, sessions):
    case_no, item = instant_case_with_a_supplement(sessions)
    day = today().isoformat()
    response = api("admin").get(f"/event-log.ocel.json?from={day}&to={day}&service_item={item}")
    assert response.status_code == 200
    log = json.loads(response.data)
    assert {t["name"] for t in log["objectTypes"]} == {"case", "department", "clerk"}
    assert {"受理并当场办结", "补正材料"} <= {t["name"] for t in log["eventTypes"]}
    ours = [
        e for e in log["events"] if {"objectId": case_no, "qualifier": "case"} in e["relationships"]
    ]
    assert [e["type"] for e in ours] == ["受理并当场办结", "补正材料", "受理并当场办结"]
    ids = {o["id"] for o in log["objects"]}
    assert {case_no, "clerk:window1"} <= ids
    assert all(r["objectId"] in ids for e in log["events"] for r in e["relationships"])


def test_only_the_center_exports_event_logs(api):
    day = today().isoformat()
    for username in ("window1", "amr_chief", "monitor1"):
        response = api(username).get(f"/event-log.xes?from={day}&to={day}")
        assert response.status_code == 403
    assert api("admin").get("/event-log.ocel.json?from=x&to=y").status_code == 400
