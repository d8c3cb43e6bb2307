"""Entry point: ``genai-sim [FILE]`` and ``python -m designer.app [FILE]`` open the designer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QPixmapCache
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from designer.mainwindow import MainWindow

ORGANIZATION = "genai-sim"
APPLICATION = "designer"


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with high-DPI rounding off (crisp at 125 %/150 %), names and the saved theme."""
    from designer.icons import app_icon
    from designer.theme import apply_theme, theme_named

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QGuiApplication.setDesktopFileName("genai-sim")
    app.setWindowIcon(app_icon())
    # Canvas cards and the far-out edge layer are cached as device pixmaps; Qt's 10 MB default holds only a
    # few dozen high-DPI cards, so a big design would re-render them every frame.
    QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), 128 * 1024))
    apply_theme(app, theme_named(str(QSettings().value("theme", "light"))))  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def main(path: str | None = None) -> int:
    app = make_app()
    from designer.mainwindow import MainWindow

    window = MainWindow(path)
    window.show()
    if path is None:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: _recover(window))
    return app.exec()


def _recover(window: MainWindow) -> None:
    """After a crash, offer the autosaved work (designer/autosave.py)."""
    from designer.autosave import offer_recovery, restore_into

    for path in offer_recovery(window):
        restore_into(window.document, path, window.autosaver)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
