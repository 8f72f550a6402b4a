"""The benchmark's HTTP client and its CPU meters, against real ``onewindow serve`` processes.

The client replaced ``requests`` to spend less of the shared cores; these tests hold it to the
same behaviour: the round robin, keep-alive, and a dropped connection survived once.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from bench.api_bench import floor_latency, floor_throughput, start_cases, throughput
from bench.client import ApiClient, ApiError
from bench.databases import bench_service_item
from bench.server import Farm, postgres_database_name, running_farm, works_for

KEEPALIVE_S = 2.0  # gunicorn's default: an idle connection is closed after it


@pytest.fixture(scope="module")
def farm(database_url: str, sessions) -> Iterator[Farm]:
    with running_farm(database_url, 2) as running:
        yield running


@pytest.fixture(scope="module")
def service_item(sessions) -> str:
    return bench_service_item(sessions)


@pytest.fixture
def client(farm: Farm) -> Iterator[ApiClient]:
    """window1's client of both servers, closed after the test."""
    opened = ApiClient(farm.urls, "window1")
    yield opened
    opened.close()


def test_a_case_goes_round_the_loop_on_alternate_servers_over_one_connection_each(
    client: ApiClient, service_item: str
):
    [loop], _ = start_cases(client, service_item, 1)
    servers = [loop.server]
    for _ in range(4):
        elapsed = loop.advance(client)
        servers.append(loop.server)
        assert elapsed > 0
    assert servers == [0, 1, 0, 1, 0]
    assert loop.completions == loop.misses == 4
    assert [server.opened for server in client.servers] == [1, 1]
    assert client.last_response_bytes > 0


def test_a_refused_request_is_an_api_error_with_the_status(client: ApiClient):
    with pytest.raises(ApiError, match="404"):
        client.get("/cases/NO-SUCH-CASE")
    assert client.get("/me")[0]["username"] == "window1"  # the connection still serves


def test_a_connection_broken_under_the_client_is_reopened_once(client: ApiClient):
    client.turn = 0
    client.get("/me")
    client.servers[0]._http.sock.shutdown(socket.SHUT_RDWR)
    client.turn = 0
    assert client.get("/me")[0]["username"] == "window1"
    assert client.servers[0].opened == 2


def test_a_connection_the_server_closed_when_idle_is_reopened(client: ApiClient):
    client.turn = 0
    client.get("/me")
    time.sleep(KEEPALIVE_S + 1)
    client.turn = 0
    assert client.get("/me")[0]["username"] == "window1"
    assert client.servers[0].opened == 2


def test_the_floor_and_the_throughput_report_where_the_cpu_went(
    farm: Farm, service_item: str, backend: str
):
    latency = floor_latency(farm)
    assert latency["n"] > 0 and latency["p50_ms"] > 0
    assert latency["server_cpu_ms"] > 0 and latency["client_cpu_ms"] > 0
    reads = floor_throughput(farm, clients=2, seconds=0.5, limit=20)
    assert reads["errors"] == 0 and 0 < reads["requests"] <= 40
    completions = throughput(
        farm, service_item, clients=2, seconds=0.5, cases_per_client=1, limit_per_client=4
    )
    assert completions["errors"] == 0 and completions["completions"] == 8
    assert completions["cache_miss_share"] == 1.0
    for run in (latency, reads, completions):
        if backend == "postgresql":
            assert run["postgres_cpu_ms"] is not None
        else:
            assert run["postgres_cpu_ms"] is None


def test_postgresql_processes_are_told_apart_by_their_titles():
    assert postgres_database_name("postgresql+psycopg://u@h:5432/bench_1") == "bench_1"
    assert postgres_database_name("sqlite:////tmp/x.sqlite3") is None
    mine = "postgres: 15/main: postgres bench_1 127.0.0.1(55042) idle"
    other = "postgres: 15/main: postgres other_db 127.0.0.1(55043) idle"
    assert works_for(mine, "bench_1")
    assert not works_for(other, "bench_1")
    assert works_for("postgres: 15/main: walwriter", "bench_1")
    assert works_for("postgres: checkpointer", "bench_1")
    assert works_for("/usr/lib/postgresql/15/bin/postgres -D /var/lib", "bench_1")
    assert works_for("postgres: 15/main: autovacuum worker bench_1", "bench_1")
