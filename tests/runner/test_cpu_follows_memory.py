"""CPU follows memory, as on Lambda: 1,769 MB is one full vCPU, 128 MB about 7% of one.

Measured with the REPORT's Duration (our clock, from outside) of a fixed amount of CPU-bound
work. Where the runner has no cgroup (watchdog mode) there is no quota to measure; CI runs as
root with one.
"""

from __future__ import annotations

import os

import pytest

from course.runner import cgroups, launcher, sandbox

pytestmark = pytest.mark.sandbox

SPIN = (
    "import os\n"
    "def spin(n):\n"
    "    while n:\n"
    "        n -= 1\n"
    "def lambda_handler(event, context):\n"
    "    workers = event['processes']\n"
    "    pids = [os.fork() for _ in range(workers - 1)]\n"
    "    if 0 in pids:\n"
    "        spin(event['n'])\n"
    "        os._exit(0)\n"
    "    spin(event['n'])\n"
    "    for pid in pids:\n"
    "        os.waitpid(pid, 0)\n"
    "    return workers\n"
)


@pytest.fixture
def quota(limits):
    if cgroups.cpu_group() is None:
        assert os.environ.get("CI") != "true", "CI=true but no cpu cgroup for the sandboxes"
        pytest.skip("no cpu cgroup here (watchdog mode): functions get whatever CPU is spare")


def duration(run, memory, n, processes=1):
    # The previous run's teardown and the next spare launcher are background work: finished
    # first, so that they cannot take CPU from a run whose speed is the quota's alone.
    sandbox.settle()
    launcher.settle()
    inv = run(SPIN, event={"n": n, "processes": processes}, memory=memory, timeout=10)
    assert inv.status == "succeeded", inv.logs
    return inv.report["duration_ms"]


def test_128_mb_runs_about_14_times_slower_than_1769_mb(run, quota):
    n = 1_500_000  # ~60 ms of one CPU here
    full = min(duration(run, 1769, n) for _ in range(3))
    # Background load only ever slows a run down: the fastest of a few is the quota's own figure.
    small = min(duration(run, 128, n) for _ in range(2))
    ratio = small / full
    expected = 1769 / 128
    assert expected * 0.7 <= ratio <= expected * 1.3, (small, full, ratio)


@pytest.mark.bench  # needs two idle CPUs, which a busy machine cannot promise: `make bench`
def test_above_1769_mb_only_parallel_code_gains(run, quota):
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs")
    n = 1_500_000
    one_cpu_serial = min(duration(run, 1769, n) for _ in range(2))
    two_cpu_serial = min(duration(run, 3538, n) for _ in range(2))
    one_cpu_parallel = min(duration(run, 1769, n, processes=2) for _ in range(2))
    two_cpu_parallel = min(duration(run, 3538, n, processes=2) for _ in range(2))
    # One process cannot use a second CPU; two processes can, so they finish about twice as
    # fast with twice the memory (and at 1,769 MB share one CPU, taking about twice as long).
    assert two_cpu_serial > one_cpu_serial * 0.7, (one_cpu_serial, two_cpu_serial)
    assert one_cpu_parallel > two_cpu_parallel * 1.3, (one_cpu_parallel, two_cpu_parallel)


def test_the_quota_is_the_documented_fraction():
    assert cgroups.cpu_quota_us(128 / 1769, cpus=2) == round(20_000 * 128 / 1769)
    assert cgroups.cpu_quota_us(1.0, cpus=2) == 20_000
    assert cgroups.cpu_quota_us(10240 / 1769, cpus=2) == 40_000  # capped at the host's CPUs
    assert cgroups.cpu_quota_us(0.001, cpus=2) == 1000  # the kernel's minimum is 1 ms
