"""The palette: every registered kind grouped by kind group, searchable, with icons and declaration tooltips.
Drag a kind onto the canvas (MIME ``application/x-genai-sim-kind``) or double-click to add it at the centre."""

from __future__ import annotations

import html

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from designer.canvas.view import KIND_MIME
from designer.icons import kind_icon, kind_pixmap
from simulation.registry import GROUPS, all_kinds

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2


def kind_tooltip(kind) -> str:  # type: ignore[no-untyped-def]
    lines = [f"<b>{html.escape(kind.label)}</b> <span>({kind.kind})</span>", html.escape(kind.help)]
    params = [p.name for p in kind.params][:8]
    if params:
        lines.append("<i>Parameters:</i> " + ", ".join(params))
    if kind.outcomes:
        lines.append("<i>Outcomes:</i> " + ", ".join(kind.outcomes))
    lines.append("<span>Drag onto the canvas, or double-click to add.</span>")
    return "<br>".join(lines)


class KindTree(QTreeWidget):
    enter_pressed = Signal(QTreeWidgetItem)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.enter_pressed.emit(self.currentItem())
            event.accept()
            return
        super().keyPressEvent(event)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setIconSize(QSize(22, 22))
        self.setIndentation(10)
        self.setRootIsDecorated(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformRowHeights(True)
        self.setAnimated(True)

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt API)
        return [KIND_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        kinds = [i.data(0, KIND_ROLE) for i in items if i.data(0, KIND_ROLE)]
        if kinds:
            mime.setData(KIND_MIME, kinds[0].encode("utf-8"))
        return mime

    def startDrag(self, actions) -> None:  # noqa: N802  (a drag shows the kind's icon)
        item = self.currentItem()
        if item is None or not item.data(0, KIND_ROLE):
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.setPixmap(kind_pixmap(item.data(0, KIND_ROLE), 40, self.devicePixelRatioF()))
        drag.exec(Qt.DropAction.CopyAction)


class Palette(QWidget):
    add_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        self.search = QLineEdit()
        self.search.setObjectName("palette_search")
        self.search.setPlaceholderText("Search components…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        layout.addWidget(self.search)
        self.tree = KindTree()
        layout.addWidget(self.tree)
        self.groups: dict[str, QTreeWidgetItem] = {}
        labels = dict(GROUPS)
        for group, label in GROUPS:
            item = QTreeWidgetItem([label])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            self.tree.addTopLevelItem(item)
            self.groups[group] = item
        for kind in all_kinds():
            child = QTreeWidgetItem([kind.label])
            child.setIcon(0, kind_icon(kind.kind))
            child.setData(0, KIND_ROLE, kind.kind)
            child.setData(0, SEARCH_ROLE, " ".join([kind.kind, kind.label, kind.help, labels[kind.group]]).lower())
            child.setToolTip(0, kind_tooltip(kind))
            child.setStatusTip(0, f"{kind.label}: {kind.help}")
            child.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.groups[kind.group].addChild(child)
        self.tree.expandAll()
        # Double-click only: itemActivated also fires on that double-click (two nodes per click); Enter is
        # handled by the tree itself (KindTree.keyPressEvent).
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.tree.enter_pressed.connect(self._double_clicked)

    def _double_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.add_requested.emit(kind)

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for group in self.groups.values():
            visible = 0
            for i in range(group.childCount()):
                child = group.child(i)
                hay = child.data(0, SEARCH_ROLE)
                show = all(w in hay for w in words)
                child.setHidden(not show)
                visible += show
            group.setHidden(visible == 0)
            group.setExpanded(True)

    def visible_kinds(self) -> list[str]:
        out = []
        for group in self.groups.values():
            for i in range(group.childCount()):
                if not group.child(i).isHidden() and not group.isHidden():
                    out.append(group.child(i).data(0, KIND_ROLE))
        return out
