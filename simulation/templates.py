"""Built-in templates in assets/templates/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kernels.hardware import ASSETS_DIR

TEMPLATES_DIR = ASSETS_DIR / "templates"


def template_paths() -> list[Path]:
    return sorted(TEMPLATES_DIR.glob("*.genai.json"))


def list_templates() -> list[dict[str, Any]]:
    out = []
    for path in template_paths():
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append({"file": path.name, "path": str(path), "name": data.get("name", path.stem),
                    "description": data.get("description", "")})
    return out
