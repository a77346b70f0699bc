"""What the cold path skips to be fast must not cost anything it promised.

Each saving, with what it must keep:
- a spare launcher (launcher.py), already in its cgroups, execs bwrap: every process of the
  sandbox is in its cgroups, at idle priority, with an empty environment and the function's
  memory limit, exactly as when bwrap is started directly (which still happens whenever no
  spare is ready); a dead or mismatched spare is thrown away, never used;
- a run that answered with a frame returns at once and the reaper waits for the sandbox to
  empty: the sandbox is still killed, its cgroups still removed; a full reaper, or another run
  in the same process, means the caller tears down as before;
- bwrap exec'ed by a launcher that chrt started: every process of the sandbox still runs at
  SCHED_IDLE, as when bwrap is started (by chrt) directly;
- the Python bootstrap imports ``posix`` rather than ``os``: the context still reads the
  environment as Lambda's runtime does, the code's own changes included.

Most tests run both ways a sandbox starts (``start`` fixture: from a spare, or bwrap directly).
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from pathlib import Path

import pytest

from course.runner import InvocationRequest, cgroups, launcher, sandbox
from course.runner.invocation import start_environment
from course.runner.warm.pool import PoolSettings, WarmKey, WarmPool
from tests.runner.test_hostile import host_processes_mentioning

pytestmark = pytest.mark.sandbox

SCHED_IDLE = 5
MiB = 1024 * 1024
HOST_IS_BUSY = launcher._host_is_busy  # the real gate (the fixture below replaces it)

DETACHED_SLEEPER = (
    "import subprocess\n"
    "def lambda_handler(e, c):\n"
    "    subprocess.Popen(['/bin/sleep', '300', e['marker']], start_new_session=True)\n"
    "    return 'spawned'\n"
)


@pytest.fixture(autouse=True)
def cpus_to_spare(monkeypatch):
    """Spares are made here whatever else the machine is doing (a busy CI machine too): these
    tests are about what a spare must keep; the gate itself is tested below."""
    monkeypatch.setattr(launcher, "_host_is_busy", lambda: False)


@pytest.fixture(params=["spare", "direct"])
def start(request, limits, monkeypatch):
    """How the next sandbox starts: exec'ed by a spare launcher, or bwrap started directly."""
    if request.param == "direct":
        monkeypatch.setattr(launcher, "take", lambda limits, memory_bytes: None)
        return "direct"
    if not cgroups.available():
        assert os.environ.get("CI") != "true", "CI=true but no cgroups: no spare launchers"
        pytest.skip("spare launchers need cgroups")
    launcher.refill(limits)
    assert launcher.settle()
    assert launcher._spares._spare is not None, "no spare launcher was made"
    return "spare"


def _groups() -> set[Path]:
    """This host's sandbox cgroups, in every hierarchy we use, but the current spare's."""
    found = set()
    for root in cgroups._discovered().values():
        if isinstance(root, Path) and root.is_dir():
            found |= {p for p in root.iterdir() if p.is_dir()}
    spare = launcher._spares._spare
    if spare is not None:
        found = {p for p in found if p.name != spare.group.pids.name}
    return found


def _request(code: str, memory_mb: int = 128) -> InvocationRequest:
    return InvocationRequest(
        runtime="python", code=code, event={}, memory_mb=memory_mb, timeout_s=3
    )


def _settled() -> None:
    assert sandbox.settle(timeout_s=10.0)
    assert launcher.settle(timeout_s=10.0)


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


def test_a_run_handed_to_the_reaper_leaves_nothing_behind(run, start):
    _settled()
    marker = f"reaped-{uuid.uuid4().hex}"
    before = _groups()
    inv = run(DETACHED_SLEEPER, event={"marker": marker})
    assert inv.status == "succeeded", inv.logs
    assert inv.result == "spawned"
    _settled()
    assert host_processes_mentioning(marker) == []
    assert _groups() <= before


def test_with_the_reaper_full_the_caller_tears_down_itself(run, start, monkeypatch):
    _settled()
    monkeypatch.setattr(sandbox._Reaper, "_BACKLOG", 0)
    marker = f"inline-{uuid.uuid4().hex}"
    inv = run(DETACHED_SLEEPER, event={"marker": marker})
    assert inv.status == "succeeded", inv.logs
    # No settling: the run itself waited until its sandbox was gone.
    assert _living(marker) == []


def test_a_run_beside_another_tears_down_itself(run, start):
    """In a burst, handing teardowns off only lets more runs overlap: not done then."""
    _settled()
    marker = f"beside-{uuid.uuid4().hex}"
    with sandbox._activity.running():  # another run of this process, still going
        inv = run(DETACHED_SLEEPER, event={"marker": marker})
    assert inv.status == "succeeded", inv.logs
    assert _living(marker) == []


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


