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
# A diagram whose nodes lie far apart would need gigabytes of pixels (20,000 px apart at 2× is 1.6 GB):
# larger pictures are scaled down to fit these bounds, and the export says so.
MAX_PNG_SIDE = 8192
MAX_PNG_PIXELS = 32_000_000


def fit_scale(width: float, height: float, scale: float) -> float:
    """``scale``, or less so that the picture fits MAX_PNG_SIDE and MAX_PNG_PIXELS."""
    width, height = max(width, 1.0), max(height, 1.0)
    scale = min(scale, MAX_PNG_SIDE / width, MAX_PNG_SIDE / height)
    if width * height * scale * scale > MAX_PNG_PIXELS:
        scale = (MAX_PNG_PIXELS / (width * height)) ** 0.5
    return scale


def printable_copy(design: Design) -> Design:
    """A copy whose texts hold no control characters (invalid in XML, escapes in terminals)."""
    from simulation.errors import clean_text

    twin = design.clone()
    twin.name = clean_text(twin.name)
    twin.description = clean_text(twin.description)
    for node in twin.nodes:
        node.name = clean_text(node.name)
    for edge in twin.edges:
        if edge.label:
            edge.label = clean_text(edge.label)
    return twin


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
    scene = DesignScene(printable_copy(design), None, theme)
    scene.lod_scale = 1.0 / device_pixel_ratio
    try:
        source = scene.diagram_rect()
        if max_size is not None:
            scale = min(max_size.width() / source.width(), max_size.height() / source.height(), scale)
        scale = fit_scale(source.width(), source.height(), scale)
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


def export_diagram(design: Design, out: Path) -> str | None:
    """Write the diagram to ``out`` (.png or .svg); raises DesignError for an unsupported suffix.

    Returns a note when a PNG had to be scaled down below the usual 2× to stay within the pixel bounds."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise DesignError(f"unsupported diagram format {out.suffix or '(none)'!r}; use .png or .svg", "--output")
    ensure_app()
    if suffix == ".png":
        image = render_image(design)
        if not image.save(str(out), "PNG"):
            raise DesignError(f"cannot write {out}", "--output")
        if image.width() >= MAX_PNG_SIDE or image.height() >= MAX_PNG_SIDE \
                or image.width() * image.height() >= MAX_PNG_PIXELS * 0.99:
            return (f"the diagram is large, so the PNG was scaled down to {image.width()}×{image.height()} px "
                    f"(at most {MAX_PNG_SIDE} px a side, {MAX_PNG_PIXELS // 1_000_000} Mpx); export .svg for "
                    "full detail")
        return None
    _export_svg(design, out)
    return None


def _export_svg(design: Design, out: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    from designer.canvas.scene import DesignScene
    from designer.theme import LIGHT

    design = printable_copy(design)  # control characters are invalid XML (in <title> and in text)
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
