"""The canvas: a QGraphicsScene projecting the design model, and its view."""

from designer.canvas.scene import DesignScene
from designer.canvas.view import DesignView

__all__ = ["DesignScene", "DesignView"]
