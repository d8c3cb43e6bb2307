#!/usr/bin/env bash
# Register the packaged genai-sim with the desktop for this user: menu entry, icon, and *.genai.json
# opening in genai-sim. Run from the unpacked dist/genai-sim folder; undo with --uninstall.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
BIN="${XDG_BIN_HOME:-$HOME/.local/bin}"
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$DATA/applications/genai-sim.desktop" "$DATA/mime/packages/genai-sim.xml" \
          "$DATA/icons/hicolor/scalable/apps/genai-sim.svg" "$BIN/genai-sim"
else
    mkdir -p "$DATA/applications" "$DATA/mime/packages" "$DATA/icons/hicolor/scalable/apps" "$BIN"
    ln -sf "$HERE/genai-sim" "$BIN/genai-sim"
    sed "s|^Exec=genai-sim|Exec=$HERE/genai-sim|; s|^TryExec=genai-sim|TryExec=$HERE/genai-sim|" \
        "$HERE/share/applications/genai-sim.desktop" > "$DATA/applications/genai-sim.desktop"
    cp "$HERE/share/mime/packages/genai-sim.xml" "$DATA/mime/packages/genai-sim.xml"
    [ -f "$HERE/share/icons/hicolor/scalable/apps/genai-sim.svg" ] && \
        cp "$HERE/share/icons/hicolor/scalable/apps/genai-sim.svg" "$DATA/icons/hicolor/scalable/apps/"
fi
command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
command -v xdg-mime >/dev/null && [ "${1:-}" != "--uninstall" ] && \
    xdg-mime default genai-sim.desktop application/x-genai-sim-design || true
action=installed; [ "${1:-}" = "--uninstall" ] && action=removed
echo "genai-sim desktop integration $action under $DATA"
