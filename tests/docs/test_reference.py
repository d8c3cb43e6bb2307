"""The documentation's generated reference covers every declaration, and its examples still run."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path

import pytest

from genai_sim import cli
from kernels.sources import bibliography
from simulation.loader import load_design
from simulation.registry import all_kinds

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("genai_docs", DOCS / "_ext" / "genai_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    _generator().write_all(out)
    return out


def test_one_generated_page_per_kind_with_every_parameter(generated: Path) -> None:
    gen = _generator()
    kinds = all_kinds()
    pages = {p.stem for p in (generated / "components").glob("*.md")} - {"index"}
    assert pages == {k.kind for k in kinds}
    index = (generated / "components" / "index.md").read_text(encoding="utf-8")
    for kind in kinds:
        page = (generated / "components" / f"{kind.kind}.md").read_text(encoding="utf-8")
        assert f"(`{kind.kind}`)" in page.splitlines()[0] and f"({kind.kind}.md)" in index
        for p in kind.all_params:
            row = next((line for line in page.splitlines() if line.startswith(f"| `{p.name}`")), None)
            assert row is not None, (kind.kind, p.name)
            assert gen.md_cell(gen.show_default(p.default)) in row, (kind.kind, p.name)
            if p.unit:
                assert gen.md_cell(p.unit) in row, (kind.kind, p.name)
            if p.help:
                assert gen.md_cell(p.help) in row, (kind.kind, p.name)
            if p.source:
                assert f"- `{p.name}`: {gen.linkify(p.source)}" in page, (kind.kind, p.name)


def test_cli_reference_covers_every_command_and_option(generated: Path) -> None:
    page = (generated / "cli.md").read_text(encoding="utf-8")
    for name in cli.COMMANDS:
        assert f"## `genai-sim {name}`" in page
        parser = _generator()._subparser(cli.build_parser(name), name)
        for action in parser._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in page or f", {flag}" in page, (name, flag)


def test_catalog_and_bibliography_pages_list_every_entry(generated: Path) -> None:
    catalogs = (generated / "catalogs.md").read_text(encoding="utf-8")
    root = DOCS.parent / "assets" / "catalogs"
    for name, key in (("gpus", "gpus"), ("models", "models"), ("api_models", "models")):
        for entry in json.loads((root / f"{name}.json").read_text(encoding="utf-8"))[key]:
            assert f"`{entry['id']}`" in catalogs, entry["id"]
    sources = (generated / "sources.md").read_text(encoding="utf-8")
    for source in bibliography().values():
        assert f"`{source.id}`" in sources and source.url in sources


def test_linkify_makes_citation_urls_links() -> None:
    gen = _generator()
    text = "x — NVIDIA: H100, https://www.nvidia.com/en-us/data-center/h100/ (read 2026-12-06)"
    assert "<https://www.nvidia.com/en-us/data-center/h100/> (read" in gen.linkify(text)
    assert gen.linkify("see https://a.example/x.") == "see <https://a.example/x>."


def test_the_example_design_loads() -> None:
    design = load_design(DOCS / "examples" / "first-design.genai.json")
    assert [n.kind for n in design.nodes] == ["client", "api_gateway", "llm_server"]


def _documented_commands() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        if "_generated" in page.parts:
            continue
        for line in page.read_text(encoding="utf-8").splitlines():
            m = re.match(r"^(?:\$ )?genai-sim (\w[\w-]*)\b(.*)$", line.strip())
            if m and m.group(1) in cli.COMMANDS:
                found.append((page.name, line.strip().removeprefix("$ ")))
    return found


@pytest.mark.parametrize(("page", "command"), _documented_commands())
def test_documented_commands_still_parse(page: str, command: str) -> None:
    """Every `genai-sim ...` line in a page parses with today's CLI, and the files it names exist."""
    argv = shlex.split(command.split("  #")[0])[1:]
    args = cli.build_parser(argv[0]).parse_args(argv)
    if getattr(args, "file", None) and argv[0] != "calibrate":
        path = DOCS.parent / args.file
        assert path.exists() or not args.file.startswith(("assets/", "docs/")), (page, args.file)


def test_the_pages_document_at_least_these_commands() -> None:
    names = {cmd.split()[1] for _page, cmd in _documented_commands()}
    assert {"run", "capacity", "autosize", "sweep", "report", "validate", "bench", "calibrate"} <= names


def test_templates_page_lists_every_template(generated: Path) -> None:
    from simulation.templates import list_templates

    page = (generated / "templates.md").read_text(encoding="utf-8")
    for t in list_templates():
        assert f"`{t['file']}`" in page and f"## {t['name']}" in page


def test_site_pages_refer_to_nothing_outside_the_repository() -> None:
    from tests.test_provenance import OUTSIDE

    site = [p for p in DOCS.rglob("*.md") if "_generated" not in p.parts and p.name != "templates.md"
            and "report" not in p.relative_to(DOCS).parts]
    assert len(site) >= 15
    bad = [f"{p.relative_to(DOCS)}:{n}: {m.group(0)}" for p in site
           for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) for m in OUTSIDE.finditer(line)]
    assert not bad, bad
