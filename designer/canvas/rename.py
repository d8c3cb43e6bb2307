"""In-place rename (F2 or double-click): a line edit over the card's title or the group's label.
Enter or leaving the field commits one undo command; Esc cancels."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

from designer.canvas.groups import GroupItem
from designer.canvas.items import NodeItem
from designer.commands import RenameNodeCommand, SetGroupCommand


class InlineRename(QObject):
    """One editor per view; ``start(item)`` opens it over ``item``."""

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        self.item: NodeItem | GroupItem | None = None
        self.edit = QLineEdit(view.viewport())
        self.edit.setObjectName("inline_rename")
        self.edit.hide()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.edit.installEventFilter(self)
        self.edit.editingFinished.connect(self.commit)

    def start(self, item: NodeItem | GroupItem) -> None:
        scene = self.view.design_scene()
        if not scene.editable:
            return
        self.item = item
        if isinstance(item, NodeItem):
            text = scene.design.node(item.node_id).name or item.node_id
            area = item.mapRectToScene(item.title_rect())
            self.edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        else:
            text = item.name
            area = item.mapRectToScene(item.title_rect())
            self.edit.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        rect = self.view.mapFromScene(area).boundingRect()
        width = max(rect.width(), 160)
        height = max(rect.height(), self.edit.sizeHint().height())
        self.edit.setGeometry(QRect(rect.center().x() - width // 2, rect.center().y() - height // 2, width, height))
        self.edit.setText(text)
        self.edit.selectAll()
        self.edit.show()
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def is_open(self) -> bool:
        return self.edit.isVisible()

    def commit(self) -> None:
        item, self.item = self.item, None
        if item is None or not self.edit.isVisible():
            return
        self.edit.hide()
        self.view.setFocus()
        scene = self.view.design_scene()
        name = self.edit.text().strip()
        if scene.undo_stack is None:
            return
        if isinstance(item, NodeItem):
            if item.node_id in scene.node_items and name and name != scene.design.node(item.node_id).name:
                scene.undo_stack.push(RenameNodeCommand(scene.design, item.node_id, name))
        elif item.group_id in scene.group_items and name != scene.design.group(item.group_id).name:
            scene.undo_stack.push(SetGroupCommand(scene.design, item.group_id, name=name))

    def cancel(self) -> None:
        self.item = None
        self.edit.hide()
        self.view.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return super().eventFilter(watched, event)
