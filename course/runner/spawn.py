"""Starting the sandbox's first process: empty environment, own session, never as root, and
below the web server for the CPU (SCHED_IDLE, autogroup nice 19).

Shared by the sandbox (bwrap itself) and the launchers started ahead of demand (launcher.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil

from .config import SandboxLimits

_SETPRIV = shutil.which("setpriv", path="/usr/bin:/bin")
_CHRT = shutil.which("chrt", path="/usr/bin:/bin")


def spawn_args(
    limits: SandboxLimits, argv: list[str], *, idle: bool = True
) -> tuple[list[str], dict]:
    """argv and Popen options to start bwrap: empty environment, own session, never as root.

    As root, the sandbox's uid would be host root and own every root file on the host, so we
    drop to ``host_uid`` first. util-linux's setpriv does that after a cheap vfork+exec; Popen's
    own ``user=`` would need a full fork() of the (large) web server process instead.
    """
    kwargs: dict = {"env": {}, "close_fds": True, "start_new_session": True}
    # Learners' code gets the CPU only when the web server does not want it: SCHED_IDLE is
    # inherited by everything in the sandbox; the session's autogroup gets nice 19 and, where
    # we may create cgroups, the sandbox joins the shared low-weight cpu cgroup (cgroups.py).
    # The availability probe is the server's own work (pages wait for it), so it runs normally.
    if _CHRT and idle:
        argv = [_CHRT, "--idle", "0", *argv]
    if os.geteuid() != 0:
        return argv, kwargs
    if _SETPRIV:
        ids = [f"--reuid={limits.host_uid}", f"--regid={limits.host_gid}", "--clear-groups"]
        return [_SETPRIV, *ids, "--", *argv], kwargs
    kwargs.update(user=limits.host_uid, group=limits.host_gid, extra_groups=[])
    return argv, kwargs


def lower_session_priority(pid: int) -> None:
    """Give the sandbox's session the lowest CPU share (autogroup nice 19).

    With CONFIG_SCHED_AUTOGROUP (Debian's default) every new session is a scheduling group of
    its own, and groups share the CPU as equals: SCHED_IDLE only ranks tasks *within* a group.
    So 20 busy sandboxes, each in its own session, took 20/21 of the CPU from the web server
    whatever their policy. Lowering the group's nice restores the ranking between groups. We
    are its owner (or root); without autogroups the file does not exist and SCHED_IDLE alone
    does the job.
    """
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as fh:
        fh.write("19")
