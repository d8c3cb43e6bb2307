"""Every plot exports as PNG and SVG (rendered through QSvgGenerator) and every table as CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402

from designer.results.widgets import PlotCard, TableCard, export_csv, export_png, export_svg  # noqa: E402


def test_plot_exports_png_svg_and_csv(qtbot: Any, tmp_path: Path) -> None:
    card = PlotCard("Latency CDF", "ms", "fraction")
    qtbot.addWidget(card)
    card.resize(500, 300)
    card.show()
    x = np.linspace(0, 100, 50)
    card.plot.curve(x, x / 100, "#2563EB", "run A")
    card.data_rows = [["ms", "fraction"]] + [[float(a), float(a / 100)] for a in x]
    png = export_png(card.plot, tmp_path / "cdf.png")
    image = QImage(str(png))
    assert image.width() == card.plot.width() and image.height() == card.plot.height()
    svg = export_svg(card.plot, tmp_path / "cdf.svg", "Latency CDF").read_text(encoding="utf-8")
    assert "<svg" in svg and "Latency CDF" in svg and ("<path" in svg or "<polyline" in svg)
    rows = (
        list(csv.reader((tmp_path / "cdf.csv").open()))
        if export_csv(card.data_rows, tmp_path / "cdf.csv")
        else []
    )
    assert rows[0] == ["ms", "fraction"] and len(rows) == 51


def test_table_exports_csv(qtbot: Any, tmp_path: Path) -> None:
    card = TableCard("Cost breakdown", ["node", "$/month"])
    qtbot.addWidget(card)
    card.set_rows([["llm", "$2,920"], ["gateway, edge", "$73"]])
    export_csv(card.rows(), tmp_path / "cost.csv")
    rows = list(csv.reader((tmp_path / "cost.csv").open()))
    assert rows == [["node", "$/month"], ["llm", "$2,920"], ["gateway, edge", "$73"]]
