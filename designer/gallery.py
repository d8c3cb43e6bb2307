"""New from template: a gallery whose thumbnails are rendered from the template files themselves."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from designer.theme import style_label
from simulation.errors import DesignError
from simulation.loader import load_design

THUMB = QSize(340, 180)  # wide: most templates are a left-to-right flow
PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def template_files() -> list[Path]:
    from simulation.templates import template_paths

    return template_paths()


def _framed(image: QImage, theme_name: str) -> QPixmap:
    """The thumbnail centred on a fixed-size card, so every entry in the grid lines up."""
    from designer.theme import theme_named

    canvas = QPixmap(THUMB * 2)
    canvas.fill(QColor(theme_named(theme_name).canvas))
    painter = QPainter(canvas)
    painter.drawImage(QPoint((canvas.width() - image.width()) // 2, (canvas.height() - image.height()) // 2), image)
    painter.end()
    canvas.setDevicePixelRatio(2.0)
    return canvas


class TemplateGallery(QDialog):
    def __init__(self, parent: QWidget | None = None, theme_name: str = "light") -> None:
        super().__init__(parent)
        self.setWindowTitle("New from template")
        self.resize(1160, 760)  # three thumbnails a row
        layout = QVBoxLayout(self)
        intro = QLabel("Start from a worked example. Each template documents its workload and runs clean.")
        style_label(intro, "muted")
        layout.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("template_list")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setGridSize(QSize(THUMB.width() + 24, THUMB.height() + 52))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setSpacing(6)
        layout.addWidget(self.list, 1)
        self.details = QTextBrowser()  # long template notes scroll here instead of squeezing the thumbnails
        self.details.setObjectName("template_details")
        self.details.setFrameShape(QFrame.Shape.NoFrame)
        self.details.setMinimumHeight(60)
        self.details.setMaximumHeight(130)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        self.list.currentItemChanged.connect(self._show_details)
        self._populate(theme_name)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _populate(self, theme_name: str) -> None:
        from designer.export import render_image

        for path in template_files():
            try:
                design = load_design(path)
            except DesignError as exc:  # a broken template is listed with its error, not hidden
                item = QListWidgetItem(f"{path.name}\n(invalid: {exc})")
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.list.addItem(item)
                continue
            image = render_image(design, THUMB * 2, scale=2.0, theme_name=theme_name, device_pixel_ratio=2.0)
            pixmap = _framed(image, theme_name)
            item = QListWidgetItem(QIcon(pixmap), design.name)
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(f"<b>{html.escape(design.name)}</b><br>{html.escape(design.description)}")
            self.list.addItem(item)

    def _show_details(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None = None) -> None:
        self.details.setHtml(item.toolTip() if item is not None else "")

    def selected_path(self) -> str | None:
        item = self.list.currentItem()
        return item.data(PATH_ROLE) if item is not None else None
