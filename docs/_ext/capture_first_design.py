"""Screenshots of the first design after a run (``docs/images/first-design-*.png``), taken offscreen.

Run from the repository root:
``QT_QPA_PLATFORM=offscreen .venv/bin/python docs/_ext/capture_first_design.py docs/images/first-design``
"""

from __future__ import annotations

import sys
import tempfile
import time

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QTabWidget

DESIGN = "docs/examples/first-design.genai.json"
TABS = (("Latency", "-latency.png"), ("Over time", "-overtime.png"), ("Nodes", "-nodes.png"), ("LLM servers", "-llm.png"),
        ("Cost", "-cost.png"), ("Review", "-review.png"))


def main(prefix: str) -> None:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)  # never touch the user's settings
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    app = QApplication(sys.argv)
    from designer.mainwindow import MainWindow

    win = MainWindow(DESIGN)
    win.resize(1600, 1000)
    win.show()
    session = win.run_session
    started = time.time()
    shots = iter(TABS)

    def finish() -> None:
        win.undo_stack.setClean()
        app.quit()

    def next_shot(tabs: QTabWidget) -> None:
        item = next(shots, None)
        if item is None:
            finish()
            return
        tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(item[0]))
        QTimer.singleShot(1500, lambda: (win.grab().save(prefix + item[1]), next_shot(tabs)))

    def done() -> None:
        win.grab().save(prefix + "-summary.png")
        tabs = next(t for t in win.findChildren(QTabWidget)
                    if [t.tabText(i) for i in range(t.count())][:2] == ["Summary", "Latency"])
        next_shot(tabs)

    def poll() -> None:
        if not session.controller.running:
            QTimer.singleShot(1500, done)
        elif time.time() - started > 120:
            print("the run did not finish in 120 s", file=sys.stderr)
            finish()
        else:
            QTimer.singleShot(300, poll)

    def go() -> None:
        session.run()
        QTimer.singleShot(1000, poll)

    QTimer.singleShot(1500, go)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/images/first-design")
