"""Headless diagram export (``genai-sim export FILE -o OUT.png|svg``): the canvas's own scene and items
render the picture, so the file looks exactly like the canvas (light theme, no grid)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QApplication

from simulation.design import Design
from simulation.errors import DesignError

PNG_SCALE = 2.0  # 2× pixels: crisp on high-DPI screens and in printed reports


def ensure_app() -> QApplication:
    """A QApplication for headless use; offscreen when no display is available."""
    app = QApplication.instance()
    if app is None:
        if not os.environ.get("QT_QPA_PLATFORM") and not (os.environ.get("DISPLAY")
                                                          or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication(sys.argv[:1])
    return app  # type: ignore[return-value]


def render_image(design: Design, max_size: QSize | None = None, scale: float = PNG_SCALE,
                 theme_name: str = "light", device_pixel_ratio: float = 1.0) -> QImage:
    """The diagram as an image; with ``max_size`` it is scaled down to fit (template thumbnails). An image
    shown at ``device_pixel_ratio`` has that many pixels per screen pixel: the cards choose what text they
    can show legibly from the size on screen, not in the image."""
    from designer.canvas.scene import DesignScene
    from designer.theme import theme_named

    ensure_app()
    theme = theme_named(theme_name)
    scene = DesignScene(design, None, theme)
    scene.lod_scale = 1.0 / device_pixel_ratio
    try:
        source = scene.diagram_rect()
        if max_size is not None:
            scale = min(max_size.width() / source.width(), max_size.height() / source.height(), scale)
        width, height = max(1, round(source.width() * scale)), max(1, round(source.height() * scale))
        image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(theme.canvas))
        painter = QPainter(image)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        scene.render(painter, QRectF(0, 0, width, height), source, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        return image
    finally:
        scene.detach()


def export_diagram(design: Design, out: Path) -> None:
    """Write the diagram to ``out`` (.png or .svg); raises DesignError for an unsupported suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise DesignError(f"unsupported diagram format {out.suffix or '(none)'!r}; use .png or .svg", "--output")
    ensure_app()
    if suffix == ".png":
        image = render_image(design)
        if not image.save(str(out), "PNG"):
            raise DesignError(f"cannot write {out}", "--output")
        return
    _export_svg(design, out)


def _export_svg(design: Design, out: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    from designer.canvas.scene import DesignScene
    from designer.theme import LIGHT

    scene = DesignScene(design, None, LIGHT)
    try:
        source = scene.diagram_rect()
        generator = QSvgGenerator()
        generator.setFileName(str(out))
        generator.setSize(QSize(round(source.width()), round(source.height())))
        generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(design.name)
        generator.setDescription(f"{design.name}: diagram exported by genai-sim")
        painter = QPainter()
        if not painter.begin(generator):
            raise DesignError(f"cannot write {out}", "--output")
        painter.fillRect(QRectF(0, 0, source.width(), source.height()), QColor(LIGHT.canvas))
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
        painter.end()
    finally:
        scene.detach()
    if not out.exists():
        raise DesignError(f"cannot write {out}", "--output")


def _main() -> int:  # python -m designer.export FILE OUT
    from simulation.loader import load_design

    design = load_design(sys.argv[1])
    export_diagram(design, Path(sys.argv[2]))
    return 0


if __name__ == "__main__":
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    raise SystemExit(_main())
