"""What the cold path skips to be fast must not cost anything it promised.

Three savings, each with what it must keep:
- a run that answered with a frame returns at once and the reaper waits for the sandbox to
  empty: the sandbox is still killed, its cgroup still removed, and a full reaper means the
  caller tears down as before;
- SCHED_IDLE set from outside on pid 1 instead of exec'ing chrt: every process of the sandbox
  still has it, by either route;
- the Python bootstrap imports ``posix`` rather than ``os``: the context still reads the
  environment as Lambda's runtime does, the code's own changes included.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from course.runner import cgroups, sandbox
from course.runner.warm.pool import PoolSettings, WarmKey, WarmPool
from tests.runner.test_hostile import host_processes_mentioning

pytestmark = pytest.mark.sandbox

SCHED_IDLE = 5

DETACHED_SLEEPER = (
    "import subprocess\n"
    "def lambda_handler(e, c):\n"
    "    subprocess.Popen(['/bin/sleep', '300', e['marker']], start_new_session=True)\n"
    "    return 'spawned'\n"
)


def _groups(prefix: str) -> list[Path]:
    """This host's sandbox cgroups named ``prefix...``, in every hierarchy we use."""
    found = []
    for root in cgroups._discovered().values():
        if isinstance(root, Path) and root.is_dir():
            found += [p for p in root.iterdir() if p.is_dir() and p.name.startswith(prefix)]
    return found


def _living(marker: str) -> list[int]:
    """Pids whose command line holds ``marker`` that are not zombies (no settling first)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() not in fh.read():
                    continue
            with open(f"/proc/{entry}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            found.append(int(entry))
    return found


def test_a_run_handed_to_the_reaper_leaves_nothing_behind(run):
    assert sandbox.settle()
    marker = f"reaped-{uuid.uuid4().hex}"
    before = set(_groups("inv-"))
    inv = run(DETACHED_SLEEPER, event={"marker": marker})
    assert inv.status == "succeeded", inv.logs
    assert inv.result == "spawned"
    assert sandbox.settle(timeout_s=10.0)
    assert host_processes_mentioning(marker) == []
    assert set(_groups("inv-")) <= before


def test_with_the_reaper_full_the_caller_tears_down_itself(run, monkeypatch):
    assert sandbox.settle()
    monkeypatch.setattr(sandbox._Reaper, "_BACKLOG", 0)
    marker = f"inline-{uuid.uuid4().hex}"
    before = set(_groups("inv-"))
    inv = run(DETACHED_SLEEPER, event={"marker": marker})
    assert inv.status == "succeeded", inv.logs
    # No settling: the run itself waited until its sandbox was gone.
    assert _living(marker) == []
    assert set(_groups("inv-")) <= before


def test_the_answer_is_complete_when_the_run_returns(run):
    """Output written before the frame, INIT's apart, and Max Memory Used are all there."""
    inv = run(
        "print('at init')\n"
        "def lambda_handler(e, c):\n"
        "    print('in handler')\n"
        "    block = bytearray(40 * 1024 * 1024)\n"
        "    return len(block)\n",
        memory=256,
    )
    assert inv.status == "succeeded", inv.logs
    assert "at init" in inv.logs and "in handler" in inv.logs
    assert inv.logs.index("at init") < inv.logs.index("in handler")
    assert inv.report["max_memory_used_mb"] >= 40


def test_a_closed_warm_environment_is_gone_once_the_reaper_settles(limits, tmp_path):
    from course.runner import InvocationRequest

    pool = WarmPool(PoolSettings(), limits)
    request = InvocationRequest(
        runtime="python",
        code="def lambda_handler(e, c):\n    return 1\n",
        event={},
        memory_mb=128,
        timeout_s=3,
    )
    try:
        before = set(_groups("warm-"))
        pool.invoke(WarmKey(7, 7, 7), request)
        assert set(_groups("warm-")) - before  # alive, frozen
        inv, cold = pool.invoke(WarmKey(7, 7, 7), request, force_cold=True)
        assert cold and inv.status == "succeeded", inv.logs
    finally:
        pool.close()
    assert sandbox.settle(timeout_s=10.0)
    assert set(_groups("warm-")) <= before


@pytest.mark.parametrize("outside", [True, False], ids=["set-from-outside", "chrt"])
def test_every_process_of_the_sandbox_is_sched_idle_by_either_route(run, monkeypatch, outside):
    if outside and not sandbox._may_set_idle_outside():
        pytest.skip("this server may not set another uid's policy (no CAP_SYS_NICE)")
    monkeypatch.setattr(sandbox, "_idle_outside", outside)
    inv = run(
        "import os, subprocess\n"
        "def lambda_handler(e, c):\n"
        "    child = subprocess.run(['/usr/bin/python3', '-c',\n"
        "        'import os; print(os.sched_getscheduler(0))'], capture_output=True, text=True)\n"
        "    return [os.sched_getscheduler(0), int(child.stdout)]\n"
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.result == [SCHED_IDLE, SCHED_IDLE]


def test_the_bootstrap_leaves_os_for_the_code_to_import(run):
    inv = run(
        "import sys\n"
        "LOADED_AT_INIT = 'os' in sys.modules\n"
        "def lambda_handler(e, c):\n"
        "    return [LOADED_AT_INIT, c.function_name, c.memory_limit_in_mb]\n",
        memory=256,
    )
    assert inv.status == "succeeded", inv.logs
    loaded, name, memory = inv.result
    assert loaded is False
    assert name and memory == "256"


def test_the_context_reads_the_environment_as_the_code_left_it(limits):
    """Lambda's Python runtime builds each context from os.environ at that invocation."""
    from course.runner import InvocationRequest

    pool = WarmPool(PoolSettings(), limits)
    request = InvocationRequest(
        runtime="python",
        code=(
            "import os\n"
            "def lambda_handler(e, c):\n"
            "    seen = [c.function_name, 'PWD' in os.environ]\n"
            "    os.environ['AWS_LAMBDA_FUNCTION_NAME'] = 'renamed'\n"
            "    return seen\n"
        ),
        event={},
        memory_mb=128,
        timeout_s=3,
    )
    try:
        first, cold = pool.invoke(WarmKey(8, 8, 8), request)
        second, warm_cold = pool.invoke(WarmKey(8, 8, 8), request)
    finally:
        pool.close()
    assert cold and not warm_cold, (first.logs, second.logs)
    assert first.result[0] != "renamed" and first.result[1] is False
    assert second.result == ["renamed", False]


def test_pressure_files_are_empty_and_read_only_on_their_own_tmpfs(run):
    """/proc/pressure is masked by one read-only tmpfs (a bind per file costs bwrap more)."""
    if not os.path.isdir("/proc/pressure"):
        pytest.skip("this kernel has no pressure stall information")
    inv = run(
        "import os\n"
        "def lambda_handler(e, c):\n"
        "    names = sorted(os.listdir('/proc/pressure'))\n"
        "    contents = {n: open('/proc/pressure/' + n).read() for n in names}\n"
        "    try:\n"
        "        open('/proc/pressure/planted', 'w').write('x' * 4096)\n"
        "        planted = 'written'\n"
        "    except OSError as exc:\n"
        "        planted = exc.errno\n"
        "    return [names, contents, planted]\n"
    )
    assert inv.status == "succeeded", inv.logs
    names, contents, planted = inv.result
    assert names == sorted(
        n for n in os.listdir("/proc/pressure") if n in {"cpu", "io", "memory", "irq"}
    )
    assert set(contents.values()) == {""}
    assert planted != "written"
