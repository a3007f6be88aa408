"""benchmarks/cputime.py: the CPU time `make load` attributes to each group of processes."""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks.cputime import CpuUse, cpu_seconds, measure_cpu

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass"


def burner(seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BURN.format(seconds=seconds)])


def wait_unreaped(process: subprocess.Popen) -> None:
    """Wait for the process to end but leave it a zombie, whose /proc entry keeps its times."""
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)


def test_a_busy_process_is_charged_to_its_group_and_an_idle_one_is_not():
    busy = burner(0.4)
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    try:
        with measure_cpu(lambda: {"busy": [busy.pid], "idle": [idle.pid]}) as use:
            wait_unreaped(busy)
        assert 0.3 <= use.seconds["busy"] <= 1.0
        assert use.seconds["idle"] < 0.1
    finally:
        for process in (busy, idle):
            process.kill()
            process.wait()


def test_children_that_end_inside_the_block_count_as_the_load_generator():
    with measure_cpu(lambda: {}) as use:
        subprocess.run([sys.executable, "-c", BURN.format(seconds=0.3)], check=True, timeout=30)
    assert 0.25 <= use.seconds["load generator"] <= 1.0


def test_a_process_that_is_gone_by_the_end_is_left_out_never_subtracted():
    gone = burner(0.2)
    wait_unreaped(gone)
    assert cpu_seconds(gone.pid) >= 0.15
    with measure_cpu(lambda: {"gone": [gone.pid]}) as use:
        gone.wait(timeout=30)  # reaped: its /proc entry is gone
    assert cpu_seconds(gone.pid) == 0.0
    assert use.seconds["gone"] == 0.0


def test_per_request_divides_every_group_by_the_requests():
    assert CpuUse({"app": 2.0, "Caddy": 0.5}).per_request_ms(1000) == {"app": 2.0, "Caddy": 0.5}
