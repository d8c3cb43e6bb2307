"""Screenshots of the results dock after a run, for the docs:

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \\
        .venv/bin/python -m designer.results.screenshot --theme dark --tab "Latency" \\
        --out docs/screenshots/results_dark.png assets/templates/vllm-cluster-70b.genai.json

The design is run through the designer's own path (F5: worker process, live results), then the window is
grabbed once every results tab has been drawn. Settings go to a throw-away folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile

from PySide6.QtCore import QSettings, Qt, QTimer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="design to open and run")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--tab", default="Latency", help="results tab to show (Summary, Latency, ...)")
    parser.add_argument("--metric", default="", help="latency metric on the Latency tab: TTFT, TPOT or E2E")
    parser.add_argument("--size", default="1600x1000", help="window size WxH")
    parser.add_argument(
        "--dock-share", type=float, default=0.55, help="fraction of the height for the results"
    )
    parser.add_argument(
        "--duration", type=float, default=0.0, help="simulated seconds (default: the design's)"
    )
    args = parser.parse_args(argv)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="genai-sim-shot-")
    )

    from designer.app import make_app

    app = make_app()
    from designer.mainwindow import MainWindow
    from designer.theme import apply_theme, theme_named

    QSettings().setValue("theme", args.theme)
    apply_theme(app, theme_named(args.theme))
    window = MainWindow(args.file)
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.move(0, 0)
    window.show()
    session = window.run_session
    view = session.view
    if args.duration:
        session.panel.duration.setValue(args.duration)

    def start() -> None:
        window.resizeDocks([session.results_dock], [int(height * args.dock_share)], Qt.Orientation.Vertical)
        window.view.initial_view()
        session.run()
        QTimer.singleShot(200, wait)

    def wait() -> None:
        if session.controller.running or view.stale_tabs:
            QTimer.singleShot(200, wait)
            return
        names = [view.tabs.tabText(i) for i in range(view.tabs.count())]
        if args.tab in names:
            view.tabs.setCurrentIndex(names.index(args.tab))
        if args.metric:
            i = view.metric_combo.findText(args.metric)
            if i >= 0:
                view.metric_combo.setCurrentIndex(i)
        window.view.initial_view()
        QTimer.singleShot(800, grab)

    def grab() -> None:
        pixmap = window.screen().grabWindow(window.winId())
        if pixmap.isNull():
            pixmap = window.grab()
        pixmap.save(args.out, "PNG")
        run = session.latest
        print(f"wrote {args.out} ({pixmap.width()}×{pixmap.height()}); run {run.status if run else 'none'}")
        window.undo_stack.setClean()
        window.close()
        app.quit()

    QTimer.singleShot(800, start)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
