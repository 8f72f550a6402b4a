"""The printed table and ``bench/results/latest.json``."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .settings import (
    AGE_ROUNDS,
    CLIENT_COUNTS,
    FLOOR_PATH,
    READ_SAMPLES,
    REPEATS,
    RESULTS,
    SERVERS,
    TARGETS,
)

BACKENDS = ("sqlite", "postgresql")
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
BUSY_PRESSURE = 10.0  # percent, /proc/pressure/cpu "some avg60"
Row = tuple[str, list[str], str]
Getter = Callable[[dict[str, Any]], Any]


def write_json(results: dict[str, Any], folder: Path = RESULTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "latest.json"
    results["meta"]["json"] = str(path)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * (width - _width(text))
    return gap + text if right else text + gap


def dig(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "KB":
        return f"{value / 1024:,.1f} KB"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "share":
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{' ' + unit if unit else ''}"
    return f"{value:,}{' ' + unit if unit else ''}"


def _verdict(value: Any, limit: float, at_most: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " met" if (value <= limit if at_most else value >= limit) else " MISSED"


class Table:
    """Rows of one figure per backend, with an optional target column."""

    def __init__(self, backends: dict[str, dict[str, Any]]):
        self.backends = backends
        self.lines: list[Row | str] = []

    def section(self, title: str) -> None:
        self.lines.append(title)

    def row(self, label: str, path: str, unit: str = "", target: str = "", digits: int = 1):
        cells = [_fmt(dig(self.backends[b], path), unit, digits) for b in BACKENDS]
        self.lines.append((label, cells, target))

    def render(self) -> str:
        rows = [line for line in self.lines if isinstance(line, tuple)]
        label_w = max(_width(r[0]) for r in rows)
        cell_w = max([_width(c) for r in rows for c in r[1]] + [10])
        header = ("", [TITLES[b] for b in BACKENDS], "target")
        out = []
        for line in [header, *self.lines]:
            if isinstance(line, str):
                out.append(f"\n{line}")
                continue
            label, cells, target = line
            rendered = "  ".join(_pad(c, cell_w, right=True) for c in cells)
            out.append(f"  {_pad(label, label_w)}  {rendered}  {target}".rstrip())
        return "\n".join(out)


def _http_rows(table: Table, raw: dict[str, Any]) -> None:
    p50 = TARGETS["complete_p50_ms"]
    pg_tp = TARGETS["throughput_4_clients_pg_per_s"]
    scrypt = f"scrypt alone {_fmt(raw.get('hash_password_ms'), 'ms')}"
    raw_p50 = f"raw p50 {_fmt(raw['step']['p50_ms'], 'ms', 2)}"
    table.section(
        f"HTTP against {SERVERS} × `onewindow serve --workers 1`, each request to the next "
        f"server (client wall time, keep-alive); the median of {REPEATS} runs, and min / median"
    )
    table.row("start a case  POST /cases  p50", "start_case.p50_ms", "ms", scrypt)
    table.row("  p50: min of the runs", "start_case.p50_ms_min", "ms")
    table.row("  p95", "start_case.p95_ms", "ms")
    table.row("  server CPU per start", "start_case.server_cpu_ms", "ms")
    table.row(
        "complete a task  POST /tasks/{id}/complete  p50", "complete.p50_ms", "ms", f"≤ {p50:g} ms"
    )
    table.row("  p50: min of the runs", "complete.p50_ms_min", "ms")
    table.row("  p50: median of the runs", "complete.p50_ms_median", "ms")
    table.row("  p95", "complete.p95_ms", "ms")
    _cpu_rows(table, "complete", "completion")
    table.row(MISSES, "complete.cache_miss_share", "share")
    table.row("  reply size", "complete.response_bytes", "KB")
    table.row("  HTTP p50 / raw SpiffWorkflow p50", "complete.ratio_to_raw", "×", raw_p50)
    for clients in CLIENT_COUNTS:
        target = f"≥ {pg_tp:g}/s on PostgreSQL" if clients == max(CLIENT_COUNTS) else ""
        path = f"throughput.{clients}"
        table.row(
            f"throughput, {clients} client(s)  completions/s", f"{path}.per_second", "/s", target
        )
        table.row("  min of the runs", f"{path}.per_second_min", "/s")
        table.row("  median of the runs", f"{path}.per_second_median", "/s")
        table.row("  latency p50 under that load", f"{path}.latency.p50_ms", "ms")
        table.row("  latency p95 under that load", f"{path}.latency.p95_ms", "ms")
        _cpu_rows(table, path, "completion")
        table.row(MISSES, f"{path}.cache_miss_share", "share")
        table.row("  errors", f"{path}.errors")


MISSES = "  on another server than the case's step before (cache miss)"


def _cpu_rows(table: Table, path: str, per: str) -> None:
    """Where the CPU of a request goes: the server's worker, PostgreSQL, the bench client."""
    table.row(f"  server CPU per {per}", f"{path}.server_cpu_ms", "ms")
    table.row(f"  PostgreSQL CPU per {per}", f"{path}.postgres_cpu_ms", "ms", digits=2)
    table.row(f"  client CPU per {per} (the bench's own)", f"{path}.client_cpu_ms", "ms", digits=2)


