"""Packaging: the desktop entry and MIME type are well-formed, the spec bundles what the app reads, and
(when `make package` has built dist/genai-sim) the smoke test passes on the built app."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
APP = REPO / "dist" / "genai-sim" / "genai-sim"


def test_desktop_entry_declares_the_app_and_its_file_type():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(PACKAGING / "genai-sim.desktop", encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Exec"].startswith("genai-sim ") and "%f" in d["Exec"]
    assert d["Icon"] == "genai-sim" and d["Terminal"] == "false"
    assert "application/x-genai-sim-design" in d["MimeType"].split(";")
    if shutil.which("desktop-file-validate"):
        proc = subprocess.run(["desktop-file-validate", str(PACKAGING / "genai-sim.desktop")], capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mime_type_matches_design_files():
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(PACKAGING / "genai-sim-mime.xml").getroot()
    mime = root.find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == "application/x-genai-sim-design"
    assert [g.get("pattern") for g in mime.findall("m:glob", ns)] == ["*.genai.json"]
    magic = mime.find("m:magic/m:match", ns)
    template = (REPO / "assets" / "templates" / "rag-pipeline.genai.json").read_bytes()
    assert magic is not None and magic.get("value").encode() in template[:512]


def test_spec_bundles_assets_and_leaves_torch_out():
    spec = (PACKAGING / "genai-sim.spec").read_text()
    assert '(str(REPO / "assets"), "assets")' in spec
    assert '"torch"' in spec
    assert (REPO / "assets" / "icons" / "genai-sim.svg").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not APP.is_file(), reason="no packaged app; run `make package`")
def test_smoke_test_passes_on_the_built_app():
    proc = subprocess.run([sys.executable, str(PACKAGING / "smoke_test.py"), str(APP.parent)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
