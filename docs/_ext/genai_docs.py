"""Reference pages generated from the code at build time (never hand-written).

* one page per component kind, from the declarations in ``simulation/components`` (every parameter with type,
  unit, default, range, help and source);
* the command-line reference, from the argparse parsers of ``genai_sim.cli``;
* the catalogs (GPUs, models, hosted APIs) and the bibliography, from ``assets/``.

``write_all(out_dir)`` writes Markdown (MyST) files; the Sphinx ``setup`` below calls it before any source is read.
It imports no Sphinx itself, so tests can call it directly.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATED = "_generated"
_URL = re.compile(r"(https?://[^\s<>]+?)([),.;]*(?:\s|$))")


def md_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, no line breaks)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def linkify(text: str) -> str:
    """Bare URLs as Markdown autolinks, so every citation is a link a reader can click."""
    return _URL.sub(lambda m: f"<{m.group(1)}>{m.group(2)}", text)


def show_default(value: Any) -> str:
    if isinstance(value, dict) and "dist" in value:
        rest = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                         for k, v in value.items() if k != "dist")
        return f"{value['dist']}: {rest}" if rest else str(value["dist"])
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"
    if isinstance(value, str):
        return f'"{value}"' if value else '"" (none)'
    return json.dumps(value, ensure_ascii=False)


# --- components -----------------------------------------------------------------------------------------------

def _kinds() -> list[Any]:
    from simulation.registry import GROUPS, all_kinds

    order = {g: i for i, (g, _label) in enumerate(GROUPS)}
    return sorted(all_kinds(), key=lambda k: (order.get(k.group, 99), k.kind))


def _param_rows(params: Any) -> list[str]:
    rows = ["| parameter | type | unit | default | range | what it sets |", "|---|---|---|---|---|---|"]
    for p in params:
        kind = f"{p.type} ({p.catalog} id)" if p.type == "catalog" and p.catalog else p.type
        flags = " *(advanced)*" if p.advanced else ""
        rows.append(f"| `{p.name}`{flags} | {md_cell(kind)} | {md_cell(p.unit) or '—'} | "
                    f"{md_cell(show_default(p.default))} | {md_cell(p.describe_range()) or '—'} | "
                    f"{md_cell(p.help) or '—'} |")
    return rows


def _icon(kind: Any) -> Path:
    return ROOT / "assets" / "icons" / f"{kind.icon or kind.kind}.svg"


def component_page(kind: Any) -> str:
    from simulation.params import COMMON_PARAMS

    common_names = {p.name for p in COMMON_PARAMS}
    own = [p for p in kind.params if p.name not in common_names]
    shared = [p for p in kind.all_params if p.name in common_names]
    lines = [f"# {kind.label} (`{kind.kind}`)", "", f"*Group: {kind.group}.* {kind.help}", ""]
    if _icon(kind).exists():
        lines[1:1] = ["", f"![{kind.label} icon](icons/{_icon(kind).name}){{w=48px}}"]
    facts = []
    if kind.outcomes:
        facts.append("Out-edge outcomes (`when`): " + ", ".join(f"`{o}`" for o in kind.outcomes) + ".")
    if kind.cost_help:
        facts.append(f"Cost: {kind.cost_help}.")
    if facts:
        lines += [" ".join(facts), ""]
    lines += ["## Parameters", ""]
    lines += _param_rows(own) if own else ["This kind has no parameters of its own."]
    lines += ["", "## Shared parameters", "",
              "Every kind has these (with this kind's defaults); see [request flow](../../design-format.md).", ""]
    lines += _param_rows(shared)
    sourced = [p for p in kind.all_params if p.source]
    lines += ["", "## Where the defaults come from", ""]
    if sourced:
        lines += [f"- `{p.name}`: {linkify(p.source)}" for p in sourced]
    else:
        lines.append("No default of this kind is a measured figure: they describe your design.")
    unsourced = [p.name for p in own if not p.source and p.type in ("int", "float", "dist")]
    if unsourced:
        lines += ["", "Values of your design, with no published default: " +
                  ", ".join(f"`{n}`" for n in unsourced) + "."]
    return "\n".join(lines) + "\n"


def components_index(kinds: list[Any]) -> str:
    from simulation.registry import GROUPS

    lines = ["# Components", "",
             "One page per component kind, generated from its declaration in `simulation/components/` when the "
             "documentation is built: the same declaration drives the designer's palette and inspector, the design "
             "file loader and validation, and the report.", ""]
    for group, label in GROUPS:
        members = [k for k in kinds if k.group == group]
        if not members:
            continue
        lines += [f"## {label}", "", "| kind | what it models |", "|---|---|"]
        lines += [f"| [{k.label}]({k.kind}.md) (`{k.kind}`) | {md_cell(k.help)} |" for k in members]
        lines.append("")
    lines += ["```{toctree}", ":hidden:", ""] + [k.kind for k in kinds] + ["```", ""]
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------------------------------

def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)


def _options_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = ["| argument | default | what it does |", "|---|---|---|"]
    for a in parser._actions:
        if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if a.option_strings:
            flag = ", ".join(a.option_strings)
            if a.nargs != 0:
                flag += f" {a.metavar or a.dest.upper()}"
        else:
            flag = a.metavar or a.dest
        if a.choices and not isinstance(a.choices, dict):
            flag += " {" + ",".join(map(str, a.choices)) + "}"
        default = "" if a.default in (None, False, [], argparse.SUPPRESS) else repr(a.default)
        req = " (required)" if a.required and a.option_strings else ""
        if not a.help and a.dest == "file":
            a.help = "design file (*.genai.json)"
        rows.append(f"| `{md_cell(flag)}`{req} | {md_cell(default) or '—'} | {md_cell(a.help or '')} |")
    return rows


def cli_page() -> str:
    from genai_sim import cli

    top = cli.build_parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    lines = ["# Command line", "", "Generated from the argparse parsers of `genai_sim/cli.py` when the documentation "
             "is built.", "", "One entry point, `genai-sim` (or `python -m genai_sim`). `genai-sim [FILE]` opens "
             "the designer. Exit codes: 0 ok, 1 the check failed (`validate`, `capacity`), 2 bad input — with one "
             "line on stderr naming what is wrong and where, never a traceback.", "",
             "`--set` paths are dotted, nodes addressed by id: `nodes.llm.params.replicas=4`, "
             "`workload.arrival.rate_per_s=20`, `slo.ttft_p99_ms=800`.", ""]
    for name in cli.COMMANDS:
        parser = _subparser(cli.build_parser(name), name)
        lines += [f"## `genai-sim {name}`", "", md_cell(helps.get(name, "")).replace("\\|", "|") + ".", ""]
        if parser.description:
            lines += [parser.description, ""]
        lines += ["```text", parser.format_usage().strip(), "```", ""]
        lines += _options_table(parser) + [""]
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for action in nested:
            for sub_name, sub_parser in action.choices.items():
                lines += [f"### `genai-sim {name} {sub_name}`", "", "```text", sub_parser.format_usage().strip(),
                          "```", ""] + _options_table(sub_parser) + [""]
    return "\n".join(lines)


# --- catalogs and bibliography --------------------------------------------------------------------------------

def _catalog(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "assets" / "catalogs" / f"{name}.json").read_text(encoding="utf-8"))


def _num(value: Any) -> str:
    """A catalog figure for a table cell; absent or non-numeric shows as a dash."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—" if value in (None, "") else md_cell(value)
    return f"{value:,.6g}"