def _floor_rows(table: Table, raw: dict[str, Any]) -> None:
    most = max(CLIENT_COUNTS)
    table.section(
        f"The floor: the cheapest authenticated request (GET /api/v1{FLOOR_PATH}: a token "
        "lookup, no writes), measured the same way"
    )
    table.row(f"GET {FLOOR_PATH}  p50, 1 client", "floor.p50_ms", "ms", digits=2)
    table.row("  p50: min of the runs", "floor.p50_ms_min", "ms", digits=2)
    table.row("  p50: median of the runs", "floor.p50_ms_median", "ms", digits=2)
    table.row("  p95", "floor.p95_ms", "ms", digits=2)
    _cpu_rows(table, "floor", "request")
    raw_p50 = f"raw p50 {_fmt(raw['step']['p50_ms'], 'ms', 2)}"
    table.row(f"  GET {FLOOR_PATH} p50 / raw SpiffWorkflow p50", "floor.ratio_to_raw", "×", raw_p50)
    path = "floor.throughput"
    table.row(f"throughput, {most} clients  requests/s", f"{path}.per_second", "/s")
    table.row("  min of the runs", f"{path}.per_second_min", "/s")
    table.row("  median of the runs", f"{path}.per_second_median", "/s")
    table.row("  latency p50 under that load", f"{path}.latency.p50_ms", "ms", digits=2)
    table.row("  latency p95 under that load", f"{path}.latency.p95_ms", "ms", digits=2)
    _cpu_rows(table, path, "request")
    table.row("  errors", f"{path}.errors")


AGED_ROWS: list[tuple[str, str, str, int]] = [
    ("tree depth (history pruned past 160; the engine stops at 900)", "depth", "", 0),
    ("stored state: task payloads + case.workflow", "state.total_bytes", "KB", 0),
    ("workflow_task rows", "state.task_rows", "", 0),
    ("load_run (restore) p50", "load_ms", "ms", 2),
    ("CaseRun.complete p50", "complete_ms", "ms", 2),
    ("save: CaseRun.changes() p50", "changes_ms", "ms", 2),
    ("save: DB writes of save_run p50", "writes_ms", "ms", 2),
    ("save total (changes + writes) p50", "save_ms", "ms", 2),
    ("save total, CPU time of the thread p50", "save_cpu_ms", "ms", 2),
    ("task rows upserted per save", "rows_written", "", 0),
    ("bytes upserted per save", "bytes_written", "B", 0),
    ("tasks.complete + commit, in process p50", "service_complete_ms", "ms", 2),
    ("SQL statements per completion", "statements", "", 0),
    ("HTTP completion on this case p50", "http_complete.p50_ms", "ms", 1),
    ("  server CPU per HTTP completion", "http_complete.server_cpu_ms", "ms", 1),
    ("  HTTP reply size", "http_complete.response_bytes", "KB", 0),
]
RATIO_ROWS = [
    ("save cost (changes + writes)", "save_ratio"),
    ("  save cost, CPU time", "save_cpu_ratio"),
    ("  changes()", "changes_ratio"),
    ("  load_run", "load_ratio"),
    ("  stored state", "state_ratio"),
    ("  HTTP completion", "http_ratio"),
]