def test_a_closed_warm_environment_is_gone_once_the_reaper_settles(limits, start):
    pool = WarmPool(PoolSettings(), limits)
    request = _request("def lambda_handler(e, c):\n    return 1\n")
    _settled()
    before = _groups()
    try:
        pool.invoke(WarmKey(7, 7, 7), request)
        new = {p.name for p in _groups() - before}
        # Alive (frozen), and named for its owner whichever way it started.
        assert new and all(name.startswith(f"warm-{os.getpid()}-") for name in new), new
        inv, cold = pool.invoke(WarmKey(7, 7, 7), request, force_cold=True)
        assert cold and inv.status == "succeeded", inv.logs
    finally:
        pool.close()
    _settled()
    assert _groups() <= before


@pytest.mark.parametrize("route", ["spare", "chrt"])
def test_every_process_of_the_sandbox_is_sched_idle_by_every_route(run, limits, monkeypatch, route):
    if route == "spare":
        if not cgroups.available():
            pytest.skip("spare launchers need cgroups")
        launcher.refill(limits)
        assert launcher.settle() and launcher._spares._spare is not None
    else:
        monkeypatch.setattr(launcher, "take", lambda limits, memory_bytes: None)
    inv = run(
        "import os, subprocess\n"
        "def lambda_handler(e, c):\n"
        "    child = subprocess.run(['/usr/bin/python3', '-c',\n"
        "        'import os; print(os.sched_getscheduler(0))'], capture_output=True, text=True)\n"
        "    return [os.sched_getscheduler(0), int(child.stdout)]\n"
    )
    assert inv.status == "succeeded", inv.logs
    assert inv.result == [SCHED_IDLE, SCHED_IDLE]


def test_every_process_of_the_sandbox_is_in_its_cgroups(limits, start):
    """Seen from outside, in a live (frozen) environment: a setsid'd child included."""
    if not cgroups.available():
        pytest.skip("no cgroups here")
    request = _request(
        "import subprocess\n"
        "def lambda_handler(e, c):\n"
        "    subprocess.Popen(['/bin/sleep', '60'], start_new_session=True)\n"
        "    return 'ok'\n",
        memory_mb=256,  # not the spare's 128 MB: its limit must be raised
    )
    env, inv = start_environment(request, limits=limits)
    try:
        assert inv.status == "succeeded", inv.logs
        group = env._session.group
        assert group is not None and env.alive
        tasks = set(group.pids_in())
        assert len(tasks) >= 3, tasks  # bwrap's pid 1, the runtime, the sleeper
        if isinstance(group, cgroups.SandboxCgroup):
            for path in (group.memory, group.pids, group.cpu, group.freezer):
                procs = {int(x) for x in (path / "cgroup.procs").read_text().split()}
                # (Started directly, bwrap itself counts in pids only: see count_tasks_of.)
                assert tasks - {env._session.proc.pid} <= procs, path
            assert group.cpu.parent == cgroups.cpu_group()
            assert int((group.memory / "memory.limit_in_bytes").read_text()) == 256 * MiB
            memsw = group.memory / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                assert int(memsw.read_text()) == 256 * MiB
        else:
            assert int((group.group / "memory.max").read_text()) == 256 * MiB
    finally:
        env.close()
    _settled()


def test_the_memory_limit_is_the_functions_whichever_way_it_starts(run, limits, start):
    """A spare made for a bigger function is lowered to this one's size before bwrap starts."""
    if start == "spare":
        launcher._spares.close()
        launcher._spares._memory_bytes = 1024 * MiB
        launcher.refill(limits)
        assert launcher.settle()
        assert launcher._spares._spare.group.memory_bytes == 1024 * MiB
    inv = run(
        "def lambda_handler(e, c):\n"
        "    blocks = [bytearray(16 * 1024 * 1024) for _ in range(16)]\n"
        "    return len(blocks)\n",
        memory=128,
    )
    assert inv.status == "failed", inv.result
    assert inv.report["max_memory_used_mb"] >= 128


def test_pid_1_has_an_empty_environment(run, start):
    inv = run("def lambda_handler(e, c):\n    return open('/proc/1/environ').read()\n")
    assert inv.status == "succeeded", inv.logs
    assert inv.result == ""


