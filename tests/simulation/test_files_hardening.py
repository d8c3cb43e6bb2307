"""Confined, bounded file reads; clean one-line errors; lone surrogates; the atomic writer."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulation.engine.core import Simulation
from simulation.errors import DesignError, clean_text
from simulation.loader import load_design, read_json_file
from simulation.safe_paths import atomic_write_text, read_bytes_capped, resolve_user_file

REPO = Path(__file__).resolve().parents[2]


def _server_design(folder: Path, profile: str) -> Path:
    f = folder / "d.genai.json"
    f.write_text(json.dumps({
        "format": "genai-sim.design", "version": 1,
        "workload": {"arrival": {"process": "poisson", "rate_per_s": 1}, "duration_s": 5},
        "nodes": [{"id": "users", "kind": "client"}, {"id": "llm", "kind": "llm_server",
                                                      "params": {"profile": profile}}],
        "edges": [{"source": "users", "target": "llm"}]}))
    return f


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "secret.json").write_text('{"token": "hunter2"}')
    (tmp_path / "design").mkdir()
    return tmp_path / "design"


@pytest.mark.parametrize("profile", ["/dev/zero", "/etc/passwd", "/proc/self/environ", "../secret.json",
                                     "sub/../../secret.json", "~/.bashrc"])
def test_profile_paths_outside_the_design_folder_are_refused(folder, profile):
    with pytest.raises(DesignError, match=r"nodes\[1\]\.params\.profile") as info:
        load_design(_server_design(folder, profile))
    assert "hunter2" not in str(info.value) and "root:" not in str(info.value)


def test_a_profile_symlinked_out_of_the_folder_is_refused(folder):
    os.symlink(folder.parent / "secret.json", folder / "p.json")
    with pytest.raises(DesignError, match="points outside"):
        load_design(_server_design(folder, "p.json"))


def test_a_fifo_profile_is_refused_without_blocking(folder):
    os.mkfifo(folder / "p.json")
    t0 = time.monotonic()
    with pytest.raises(DesignError, match="not a regular file"):
        load_design(_server_design(folder, "p.json"))
    assert time.monotonic() - t0 < 5


def test_profiles_next_to_the_design_and_built_in_files_load_and_run(folder):
    built_in = REPO / "assets" / "profiles" / "h100-sxm.json"
    (folder / "mine.json").write_text(built_in.read_text())
    for name in ("mine.json", "./mine.json", "h100-sxm.json", str(folder / "mine.json")):
        sim = Simulation(load_design(_server_design(folder, name)))
        assert Path(sim.runtimes["llm"].params["profile"]).is_file()
    res = Simulation(load_design(_server_design(folder, "mine.json")), duration_s=5).run()
    assert res.counts["arrived"] > 0


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_devices_as_the_design_file_are_refused(special):
    with pytest.raises(DesignError, match="not a regular file"):
        read_json_file(Path(special))


def test_a_fifo_as_the_design_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "d.genai.json")
    with pytest.raises(DesignError, match="not a regular file"):
        read_json_file(tmp_path / "d.genai.json")


def test_reads_are_capped_whatever_st_size_says():
    # /proc files report st_size 0: the cap must hold on what is read
    proc = Path("/proc/self/status")
    if not proc.exists() or proc.stat().st_size != 0:
        pytest.skip("needs a /proc file that reports size 0")
    with pytest.raises(DesignError, match="over the 10 bytes limit"):
        read_bytes_capped(proc, "x", limit=10)


@pytest.mark.parametrize("argv", [["run", "/dev/zero"], ["validate", "/dev/zero"], ["export", "/dev/zero", "-o",
                                                                                      "x.svg"]])
def test_cli_design_from_a_device_is_one_line_exit_2(argv, tmp_path):
    p = subprocess.run([sys.executable, "-m", "genai_sim", *argv], capture_output=True, text=True, timeout=60,
                       cwd=REPO)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("genai-sim: error: /dev/zero")


def test_resolve_user_file_refuses_what_is_not_a_regular_file(folder):
    (folder / "sub").mkdir()
    with pytest.raises(DesignError, match="not a regular file"):
        resolve_user_file("sub", folder, "x")


# --- lone surrogates, control characters and long keys ----------------------------------------------------
@pytest.mark.parametrize("where", ["name", "node name", "param key", "description"])
def test_lone_surrogates_are_refused_at_load_with_the_path(tmp_path, where):
    d = {"format": "genai-sim.design", "version": 1, "name": "ok", "nodes": [{"id": "users", "kind": "client"}]}
    if where == "name":
        d["name"] = "a\ud800b"
    elif where == "node name":
        d["nodes"][0]["name"] = "\udfff"
    elif where == "param key":
        d["nodes"][0]["params"] = {"\ud800": 1}
    else:
        d["description"] = "x\udc80"
    f = tmp_path / "d.genai.json"
    f.write_text(json.dumps(d))  # ensure_ascii: the file holds the \\ud800 escape, as a hostile file would
    for source in (f, d):
        with pytest.raises(DesignError, match="lone surrogate") as info:
            load_design(source)
        str(info.value).encode("utf-8")  # the message itself prints anywhere


def test_errors_strip_control_characters_and_stay_short(tmp_path):
    key = "\x1b[2J\x1b]0;owned\x07" + "k" * 1_000_000
    d = {"format": "genai-sim.design", "version": 1, "nodes": [{"id": "users", "kind": "client", "params": {key: 1}}]}
    with pytest.raises(DesignError) as info:
        load_design(d)
    text = str(info.value)
    assert len(text) <= 1000 and "\x1b" not in text and "\x07" not in text and "\n" not in text
    assert text.startswith("nodes[0].params.?[2J")


def test_clean_text_removes_bidi_overrides_and_cuts():
    assert clean_text("a\u202eb\x00c\x9bd", 4) == "a?b…"


# --- atomic writes ------------------------------------------------------------------------------------------
def test_atomic_write_keeps_mode_follows_symlinks_and_backs_up(tmp_path):
    real = tmp_path / "real.genai.json"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.genai.json"
    link.symlink_to(real)
    atomic_write_text(link, "new", backup=True)
    assert link.is_symlink() and real.read_text() == "new"
    assert (tmp_path / "real.genai.json.bak").read_text() == "old"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "real.genai.json.bak").stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.genai.json", "real.genai.json",
                                                          "real.genai.json.bak"]


def test_atomic_write_refuses_lone_surrogates_before_touching_the_file(tmp_path):
    f = tmp_path / "d.json"
    f.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(f, "\ud800", backup=True)
    assert f.read_text() == "old" and not (tmp_path / "d.json.bak").exists()


KILLER = """
import sys
sys.path.insert(0, {repo!r})
from simulation.safe_paths import atomic_write_text
text = "y" * 8_000_000
while True:
    atomic_write_text({path!r}, text, backup=True)
"""


def test_sigkill_during_saves_never_leaves_an_empty_backup_or_a_temp_file(tmp_path):
    f = tmp_path / "d.genai.json"
    f.write_text("x" * 8_000_000)
    for i in range(6):
        p = subprocess.Popen([sys.executable, "-c", KILLER.format(repo=str(REPO), path=str(f))])
        time.sleep(0.3 + 0.15 * i)
        p.send_signal(signal.SIGKILL)
        p.wait()
        names = sorted(q.name for q in tmp_path.iterdir())
        assert names in (["d.genai.json"], ["d.genai.json", "d.genai.json.bak"]), names
        assert f.stat().st_size == 8_000_000
        bak = tmp_path / "d.genai.json.bak"
        if bak.exists():
            assert bak.stat().st_size == 8_000_000