def _aging_rows(table: Table) -> None:
    first, last = AGE_ROUNDS[0], AGE_ROUNDS[-1]
    limit = TARGETS["aged_http_ratio"]
    table.section(f"One case round the 补正 loop, after {first} and {last} rounds (in process)")
    for rounds in AGE_ROUNDS:
        for label, key, unit, digits in AGED_ROWS:
            path = f"aging.points.{rounds}.{key}"
            table.row(f"[{rounds:>3}] {label}", path, unit, digits=digits)
    for label, key in RATIO_ROWS:
        target = f"≤ {limit:g}×" if key == "http_ratio" else ""
        table.row(f"ratio {last}/{first}: {label}", f"aging.{key}", "×", target)


def _raw_lines(raw: dict[str, Any]) -> list[str]:
    step, sandbox = raw["step"], raw["step_sandbox"]
    lines = [
        "\nRaw SpiffWorkflow, no DB, no HTTP: deserialize_json → complete the user task → "
        "do_engine_steps → serialize_json",
        f"  the HTTP latency workload ({step['n']} steps), library script engine:  "
        f"p50 {step['p50_ms']:.2f} ms  p95 {step['p95_ms']:.2f} ms",
        f"  the same with OneWindow's sandbox script engine:         "
        f"p50 {sandbox['p50_ms']:.2f} ms  p95 {sandbox['p95_ms']:.2f} ms",
    ]
    for rounds, aged in raw["aged"].items():
        if "stalled" in aged:
            lines.append(
                f"  after {rounds:>3} rounds: the library alone stalls before ({aged['stalled']}: "
                "its task lookups stop at depth 1000; OneWindow prunes finished history)"
            )
            continue
        lines.append(
            f"  after {rounds:>3} rounds: JSON {aged['json_bytes'] / 1024:,.1f} KB, step p50 "
            f"{aged['step']['p50_ms']:.2f} ms (restore {aged['restore_ms']:.2f} + complete "
            f"{aged['complete_ms']:.2f} + serialize {aged['serialize_ms']:.2f})"
        )
    return lines


READS = [  # key, what, the target it answers to
    ("inbox", "inbox of window1 (mine)", "inbox_p95_ms"),
    ("inbox_department", "inbox of amr1 (department)", "inbox_p95_ms"),
    ("search_number", "case search by number", "search_number_p50_ms"),
    ("search_number_prefix", "case search by a number's start (its day)", "search_number_p50_ms"),
    ("search_name", "case search by applicant", "search_number_p50_ms"),
    ("light_red", "GET /cases?light=red (window1)", "light_red_p50_ms"),
    ("light_yellow_all", "GET /cases?light=yellow (admin: every case)", "light_red_p50_ms"),
    ("stats", "per-model stats (enterprise_startup)", "stats_p50_ms"),
    ("scorecard_year_department", "绩效考核: a year by department", "scorecard_p50_ms"),
    ("scorecard_month_clerk", "绩效考核: 30 days by clerk", "scorecard_p50_ms"),
    ("scorecard_drill_late", "绩效考核 drill-down: amr's late cases", "light_red_p50_ms"),
    ("dashboard_ranking", "dashboard: this month's ranking", "dashboard_p50_ms"),
    ("dashboard_trend", "dashboard: twelve months' trend", "dashboard_p50_ms"),
    ("dashboard_lights", "dashboard: open cases by light", "dashboard_p50_ms"),
]


