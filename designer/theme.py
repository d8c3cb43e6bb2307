"""Light and dark themes: one palette for widgets and one set of colours for the canvas and exports."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel

GROUP_COLOURS = {
    "traffic": "#3B82F6", "caching": "#F59E0B", "application": "#6366F1", "retrieval": "#10B981",
    "models": "#8B5CF6", "agents": "#EC4899", "safety": "#EF4444", "operations": "#64748B",
}
# Edge colours by `when` outcome: the meaning stays readable in both themes.
OUTCOME_COLOURS = {
    "hit": "#16A34A", "miss": "#D97706", "blocked": "#DC2626", "error": "#DC2626", "timeout": "#DC2626",
    "fallback": "#64748B", "done": "#9333EA",
}
DASHED_OUTCOMES = ("error", "timeout", "fallback")


@dataclass(frozen=True)
class Theme:
    name: str
    canvas: str
    grid: str
    node_fill: str
    node_border: str
    node_shadow: str
    text: str
    subtext: str
    edge: str
    label_fill: str
    selection: str
    port: str
    window: str
    base: str
    alt_base: str
    button: str
    highlight: str
    disabled_text: str
    error: str = "#DC2626"
    warning: str = "#D97706"
    ok: str = "#16A34A"

    def color(self, attr: str) -> QColor:
        return QColor(getattr(self, attr))


LIGHT = Theme(
    name="light", canvas="#F7F8FA", grid="#DFE3EA", node_fill="#FFFFFF", node_border="#CBD2DC",
    node_shadow="#1A000000", text="#1F2937", subtext="#5B6472", edge="#7C8594", label_fill="#FFFFFF",
    selection="#2563EB", port="#94A3B8", window="#F3F4F6", base="#FFFFFF", alt_base="#F5F6F8",
    button="#F3F4F6", highlight="#2563EB", disabled_text="#9CA3AF",
)
DARK = Theme(
    name="dark", canvas="#16181D", grid="#262A33", node_fill="#22262E", node_border="#3A404C",
    node_shadow="#50000000", text="#E6E8EC", subtext="#A0A8B6", edge="#8A93A3", label_fill="#2A2F38",
    selection="#60A5FA", port="#6B7485", window="#1C1F25", base="#15171C", alt_base="#1E2128",
    button="#2A2E36", highlight="#3B82F6", disabled_text="#6B7280", error="#F87171", warning="#FBBF24",
    ok="#4ADE80",
)
THEMES = {"light": LIGHT, "dark": DARK}


def theme_named(name: str) -> Theme:
    return THEMES.get(name, LIGHT)


def widget_palette(theme: Theme) -> QPalette:
    pal = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: theme.window, QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base, QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.ToolTipBase: theme.base, QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.disabled_text, QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.button, QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.BrightText: "#FFFFFF", QPalette.ColorRole.Highlight: theme.highlight,
        QPalette.ColorRole.HighlightedText: "#FFFFFF", QPalette.ColorRole.Link: theme.selection,
        QPalette.ColorRole.Mid: theme.node_border, QPalette.ColorRole.Midlight: theme.node_border,
        QPalette.ColorRole.Dark: theme.node_border, QPalette.ColorRole.Light: theme.base,
    }
    for role, value in roles.items():
        pal.setColor(role, c(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, c(theme.disabled_text))
    return pal


_CURRENT: list[Theme] = [LIGHT]


def current_theme() -> Theme:
    return _CURRENT[0]


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Fusion style with our palette: the same look on every platform, and a dark mode that is really dark.

    No application style sheet: re-polishing every widget on a theme switch costs seconds in a big window;
    the few styled labels carry their own small style (``style_label``) and are rebuilt with the theme.
    """
    _CURRENT[0] = theme
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(widget_palette(theme))


def style_label(label: QLabel, role: str) -> QLabel:
    """``error`` (red message), ``muted`` (secondary text) or ``heading`` (a section title)."""
    theme = current_theme()
    styles = {"error": f"color: {theme.error};", "muted": f"color: {theme.subtext};",
              "heading": "font-weight: 600;"}
    label.setProperty("role", role)
    label.setStyleSheet(styles[role])
    return label
