"""The benchmark script runs at tiny sizes and reports in its JSON shape; speed itself is never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from numbers import Real

import pytest
from support import ROOT

TARGETS = {"load", "save", "import", "rerun", "browser", "pg_load", "pg_save", "pg_writers", "pg_refresh"}


@pytest.mark.slow
def test_the_quick_benchmark_reports_a_ratio_or_null_for_every_target(tmp_path):
    env = {**os.environ, "BENCH_CACHE": str(tmp_path / "cache"), "BENCH_RESULTS": str(tmp_path / "results")}
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = json.loads(done.stdout)
    assert {"ratios", "seconds", "targets"} <= set(report)
    assert set(report["ratios"]) == set(report["seconds"]) == set(report["targets"]) == TARGETS
    for name in TARGETS:
        ratio, seconds = report["ratios"][name], report["seconds"][name]
        assert isinstance(report["targets"][name], Real)
        if ratio is None:
            assert seconds is None
            assert report["reasons"][name], f"{name} is null without a reason"
            continue
        assert isinstance(ratio, Real) and ratio > 0
        assert seconds, f"{name} has a ratio but no times"
        for case in seconds.values():
            assert set(case) == {"measured", "baseline"}
            assert all(isinstance(v, Real) and v > 0 for v in case.values())
    assert list(tmp_path.joinpath("results").glob("*-quick.json")), "the run was not kept"