def _read_lines(pg: dict[str, Any]) -> list[str]:
    found = pg.get("reads")
    if not found:
        return []
    data = pg.get("dataset", {})
    lines = [
        f"\nReads over {data.get('cases', 0):,} generated cases on PostgreSQL "
        f"(rows {data.get('rows', {})}, generated in {data.get('total_s')} s), over HTTP, "
        f"{REPEATS} × {READ_SAMPLES} each: p50 and p95, min / median of the runs"
    ]
    for key, label, _target in READS:
        read = found[key]
        p50, p95 = read["p50_ms"], read["p95_ms"]
        lines.append(
            f"  {label:<44} p50 {p50['min']:8.1f} / {p50['median']:8.1f} ms"
            f"   p95 {p95['min']:8.1f} / {p95['median']:8.1f} ms   {read['path']}"
        )
    among = pg.get("county_completions")
    if among:
        for key, label in (("start_case", "start a case"), ("complete", "complete a task")):
            figures = among[key]
            lines.append(
                f"  {label + ' among them (1 client)':<44} p50 {figures['p50_ms']:8.1f} ms"
                f"            p95 {figures['p95_ms']:8.1f} ms   "
                f"server CPU {_fmt(figures.get('server_cpu_ms'), 'ms')}"
            )
    rss = found["worker_peak_rss_kb"]
    lines.append(
        f"  workers' peak memory (VmHWM): {rss['before'] / 1024:,.0f} MB before the reads, "
        f"{rss['after'] / 1024:,.0f} MB after"
    )
    return lines


def _explain_lines(pg: dict[str, Any]) -> list[str]:
    found = pg.get("reads")
    if not found:
        return []
    lines = ["\nEXPLAIN (ANALYZE, BUFFERS) of every SELECT on cases or tasks behind each read"]
    for key, label, _target in READS:
        for number, shown in enumerate(found[key]["explain"], start=1):
            lines.append(f"\n-- {label}, statement {number}:\n{shown['sql']}\n{shown['plan']}")
    return lines


def _target(label: str, value: Any, limit: float, at_most: bool, unit: str) -> str:
    bound = "≤" if at_most else "≥"
    figure = _fmt(value, unit.strip())
    return f"  {label:<64} {bound} {limit:g}{unit}: {figure}{_verdict(value, limit, at_most)}"


def _fact(label: str, text: str) -> str:
    return f"    {label:<62} {text}"


def _floor_facts(pg: dict[str, Any], path: str, cores: int) -> list[str]:
    """Beside a completion target, what the cheapest request of the API does on the same
    stack and machine: the part of the target no completion can get below."""
    most = max(CLIENT_COUNTS)
    me = f"GET {FLOOR_PATH}"
    if path == "complete.p50_ms":
        p50 = _fmt(dig(pg, "floor.p50_ms"), "ms", 2)
        return [_fact(f"a completion cannot beat: {me} p50, 1 client", p50)]
    if path == f"throughput.{most}.per_second":
        return [
            _fact(
                f"a completion cannot beat: {me} with {most} clients",
                _fmt(dig(pg, "floor.throughput.per_second"), "/s"),
            ),
            _fact(
                f"CPU per completion, {most} clients: server + PostgreSQL + client",
                _cpu_split(dig(pg, path.rsplit(".", 1)[0]), cores),
            ),
            _fact(f"the same for {me}", _cpu_split(dig(pg, "floor.throughput"), cores)),
        ]
    if path == "complete.ratio_to_raw":
        return [
            _fact(
                f"{me} p50 ÷ raw SpiffWorkflow step p50", _fmt(dig(pg, "floor.ratio_to_raw"), "×")
            )
        ]
    return []


def _cpu_split(run: dict[str, Any] | None, cores: int) -> str:
    """``a + b + c = d ms``, and the requests per second the machine's cores could serve at
    that cost, were nothing else running."""
    parts = [dig(run or {}, f"{who}_cpu_ms") for who in ("server", "postgres", "client")]
    if any(part is None for part in parts):
        return "—"
    total = sum(parts)
    return (
        f"{parts[0]:.2f} + {parts[1]:.2f} + {parts[2]:.2f} = {total:.2f} ms "
        f"({cores} cores ÷ that: {cores * 1000 / total:,.0f}/s)"
    )


