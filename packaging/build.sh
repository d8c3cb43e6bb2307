#!/usr/bin/env bash
# `make package`: one-folder desktop build in dist/genai-sim (PyInstaller), desktop entry, icon and
# *.genai.json file association beside it, then the smoke test. Intermediate files go to build/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
DIST=dist/genai-sim

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/genai-sim.spec

# Desktop integration files, laid out as under a prefix (share/...), installed by install_desktop.sh.
mkdir -p "$DIST/share/applications" "$DIST/share/mime/packages" "$DIST/share/icons/hicolor/scalable/apps"
cp packaging/genai-sim.desktop "$DIST/share/applications/genai-sim.desktop"
cp packaging/genai-sim-mime.xml "$DIST/share/mime/packages/genai-sim.xml"
if [ -f assets/icons/genai-sim.svg ]; then
    cp assets/icons/genai-sim.svg "$DIST/share/icons/hicolor/scalable/apps/genai-sim.svg"
fi
cp packaging/install_desktop.sh "$DIST/install-desktop.sh"
# The documentation site (make docs), opened by Help > Documentation in the packaged app.
if [ -f build/docs/index.html ]; then
    rm -rf "$DIST/share/doc/genai-sim" && mkdir -p "$DIST/share/doc" && cp -r build/docs "$DIST/share/doc/genai-sim"
fi
chmod +x "$DIST/install-desktop.sh"

if [ "${SKIP_SMOKE:-0}" != 1 ]; then
    "$PY" packaging/smoke_test.py "$DIST"
fi
echo "built $DIST ($(du -sh "$DIST" | cut -f1))"
