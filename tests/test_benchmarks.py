"""make bench still runs: every section of benchmarks.run with a few samples each (--smoke), so
that a change that breaks a benchmark fails here rather than the next time someone measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from limits import parse_many

from benchmarks import http
from benchmarks.run import SECTIONS
from screening.web.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("section", list(SECTIONS))
def test_every_benchmark_section_runs_and_prints_its_figures(section):
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke", section],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = run.stdout.splitlines()
    figures = [row for row in rows[1:] if row and not row.startswith(("Machine:", " "))]
    assert len(figures) >= 4, run.stdout
    assert any(row.endswith(" targets met.") for row in rows), run.stdout


def test_the_bench_servers_allow_every_download_a_full_run_makes():
    """wrk and urllib send every request from one address: a full run's PDFs under the default
    DOCUMENT_RATE_LIMIT got 429 and stopped make bench before it printed a figure."""
    downloads = (http.WARM_UP_REQUESTS + http.MEMORY_REQUESTS) // 3 + 1
    limit = http.ENV.get("SCREENING_DOCUMENT_RATE_LIMIT", str(DEFAULTS["DOCUMENT_RATE_LIMIT"]))
    assert all(item.amount >= downloads for item in parse_many(limit))
