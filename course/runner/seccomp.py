"""A small seccomp deny-list for the sandbox, compiled to classic BPF by hand (no libseccomp).

Defence in depth: the user namespace without capabilities already makes most of these calls fail.
What the filter adds is closing kernel interfaces that unprivileged code can otherwise reach and
that have a long record of exploitable bugs (io_uring, bpf, userfaultfd, perf events, keyrings,
ptrace), plus the x32 ABI and 32-bit system calls, which could sneak past a per-number list.
bwrap installs it (``--seccomp FD``) right before it executes the runtime. Only x86_64 has a
table; elsewhere ``program()`` returns None and the sandbox runs without this extra layer.

Sockets: a function may use AF_UNIX and AF_INET/AF_INET6 (its network namespace has only its own
loopback); every other family is refused with EAFNOSUPPORT, as a kernel without it would answer.
A network namespace does not isolate every family: AF_VSOCK reaches the hypervisor's host, and
AF_ALG, AF_KEY, AF_PACKET, most of AF_NETLINK... are kernel interfaces a handler has no use for.
Socket buffers cannot be raised (SO_SNDBUF, SO_RCVBUF and their FORCE variants answer EPERM):
the sandbox's socket memory is then bounded by its socket count, which the memory accounting in
sandbox.py charges for (see "Socket memory" there).
"""

from __future__ import annotations

import errno
import functools
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

# Families a Lambda function may open (socket.h): AF_UNIX, AF_INET, AF_INET6.
ALLOWED_SOCKET_FAMILIES = (1, 2, 10)
# And AF_NETLINK with NETLINK_ROUTE only: getifaddrs() (Node's os.networkInterfaces(), Python's
# socket.if_nameindex()) asks it for the interfaces, and in the sandbox's own network namespace
# it sees only its loopback. Other netlink protocols are refused: NETLINK_KOBJECT_UEVENT, for
# one, would show the host's device events.
AF_NETLINK, NETLINK_ROUTE = 16, 0
SYS_SOCKET, SYS_SOCKETPAIR, SYS_SETSOCKOPT = 41, 53, 54
SOL_SOCKET = 1
# SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE
BUFFER_OPTIONS = (7, 8, 32, 33)

_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data


def _arg(index: int) -> int:
    """Offset of the low 32 bits of syscall argument ``index`` (little-endian x86_64)."""
    return 16 + 8 * index


class _Assembler:
    """Classic BPF with forward jumps to named labels (BPF allows only forward jumps)."""

    def __init__(self) -> None:
        self.code: list[tuple[int, object, object, int]] = []
        self.labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def op(self, code: int, k: int, jt: object = 0, jf: object = 0) -> None:
        self.code.append((code, jt, jf, k))

    def assemble(self) -> bytes:
        out = []
        for here, (code, jt, jf, k) in enumerate(self.code):
            offsets = []
            for target in (jt, jf):
                if isinstance(target, str):
                    offset = self.labels[target] - here - 1
                    if not 0 <= offset <= 255:
                        raise ValueError(f"jump to {target} out of range")
                    offsets.append(offset)
                else:
                    offsets.append(target)
            out.append(struct.pack("=HBBI", code, offsets[0], offsets[1], k))
        return b"".join(out)


@functools.cache
def program() -> bytes | None:
    """The filter as an array of ``struct sock_filter``, or None if this machine has no table.

    The same for every sandbox of this host, so assembled once (a quarter of a millisecond)."""
    if platform.machine() not in ("x86_64", "amd64"):
        return None
    asm = _Assembler()
    asm.op(_LD_W_ABS, _ARCH)
    asm.op(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0)
    asm.op(_RET_K, _RET_ERRNO | errno.EPERM)
    asm.op(_LD_W_ABS, _NR)
    asm.op(_JGE_K, X32_SYSCALL_BIT, "eperm", 0)
    asm.op(_JEQ_K, SYS_SOCKET, "socket", 0)
    asm.op(_JEQ_K, SYS_SOCKETPAIR, "socket", 0)
    asm.op(_JEQ_K, SYS_SETSOCKOPT, "setsockopt", 0)
    for nr in sorted(DENY_EPERM_X86_64.values()):
        asm.op(_JEQ_K, nr, "eperm", 0)
    for nr in sorted(DENY_ENOSYS_X86_64.values()):
        asm.op(_JEQ_K, nr, "enosys", 0)
    asm.label("allow")
    asm.op(_RET_K, _RET_ALLOW)
    asm.label("eperm")
    asm.op(_RET_K, _RET_ERRNO | errno.EPERM)
    asm.label("enosys")
    asm.op(_RET_K, _RET_ERRNO | errno.ENOSYS)
    # socket(domain, ...) and socketpair(domain, ...): only the allowed families.
    asm.label("socket")
    asm.op(_LD_W_ABS, _arg(0))
    for family in ALLOWED_SOCKET_FAMILIES:
        asm.op(_JEQ_K, family, "socket_ok", 0)
    asm.op(_JEQ_K, AF_NETLINK, 0, "socket_refused")
    asm.op(_LD_W_ABS, _arg(2))
    asm.op(_JEQ_K, NETLINK_ROUTE, "socket_ok", 0)
    asm.op(_RET_K, _RET_ERRNO | errno.EPROTONOSUPPORT)
    asm.label("socket_refused")
    asm.op(_RET_K, _RET_ERRNO | errno.EAFNOSUPPORT)
    asm.label("socket_ok")
    asm.op(_RET_K, _RET_ALLOW)
    # setsockopt(fd, level, optname, ...): no buffer growth at SOL_SOCKET.
    asm.label("setsockopt")
    asm.op(_LD_W_ABS, _arg(1))
    asm.op(_JEQ_K, SOL_SOCKET, 0, "setsockopt_ok")
    asm.op(_LD_W_ABS, _arg(2))
    for option in BUFFER_OPTIONS:
        asm.op(_JEQ_K, option, "setsockopt_denied", 0)
    asm.label("setsockopt_ok")
    asm.op(_RET_K, _RET_ALLOW)
    asm.label("setsockopt_denied")
    asm.op(_RET_K, _RET_ERRNO | errno.EPERM)
    return asm.assemble()
