"""What the benchmark measures with, and the targets it reports against."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get(
    "ONEWINDOW_BENCH_PG",
    os.environ.get("ONEWINDOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
PASSWORD = "onewindow-demo"
CLERKS = ("window1", "window2")
WORKERS = os.cpu_count() or 1

# The demo's 即办件 model with its 30-day 补正 timer, and its repeatable step: decided
# "supplement" → 补正材料 (the timer starts) → decided again (the timer goes).
MODEL = "individual_business"
DECIDE = "instant_decide"
SUPPLEMENT = "supplement"
STEP_DATA: dict[str, dict[str, Any]] = {
    DECIDE: {
        "decision": "supplement",
        "materials_checked": True,
        "reason": "经营场所使用证明缺失，请一次性补正",
        "missing_materials": ["经营场所使用证明"],
    },
    SUPPLEMENT: {"received_materials": ["经营场所使用证明"], "received_via": "窗口递交"},
}
TASK_NAMES = {"受理并当场办结": DECIDE, "补正材料": SUPPLEMENT}
APPLICANT = {
    "kind": "person",
    "name": "张三",
    "id_type": "居民身份证",
    "id_number": "330102199001011234",
    "phone": "13812345678",
}

# Sample sizes: the default run takes two to three minutes on a 2-core machine.
SERVERS = 2  # `onewindow serve --workers 1` each, behind the clients' round robin
REPEATS = 3  # every HTTP figure is measured this often: min and median are reported
START_SAMPLES = 12
LATENCY_CASES = 10
LATENCY_ROUNDS = 5  # each round is two completions
THROUGHPUT_SECONDS = 4.0
THROUGHPUT_CASES_PER_CLIENT = 4
THROUGHPUT_MAX_PER_CLIENT = 1500
CLIENT_COUNTS = (1, 4)
# The floor: the cheapest authenticated request (a token lookup, no writes), the same way
FLOOR_PATH = "/me"
FLOOR_SAMPLES = 100
AGE_ROUNDS = (10, 200)
SAVE_SAMPLES = 15
AGED_HTTP_ROUNDS = 3
# Generated cases for the reads on PostgreSQL (bench/dataset.py); `--cases 1000000` for the
# issue's scale (`make bench-million`).
DATASET_CASES = int(os.environ.get("ONEWINDOW_BENCH_CASES", "20000"))
READ_SAMPLES = 20

# The targets of issue 16, each printed beside its figure.
TARGETS = {
    "complete_p50_ms": 5.0,
    "throughput_4_clients_pg_per_s": 300.0,
    "http_over_raw": 5.0,
    "aged_http_ratio": 2.0,
    "inbox_p95_ms": 20.0,
    "search_number_p50_ms": 50.0,
    "light_red_p50_ms": 300.0,
    "stats_p50_ms": 300.0,
    # issue 13: a year's scorecard ≤ 1 s, every dashboard call ≤ 300 ms
    "scorecard_p50_ms": 1000.0,
    "dashboard_p50_ms": 300.0,
}
