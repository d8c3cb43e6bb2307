"""Building blocks of the results views: themed pyqtgraph plots (PNG/SVG export), tables (CSV export)."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

# Qualitative colours that read on both the light and the dark canvas (Tailwind 600/400 pairs).
SERIES_LIGHT = (
    "#2563EB",
    "#DC2626",
    "#16A34A",
    "#D97706",
    "#9333EA",
    "#0891B2",
    "#DB2777",
    "#65A30D",
    "#475569",
    "#EA580C",
)
SERIES_DARK = (
    "#60A5FA",
    "#F87171",
    "#4ADE80",
    "#FBBF24",
    "#C084FC",
    "#22D3EE",
    "#F472B6",
    "#A3E635",
    "#94A3B8",
    "#FB923C",
)
PASS_FAIL = {"light": ("#16A34A", "#DC2626"), "dark": ("#4ADE80", "#F87171")}


def is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def series_colour(widget: QWidget, i: int) -> str:
    colours = SERIES_DARK if is_dark(widget) else SERIES_LIGHT
    return colours[i % len(colours)]


def pass_fail_colour(widget: QWidget, ok: bool) -> QColor:
    good, bad = PASS_FAIL["dark" if is_dark(widget) else "light"]
    return QColor(good if ok else bad)


# -- export ------------------------------------------------------------------------------------------
def export_png(widget: QWidget, path: str | Path) -> Path:
    path = Path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def export_svg(widget: QWidget, path: str | Path, title: str = "") -> Path:
    """Render the widget through QSvgGenerator (pyqtgraph's own SVG exporter mangles axes)."""
    path = Path(path)
    size = widget.size()
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(size)
    gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
    gen.setTitle(title or "genai-sim plot")
    gen.setDescription("Exported by the genai-sim designer")
    painter = QPainter(gen)
    try:
        widget.render(painter)
    finally:
        painter.end()
    if not path.is_file():
        raise OSError(f"could not write {path}")
    return path


def table_rows(table: QTableWidget) -> list[list[str]]:
    headers = [
        table.horizontalHeaderItem(c).text() if table.horizontalHeaderItem(c) else f"col{c}"
        for c in range(table.columnCount())
    ]
    rows = [headers]
    for r in range(table.rowCount()):
        rows.append(
            [(table.item(r, c).text() if table.item(r, c) else "") for c in range(table.columnCount())]
        )
    return rows


def export_csv(rows: list[list[Any]], path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _ask_path(parent: QWidget, title: str, name: str, filt: str) -> str:
    path, _ = QFileDialog.getSaveFileName(parent, title, name, filt)
    return path


# -- plots ---------------------------------------------------------------------------------------------
LEGEND_COLUMNS = 4
LEGEND_ROW_PX = 18


class ThemedPlot(pg.PlotWidget):
    """A PlotWidget that takes its background, axes and text colours from the Qt palette (light/dark)."""

    def __init__(self, parent: QWidget | None = None, x_label: str = "", y_label: str = "") -> None:
        super().__init__(parent)
        self._labels = (x_label, y_label)
        self.setMinimumHeight(150)
        self.setMenuEnabled(False)
        self.plotItem.showGrid(x=True, y=True, alpha=0.15)
        self.restyle()

    def sizeHint(self) -> QSize:
        return QSize(420, 240)

    def restyle(self) -> None:
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        self.setBackground(bg)
        for name in ("left", "bottom"):
            axis = self.plotItem.getAxis(name)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
        x_label, y_label = self._labels
        style = {"color": fg.name()}
        if x_label:
            self.plotItem.setLabel("bottom", x_label, **style)
        if y_label:
            self.plotItem.setLabel("left", y_label, **style)
        legend = self.plotItem.legend
        if legend is not None:
            legend.setLabelTextColor(fg)
            legend.setBrush(pg.mkBrush(QColor(bg.red(), bg.green(), bg.blue(), 200)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if (
            event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
            and getattr(self, "plotItem", None) is not None
        ):
            self.restyle()
        super().changeEvent(event)

    def legend(self) -> Any:
        """The legend, in a band above the plotting area (never over the data), LEGEND_COLUMNS entries a row."""
        if self.plotItem.legend is None:
            legend = pg.LegendItem(labelTextSize="8pt", colCount=LEGEND_COLUMNS, horSpacing=12, verSpacing=-6,
                                   frame=False)
            # The PlotItem's title row (these plots have no title: the card's heading names them).
            self.plotItem.layout.removeItem(self.plotItem.titleLabel)
            self.plotItem.titleLabel.hide()
            self.plotItem.layout.addItem(legend, 0, 1)
            self.plotItem.legend = legend
            self.restyle()
        return self.plotItem.legend

    def _fit_legend_row(self) -> None:
        legend = self.plotItem.legend
        if legend is None:
            return
        rows = math.ceil(len(legend.items) / LEGEND_COLUMNS)
        self.plotItem.layout.setRowFixedHeight(0, LEGEND_ROW_PX * rows + 2 if rows else 0)

    def addItem(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - pyqtgraph API
        out = self.plotItem.addItem(*args, **kwargs)
        self._fit_legend_row()
        return out

    def plot(self, *args: Any, **kwargs: Any) -> Any:
        out = self.plotItem.plot(*args, **kwargs)
        self._fit_legend_row()
        return out

    def clear_all(self) -> None:
        self.plotItem.clear()
        if self.plotItem.legend is not None:
            self.plotItem.legend.clear()
        self._fit_legend_row()

    def curve(
        self,
        x: np.ndarray,
        y: np.ndarray,
        colour: str,
        name: str | None = None,
        width: float = 2.0,
        step: bool = False,
        dash: bool = False,
    ) -> Any:
        if name is not None:
            self.legend()
        pen = pg.mkPen(colour, width=width, style=Qt.PenStyle.DashLine if dash else Qt.PenStyle.SolidLine)
        return self.plot(x, y, pen=pen, name=name, stepMode="center" if step else None, connect="finite")

    def hbars(
        self, labels: list[str], values: list[float], colours: list[str], texts: list[str] | None = None
    ) -> Any:
        """Horizontal bars, one per label (names on the left axis read better than rotated ticks), with
        an optional value written at the end of each bar."""
        y = np.arange(len(values), dtype=float)
        item = pg.BarGraphItem(
            x0=np.zeros(len(values)),
            y=y,
            height=0.6,
            width=np.asarray(values, float),
            brushes=[pg.mkBrush(c) for c in colours],
            pens=[pg.mkPen(None)] * len(values),
        )
        self.addItem(item)
        fg = self.palette().color(QPalette.ColorRole.Text)
        for yi, value, text in zip(y, values, texts or []):
            label = pg.TextItem(text, color=fg, anchor=(0, 0.5))
            label.setPos(float(value), float(yi))
            self.plotItem.addItem(label, ignoreBounds=True)
        self.plotItem.getAxis("left").setTicks([[(float(i), lab) for i, lab in enumerate(labels)]])
        self.plotItem.setYRange(-0.6, max(len(values) - 0.4, 0.6), padding=0)
        return item

    def vline(self, x: float, colour: str, label: str = "", label_right: bool = False) -> Any:
        # The label sits left of the line, near the top, so it is never cut off at the plot's right edge;
        # ``label_right`` for a line near the left edge.
        anchor = (0, 0) if label_right else (1, 0)
        line = pg.InfiniteLine(
            pos=x,
            angle=90,
            pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
            label=label or None,
            labelOpts={"position": 0.92, "color": colour, "anchors": [anchor, anchor]},
        )
        self.addItem(line)
        return line

    def hline(self, y: float, colour: str, label: str = "") -> Any:
        line = pg.InfiniteLine(
            pos=y,
            angle=0,
            pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
            label=label or None,
            labelOpts={"position": 0.03, "color": colour, "anchors": [(0, 1), (0, 1)]},
        )
        self.addItem(line)
        return line

    def shade(self, x0: float, x1: float, label: str = "") -> Any:
        """A light band over [x0, x1] (the warm-up, whose requests are not measured)."""
        fg = self.palette().color(QPalette.ColorRole.Text)
        region = pg.LinearRegionItem(
            (x0, x1), movable=False, brush=pg.mkBrush(fg.red(), fg.green(), fg.blue(), 22), pen=pg.mkPen(None)
        )
        region.setZValue(-10)
        self.addItem(region)
        if label:
            text = pg.TextItem(label, color=fg, anchor=(0.5, 0))
            text.setPos((x0 + x1) / 2, 0)
            # Outside auto-range (else moving it to the top would grow the range, and so on forever).
            self.plotItem.addItem(text, ignoreBounds=True)
            self.plotItem.vb.sigYRangeChanged.connect(lambda _vb, r: text.setPos((x0 + x1) / 2, r[1]))
        return region


class NoteLabel(QLabel):
    """A label that is shown only while it has text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setVisible(bool(text))

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        super().setText(text)
        self.setVisible(bool(text))


class PlotCard(QWidget):
    """A titled plot with an Export menu (PNG, SVG, and the plotted data as CSV)."""

    def __init__(
        self, title: str, x_label: str = "", y_label: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.plot = ThemedPlot(self, x_label, y_label)
        self.data_rows: list[list[Any]] = []  # what export CSV writes; filled by whoever draws the plot
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        self.title_label = QLabel(title)
        self.title_label.setProperty("role", "heading")
        head.addWidget(self.title_label)
        head.addStretch(1)
        # The note gets a line of its own under the title, wrapped: beside the title a long note would either
        # overlap it or set the card's (and so the results dock's) minimum width.
        self.note = NoteLabel()
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setToolTip(f"Export “{title}” as PNG, SVG or CSV")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("PNG image…", self._export_png)
        menu.addAction("SVG image…", self._export_svg)
        menu.addAction("Data as CSV…", self._export_csv)
        self.export_button.setMenu(menu)
        head.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)

    def _slug(self) -> str:
        return "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")

    def _export_png(self) -> None:
        path = _ask_path(self, "Export plot as PNG", f"{self._slug()}.png", "PNG image (*.png)")
        if path:
            export_png(self.plot, path)

    def _export_svg(self) -> None:
        path = _ask_path(self, "Export plot as SVG", f"{self._slug()}.svg", "SVG image (*.svg)")
        if path:
            export_svg(self.plot, path, self.title)

    def _export_csv(self) -> None:
        path = _ask_path(self, "Export plot data as CSV", f"{self._slug()}.csv", "CSV (*.csv)")
        if path:
            export_csv(self.data_rows, path)


class TableCard(QWidget):
    """A titled read-only table with an Export CSV button."""

    def __init__(self, title: str, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        label = QLabel(title)
        label.setProperty("role", "heading")
        head.addWidget(label)
        head.addStretch(1)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export CSV…")
        self.export_button.clicked.connect(self._export)
        head.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.table, 1)

    def set_rows(self, rows: list[list[Any]], colours: dict[tuple[int, int], QColor] | None = None) -> None:
        t = self.table
        t.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                if colours and (r, c) in colours:
                    item.setForeground(colours[(r, c)])
                t.setItem(r, c, item)

    def rows(self) -> list[list[str]]:
        return table_rows(self.table)

    def _export(self) -> None:
        slug = "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")
        path = _ask_path(self, "Export table as CSV", f"{slug}.csv", "CSV (*.csv)")
        if path:
            export_csv(self.rows(), path)