def test_a_dead_spare_is_thrown_away_not_used(run, limits):
    if not cgroups.available():
        pytest.skip("spare launchers need cgroups")
    launcher.refill(limits)
    assert launcher.settle()
    spare = launcher._spares._spare
    assert spare is not None
    spare.proc.kill()
    spare.proc.wait()
    inv = run("def lambda_handler(e, c):\n    return 'fine'\n")
    assert inv.status == "succeeded" and inv.result == "fine", inv.logs
    _settled()
    assert not spare.group.pids.exists() and not spare.group.memory.exists()


def test_a_spare_made_for_other_limits_is_thrown_away(limits):
    if not cgroups.available():
        pytest.skip("spare launchers need cgroups")
    launcher.refill(limits)
    assert launcher.settle()
    spare = launcher._spares._spare
    other = dataclasses.replace(limits, max_processes=limits.max_processes + 1)
    assert launcher.take(other, 128 * MiB) is None
    assert spare.proc.poll() is not None
    assert not spare.group.pids.exists()


def test_a_launcher_exits_without_starting_anything_when_its_owner_goes(limits):
    """EOF (our process died) or a message without descriptors: it exits, status 0."""
    if not cgroups.available():
        pytest.skip("spare launchers need cgroups")
    for last_words in (None, b"/usr/bin/bwrap"):
        launcher.refill(limits)
        assert launcher.settle()
        spare = launcher.take(limits, 128 * MiB)
        assert spare is not None
        if last_words is not None:
            spare.sock.send(last_words)
        spare.sock.close()
        assert spare.proc.wait(timeout=5) == 0
        spare.discard()


def test_a_forked_child_does_not_inherit_the_spare(limits):
    if not cgroups.available():
        pytest.skip("spare launchers need cgroups")
    launcher.refill(limits)
    assert launcher.settle() and launcher._spares._spare is not None
    pid = os.fork()
    if pid == 0:
        os._exit(0 if launcher._spares._spare is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert launcher._spares._spare is not None and launcher._spares._spare.alive()


def test_the_cgroups_of_dead_owners_spares_are_removed(limits):
    if cgroups.mode() != "v1":
        pytest.skip("checked on cgroup v1 hierarchies")
    dead = 4_000_000  # above the kernel's largest pid: no such process
    made = []
    for root in cgroups._discovered().values():
        if isinstance(root, Path) and root.is_dir():
            path = root / f"spare-{dead}-{uuid.uuid4().hex}"
            path.mkdir()
            made.append(path)
    spare = launcher._start(limits, 128 * MiB, sweep=True)
    try:
        assert spare is not None
        deadline = time.monotonic() + 10
        while any(p.exists() for p in made):
            assert time.monotonic() < deadline, made
            time.sleep(0.05)
    finally:
        if spare is not None:
            spare.discard()


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

    pool = WarmPool(PoolSettings(), limits)
    request = _request(
        "import os\n"
        "def lambda_handler(e, c):\n"
        "    seen = [c.function_name, 'PWD' in os.environ]\n"
        "    os.environ['AWS_LAMBDA_FUNCTION_NAME'] = 'renamed'\n"
        "    return seen\n"
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


def test_no_spare_is_made_while_the_host_is_busy_or_the_process_is_not_quiet(limits, monkeypatch):
    """A spare's start costs a Python interpreter: not while CPUs are contended (lesson pages
    would pay for it, bench_big_results showed), and not until the process is quiet."""
    if not cgroups.available():
        pytest.skip("spare launchers need cgroups")
    launcher._spares.close()
    monkeypatch.setattr(launcher, "_host_is_busy", lambda: True)
    launcher.refill(limits)
    assert launcher.settle()
    assert launcher._spares._spare is None
    monkeypatch.setattr(launcher, "_host_is_busy", lambda: False)
    asked = time.monotonic()
    launcher.refill(limits)
    assert launcher.settle()
    assert launcher._spares._spare is not None
    assert time.monotonic() - asked >= launcher._QUIET_S


def test_the_busy_gate_reads_cpu_pressure(tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    def fake(pressure):
        def opener(path, *args, **kwargs):
            if path == "/proc/pressure/cpu":
                (tmp_path / "cpu").write_text(pressure)
                return real_open(tmp_path / "cpu", *args, **kwargs)
            return real_open(path, *args, **kwargs)

        return opener

    busy = "some avg10=42.00 avg60=20.00 avg300=5.00 total=1\nfull avg10=0.00 total=0\n"
    calm = "some avg10=0.50 avg60=20.00 avg300=5.00 total=1\nfull avg10=0.00 total=0\n"
    monkeypatch.setattr(builtins, "open", fake(busy))
    assert HOST_IS_BUSY()
    monkeypatch.setattr(builtins, "open", fake(calm))
    assert not HOST_IS_BUSY()