def catalogs_page() -> str:
    gpus, models, apis = _catalog("gpus"), _catalog("models"), _catalog("api_models")
    lines = ["# Catalogs", "", "Generated from `assets/catalogs/*.json` when the documentation is built. Every "
             "figure names its public origin; the full list is the [bibliography](sources.md). Prices move monthly: "
             "re-check them before a budget decision.", "", "## GPUs", "", gpus.get("note", ""), "",
             "| id | GPU | memory GB | bandwidth GB/s | BF16 TFLOPS (dense) | FP8 TFLOPS | link GB/s/dir | $/GPU-h |",
             "|---|---|---|---|---|---|---|---|"]
    for g in gpus["gpus"]:
        t = g.get("peak_tflops", {})
        lines.append(f"| `{g['id']}` | {md_cell(g.get('name', ''))} | {_num(g.get('memory_gb'))} | "
                     f"{_num(g.get('mem_bw_gbs'))} | {_num(t.get('bf16', t.get('fp16')))} | {_num(t.get('fp8'))} | "
                     f"{_num(g.get('interconnect_gbs'))} | {_num(g.get('usd_per_hour'))} |")
    for g in gpus["gpus"]:
        lines += ["", f"### {md_cell(g.get('name', g['id']))} (`{g['id']}`)", ""]
        if g.get("source"):
            lines.append(f"- summary: {linkify(g['source'])}")
        lines += [f"- {field}: {linkify(text)}" for field, text in g.get("sources", {}).items()]
    lines += ["", "## Models", "", models.get("note", ""), "",
              "| id | layers | hidden | heads / KV heads | total B | active B | context |", "|---|---|---|---|---|---|---|"]
    for m in models["models"]:
        lines.append(f"| `{m['id']}` | {_num(m.get('layers'))} | {_num(m.get('hidden'))} | {_num(m.get('heads'))} / "
                     f"{_num(m.get('kv_heads'))} | {_num(m.get('total_params_b'))} | {_num(m.get('active_params_b'))} | "
                     f"{_num(m.get('context_length'))} |")
    lines += [""] + [f"- `{m['id']}`: {linkify(m.get('source', ''))}" for m in models["models"]]
    lines += ["", "## Hosted APIs", "", apis.get("note", ""), "",
              "| id | $/1M input | $/1M output | TTFT s (median) | output tok/s | RPM | TPM |", "|---|---|---|---|---|---|---|"]
    for a in apis["models"]:
        lines.append(f"| `{a['id']}` | {_num(a.get('input_usd_per_1m'))} | {_num(a.get('output_usd_per_1m'))} | "
                     f"{_num(a.get('ttft_s'))} | {_num(a.get('output_tokens_per_s'))} | {_num(a.get('rpm'))} | "
                     f"{_num(a.get('tpm'))} |")
    for a in apis["models"]:
        lines += ["", f"### {md_cell(a.get('name', a['id']))} (`{a['id']}`)", ""]
        lines += [f"- {field}: {linkify(text)}" for field, text in a.get("sources", {}).items()]
    return "\n".join(lines) + "\n"


