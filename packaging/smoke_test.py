"""Smoke test of the packaged app (dist/genai-sim): starts, finds its bundled templates, runs one, refuses a
bad file with exit 2, renders offscreen, and opens the designer window offscreen without crashing.

    .venv/bin/python packaging/smoke_test.py [dist/genai-sim]

Prints the folder size and the start-up times; exits 0 when every check passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GUI_GRACE_S = 12.0  # the designer must still be running (not crashed) this long after start


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def bundled(app_dir: Path, relative: str) -> Path:
    for base in (app_dir / "_internal", app_dir):
        if (base / relative).exists():
            return base / relative
    raise AssertionError(f"{relative} is not in the package")


def run(cmd: list[str], timeout: float = 300, **kw) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **kw.pop("env", {})}
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, **kw)
    return proc, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    app_dir = Path(argv[0] if argv else REPO / "dist" / "genai-sim").resolve()
    exe = app_dir / "genai-sim"
    if not exe.is_file():
        print(f"no packaged app at {exe}; run `make package` first", file=sys.stderr)
        return 1
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            failures.append(what)

    size = folder_size(app_dir)
    check(not any(p.name == "torch" for p in (app_dir / "_internal").iterdir()) if (app_dir / "_internal").is_dir()
          else True, "torch is not bundled (calibration needs it installed)")

    proc, cold = run([str(exe), "--help"])
    check(proc.returncode == 0 and "genai-sim" in proc.stdout, f"--help exits 0 ({cold:.2f} s, first start)")
    warm = min(run([str(exe), "--help"])[1] for _ in range(3))

    proc, _ = run([str(exe), "templates"])
    check(proc.returncode == 0 and "rag-pipeline" in proc.stdout, "bundled templates are listed")

    template = bundled(app_dir, "assets/templates/rag-pipeline.genai.json")
    proc, run_s = run([str(exe), "run", str(template), "--json", "--duration", "120", "--seed", "1"])
    try:
        data = json.loads(proc.stdout)
        ran = proc.returncode == 0 and data["requests"]["completed"] > 0
    except (ValueError, KeyError, TypeError):
        ran = False
    check(ran, f"`run TEMPLATE --json` simulates and prints JSON ({run_s:.2f} s) {proc.stderr.strip()[-300:]}")

    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "bad.genai.json"
        bad.write_text('{"format": "genai-sim.design", "version": 1, "nodes": [{"id": "x", "kind": "warp"}]}')
        proc, _ = run([str(exe), "validate", str(bad)])
        check(proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr,
              f"a bad file is refused with exit 2 and one line: {proc.stderr.strip()[:120]!r}")

        png = Path(tmp) / "diagram.png"
        proc, _ = run([str(exe), "export", str(template), "-o", str(png)])
        check(proc.returncode == 0 and png.is_file() and png.stat().st_size > 1000,
              f"offscreen diagram export works (Qt plugins bundled) {proc.stderr.strip()[-200:]}")

        # The designer: opens the template offscreen and keeps running (no crash, no traceback).
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GENAI_SIM_AUTOSAVE_DIR": str(Path(tmp) / "autosave"),
               "XDG_CONFIG_HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_STATE_HOME": tmp}
        t0 = time.perf_counter()
        gui = subprocess.Popen([str(exe), str(template)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)
        try:
            gui.wait(timeout=GUI_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        alive = gui.poll() is None
        if alive:
            gui.send_signal(signal.SIGTERM)
        try:
            _, err = gui.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            gui.kill()
            _, err = gui.communicate()
        check(alive and "Traceback" not in err,
              f"designer opens the template offscreen and stays up {GUI_GRACE_S:.0f} s "
              f"(exit {gui.returncode} after SIGTERM) {err.strip()[-300:]}")
        del t0

    print(f"package: {app_dir} {size / 2**20:.0f} MiB")
    print(f"start-up: `genai-sim --help` {cold:.2f} s first, {warm:.2f} s warm; "
          f"`run rag-pipeline --json --duration 120` {run_s:.2f} s")
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
