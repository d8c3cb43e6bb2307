"""The inspector: editors generated from the parameter declarations (units, ranges, choices, help and
the default's source), with a live validation message beside each field. Every edit is an undo command;
the form follows the model's change events, so undo/redo refresh it."""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from designer.commands import RenameNodeCommand, SetEdgeCommand, SetParamCommand, SetSectionCommand
from designer.fields import BoolBox, CatalogCombo, DistEditor, EnumCombo, NumberBox, TextBox, hbox, step_for
from designer.icons import kind_pixmap
from designer.theme import style_label
from simulation.catalogs import catalog_ids
from simulation.design import Design
from simulation.errors import DesignError
from simulation.loader import FORMAT, GENERIC_OUTCOMES, VERSION, load_design
from simulation.params import COMMON_PARAMS, Param
from simulation.registry import get_kind
from simulation.workload import PROCESSES, validate_workload

COMMON_NAMES = {p.name for p in COMMON_PARAMS}
STASHED_PAGES = 8  # recently shown pages kept (hidden) while the design is unchanged
LABEL_WIDTH = 130
NODE_REFERENCE_PARAMS = ("join", "target")
SLO_METRICS = ("ttft", "tpot", "itl", "e2e")
SLO_STATS = ("mean", "p50", "p90", "p95", "p99")
BUDGET_FIELDS = (("usd_per_month", "USD/month"), ("usd_per_hour", "USD/hour"), ("usd_per_request", "USD/request"))
ARRIVAL_FIELDS: dict[str, tuple[tuple[str, str, str, bool], ...]] = {
    # process: (field, label, unit, integer)
    "poisson": (("rate_per_s", "rate", "req/s", False),),
    "gamma": (("rate_per_s", "rate", "req/s", False), ("cv", "burstiness (cv)", "", False)),
    "diurnal": (("requests_per_day", "requests/day", "req", False), ("peak_to_mean", "peak ÷ mean", "", False),
                ("peak_hour", "peak hour", "h", False)),
    "closed": (("concurrency", "users", "", True),),
    "trace": (("time_scale", "time scale", "×", False),),
}
ARRIVAL_DEFAULTS = {"poisson": {"rate_per_s": 1.0}, "gamma": {"rate_per_s": 1.0, "cv": 2.0},
                    "diurnal": {"requests_per_day": 100_000, "peak_to_mean": 2.0}, "closed": {"concurrency": 8},
                    "trace": {"file": "trace.csv"}}
assert set(ARRIVAL_DEFAULTS) == set(PROCESSES)


def param_tooltip(p: Param) -> str:
    lines = [f"<b>{html.escape(p.name)}</b>" + (f" ({html.escape(p.unit)})" if p.unit else "")]
    if p.help:
        lines.append(html.escape(p.help))
    if p.describe_range():
        lines.append(f"Range: {html.escape(p.describe_range())}")
    lines.append(f"Default: {html.escape(_show_default(p.default))}")
    if p.source:
        lines.append(f"<i>Source: {html.escape(p.source)}</i>")
    return "<br>".join(lines)


def param_label(p: Param) -> str:
    """``top k (chunks)``; the unit is left out where it only repeats the name (``shards (shards)``)."""
    name = p.name.replace("_", " ")
    unit = p.unit.strip()
    if not unit or p.type == "dist":
        return name
    stem = unit.lower().rstrip("s")
    if name.lower().endswith(" " + unit.lower()) or (
            stem and (stem in name.lower() or name.lower().rstrip("s") in unit.lower())):
        return name
    return f"{name} ({unit})"