def sources_page() -> str:
    from kernels.sources import bibliography

    data = json.loads((ROOT / "assets" / "sources.json").read_text(encoding="utf-8"))
    lines = ["# Bibliography", "", "Generated from `assets/sources.json`. " + data.get("note", ""), "",
             "Figures cite these entries as *Publisher: Title, URL (read date)*; a figure the project set itself "
             "says so (*assumption*, *derived*, *measured*, *fitted*).", "",
             "**Adding a figure.** In code, cite an entry by id: `cite(\"nvidia-h100\", detail=\"dense BF16 989 "
             "TFLOPS\")` (`kernels/sources.py`) expands to the plain citation, and an unknown id fails at import. In a "
             "catalog or profile JSON, write the plain form directly. `tests/test_provenance.py` fails on a source that "
             "is neither a citation nor a marked assumption, and on any reference to a file outside the repository.",
             "",
             "| id | publisher | title | read |", "|---|---|---|---|"]
    for s in bibliography().values():
        title = f"[{md_cell(s.title)}]({s.url})"
        note = f" — {md_cell(s.note)}" if s.note else ""
        lines.append(f"| `{s.id}` | {md_cell(s.publisher)} | {title}{note} | {s.read} |")
    return "\n".join(lines) + "\n"


# --- templates ------------------------------------------------------------------------------------------------

def _arrival_text(arrival: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in arrival.items() if k != "process")


