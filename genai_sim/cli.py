"""`genai-sim`: one entry point. Bad input → one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

# Subcommands implemented in other modules: name -> (module, add-arguments function, main function, help).
EXTERNAL: dict[str, tuple[str, str, str, str]] = {
    "report": ("designer.report_render", "add_report_arguments", "report_main",
               "run a design and write the interview-ready report (html, md, pdf)"),
    "sweep": ("simulation.analysis.whatif_cli", "add_sweep_arguments", "sweep_main",
              "what-if grid over --set paths and arrival rates"),
    "capacity": ("simulation.analysis.whatif_cli", "add_capacity_arguments", "capacity_main",
                 "highest arrival rate that still meets the SLOs"),
    "autosize": ("simulation.analysis.whatif_cli", "add_autosize_arguments", "autosize_main",
                 "cheapest configuration that meets the SLOs (cost–latency Pareto front)"),
    "bench": ("simulation.llm.bench", "add_bench_arguments", "bench_main",
              "one llm_server under a benchmark load; JSON keys as `vllm bench serve`"),
    "calibrate": ("kernels.cli", "add_calibrate_arguments", "calibrate_main",
                  "run kernel microbenchmarks and write a hardware profile"),
}


COMMANDS = ("run", "validate", "report", "export", "sweep", "capacity", "autosize", "bench", "calibrate",
            "kernels", "templates")


class ArgError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        # the top-level parser's prog is already the "genai-sim: error:" prefix; subcommands name themselves
        raise ArgError(message if self.prog == "genai-sim" else f"{self.prog}: {message}")


def _input_errors() -> tuple[type[BaseException], ...]:
    from simulation.errors import DesignError

    errors: list[type[BaseException]] = [DesignError, ArgError]
    try:
        from kernels.errors import InputError

        errors.append(InputError)
    except ImportError:
        pass
    return tuple(errors)


def build_parser(wanted: str | None = None) -> Parser:
    """The parser; only the subcommand being run imports its module (keeps `--help` and start-up fast)."""
    parser = Parser(prog="genai-sim", description="Design, simulate and price generative-AI systems. "
                    "`genai-sim [FILE]` opens the designer.")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    p = sub.add_parser("run", help="simulate a design; a table, or the run JSON with --json")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--seed", type=int, help="random seed (default: the workload's)")
    p.add_argument("--duration", type=float, help="simulated seconds (overrides the workload's duration_s)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a value, e.g. nodes.llm.params.replicas=4 (repeatable)")

    p = sub.add_parser("validate", help="design review; exit 0 clean, 1 errors found, 2 file invalid")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")

    p = sub.add_parser("export", help="the diagram as drawn on the canvas (headless)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="OUT.png or OUT.svg")

    sub.add_parser("templates", help="list the built-in templates")

    p = sub.add_parser("kernels", help="kernel performance model")
    ksub = p.add_subparsers(dest="kernels_command", parser_class=Parser)
    kp = ksub.add_parser("predict", help="one kernel time from a profile")
    if wanted == "kernels":
        from kernels.cli import add_predict_arguments

        add_predict_arguments(kp)

    for name, (module, add_fn, _main, help_text) in EXTERNAL.items():
        sp = sub.add_parser(name, help=help_text)
        if name != wanted:
            continue
        try:
            getattr(importlib.import_module(module), add_fn)(sp)
        except (ImportError, AttributeError):
            sp.set_defaults(_unavailable=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    multiprocessing.freeze_support()  # parallel sweeps inside a PyInstaller bundle
    errors = _input_errors()
    try:
        if not argv or (not argv[0].startswith("-") and argv[0] not in COMMANDS):
            # `genai-sim [FILE]` opens the designer.
            if len(argv) > 1:
                raise ArgError(f"unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}")
            return open_designer(argv[0] if argv else None)
        parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
        args = parser.parse_args(argv)
        _check_flags(args)
        _check_output(args)
        with _clean_stdout():
            return dispatch(args)
    except errors as exc:
        print(f"genai-sim: error: {_clean(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("genai-sim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug, not bad input: still one line unless debugging
        if os.environ.get("GENAI_SIM_DEBUG"):
            raise
        print(f"genai-sim: internal error: {type(exc).__name__}: {_clean(exc)} (set GENAI_SIM_DEBUG=1 for details)",
              file=sys.stderr)
        return 3


def _clean(exc: BaseException) -> str:
    from simulation.errors import MAX_MESSAGE_CHARS, clean_text

    return clean_text(" ".join(str(exc).split()), MAX_MESSAGE_CHARS)


class _CleanWriter:
    """stdout that replaces control characters (terminal escapes in names and keys) before they reach a
    terminal, keeping newlines and tabs. JSON output is unaffected: json.dumps escapes those characters."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from simulation.errors import clean_lines

        self._stream.write(clean_lines(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _clean_stdout() -> Iterator[None]:
    original = sys.stdout
    sys.stdout = _CleanWriter(original)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout = original


def _check_flags(args: argparse.Namespace) -> None:
    """--duration and --seed on any command: bounded as the design file bounds them (a year; seeds ≥ 0)."""
    from simulation.engine.core import MAX_DURATION_S, MAX_SEED

    duration = getattr(args, "duration", None)
    if isinstance(duration, (int, float)) and not 0 < duration <= MAX_DURATION_S:
        raise ArgError(f"--duration must be in 0…{MAX_DURATION_S:.0f} s (a year), got {duration:g}")
    seed = getattr(args, "seed", None)
    if isinstance(seed, int) and not 0 <= seed <= MAX_SEED:
        raise ArgError(f"--seed must be an integer in 0…{MAX_SEED}, got {seed}")


def _check_output(args: argparse.Namespace) -> None:
    """Refuse an output path that cannot be written before any work is done (a sweep can take an hour)."""
    out = getattr(args, "output", None)
    if not isinstance(out, str) or not out or out == "-":
        return
    path = os.path.abspath(out)
    shown = _clean(ArgError(out))[:200]
    parent = os.path.dirname(path)
    if os.path.lexists(path):
        if not os.path.isfile(path):
            raise ArgError(f"-o {shown}: not a regular file")
        if not os.access(path, os.W_OK):
            raise ArgError(f"-o {shown}: not writable")
        return
    if not os.path.isdir(parent):
        raise ArgError(f"-o {shown}: folder {_clean(ArgError(os.path.dirname(out) or '.'))[:200]} does not exist")
    try:  # the real test (os.access says yes for root on /proc): create, then remove again
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as exc:
        raise ArgError(f"-o {shown}: cannot write there ({exc.strerror or type(exc).__name__})") from None
    os.close(fd)
    os.unlink(path)


def dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if getattr(args, "_unavailable", False):
        raise ArgError(f"'{cmd}' is not available in this build")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": cmd_run, "validate": cmd_validate, "export": cmd_export, "templates": cmd_templates,
        "kernels": cmd_kernels,
    }
    if cmd in handlers:
        return handlers[cmd](args)
    module, _add, main_fn, _help = EXTERNAL[cmd]
    return int(getattr(importlib.import_module(module), main_fn)(args) or 0)


def open_designer(path: str | None) -> int:
    if path is not None and not os.path.exists(path):
        raise ArgError(f"no such file: {path}")
    from designer.app import main as designer_main

    return designer_main(path)


def cmd_run(args: argparse.Namespace) -> int:
    from simulation.run import load_with_overrides, run_design

    design = load_with_overrides(args.file, args.set)
    progress = None if args.json or not sys.stderr.isatty() else _progress_bar()
    result = run_design(design, seed=args.seed, duration_s=args.duration, progress=progress)
    if progress:
        print(file=sys.stderr)
    data = result.to_json(args.file)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        from simulation.text_report import run_table

        print(run_table(data))
    return 0


def _progress_bar() -> Callable[[float, float], None]:
    def show(fraction: float, sim_t: float) -> None:
        n = int(fraction * 30)
        print(f"\r[{'#' * n}{'.' * (30 - n)}] {fraction:4.0%}  t={sim_t:,.0f}s", end="", file=sys.stderr)

    return show


def cmd_validate(args: argparse.Namespace) -> int:
    from simulation.analysis.review import review_design
    from simulation.loader import load_design

    design = load_design(args.file)
    issues = review_design(design)
    if args.json:
        print(json.dumps(issues, indent=2))
    else:
        for i in issues:
            where = f" [{i['node']}]" if i.get("node") else ""
            print(f"{i['severity'].upper():8} {i['rule']}{where}: {i['message']}")
        errors = sum(i["severity"] == "error" for i in issues)
        warnings = sum(i["severity"] == "warning" for i in issues)
        print(f"{args.file}: {errors} error(s), {warnings} warning(s), {len(issues) - errors - warnings} note(s)")
    return 1 if any(i["severity"] == "error" for i in issues) else 0


def cmd_export(args: argparse.Namespace) -> int:
    from simulation.loader import load_design

    if not args.output.lower().endswith((".png", ".svg")):
        raise ArgError(f"-o must end in .png or .svg, got {args.output!r}")
    design = load_design(args.file)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pathlib import Path

    from designer.export import export_diagram

    note = export_diagram(design, Path(args.output))
    if note:
        print(f"genai-sim: note: {note}", file=sys.stderr)
    print(args.output)
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    from simulation.templates import list_templates

    for t in list_templates():
        print(f"{t['file']:<40} {t['name']}")
    return 0


def cmd_kernels(args: argparse.Namespace) -> int:
    if args.kernels_command != "predict":
        raise ArgError("kernels: choose a subcommand: predict")
    from kernels.cli import predict_main

    return int(predict_main(args) or 0)