def _show_default(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


class FieldRow:
    """One labelled editor with a reset button and a message line; ``check`` validates a candidate."""

    def __init__(self, grid: QGridLayout, row: int, label: str, editor: QWidget, tooltip: str,
                 check: Callable[[Any], Any], apply: Callable[[Any, bool], None],
                 reset: Callable[[], None] | None = None) -> None:
        self.editor, self.check, self.apply = editor, check, apply
        self.label = QLabel(label)
        self.label.setWordWrap(True)  # long names wrap rather than squeeze the editors
        self.label.setFixedWidth(LABEL_WIDTH)  # one label column in every section: the editors line up
        self.label.setToolTip(tooltip)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.label.setContentsMargins(0, 4, 0, 0)
        editor.setToolTip(tooltip)
        grid.addWidget(self.label, row, 0)
        grid.addWidget(editor, row, 1)
        self.reset_button: QToolButton | None = None
        if reset is not None:
            self.reset_button = QToolButton()
            self.reset_button.setText("↺")
            self.reset_button.setToolTip("Reset to the default")
            self.reset_button.setAutoRaise(True)
            self.reset_button.clicked.connect(reset)
            grid.addWidget(self.reset_button, row, 2, Qt.AlignmentFlag.AlignTop)
        self.message = QLabel()
        style_label(self.message, "error")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        grid.addWidget(self.message, row + 1, 1, 1, 2)
        if hasattr(editor, "committed"):
            editor.committed.connect(self.submit)
        if hasattr(editor, "probe"):
            editor.probe.connect(self.probe)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def probe(self, candidate: Any) -> None:
        """Live validation while typing: say what is wrong, change nothing."""
        if isinstance(candidate, str) and isinstance(self.editor, NumberBox):
            try:
                candidate = float(candidate.replace(",", ""))
                if self.editor.integer and candidate.is_integer():
                    candidate = int(candidate)
            except ValueError:
                self.show_message("not a number")
                return
        if isinstance(candidate, str) and isinstance(self.editor, DistEditor):
            self.show_message(candidate)
            return
        try:
            self.check(candidate)
            self.show_message("")
        except DesignError as exc:
            self.show_message(str(exc))

    def submit(self, value: Any, mergeable: bool) -> None:
        if isinstance(value, str) and isinstance(self.editor, DistEditor):
            self.show_message(value)
            return
        try:
            value = self.check(value)
        except DesignError as exc:
            self.show_message(str(exc))
            return
        self.show_message("")
        try:
            self.apply(value, mergeable)
        except (KeyError, IndexError):
            pass  # the node or edge went away (undo, delete) while its field still had focus


def _section(title: str) -> QLabel:
    label = QLabel(title)
    style_label(label, "heading")
    label.setContentsMargins(0, 10, 0, 2)
    return label


class Inspector(QScrollArea):
    """Shows the design (nothing selected), one node, or one edge."""

    edited = Signal()

    def __init__(self, design: Design, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.design = design
        self.undo_stack = undo_stack
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows wrap, never scroll sideways
        self.setMinimumWidth(280)
        self.target: tuple[str, Any] = ("design", None)
        self.rows: dict[str, FieldRow] = {}
        self._many_label: QLabel | None = None
        self._pages: OrderedDict[tuple[str, Any], tuple[QWidget, dict[str, FieldRow], QLabel | None]] = OrderedDict()
        self._applying = False
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(0)
        self._rebuild_timer.timeout.connect(self.rebuild)
        design.subscribe(self._on_model_event)
        self.rebuild()

    # -- what to show ------------------------------------------------------------------------------
    def show_selection(self, node_ids: list[str], edge_indices: list[int]) -> None:
        if len(node_ids) == 1 and not edge_indices:
            target: tuple[str, Any] = ("node", node_ids[0])
        elif len(edge_indices) == 1 and not node_ids:
            target = ("edge", edge_indices[0])
        elif node_ids or edge_indices:
            target = ("many", (len(node_ids), len(edge_indices)))
        else:
            target = ("design", None)
        if target == self.target:
            return
        if target[0] == "many" and self.target[0] == "many" and self._many_label is not None:
            self.target = target  # only the counts changed: the same page, its text updated
            self._many_label.setText(_many_text(*target[1]))
            return
        self._stash_page()
        self.target = target
        if not self._restore_page():
            self._build_page()

    def _on_model_event(self, event: str, payload: dict[str, Any]) -> None:
        if event == "extra_changed":
            return  # kept results and sweeps: nothing the inspector shows (and no rebuild under the cursor)
        self._drop_pages()  # any change may show on a stashed page (names, counts, choices)
        if self._applying:
            return  # our own edit: the editor already shows the value, keep focus and cursor
        kind, key = self.target
        if event == "reset":
            self.target = ("design", None)
        elif kind == "node" and not self.design.has_node(key):
            self.target = ("design", None)
        elif kind == "edge" and key >= len(self.design.edges):
            self.target = ("design", None)
        self._rebuild_timer.start()

    def _push(self, command: Any) -> None:
        self._applying = True
        try:
            self.undo_stack.push(command)
        finally:
            self._applying = False
        self.edited.emit()

    # -- stashed pages: clicking back to a node shown a moment ago reuses its widgets -----------------
    def _stash_page(self) -> None:
        body = self.takeWidget()
        if body is None:
            return
        self._pages[self.target] = (body, self.rows, self._many_label)
        self._pages.move_to_end(self.target)
        while len(self._pages) > STASHED_PAGES:
            _target, (old, _rows, _label) = self._pages.popitem(last=False)
            old.deleteLater()

    def _restore_page(self) -> bool:
        page = self._pages.pop(self.target, None)
        if page is None:
            return False
        body, self.rows, self._many_label = page
        self.setWidget(body)
        return True

    def _drop_pages(self) -> None:
        while self._pages:
            _target, (old, _rows, _label) = self._pages.popitem()
            old.deleteLater()

    # -- building ----------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Build the page afresh (the model, the theme or the form's shape changed)."""
        self._drop_pages()
        self._build_page()

    def _build_page(self) -> None:
        scroll = self.verticalScrollBar().value()
        body = QWidget()
        body.setObjectName("inspector_body")
        self.body_layout = QVBoxLayout(body)
        self.body_layout.setContentsMargins(10, 8, 10, 10)
        self.body_layout.setSpacing(2)
        self.rows = {}
        self._many_label: QLabel | None = None
        kind, key = self.target
        if kind == "node":
            self._build_node(key)
        elif kind == "edge":
            self._build_edge(key)
        elif kind == "many":
            n, e = key
            self.body_layout.addWidget(_section("Selection"))
            text = QLabel(_many_text(n, e))
            style_label(text, "muted")
            text.setWordWrap(True)
            self.body_layout.addWidget(text)
            self._many_label = text
        else:
            self._build_design()
        self.body_layout.addStretch(1)
        self.setWidget(body)  # QScrollArea deletes the previous body
        self.verticalScrollBar().setValue(scroll)

    def _grid(self) -> QGridLayout:
        holder = QWidget()
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        self.body_layout.addWidget(holder)
        return grid

    # -- node -------------------------------------------------------------------------------------
    def _build_node(self, node_id: str) -> None:
        node = self.design.node(node_id)
        spec = get_kind(node.kind)
        icon = QLabel()
        icon.setPixmap(kind_pixmap(node.kind, 32, self.devicePixelRatioF()))
        title = QLabel(f"<b>{html.escape(spec.label)}</b><br><span>id: {html.escape(node.id)}</span>")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body_layout.addWidget(hbox(icon, title))
        help_label = QLabel(html.escape(spec.help) + (f"<br><i>{html.escape(spec.cost_help)}</i>"
                                                      if spec.cost_help else ""))
        help_label.setTextFormat(Qt.TextFormat.RichText)  # escaped text: plain-text mode would show &#x27;
        help_label.setWordWrap(True)
        style_label(help_label, "muted")
        self.body_layout.addWidget(help_label)
        grid = self._grid()
        name_edit = TextBox()
        name_edit.setObjectName("node_name")
        name_edit.set_text(node.name)
        name_edit.setPlaceholderText(node.id)

        def check_name(v: str) -> str:
            if len(v) > 200:
                raise DesignError("must be at most 200 characters", "name")
            return v

        self.rows["name"] = FieldRow(grid, 0, "Name", name_edit, "Shown on the canvas and in reports.", check_name,
                                     lambda v, m: self._push(RenameNodeCommand(self.design, node_id, v)))
        own = [p for p in spec.all_params if p.name not in COMMON_NAMES and not p.advanced]
        advanced = [p for p in spec.all_params if p.name not in COMMON_NAMES and p.advanced]
        common = [p for p in spec.all_params if p.name in COMMON_NAMES]
        for title_text, params in (("Parameters", own), ("Capacity and queue", common), ("Advanced", advanced)):
            if not params:
                continue
            self.body_layout.addWidget(_section(title_text))
            grid = self._grid()
            for i, p in enumerate(params):
                self._param_row(grid, 2 * i, node_id, p)

    def _param_row(self, grid: QGridLayout, row: int, node_id: str, p: Param) -> None:
        node = self.design.node(node_id)
        value = node.params.get(p.name, p.default)
        editor = self._param_editor(p, value)
        editor.setObjectName(f"param_{p.name}")
        label = param_label(p)

        def check(v: Any, p: Param = p) -> Any:
            return p.validate(v, p.name, catalog_ids)

        def apply(v: Any, mergeable: bool, p: Param = p) -> None:
            if self.design.node(node_id).params.get(p.name, p.default) == v:
                return
            self._push(SetParamCommand(self.design, node_id, p.name, v, mergeable))
            field = self.rows.get(p.name)
            if field is not None and field.reset_button is not None:
                field.reset_button.setVisible(True)

        def reset(p: Param = p) -> None:
            if p.name in self.design.node(node_id).params:
                self.undo_stack.push(SetParamCommand(self.design, node_id, p.name, None))

        field = FieldRow(grid, row, label, editor, param_tooltip(p), check, apply, reset)
        if field.reset_button is not None:
            field.reset_button.setVisible(p.name in node.params)
        self.rows[p.name] = field

    def _param_editor(self, p: Param, value: Any) -> QWidget:
        if p.type in ("int", "float"):
            box = NumberBox(integer=p.type == "int", step=step_for(p.min, p.max, p.type == "int"))
            box.set_number(float(value))
            return box
        if p.type == "bool":
            check = BoolBox()
            check.set_checked(bool(value))
            return check
        if p.type == "enum":
            combo = EnumCombo(p.choices)
            combo.set_text(str(value))
            return combo
        if p.type == "catalog":
            combo = CatalogCombo(catalog_ids(p.catalog or ""))
            combo.set_text(str(value))
            return combo
        if p.type == "dist":
            dist = DistEditor(p.unit)
            dist.set_spec(value)
            return dist
        if p.type == "str" and p.name in NODE_REFERENCE_PARAMS:
            combo = CatalogCombo([""] + [n.id for n in self.design.nodes])
            combo.set_text(str(value))
            return combo
        if p.type == "dict":
            import json

            box = TextBox()
            box.set_text(json.dumps(value))
            box.committed.disconnect()
            box.editingFinished.connect(lambda: _emit_json(box))
            return box
        text = TextBox()
        text.set_text(str(value))
        return text

    # -- edge -------------------------------------------------------------------------------------
    def _build_edge(self, index: int) -> None:
        edge = self.design.edges[index]
        source, target = self.design.node(edge.source), self.design.node(edge.target)
        head = QLabel(f"<b>Edge</b><br>{html.escape(source.title)} → {html.escape(target.title)}")
        self.body_layout.addWidget(head)
        grid = self._grid()

        def setter(attr: str) -> Callable[[Any, bool], None]:
            return lambda v, m: self._push(SetEdgeCommand(self.design, index, {attr: v}, m))

        weight = NumberBox(step=0.1)
        weight.set_number(edge.weight)
        self.rows["weight"] = FieldRow(grid, 0, "weight", weight,
                                       "Relative share among the source's plain out edges.",
                                       lambda v: _nonneg(v, "weight"), setter("weight"))
        outcomes = list(get_kind(source.kind).outcomes) + list(GENERIC_OUTCOMES)
        when = EnumCombo(["(always)"] + outcomes)
        when.set_text(edge.when or "(always)")
        self.rows["when"] = FieldRow(grid, 2, "when", when,
                                     "Take this edge only on this outcome of the source (cache hit/miss, "
                                     "blocked, error, timeout, fallback).",
                                     lambda v: None if v == "(always)" else v, setter("when"))
        latency = NumberBox(step=1.0)
        latency.set_number(edge.latency_ms)
        self.rows["latency_ms"] = FieldRow(grid, 4, "network (ms)", latency, "Network latency added on this edge.",
                                           lambda v: _nonneg(v, "latency_ms"), setter("latency_ms"))
        label = TextBox()
        label.set_text(edge.label or "")
        self.rows["label"] = FieldRow(grid, 6, "label", label, "Free text shown on the edge.",
                                      lambda v: v or None, setter("label"))
        retry = NumberBox(integer=True)
        retry.set_number(edge.retry_budget if edge.retry_budget is not None else 0)
        retry_on = BoolBox()
        retry_on.setText("retry edge")
        retry_on.set_checked(edge.retry_budget is not None)
        retry.setEnabled(edge.retry_budget is not None)

        def check_retry(v: Any) -> int:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, int) or not 0 <= v <= 100:
                raise DesignError(f"must be an integer 0…100, got {v}", "retry_budget")
            return v

        self.rows["retry_budget"] = FieldRow(grid, 8, "retry budget", retry,
                                             "A retry edge may close a cycle; the budget bounds the retries.",
                                             check_retry, setter("retry_budget"))
        retry_on.committed.connect(lambda on, _m: self._push(SetEdgeCommand(
            self.design, index, {"retry_budget": int(retry.number()) if on else None})))
        grid.addWidget(retry_on, 10, 1)

    # -- design -----------------------------------------------------------------------------------
    def _build_design(self) -> None:
        d = self.design
        self.body_layout.addWidget(_section("Design"))
        grid = self._grid()
        name = TextBox()
        name.setObjectName("design_name")
        name.set_text(d.name)
        self.rows["design.name"] = FieldRow(grid, 0, "Name", name, "The design's title.", lambda v: v,
                                            lambda v, m: self._push(SetSectionCommand(d, "name", v)))
        desc = QPlainTextEdit(d.description)
        desc.setObjectName("design_description")
        desc.setFixedHeight(70)
        timer = QTimer(desc)
        timer.setSingleShot(True)
        timer.setInterval(700)
        timer.timeout.connect(lambda: self._push(SetSectionCommand(d, "description", desc.toPlainText(), True)))
        desc.textChanged.connect(timer.start)
        grid.addWidget(QLabel("Description"), 2, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        grid.addWidget(desc, 2, 1, 1, 2)
        self._build_workload()
        self._build_slo()
        self._build_budget()
        hint = QLabel("Select a node or an edge to edit it.")
        style_label(hint, "muted")
        self.body_layout.addWidget(hint)

    def _set_workload(self, workload: dict[str, Any], mergeable: bool) -> None:
        self._push(SetSectionCommand(self.design, "workload", workload, mergeable, "Edit workload"))

    def _set_process(self, workload: dict[str, Any], _mergeable: bool) -> None:
        self._set_workload(workload, False)
        self._rebuild_timer.start()  # another process has other fields

    def _check_workload(self, workload: dict[str, Any]) -> dict[str, Any]:
        from pathlib import Path

        base = self.design.base_dir
        validate_workload(workload, "workload", Path(base) if base else None)
        return workload

    def _build_workload(self) -> None:
        d = self.design
        self.body_layout.addWidget(_section("Workload"))
        grid = self._grid()
        w = dict(d.workload)
        arrival = dict(w.get("arrival", {"process": "poisson", "rate_per_s": 1.0}))
        process = EnumCombo(list(PROCESSES))
        process.setObjectName("arrival_process")
        process.set_text(arrival.get("process", "poisson"))

        def with_arrival(a: dict[str, Any]) -> dict[str, Any]:
            return {**self.design.workload, "arrival": a}

        def change_process(name: str) -> dict[str, Any]:
            return self._check_workload(with_arrival({"process": name, **ARRIVAL_DEFAULTS[name]}))

        self.rows["arrival.process"] = FieldRow(
            grid, 0, "arrivals", process, "Arrival process: poisson, gamma (bursty), diurnal, closed "
            "loop of users, or a trace file.", change_process, self._set_process)
        row = 2
        for field, label, unit, integer in ARRIVAL_FIELDS.get(arrival.get("process", "poisson"), ()):
            box = NumberBox(integer=integer, step=1.0 if integer else 0.1)
            box.setObjectName(f"arrival_{field}")
            box.set_number(float(arrival.get(field, ARRIVAL_DEFAULTS[arrival.get("process", "poisson")].get(field, 0))))

            def check(v: Any, field: str = field) -> dict[str, Any]:
                return self._check_workload(with_arrival({**self.design.workload.get("arrival", {}), field: v}))

            self.rows[f"arrival.{field}"] = FieldRow(grid, row, f"{label}" + (f" ({unit})" if unit else ""), box,
                                                     f"workload.arrival.{field}", check, self._set_workload)
            row += 2
        if arrival.get("process") == "trace":
            file_box = TextBox()
            file_box.set_text(str(arrival.get("file", "")))
            self.rows["arrival.file"] = FieldRow(
                grid, row, "trace file", file_box, "CSV or JSONL of arrival time, input and output tokens, "
                "relative to the design file.",
                lambda v: self._check_workload(with_arrival({**self.design.workload.get("arrival", {}), "file": v})),
                self._set_workload)
            row += 2
        if arrival.get("process") == "closed":
            think = DistEditor("ms")
            think.set_spec(arrival.get("think_time", {"dist": "fixed", "value": 0}))
            self.rows["arrival.think_time"] = FieldRow(
                grid, row, "think time", think, "Pause between a user's answer and their next request.",
                lambda v: self._check_workload(with_arrival({**self.design.workload.get("arrival", {}),
                                                             "think_time": v})), self._set_workload)
            row += 2
        for field, label, unit, integer, default in (("duration_s", "duration", "s", False, 3600.0),
                                                     ("warmup_s", "warm-up", "s", False, 0.0),
                                                     ("seed", "seed", "", True, 0)):
            box = NumberBox(integer=integer)
            box.setObjectName(f"workload_{field}")
            box.set_number(float(w.get(field, default)))

            def check(v: Any, field: str = field) -> dict[str, Any]:
                return self._check_workload({**self.design.workload, field: v})

            self.rows[f"workload.{field}"] = FieldRow(grid, row, label + (f" ({unit})" if unit else ""), box,
                                                      f"workload.{field}", check, self._set_workload)
            row += 2
        for field, label in (("input_tokens", "input tokens"), ("output_tokens", "output tokens")):
            dist = DistEditor("tokens")
            dist.setObjectName(f"workload_{field}")
            dist.set_spec(w.get(field, {"dist": "fixed", "value": 500 if field == "input_tokens" else 200}))

            def check(v: Any, field: str = field) -> dict[str, Any]:
                return self._check_workload({**self.design.workload, field: v})

            self.rows[f"workload.{field}"] = FieldRow(grid, row, label, dist, f"workload.{field}: tokens per request",
                                                      check, self._set_workload)
            row += 2
        if w.get("classes"):
            note = QLabel(f"{len(w['classes'])} request classes (edit them in the design file).")
            style_label(note, "muted")
            grid.addWidget(note, row, 1, 1, 2)

    def _build_slo(self) -> None:
        d = self.design
        self.body_layout.addWidget(_section("Service-level objectives"))
        grid = self._grid()

        def check(slo: dict[str, Any]) -> dict[str, Any]:
            return load_design({"format": FORMAT, "version": VERSION, "slo": slo}).slo

        def apply(slo: dict[str, Any], mergeable: bool) -> None:
            self._push(SetSectionCommand(d, "slo", slo, mergeable, "Edit SLOs"))

        row = 0
        for key, value in d.slo.items():
            box = NumberBox(step=0.01 if key == "error_rate_max" else 10.0)
            box.setObjectName(f"slo_{key}")
            box.set_number(value)

            def check_one(v: Any, key: str = key) -> dict[str, Any]:
                return check({**self.design.slo, key: v})

            def remove(key: str = key) -> None:
                self._push(SetSectionCommand(d, "slo", {k: v for k, v in self.design.slo.items() if k != key},
                                             text=f"Remove SLO {key}"))

            label = key.replace("_max", " max").replace("_ms", " (ms)").replace("_", " ")
            field = FieldRow(grid, row, label, box, f"slo.{key}", check_one, apply, reset=remove)
            assert field.reset_button is not None
            field.reset_button.setText("✕")
            field.reset_button.setToolTip("Remove this objective")
            self.rows[f"slo.{key}"] = field
            row += 2
        metric = QComboBox()
        metric.addItems(SLO_METRICS)
        stat = QComboBox()
        stat.addItems(SLO_STATS)
        stat.setCurrentText("p99")
        add = QPushButton("Add")
        add.setObjectName("slo_add")

        def add_slo() -> None:
            key = f"{metric.currentText()}_{stat.currentText()}_ms"
            if key not in self.design.slo:
                default = {"ttft": 1000.0, "tpot": 50.0, "itl": 50.0, "e2e": 5000.0}[metric.currentText()]
                self.undo_stack.push(SetSectionCommand(d, "slo", {**self.design.slo, key: default},
                                                       text=f"Add SLO {key}"))

        add.clicked.connect(add_slo)
        grid.addWidget(QLabel("new"), row, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(hbox(metric, stat, add), row, 1, 1, 2)
        if "error_rate_max" not in d.slo:
            err = QCheckBox("limit the error rate")
            err.toggled.connect(lambda on: on and self.undo_stack.push(SetSectionCommand(
                d, "slo", {**self.design.slo, "error_rate_max": 0.01}, text="Add error-rate SLO")))
            grid.addWidget(err, row + 1, 1, 1, 2)

    def _build_budget(self) -> None:
        d = self.design
        self.body_layout.addWidget(_section("Budget"))
        grid = self._grid()

        def check(budget: dict[str, Any]) -> dict[str, Any]:
            return load_design({"format": FORMAT, "version": VERSION, "budget": budget}).budget

        for i, (key, unit) in enumerate(BUDGET_FIELDS):
            on = BoolBox()
            on.set_checked(key in d.budget)
            box = NumberBox(step=100.0 if key == "usd_per_month" else 0.01)
            box.setObjectName(f"budget_{key}")
            box.set_number(d.budget.get(key, 0.0))
            box.setEnabled(key in d.budget)
            box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row_widget = hbox(on, box, stretch=False)
            row_widget.committed = box.committed  # type: ignore[attr-defined]  (FieldRow listens to it)

            def check_one(v: Any, key: str = key) -> dict[str, Any]:
                return check({**self.design.budget, key: v})

            def toggle(checked: bool, _m: bool, key: str = key, box: NumberBox = box) -> None:
                budget = dict(self.design.budget)
                if checked:
                    budget[key] = max(0.0, box.value())
                else:
                    budget.pop(key, None)
                self.undo_stack.push(SetSectionCommand(d, "budget", budget, text="Edit budget"))

            on.committed.connect(toggle)
            self.rows[f"budget.{key}"] = FieldRow(
                grid, 2 * i, unit, row_widget, f"budget.{key}: the most this design may cost", check_one,
                lambda v, m: self._push(SetSectionCommand(d, "budget", v, m, "Edit budget")))


def _many_text(nodes: int, edges: int) -> str:
    return f"{nodes} nodes and {edges} edges selected.\nDrag to move them together, Delete removes them."


def _nonneg(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or v >= 1e9:
        raise DesignError(f"must be a number ≥ 0, got {v}", name)
    return float(v)


def _emit_json(box: TextBox) -> None:
    import json

    try:
        value = json.loads(box.text())
    except json.JSONDecodeError as exc:
        box.committed.emit(f"invalid JSON: {exc.msg}", False)
        return
    box.committed.emit(value, False)