def templates_page() -> str:
    """Every built-in template: what it models, its workload, objectives, budget and components."""
    from simulation.registry import get_kind
    from simulation.templates import list_templates

    lines = ["# Templates", "", "Generated from `assets/templates/` when the documentation is built. Open one in the "
             "designer (File ▸ New from Template…, or `genai-sim FILE`) or run it headless "
             "(`genai-sim run assets/templates/FILE`). `genai-sim templates` lists them.", ""]
    for t in list_templates():
        data = json.loads(Path(t["path"]).read_text(encoding="utf-8"))
        w = data.get("workload", {})
        arrival = w.get("arrival", {})
        kinds = [get_kind(n["kind"]).label for n in data.get("nodes", [])]
        lines += [f"## {t['name']}", "", f"`{t['file']}`", "", t["description"] or "—", "",
                  f"- **Workload:** {arrival.get('process', '?')} ({_arrival_text(arrival)}), "
                  f"{w.get('duration_s', '?')} s simulated, seed {w.get('seed', '?')}",
                  "- **Objectives:** " + (", ".join(f"`{k}` ≤ {v:g}" for k, v in data.get("slo", {}).items())
                                          or "none"),
                  "- **Budget:** " + (", ".join(f"{k} {v:,}" for k, v in data.get("budget", {}).items()) or "none"),
                  f"- **Components ({len(kinds)}):** " + ", ".join(kinds), ""]
    return "\n".join(lines)


# --- design file keys -----------------------------------------------------------------------------------------

def _keys(required: set[str], optional: set[str]) -> str:
    parts = [f"`{k}`" for k in sorted(required)] + [f"`{k}` (optional)" for k in sorted(optional)]
    return ", ".join(parts) or "—"


def format_facts() -> str:
    """The loader's own key sets: arrival processes, distributions, SLO keys, node/edge keys, outcomes."""
    from simulation import loader
    from simulation.distributions import DIST_KEYS
    from simulation.workload import PROCESSES, WORKLOAD_KEYS

    kinds = _kinds()
    lines = ["Generated from the loader's declarations (`simulation/loader.py`, `workload.py`, "
             "`distributions.py`).", "", "**Top-level keys:** " + ", ".join(f"`{k}`" for k in sorted(loader.TOP_KEYS)),
             "", "**Workload keys:** " + ", ".join(f"`{k}`" for k in sorted(WORKLOAD_KEYS)), "",
             "| arrival `process` | keys |", "|---|---|"]
    lines += [f"| `{name}` | {_keys(*keys)} |" for name, keys in PROCESSES.items()]
    lines += ["", "| distribution `dist` | keys |", "|---|---|"]
    lines += [f"| `{name}` | {_keys(*keys)} |" for name, keys in DIST_KEYS.items()]
    lines += ["", f"**SLO keys** match `{loader.SLO_RE.pattern}` (for example `ttft_p99_ms`, `tpot_mean_ms`), plus "
              "`error_rate_max` (a fraction).", "",
              "**Budget keys:** " + ", ".join(f"`{k}`" for k in sorted(loader.BUDGET_KEYS)), "",
              "**Node keys:** " + ", ".join(f"`{k}`" for k in sorted(loader.NODE_KEYS)) + "; **fault keys:** " +
              ", ".join(f"`{k}`" for k in sorted(loader.FAULT_KEYS)), "",
              "**Edge keys:** " + ", ".join(f"`{k}`" for k in sorted(loader.EDGE_KEYS)), "",
              "| kind | `when` outcomes of its out edges |", "|---|---|"]
    generic = ", ".join(f"`{o}`" for o in loader.GENERIC_OUTCOMES)
    lines += [f"| `{k.kind}` | {', '.join(f'`{o}`' for o in k.outcomes) + ', ' if k.outcomes else ''}{generic} |"
              for k in kinds]
    return "\n".join(lines) + "\n"


# --- entry points ---------------------------------------------------------------------------------------------

def write_all(out_dir: Path) -> list[Path]:
    """Write every generated page under ``out_dir``; rewrite a file only when its text changed."""
    kinds = _kinds()
    pages: dict[str, str] = {"components/index.md": components_index(kinds)}
    pages.update({f"components/{k.kind}.md": component_page(k) for k in kinds})
    pages.update({"cli.md": cli_page(), "catalogs.md": catalogs_page(), "sources.md": sources_page(),
                  "format-facts.inc": format_facts(), "templates.md": templates_page()})
    for k in kinds:  # the palette's icons, beside the pages that show them
        if _icon(k).exists():
            pages[f"components/icons/{_icon(k).name}"] = _icon(k).read_text(encoding="utf-8")
    written = []
    for rel, text in pages.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    for stale in (out_dir / "components").glob("*.md"):
        if stale not in written:
            stale.unlink()
    return written


def _generate(app: Any) -> None:
    write_all(Path(app.srcdir) / "reference" / GENERATED)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", _generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
