"""Check the harness's parsing and printing (no server, no timing): pytest bench/test_harness.py."""

import harness
import pytest

WRK_OUTPUT = """\
Running 5s test @ http://127.0.0.1:40123/bench/baseline/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.07ms   10.12ms 136.53ms   80.00%
    Req/Sec   290.00     40.00   350.00     70.00%
  Latency Distribution
     50%  850.00us
     75%   27.04ms
     90%   46.02ms
     99%    1.37s
  1449 requests in 5.01s, 300.00KB read
  Socket errors: connect 1, read 7, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:    288.63
Transfer/sec:     59.88KB
"""


def test_parse_wrk_reads_rate_percentiles_and_errors():
    result = harness.parse_wrk(WRK_OUTPUT)
    assert result.rps == 288.63
    assert result.p50_ms == pytest.approx(0.85)
    assert result.p90_ms == pytest.approx(46.02)
    assert result.p99_ms == pytest.approx(1370.0)
    assert result.requests == 1449
    assert result.http_errors == 3
    assert result.socket_errors == {"connect": 1, "read": 7, "write": 0, "timeout": 2}
    assert result.failed == 6  # read errors are connection closes, not failures


def test_parse_wrk_rejects_output_without_latency_distribution():
    with pytest.raises(ValueError, match="could not parse"):
        harness.parse_wrk("Requests/sec: 10.0\n  10 requests in 1.00s, 1KB read\n")


def test_request_script_quotes_body_as_lua_long_string():
    script = harness.request_script("POST", 'a "]]" b', {"Content-Type": "application/json"})
    assert "wrk.method = [[POST]]" in script
    assert 'wrk.body = [=[a "]]" b]=]' in script
    assert "wrk.headers[ [[Content-Type]] ] = [[application/json]]" in script


def test_emit_prints_name_value_unit(capsys):
    harness.emit("baseline_insert_rps", 812.34, "req/s")
    harness.emit("top_page_vs_baseline", 0.8512, "ratio", digits=2)
    harness.emit("database", "postgresql")
    assert capsys.readouterr().out.splitlines() == [
        "baseline_insert_rps: 812.3 req/s",
        "top_page_vs_baseline: 0.85 ratio",
        "database: postgresql",
    ]


def test_rounds_print_medians_and_per_round_ratios(capsys):
    server = harness.Server("http://x", {}, "sqlite", "3", 3, "sync", 1, harness.REPO)
    ctx = harness.BenchContext(server=server)
    for baseline_rps, page_rps in [(100.0, 50.0), (200.0, 120.0), (300.0, 90.0)]:
        ctx.report("baseline_insert", harness.WrkResult(baseline_rps, 1, 2, 3, 10))
        page = harness.WrkResult(page_rps, 1, 2, 3, 10, http_errors=1)
        ctx.report("page", page)
        ctx.ratio("page_vs_baseline", page)
    ctx.flush()
    lines = capsys.readouterr().out.splitlines()
    assert "baseline_insert_rps: 200.0 req/s" in lines
    assert "page_rps: 90.0 req/s" in lines
    assert "page_vs_baseline: 0.50 ratio" in lines  # median of 0.5, 0.6, 0.3
    assert "page_failed: 3 requests" in lines  # failures add up over the rounds
    assert ctx.failures == ["page", "page", "page"]
