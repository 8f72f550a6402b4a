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

# The model and its repeatable step: 即办件 decided "supplement" → 补正材料 → decided again.
SOURCE_MODEL = "individual_business"
MODEL = "bench_rework"  # SOURCE_MODEL without its supplement timeout (bench/workload.py)
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

# Sample sizes: the whole run stays within about three minutes.
START_SAMPLES = 12
LATENCY_CASES = 10
LATENCY_ROUNDS = 5  # each round is two completions
THROUGHPUT_SECONDS = 4.0
THROUGHPUT_CASES_PER_CLIENT = 4
THROUGHPUT_MAX_PER_CLIENT = 1500
CLIENT_COUNTS = (1, 4)
AGE_ROUNDS = (10, 200)
SAVE_SAMPLES = 15
AGED_HTTP_ROUNDS = 3

TARGETS = {
    "complete_p50_ms": 10.0,
    "throughput_4_clients_pg_per_s": 200.0,
    "save_ratio_200_over_10": 2.0,
}
