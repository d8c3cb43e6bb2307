"""Window screenshots for the docs: ``python -m designer.screenshot --theme dark --out docs/screenshots/x.png [FILE]``.

Run under a real X server (Xvfb) so fonts, styles and the window manager-free frame match a desktop:
``QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -m designer.screenshot ...``.
Settings go to a throw-away folder so the picture never depends on this machine's saved state.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from PySide6.QtCore import QSettings, QTimer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", help="design to open")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--size", default="1440x900", help="window size WxH")
    parser.add_argument("--select", help="node id to select (shows its inspector)")
    parser.add_argument("--delay-ms", type=int, default=1200)
    args = parser.parse_args(argv)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="genai-sim-shot-"))

    from designer.app import make_app

    app = make_app()
    QSettings().setValue("theme", args.theme)
    from designer.mainwindow import MainWindow
    from designer.theme import apply_theme, theme_named

    apply_theme(app, theme_named(args.theme))
    window = MainWindow(args.file)
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.move(0, 0)
    window.show()

    def prepare() -> None:
        window.view.initial_view()
        if args.select:
            window.select_node(args.select)

    def grab() -> None:
        screen = window.screen()
        pixmap = screen.grabWindow(window.winId())
        if pixmap.isNull():
            pixmap = window.grab()
        pixmap.save(args.out, "PNG")
        print(f"wrote {args.out} ({pixmap.width()}×{pixmap.height()})")
        window.undo_stack.setClean()
        window.close()
        app.quit()

    QTimer.singleShot(args.delay_ms // 2, prepare)
    QTimer.singleShot(args.delay_ms, grab)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
