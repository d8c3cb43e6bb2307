"""Component icons from assets/icons/*.svg: cached renderers for the canvas, QIcons for widgets."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICONS_DIR = Path(__file__).resolve().parents[1] / "assets" / "icons"
APP_ICON = ICONS_DIR / "genai-sim.svg"


def icon_path(kind: str) -> Path:
    from simulation.registry import get_kind

    try:
        name = get_kind(kind).icon or kind
    except Exception:  # an unknown kind still gets drawn (with the generic icon)
        name = kind
    path = ICONS_DIR / f"{name}.svg"
    return path if path.exists() else ICONS_DIR / "service.svg"


@cache
def renderer(kind: str) -> QSvgRenderer:
    return QSvgRenderer(str(icon_path(kind)))


@cache
def kind_icon(kind: str) -> QIcon:
    icon = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        icon.addPixmap(_render_pixmap(str(icon_path(kind)), size, 1.0))
    return icon


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        icon.addPixmap(_render_pixmap(str(APP_ICON), size, 1.0))
    return icon


@lru_cache(maxsize=512)
def _render_pixmap(path: str, size: int, dpr: float) -> QPixmap:
    side = max(1, round(size * dpr))
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(path).render(painter, QRectF(0, 0, side, side))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(dpr)
    return pixmap


def kind_pixmap(kind: str, size: int, dpr: float) -> QPixmap:
    """A crisp pixmap for the canvas: rendered at the device's pixel ratio, cached per (kind, size, ratio)."""
    return _render_pixmap(str(icon_path(kind)), size, round(dpr * 4) / 4)


def icon_size() -> QSize:
    return QSize(20, 20)
