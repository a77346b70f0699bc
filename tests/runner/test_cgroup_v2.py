"""cgroup v2 support, on a directory laid out as cgroupfs would lay it out.

This machine's kernel has memory and pids bound to v1 hierarchies, so no real v2 group with
those controllers can be made here; these tests check what the runner reads and writes, and in
which order, against the kernel's documented v2 interface (Documentation/admin-guide/cgroup-v2).
"""

from __future__ import annotations

import pytest

from course.runner import cgroups


def _fake_cgroup(path, controllers="cpu memory pids", subtree=""):
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text(controllers + "\n")
    (path / "cgroup.subtree_control").write_text(subtree + "\n")
    return path


def test_discovery_hands_memory_and_pids_down_to_the_sandboxes(tmp_path):
    own = _fake_cgroup(tmp_path / "service")
    _fake_cgroup(own / "ccc-runner")  # the kernel fills these files when the group is made
    base = cgroups._discover_v2(own)
    assert base == own / "ccc-runner"
    # cgroupfs applies "+memory +pids" to the file; a plain file just keeps what was written.
    assert (own / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (base / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    assert (base / "cpu.weight").read_text() == str(cgroups.CPU_WEIGHT_V2)


def test_discovery_refuses_a_group_without_the_memory_controller(tmp_path):
    own = _fake_cgroup(tmp_path / "service", controllers="cpu pids")
    _fake_cgroup(own / "ccc-runner", controllers="cpu pids")
    assert cgroups._discover_v2(own) is None


def test_discovery_without_a_v2_hierarchy():
    assert cgroups._discover_v2(None) is None


@pytest.fixture
def v2_base(tmp_path, monkeypatch):
    base = _fake_cgroup(tmp_path / "ccc-runner")
    monkeypatch.setattr(cgroups, "_roots", {"memory": None, "pids": None, "cpu": None, "v2": base})
    return base


def test_a_sandbox_group_gets_its_limits_before_anything_joins(v2_base):
    assert cgroups.mode() == "v2" and cgroups.available()
    group = cgroups.create("inv-1", 128 * 1024 * 1024, 72)
    assert isinstance(group, cgroups.SandboxCgroupV2)
    assert (v2_base / "inv-1" / "memory.max").read_text() == str(128 * 1024 * 1024)
    assert (v2_base / "inv-1" / "memory.swap.max").read_text() == "0"
    assert (v2_base / "inv-1" / "memory.oom.group").read_text() == "1"
    assert (v2_base / "inv-1" / "pids.max").read_text() == "72"
    group.add(4242)
    assert (v2_base / "inv-1" / "cgroup.procs").read_text() == "4242"


def test_usage_peak_and_oom_are_read_from_the_kernels_files(v2_base):
    group = cgroups.create("inv-2", 128 * 1024 * 1024, 72)
    (v2_base / "inv-2" / "memory.current").write_text("5000000\n")
    assert group.usage_bytes() == 5_000_000
    (v2_base / "inv-2" / "memory.current").write_text("1000\n")
    assert group.peak_bytes() == 5_000_000  # no memory.peak (Linux < 5.19): our largest sample
    (v2_base / "inv-2" / "memory.peak").write_text("9000000\n")
    assert group.peak_bytes() == 9_000_000
    (v2_base / "inv-2" / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
    assert not group.oom_killed()
    (v2_base / "inv-2" / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_killed()