def _target_lines(backends: dict[str, dict[str, Any]], cores: int) -> list[str]:
    pg = backends.get("postgresql", {})
    most = max(CLIENT_COUNTS)
    lines = ["\nIssue 16's targets, each beside its figure (PostgreSQL; reported, not asserted)"]
    rows = [
        ("HTTP completion p50, 1 client", "complete.p50_ms", "complete_p50_ms", True, " ms"),
        (
            f"completions/s, {SERVERS} workers, {most} clients",
            f"throughput.{most}.per_second",
            "throughput_4_clients_pg_per_s",
            False,
            "/s",
        ),
        (
            "HTTP p50 ÷ raw SpiffWorkflow step p50",
            "complete.ratio_to_raw",
            "http_over_raw",
            True,
            "×",
        ),
        (
            f"completion after {AGE_ROUNDS[-1]} rounds ÷ after {AGE_ROUNDS[0]}, other server",
            "aging.http_ratio",
            "aged_http_ratio",
            True,
            "×",
        ),
    ]
    for label, path, target, at_most, unit in rows:
        lines.append(_target(label, dig(pg, path), TARGETS[target], at_most, unit))
        lines.extend(_floor_facts(pg, path, cores))
    depth = dig(pg, f"aging.points.{AGE_ROUNDS[-1]}.depth")
    lines.append(
        f"  {'rework rounds before a case can never advance':<64} unbounded: tree depth "
        f"{_fmt(depth)} after {AGE_ROUNDS[-1]} rounds, flat once pruned (1,000 rounds in "
        "tests/engine/test_runtime.py)"
    )
    reads = pg.get("reads", {})
    cases = f"{pg.get('dataset', {}).get('cases', 0):,} cases"
    for key, label, target in READS:
        figure = "p95_ms" if target.endswith("p95_ms") else "p50_ms"
        value = dig(reads, f"{key}.{figure}.median")
        label = f"{label} at {cases}, {figure[:3]}"
        lines.append(_target(label, value, TARGETS[target], True, " ms"))
    rss = reads.get("worker_peak_rss_kb")
    if rss:
        grown = rss["after"] / max(rss["before"], 1)
        lines.append(
            f"  {'bounded memory: workers peak after the reads ÷ before':<64} {grown:.2f}×"
        )
    for name in BACKENDS:
        value = dig(backends.get(name, {}), f"aging.points.{AGE_ROUNDS[-1]}.statements")
        label = f"SQL statements per completion (in process) on {TITLES[name]}"
        lines.append(f"  {label:<64} {_fmt(value)}")
    return lines


def render(results: dict[str, Any]) -> str:
    meta, raw = results["meta"], results["raw"]
    backends = {b: results["backends"].get(b, {}) for b in BACKENDS}
    table = Table(backends)
    _http_rows(table, raw)
    _floor_rows(table, raw)
    _aging_rows(table)
    head = [
        f"OneWindow benchmark — {meta['started_at']} — {meta['cpus']} CPUs, "
        f"load avg {meta['load_before']:.2f} before / {meta['load_after']:.2f} after, "
        f"Python {meta['python']}, SpiffWorkflow {meta['spiffworkflow']}",
        f"Model {meta['model']}: step = {meta['step']}",
        f"Servers: {meta['servers']} × onewindow serve --workers 1 (gunicorn, 4 threads, the "
        "timer scheduler in each), subprocesses on 127.0.0.1; clients and servers share the "
        "machine",
    ]
    pressure = [meta.get("cpu_pressure_before"), meta.get("cpu_pressure_after")]
    if any(p is not None and p >= BUSY_PRESSURE for p in pressure):
        head.append(
            f"WARNING: the machine was busy (CPU pressure {pressure[0]}% / {pressure[1]}% of the "
            "last minute spent waiting for a CPU): wall times are inflated; compare server CPU."
        )
    for name in BACKENDS:
        note = backends[name].get("skipped") or backends[name].get("failed")
        if note:
            head.append(f"{TITLES[name]}: not measured — {note}")
    pg = backends["postgresql"]
    tail = [
        *_raw_lines(raw),
        *_read_lines(pg),
        *_target_lines(backends, meta["cpus"] or 1),
        *_explain_lines(pg),
    ]
    tail.append(f"\nRun took {meta['seconds']:.0f} s; figures in {meta['json']}")
    return "\n".join([*head, table.render(), *tail])
