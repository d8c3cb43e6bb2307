"""The genai-sim designer: a PySide6 projection of the design model (canvas, palette, inspector, files)."""
