import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "assets" / "templates"


@pytest.fixture
def validation_dir() -> Path:
    path = (REPO / ".." / "shared" / "validation").resolve()
    if not path.is_dir():
        pytest.skip("../shared/validation is not present")
    return path


@pytest.fixture
def templates_dir() -> Path:
    return TEMPLATES
