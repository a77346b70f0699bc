"""Warm starts in the real sandbox: what persists, what does not, and who owns what.

Most tests drive a ``WarmPool`` in this process; the daemon tests start
``python -m course.runner.warm.daemon`` and talk to it from separate client processes, as two
gunicorn workers would.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from course.runner import InvocationRequest
from course.runner.warm import WarmKey, WarmPool
from course.runner.warm.client import invoke_warm
from course.runner.warm.pool import PoolSettings
from tests.helpers import Unavailable, warm_daemon

pytestmark = pytest.mark.sandbox

ROOT = Path(__file__).resolve().parents[2]

COUNTER = textwrap.dedent(
    """
    import os
    count = 0
    def lambda_handler(event, context):
        global count
        count += 1
        with open('/tmp/seen', 'a') as fh:
            fh.write('x')
        return {'count': count, 'tmp': os.path.getsize('/tmp/seen'), 'event': event}
    """
)
NODE_COUNTER = (
    "let count = 0;\nexports.handler = async (event) => { count += 1; return { count, event }; };\n"
)


def req(code=COUNTER, runtime="python", event=None, memory=128, timeout=3):
    return InvocationRequest(
        runtime=runtime,
        code=code,
        event={} if event is None else event,
        memory_mb=memory,
        timeout_s=timeout,
    )


@pytest.fixture
def pool(limits):
    if isinstance(limits, Unavailable):
        yield limits
        return
    made = []

    def _make(**settings):
        p = WarmPool(PoolSettings(**settings), limits)
        made.append(p)
        return p

    yield _make
    for p in made:
        p.close()


def test_state_persists_warm_and_not_across_a_cold_start(pool):
    p = pool()
    key = WarmKey(1, 10, 1)
    first, cold = p.invoke(key, req(event={"n": 1}))
    assert cold and first.result == {"count": 1, "tmp": 1, "event": {"n": 1}}
    assert first.report["init_duration_ms"] > 0
    assert "Init Duration:" in first.logs
    second, cold = p.invoke(key, req(event={"n": 2}))
    assert not cold, second.logs
    assert second.result == {"count": 2, "tmp": 2, "event": {"n": 2}}
    assert second.report["init_duration_ms"] is None
    assert "Init Duration" not in second.logs
    # Billed as Lambda bills a warm invocation: the duration alone, rounded up.
    assert second.report["billed_duration_ms"] == max(1, -(-second.report["duration_ms"] // 1))
    assert second.logs.count("START RequestId") == 1 and second.request_id in second.logs
    third, cold = p.invoke(key, req(), force_cold=True)
    assert cold and third.result["count"] == 1 and third.result["tmp"] == 1


def test_new_version_memory_or_code_is_a_new_environment(pool):
    p = pool()
    p.invoke(WarmKey(1, 10, 1), req())
    assert p.invoke(WarmKey(1, 10, 1), req())[0].result["count"] == 2
    inv, cold = p.invoke(WarmKey(1, 10, 2), req())  # a new version
    assert cold and inv.result["count"] == 1
    inv, cold = p.invoke(WarmKey(1, 10, 2), req(memory=256))  # new memory size
    assert cold and inv.result["count"] == 1
    inv, cold = p.invoke(WarmKey(1, 10, 2), req(code=COUNTER + "\n# edited\n"))
    assert cold and inv.result["count"] == 1


def test_environments_are_never_shared_between_users(pool):
    p = pool()
    p.invoke(WarmKey(1, 10, 1), req())
    inv, cold = p.invoke(WarmKey(2, 10, 1), req())  # same function id and code, another user
    assert cold and inv.result["count"] == 1
    assert p.invoke(WarmKey(1, 10, 1), req())[0].result["count"] == 2
    assert p.invoke(WarmKey(2, 10, 1), req())[0].result["count"] == 2


def test_per_user_cap_evicts_the_least_recently_used(pool):
    p = pool(per_user=2)
    for fn in (1, 2):
        p.invoke(WarmKey(1, fn, 1), req())
    p.invoke(WarmKey(1, 1, 1), req())  # function 1 is now the most recently used
    p.invoke(WarmKey(1, 3, 1), req())  # a third function evicts function 2
    assert sorted(k.function_id for k in p.owners()) == [1, 3]
    assert p.invoke(WarmKey(1, 2, 1), req())[1] is True


def test_host_cap_and_memory_budget_evict_lru(pool):
    p = pool(max_envs=2)
    p.invoke(WarmKey(1, 1, 1), req())
    p.invoke(WarmKey(2, 1, 1), req())
    p.invoke(WarmKey(3, 1, 1), req())
    assert sorted(k.user_id for k in p.owners()) == [2, 3]
    q = pool(memory_mb=300)
    q.invoke(WarmKey(1, 1, 1), req(memory=256))
    q.invoke(WarmKey(2, 1, 1), req(memory=128))  # 384 MB would be over budget
    assert [k.user_id for k in q.owners()] == [2]


def test_idle_environments_are_reclaimed(pool):
    p = pool(idle_s=0.2)
    p.invoke(WarmKey(1, 1, 1), req())
    assert p.reap() == 0 or p.owners() == []
    time.sleep(0.3)
    p.reap()
    assert p.owners() == []
    assert p.invoke(WarmKey(1, 1, 1), req())[1] is True


def test_a_frozen_environment_runs_nothing_between_invocations(pool):
    code = textwrap.dedent(
        """
        import threading, time
        ticks = 0
        def tick():
            global ticks
            while True:
                ticks += 1
                time.sleep(0.01)
        threading.Thread(target=tick, daemon=True).start()
        def lambda_handler(event, context):
            return ticks
        """
    )
    p = pool()
    key = WarmKey(1, 1, 1)
    p.invoke(key, req(code))
    before = p.invoke(key, req(code))[0].result
    time.sleep(1.0)  # ~100 ticks if the thread ran
    after, cold = p.invoke(key, req(code))
    assert not cold
    assert after.result - before < 20


@pytest.mark.parametrize(
    "handler, error_type, timeout",
    [
        ("while True:\n        pass", "Sandbox.Timedout", 1),
        # A generous timeout: at 128 MB the handler has 7% of a CPU to reach its limit with.
        ("x = bytearray(400 * 1024 * 1024)\n    return len(x)", "Runtime.ExitError", 5),
        ("import os\n    os._exit(3)", "Runtime.ExitError", 1),
    ],
    ids=["timeout", "oom", "crash"],
)
def test_a_timeout_oom_or_crash_discards_the_environment(pool, handler, error_type, timeout):
    code = (
        "count = 0\n"
        "def lambda_handler(event, context):\n"
        "    global count\n"
        "    count += 1\n"
        "    if event.get('bad'):\n"
        f"        {handler.replace(chr(10) + '    ', chr(10) + '        ')}\n"
        "    return count\n"
    )
    p = pool()
    key = WarmKey(1, 1, 1)
    p.invoke(key, req(code, timeout=timeout))
    bad, cold = p.invoke(key, req(code, event={"bad": True}, timeout=timeout))
    assert not cold and bad.status == "failed" and bad.error["errorType"] == error_type, bad.logs
    again, cold = p.invoke(key, req(code, timeout=timeout))
    assert cold and again.result == 1


def test_handler_errors_keep_the_environment(pool):
    code = "n = 0\ndef lambda_handler(event, context):\n    global n\n    n += 1\n"
    code += "    if n == 2:\n        raise ValueError('two')\n    return n\n"
    p = pool()
    key = WarmKey(1, 1, 1)
    p.invoke(key, req(code))
    err, cold = p.invoke(key, req(code))
    assert not cold and err.error["errorType"] == "ValueError"
    assert p.invoke(key, req(code))[0].result == 3


def test_node_keeps_state_warm(pool, node):
    if isinstance(node, Unavailable):
        pytest.fail(node.reason)
    p = pool()
    key = WarmKey(1, 1, 1)
    first, cold = p.invoke(key, req(NODE_COUNTER, "nodejs", event={"i": 1}, timeout=10))
    assert cold and first.result == {"count": 1, "event": {"i": 1}}, first.logs
    second, cold = p.invoke(key, req(NODE_COUNTER, "nodejs", event={"i": 2}, timeout=10))
    assert not cold and second.result == {"count": 2, "event": {"i": 2}}, second.logs
    assert "Init Duration" not in second.logs


def test_max_memory_used_is_per_invocation(pool):
    code = textwrap.dedent(
        """
        def lambda_handler(event, context):
            if event.get('big'):
                data = bytearray(60 * 1024 * 1024)
                data[::4096] = b'x' * len(data[::4096])
                del data
            return 1
        """
    )
    p = pool()
    key = WarmKey(1, 1, 1)
    p.invoke(key, req(code))
    big = p.invoke(key, req(code, event={"big": True}))[0]
    small = p.invoke(key, req(code))[0]
    assert big.report["max_memory_used_mb"] >= 60
    assert small.report["max_memory_used_mb"] < 40


# --------------------------------------------------------------------------- the daemon


@pytest.fixture
def daemon(limits, tmp_path):
    if isinstance(limits, Unavailable):
        yield limits
        return
    sock = tmp_path / "warm" / "warm.sock"
    with warm_daemon(sock) as proc:
        yield proc, sock


CLIENT = """
import json, sys
from course.runner import InvocationRequest
from course.runner.warm import WarmKey
from course.runner.warm.client import invoke_warm
args = json.loads(sys.argv[1])
req = InvocationRequest(runtime='python', code=args['code'], event={}, memory_mb=128, timeout_s=3)
inv, cold = invoke_warm(WarmKey(*args['key']), req, socket_path=args['sock'])
print(json.dumps({'cold': cold, 'result': inv.result, 'status': inv.status}))
"""


def _client(sock, key, code=COUNTER):
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps({"sock": str(sock), "key": key, "code": code})],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_a_warm_hit_whichever_worker_asks(daemon):
    _, sock = daemon
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(sock.parent).st_mode) == 0o700
    first = _client(sock, [1, 1, 1])  # "worker A"
    second = _client(sock, [1, 1, 1])  # "worker B", another process
    assert first["cold"] and first["result"]["count"] == 1
    assert not second["cold"] and second["result"]["count"] == 2


def test_without_a_daemon_the_client_runs_cold(limits, tmp_path):
    if isinstance(limits, Unavailable):
        pytest.fail(limits.reason)
    inv, cold = invoke_warm(WarmKey(1, 1, 1), req(), socket_path=tmp_path / "none.sock")
    assert cold and inv.status == "succeeded" and inv.result["count"] == 1


def test_the_daemon_refuses_bad_messages(daemon):
    import socket as socketlib

    from course.runner.warm import protocol

    proc, sock = daemon
    for raw in (b"\x00\x00\x00\x03abc", b"\x00\x00\x00\x02[]", b"\xff\xff\xff\xff"):
        with socketlib.socket(socketlib.AF_UNIX) as s:
            s.connect(str(sock))
            s.sendall(raw)
            answer = protocol.recv(s)
            assert answer["ok"] is False
    with socketlib.socket(socketlib.AF_UNIX) as s:
        s.connect(str(sock))
        protocol.send(s, {"v": 1, "op": "invoke", "user_id": "1"})
        assert protocol.recv(s)["error"] == "protocol"
    with pytest.raises(ValueError):
        invoke_warm(WarmKey(1, 1, 1), req(memory=1), socket_path=sock)
    assert proc.poll() is None


HOSTILE = {
    "steals GO": textwrap.dedent(
        """
        import os, sys, threading
        GO = int(sys.argv[2])  # the bootstrap's channel for the next invocation
        def steal():
            while True:
                try:
                    os.read(GO, 1 << 16)
                except OSError:
                    return
        threading.Thread(target=steal, daemon=True).start()
        def lambda_handler(event, context):
            return 1
        """
    ),
    "floods output": textwrap.dedent(
        """
        import sys, threading
        def flood():
            while True:
                sys.stdout.write('x' * 65536)
        def lambda_handler(event, context):
            threading.Thread(target=flood, daemon=True).start()
            return 1
        """
    ),
    "forks away": textwrap.dedent(
        """
        import os
        def lambda_handler(event, context):
            if os.fork() == 0:
                os.setsid()
                while True:
                    pass
            return 1
        """
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_warm_code_cannot_hurt_the_daemon(daemon, name):
    proc, sock = daemon
    for _ in range(3):
        _client(sock, [66, 1, 1], HOSTILE[name])
    assert proc.poll() is None
    other = _client(sock, [1, 1, 1])
    assert other["status"] == "succeeded" and other["result"]["count"] == 1
    again = _client(sock, [1, 1, 1])
    assert not again["cold"] and again["result"]["count"] == 2


def test_watchdog_mode_stops_the_process_tree_between_invocations(limits):
    """No cgroup: SIGSTOP/SIGCONT through the process tree stand in for the freezer."""
    if isinstance(limits, Unavailable):
        pytest.fail(limits.reason)
    import dataclasses

    code = textwrap.dedent(
        """
        import threading, time
        ticks = 0
        def tick():
            global ticks
            while True:
                ticks += 1
                time.sleep(0.01)
        threading.Thread(target=tick, daemon=True).start()
        def lambda_handler(event, context):
            return ticks
        """
    )
    p = WarmPool(PoolSettings(), dataclasses.replace(limits, use_cgroup=False))
    try:
        key = WarmKey(1, 1, 1)
        p.invoke(key, req(code))
        before, cold = p.invoke(key, req(code))
        assert not cold
        time.sleep(1.0)
        after, cold = p.invoke(key, req(code))
        assert not cold and after.result - before.result < 20
    finally:
        p.close()


def test_concurrent_invocations_get_a_second_environment_or_run_one_off(pool):
    import threading

    slow = "import time\nn = 0\ndef lambda_handler(event, context):\n    global n\n    n += 1\n"
    slow += "    time.sleep(event.get('sleep', 0))\n    return n\n"
    p = pool(per_user=2)
    key = WarmKey(1, 1, 1)
    p.invoke(key, req(slow))
    answers = []

    def call():
        answers.append(p.invoke(key, req(slow, event={"sleep": 1})))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    colds = sorted(cold for _, cold in answers)
    # One takes the warm environment, one starts a second, the third runs cold one-off.
    assert colds == [False, True, True]
    assert all(inv.status == "succeeded" for inv, _ in answers)
    assert len(p.owners()) == 2


def _start_daemon(sock):
    proc = subprocess.Popen(
        [sys.executable, "-m", "course.runner.warm.daemon", "--socket", str(sock)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    deadline = time.monotonic() + 20
    while not sock.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the daemon did not start"
        time.sleep(0.05)
    return proc


def test_a_daemon_crash_means_cold_starts_and_its_environments_are_cleaned_up(limits, tmp_path):
    if isinstance(limits, Unavailable):
        pytest.fail(limits.reason)
    from course.runner import cgroups

    sock = tmp_path / "warm" / "warm.sock"
    first = _start_daemon(sock)
    try:
        assert _client(sock, [1, 1, 1])["cold"]
        assert not _client(sock, [1, 1, 1])["cold"]
    finally:
        first.kill()  # a crash: its frozen environment is left behind
        first.wait()
    after = _client(sock, [1, 1, 1])  # no daemon: a cold start in the client, not an error
    assert after["cold"] and after["status"] == "succeeded" and after["result"]["count"] == 1
    second = _start_daemon(sock)
    try:
        root = cgroups._discovered().get("freezer")
        deadline = time.monotonic() + 10
        while root is not None and any(
            p.name.startswith(f"warm-{first.pid}-") for p in root.iterdir()
        ):
            assert time.monotonic() < deadline, "the dead daemon's environment is still there"
            time.sleep(0.1)
        again = _client(sock, [1, 1, 1])
        assert again["cold"] and again["result"]["count"] == 1
    finally:
        second.terminate()
        second.wait(timeout=20)
