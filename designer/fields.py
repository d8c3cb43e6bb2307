"""Editor widgets for parameter declarations: numbers that accept any value (the declaration, not the
widget, decides what is valid, so a bad value gets a message rather than silently clamping), catalog
combos, and a nested distribution editor."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from simulation.distributions import DIST_KEYS

BIG = 1e15


def compact(value: float, integer: bool = False) -> str:
    if integer:
        return str(int(round(value)))
    if value == 0:
        return "0"
    text = f"{value:.8g}"
    return text


class NumberBox(QDoubleSpinBox):
    """A spin box with compact text (``1.16``, not ``1.160000``) and no clamping to the declared range.

    ``committed(value, mergeable)`` fires on Enter, focus loss, arrow keys and wheel; ``probe(text)``
    fires on every keystroke so the row can show a live validation message before commit.
    """

    committed = Signal(object, bool)
    probe = Signal(str)

    def __init__(self, integer: bool = False, step: float = 1.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.integer = integer
        self.setDecimals(0 if integer else 10)
        self.setRange(-BIG, BIG)
        self.setSingleStep(step)
        if not integer:
            self.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)
        self.setAccelerated(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel only spins a focused box, never by accident
        self.setMinimumWidth(90)
        self._silent = False
        self.valueChanged.connect(self._on_value)
        self.lineEdit().textEdited.connect(self.probe.emit)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt API)
        return compact(value, self.integer)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.replace(",", "").strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.replace(",", "").strip()
        if stripped in ("", "-", "+", ".", "-.", "e", "E"):
            return QValidator.State.Intermediate, text, pos
        try:
            float(stripped)
        except ValueError:
            if stripped.lower().endswith(("e", "e-", "e+")):
                return QValidator.State.Intermediate, text, pos
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos

    def wheelEvent(self, event: Any) -> None:  # noqa: N802
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()

    def set_number(self, value: float) -> None:
        self._silent = True
        self.setValue(float(value))
        self._silent = False

    def number(self) -> float | int:
        v = self.value()
        return int(round(v)) if self.integer else v

    def _on_value(self, value: float) -> None:
        if not self._silent:
            self.committed.emit(int(round(value)) if self.integer else float(value), True)


def step_for(minimum: float | None, maximum: float | None, integer: bool) -> float:
    if integer:
        return 1.0
    if maximum is not None and maximum <= 1.0:
        return 0.01
    return 1.0


class CatalogCombo(QComboBox):
    """An editable combo of catalog ids; typed ids are validated by the declaration on commit."""

    committed = Signal(object, bool)

    def __init__(self, ids: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.addItems(ids)
        self.setMaxVisibleItems(20)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self._silent = False
        self.activated.connect(lambda _i: self._commit())
        self.lineEdit().editingFinished.connect(self._commit)

    def set_text(self, text: str) -> None:
        self._silent = True
        self.setCurrentText(text)
        self._silent = False

    def _commit(self) -> None:
        if not self._silent:
            self.committed.emit(self.currentText().strip(), False)


DIST_CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (label, dist name, fields)
    ("Fixed", "fixed", ("value",)),
    ("Exponential", "exponential", ("mean",)),
    ("Uniform", "uniform", ("low", "high")),
    ("Normal", "normal", ("mean", "std")),
    ("Log-normal (p50, p99)", "lognormal", ("p50", "p99")),
    ("Log-normal (mean, std)", "lognormal", ("mean", "std")),
    ("Gamma", "gamma", ("mean", "cv")),
    ("Empirical (values)", "empirical", ("values",)),
)
FIELD_HELP = {
    "value": "The constant value.", "mean": "Mean.", "low": "Lowest value.", "high": "Highest value.",
    "std": "Standard deviation.", "p50": "Median (50th percentile).", "p99": "99th percentile.",
    "cv": "Coefficient of variation (std / mean): 1 is as variable as exponential, 0 is constant.",
    "values": "Comma-separated sample values, drawn uniformly at random.",
}
assert all(name in DIST_KEYS for _, name, _ in DIST_CHOICES)


def choice_index(spec: dict[str, Any]) -> int:
    name = spec.get("dist")
    keys = {k.removesuffix("_ms") for k in spec if k != "dist"}
    for i, (_, dist, fields) in enumerate(DIST_CHOICES):
        if dist == name and (dist != "lognormal" or set(fields) <= keys):
            return i
    return 0


def dist_mean(spec: dict[str, Any]) -> float:
    from simulation.distributions import parse_dist

    try:
        m = parse_dist(spec, "x").mean()
        return m if math.isfinite(m) and m > 0 else 1.0
    except Exception:
        return 1.0


def seeded_fields(dist_index: int, mean: float) -> dict[str, float]:
    """Sensible first values when the user switches type: keep the old mean."""
    _, name, fields = DIST_CHOICES[dist_index]
    seeds = {
        "fixed": {"value": mean}, "exponential": {"mean": mean}, "uniform": {"low": 0.0, "high": 2 * mean},
        "normal": {"mean": mean, "std": mean / 4}, "gamma": {"mean": mean, "cv": 1.0},
    }
    if name == "lognormal":
        return {"p50": mean, "p99": 3 * mean} if "p50" in fields else {"mean": mean, "std": mean / 2}
    return seeds.get(name, {})


class DistEditor(QWidget):
    """Pick the distribution type, then edit its fields; emits the whole dict on every change."""

    committed = Signal(object, bool)
    probe = Signal(object)

    def __init__(self, unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unit = unit
        self.spec: dict[str, Any] = {"dist": "fixed", "value": 0}
        self._suffix_ms = False
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(3)
        self.type_combo = QComboBox()
        for label, _, _ in DIST_CHOICES:
            self.type_combo.addItem(label)
        self.type_combo.activated.connect(self._type_changed)
        layout.addWidget(self.type_combo, 0, 0, 1, 2)
        self.fields_box = QWidget()
        self.fields_layout = QGridLayout(self.fields_box)
        self.fields_layout.setContentsMargins(12, 0, 0, 0)
        self.fields_layout.setVerticalSpacing(3)
        layout.addWidget(self.fields_box, 1, 0, 1, 2)
        self.editors: dict[str, QWidget] = {}

    def set_spec(self, spec: Any) -> None:
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = {"dist": "fixed", "value": spec}
        self.spec = dict(spec) if isinstance(spec, dict) else {"dist": "fixed", "value": 0}
        self._suffix_ms = any(k.endswith("_ms") for k in self.spec)
        self.type_combo.setCurrentIndex(choice_index(self.spec))
        self._build_fields()

    def _plain(self) -> dict[str, Any]:
        return {k.removesuffix("_ms"): v for k, v in self.spec.items() if k != "dist"}

    def _build_fields(self) -> None:
        while self.fields_layout.count():
            w = self.fields_layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.editors = {}
        _, _, fields = DIST_CHOICES[self.type_combo.currentIndex()]
        values = self._plain()
        for row, name in enumerate(fields):
            label = QLabel(name + (f" ({self.unit})" if self.unit and name not in ("cv", "values") else ""))
            label.setToolTip(FIELD_HELP.get(name, ""))
            self.fields_layout.addWidget(label, row, 0)
            if name == "values":
                edit = QLineEdit(", ".join(f"{v:g}" for v in values.get("values", []) if isinstance(v, (int, float))))
                edit.setObjectName(f"dist_{name}")
                edit.editingFinished.connect(self._field_changed)
                edit.textEdited.connect(lambda _t: self.probe.emit(self.current()))
                self.editors[name] = edit
            else:
                box = NumberBox(integer=False, step=1.0)
                box.setObjectName(f"dist_{name}")
                box.set_number(float(values.get(name, 0.0)) if isinstance(values.get(name), (int, float)) else 0.0)
                box.committed.connect(lambda _v, _m: self._field_changed())
                self.editors[name] = box
            self.editors[name].setToolTip(FIELD_HELP.get(name, ""))
            self.fields_layout.addWidget(self.editors[name], row, 1)

    def _type_changed(self, index: int) -> None:
        mean = dist_mean(self.spec)
        _, name, _ = DIST_CHOICES[index]
        self.spec = {"dist": name, **seeded_fields(index, mean)}
        if name == "empirical":
            self.spec["values"] = [mean]
        self._build_fields()
        self.committed.emit(self.current(), False)

    def current(self) -> dict[str, Any] | str:
        """The dict the fields describe; a string when a field cannot be read (shown as the error)."""
        _, name, fields = DIST_CHOICES[self.type_combo.currentIndex()]
        out: dict[str, Any] = {"dist": name}
        for field in fields:
            editor = self.editors[field]
            if isinstance(editor, QLineEdit):
                try:
                    out[field] = [float(x) for x in editor.text().replace(";", ",").split(",") if x.strip()]
                except ValueError:
                    return f"{field}: not a list of numbers"
            else:
                assert isinstance(editor, NumberBox)
                key = f"{field}_ms" if self._suffix_ms and field in ("mean", "value", "low", "high", "std",
                                                                     "p50", "p99") else field
                value = editor.number()
                out[key] = int(value) if float(value).is_integer() and abs(value) < 1e15 else value
        return out

    def _field_changed(self) -> None:
        self.committed.emit(self.current(), True)


class BoolBox(QCheckBox):
    committed = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._silent = False
        self.toggled.connect(lambda v: None if self._silent else self.committed.emit(bool(v), False))

    def set_checked(self, value: bool) -> None:
        self._silent = True
        self.setChecked(bool(value))
        self._silent = False


class EnumCombo(QComboBox):
    committed = Signal(object, bool)

    def __init__(self, choices: tuple[str, ...] | list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.addItems(list(choices))
        self._silent = False
        self.currentTextChanged.connect(lambda t: None if self._silent else self.committed.emit(t, False))

    def set_text(self, text: str) -> None:
        self._silent = True
        idx = self.findText(text)
        if idx < 0:
            self.addItem(text)
            idx = self.findText(text)
        self.setCurrentIndex(idx)
        self._silent = False


class TextBox(QLineEdit):
    committed = Signal(object, bool)
    probe = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._last = ""
        self.editingFinished.connect(self._commit)
        self.textEdited.connect(self.probe.emit)

    def set_text(self, text: str) -> None:
        self._last = text
        self.setText(text)
        self.setCursorPosition(0)  # show the start of a long name, not its end

    def _commit(self) -> None:
        if self.text() != self._last:
            self._last = self.text()
            self.committed.emit(self.text(), False)


def hbox(*widgets: QWidget, stretch: bool = True) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(4)
    for x in widgets:
        lay.addWidget(x)
    if stretch:
        lay.addStretch(1)
    return w
