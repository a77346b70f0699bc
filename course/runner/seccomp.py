"""A small seccomp deny-list for the sandbox, compiled to classic BPF by hand (no libseccomp).

Defence in depth: the user namespace without capabilities already makes most of these calls fail.
What the filter adds is closing kernel interfaces that unprivileged code can otherwise reach and
that have a long record of exploitable bugs (io_uring, bpf, userfaultfd, perf events, keyrings,
ptrace), plus the x32 ABI and 32-bit system calls, which could sneak past a per-number list.
bwrap installs it (``--seccomp FD``) right before it executes the runtime. Only x86_64 has a
table; elsewhere ``program()`` returns None and the sandbox runs without this extra layer.
"""

from __future__ import annotations

import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# x86_64 numbers, from asm/unistd_64.h.
DENY_EPERM_X86_64 = {
    "ptrace": 101,
    "syslog": 103,
    "uselib": 134,
    "vhangup": 153,
    "modify_ldt": 154,
    "pivot_root": 155,
    "acct": 163,
    "settimeofday": 164,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "clock_settime": 227,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
    "quotactl_fd": 443,
}
# ENOSYS, not EPERM: libuv (Node) then quietly falls back to its thread pool.
DENY_ENOSYS_X86_64 = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program() -> bytes | None:
    """The filter as an array of ``struct sock_filter``, or None if this machine has no table."""
    if platform.machine() not in ("x86_64", "amd64"):
        return None
    eperm = sorted(DENY_EPERM_X86_64.values())
    enosys = sorted(DENY_ENOSYS_X86_64.values())
    # 0: load arch; 1: x86_64? skip; 2: deny; 3: load nr; 4: x32? deny; then one check each.
    checks = len(eperm) + len(enosys)
    first_check = 5
    allow = first_check + checks
    deny_eperm, deny_enosys = allow + 1, allow + 2
    out = [
        _insn(_LD_W_ABS, 0, 0, _ARCH),
        _insn(_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        _insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM),
        _insn(_LD_W_ABS, 0, 0, _NR),
        _insn(_JGE_K, deny_eperm - 5, 0, X32_SYSCALL_BIT),
    ]
    for index, nr in enumerate(eperm + enosys):
        here = first_check + index
        target = deny_eperm if index < len(eperm) else deny_enosys
        out.append(_insn(_JEQ_K, target - here - 1, 0, nr))
    out.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    out.append(_insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    out.append(_insn(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS))
    return b"".join(out)
