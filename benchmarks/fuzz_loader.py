"""Fuzz campaign over every parser of user files and over the design grammar: zero tracebacks expected.

Each parser case must either load or be refused with the parser's own one-line error
(``simulation.errors.DesignError``; ``kernels.errors.InputError`` for hardware profiles).
The grammar family draws whole designs with Hypothesis (``grammar_designs`` in
tests/simulation/test_loader_fuzz.py: nested fan-outs, cycles, error edges, retries, faults, extreme
distributions) and loads, validates and runs each one (5 s wall cap). Anything else is a crash and is
printed with the seed that reproduces it (grammar crashes: the design JSON goes to --crash-dir).
Prints inputs tried, internal errors found and the peak memory of the process.

    .venv/bin/python benchmarks/fuzz_loader.py [--cases 12000] [--cli 300] [--run 100] [--grammar 1500] [--seed 1]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simulation.errors import DesignError  # noqa: E402
from simulation.loader import load_design, read_json_file  # noqa: E402
from simulation.overrides import with_overrides  # noqa: E402
from simulation.workload import read_trace  # noqa: E402
from tests.simulation.test_loader_fuzz import (  # noqa: E402
    HOSTILE_VALUES,
    PROFILE_PATHS,
    TEMPLATE_PATHS,
    TEMPLATES,
    check_profile,
    encode,
    load_or_refuse,
    mutate,
    mutate_bytes,
)

# Read once: the sources must not change under the campaign.
PROFILE_TEXTS = [p.read_text(encoding="utf-8") for p in PROFILE_PATHS]
OVERRIDE_PATHS = ["workload.arrival.rate_per_s", "workload.arrival", "workload.duration_s", "nodes.llm.params.replicas",
                  "nodes.0", "nodes", "", ".", "slo..x", "nodes.99.params.x", "nodes.cache.params.hit_rate",
                  "edges.0.when", "nodes.users.kind", "name.x", "workload.input_tokens.dist", "budget",
                  "nodes.vdb.faults.outages"]
TRACE_LINES = ["time,input_tokens,output_tokens", "t,isl,osl", "0,10,20", "1e999,1,1", "1,1e999,1", "nan,1,1", "1,-1,2",
               "x,y,z", "1,2", "\x00", '"unterminated', "2,inf,3", "3," + "9" * 400 + ",1", '{"t": 1, "isl": 5}',
               '{"t": "x"}', "[1,2]", '{"time": 1e400}', '{"t": ' + "9" * 5000 + "}", "\ufeff0,1,1", ""]


def random_json(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 6 or r < 0.4:
        return rng.choice(HOSTILE_VALUES + [rng.random() * 10 ** rng.randint(-5, 5), rng.randint(-9, 9),
                                            "genai-sim.design", 1])
    if r < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["format", "version", "nodes", "edges", "workload", "params", "kind", "id", "dist", "arrival", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


class Campaign:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.cases: Counter[str] = Counter()
        self.loaded: Counter[str] = Counter()
        self.crashes: list[tuple[str, int, str]] = []
        self.loaded_designs: list[Any] = []

    def case(self, family: str, seed: int, fn: Callable[[], Any]) -> None:
        self.cases[family] += 1
        try:
            if fn() is not None:
                self.loaded[family] += 1
        except Exception as exc:  # anything that is not the parser's own error is a finding
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.crashes.append((family, seed, f"{type(exc).__name__}: {str(exc)[:120]} "
                                               f"at {Path(where.filename).name}:{where.lineno}"))

    # --- families ------------------------------------------------------------------------------
    def random_dict(self, seed: int) -> Any:
        rng = random.Random(seed)
        value = random_json(rng)
        if isinstance(value, str):  # a string is a file name to load_design; keep this family to parsed data
            value = [value]
        if isinstance(value, dict) and rng.random() < 0.7:
            value.update({"format": "genai-sim.design", "version": 1})
        return load_or_refuse(value)

    def mutated_dict(self, seed: int) -> Any:
        rng = random.Random(seed)
        design = load_or_refuse(mutate(rng.choice(TEMPLATES), rng, python_values=True))
        if design is not None and len(self.loaded_designs) < 2000:
            self.loaded_designs.append((seed, design))
        return design

    def mutated_file(self, seed: int) -> Any:
        rng = random.Random(seed)
        i = rng.randrange(len(TEMPLATES))
        f = self.tmp / f"case{seed % 50}.genai.json"
        if rng.random() < 0.5:
            f.write_bytes(mutate_bytes(TEMPLATE_PATHS[i].read_text(encoding="utf-8"), rng))
        else:
            f.write_text(encode(mutate(TEMPLATES[i], rng), ensure_ascii=rng.random() < 0.5), encoding="utf-8",
                         errors="surrogatepass")
        try:
            read_json_file(f)
        except DesignError as exc:
            assert "\n" not in str(exc)
        return load_or_refuse(f)

    def overrides(self, seed: int) -> Any:
        rng = random.Random(seed)
        items = []
        for _ in range(rng.randint(1, 4)):
            value = rng.choice(HOSTILE_VALUES + ["[" * 50000, "NaN", "9" * 5000, "-Infinity", "null"])
            text = value if isinstance(value, str) else encode(value)
            items.append(f"{rng.choice(OVERRIDE_PATHS)}{'=' if rng.random() < 0.9 else ''}{text}")
        try:
            data = with_overrides(rng.choice(TEMPLATES), items)
        except DesignError as exc:
            assert "\n" not in str(exc)
            return None
        return load_or_refuse(data)

    def trace(self, seed: int) -> Any:
        rng = random.Random(seed)
        f = self.tmp / f"trace{seed % 20}{rng.choice(['.csv', '.jsonl', '.json', '.txt'])}"
        body = "\n".join(rng.choice(TRACE_LINES) for _ in range(rng.randint(0, 8))).encode("utf-8", "surrogatepass")
        if rng.random() < 0.2:
            body += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        f.write_bytes(body)
        try:
            return read_trace(f)
        except DesignError as exc:
            assert "\n" not in str(exc)
            return None

    def profile(self, seed: int) -> Any:
        rng = random.Random(seed)
        text = PROFILE_TEXTS[seed % len(PROFILE_TEXTS)]
        f = self.tmp / f"profile{seed % 20}.json"
        if rng.random() < 0.4:
            f.write_bytes(mutate_bytes(text, rng))
        else:
            f.write_text(encode(mutate(json.loads(text), rng)), encoding="utf-8", errors="surrogatepass")
        check_profile(f)
        return None

    def cli_validate(self, seed: int) -> Any:
        from genai_sim.cli import main

        rng = random.Random(seed)
        f = self.tmp / "cli.genai.json"
        if rng.random() < 0.5:
            f.write_bytes(mutate_bytes(rng.choice(TEMPLATE_PATHS).read_text(encoding="utf-8"), rng))
        else:
            f.write_text(encode(mutate(rng.choice(TEMPLATES), rng)), encoding="utf-8", errors="surrogatepass")
        try:
            load_design(f)
            valid = True
        except DesignError:
            valid = False
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["validate", str(f)])
        text = err.getvalue()
        if "Traceback" in text or rc not in ((0, 1) if valid else (2,)):
            raise AssertionError(f"exit {rc}, stderr {text.strip()[:150]!r}")
        if not valid and (text.count("\n") != 1 or not text.startswith("genai-sim: error: ")):
            raise AssertionError(f"not one line: {text[:150]!r}")
        return True if valid else None

    def run_loaded(self, seed: int, design: Any) -> Any:
        """A design that loads must also simulate without a traceback (10 s of simulated time, 5 s wall cap)."""
        from simulation.run import run_design

        timer: list[threading.Timer] = []

        def arm(sim: Any) -> None:
            t = threading.Timer(5.0, sim.cancel)
            t.daemon = True
            t.start()
            timer.append(t)

        try:
            return run_design(design, seed=seed, duration_s=10.0, cancel_check=arm)
        except DesignError as exc:
            assert "\n" not in str(exc)
            return None
        finally:
            for t in timer:
                t.cancel()


def grammar_family(c: Campaign, n: int, seed: int, crash_dir: Path) -> Counter[str]:
    """``n`` designs from the grammar, each loaded, validated and run; returns how each case ended."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from tests.simulation.test_loader_fuzz import check_grammar_design, grammar_designs

    outcomes: Counter[str] = Counter()
    counter = [0]

    @hypothesis_seed(seed)
    @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(grammar_designs())
    def body(d: dict[str, Any]) -> None:
        counter[0] += 1
        before = len(c.crashes)
        crash_dir.mkdir(parents=True, exist_ok=True)  # the case in hand, for a run that dies of memory or a hang
        (crash_dir / "last-case.json").write_text(json.dumps(d), encoding="utf-8", errors="surrogatepass")

        def one() -> Any:
            outcomes[check_grammar_design(d)] += 1
            return True

        c.case("grammar", counter[0], one)
        if len(c.crashes) > before:
            crash_dir.mkdir(parents=True, exist_ok=True)
            (crash_dir / f"grammar-{seed}-{counter[0]}.json").write_text(json.dumps(d, indent=1), encoding="utf-8",
                                                                        errors="surrogatepass")

    try:
        body()
    except Exception as exc:  # the harness itself failed (e.g. memory ran out under --memory-gib): a finding too
        c.crashes.append(("grammar", counter[0], f"harness stopped: {type(exc).__name__}: {str(exc)[:200]}"))
    return outcomes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=12000, help="parser cases (spread over the families)")
    ap.add_argument("--cli", type=int, default=300, help="cases through `genai-sim validate`")
    ap.add_argument("--run", type=int, default=100, help="designs that loaded, simulated for 10 s each")
    ap.add_argument("--grammar", type=int, default=1500, help="designs drawn from the grammar, each run for 5 s")
    ap.add_argument("--crash-dir", default="/tmp/genai-fuzz-crashes", help="where crashing grammar designs go")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-gib", type=float, default=3.0,
                    help="address-space cap: a case that needs more is reported as a crash (MemoryError)")
    args = ap.parse_args()
    if args.memory_gib > 0:
        cap = int(args.memory_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, resource.getrlimit(resource.RLIMIT_AS)[1]))
    # family -> share of --cases
    shares = {"random_dict": 0.2, "mutated_dict": 0.3, "mutated_file": 0.25, "overrides": 0.1, "trace": 0.08,
              "profile": 0.07}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="genai-fuzz-") as tmp:
        c = Campaign(Path(tmp))
        for family, share in shares.items():
            fn = getattr(c, family)
            n = round(args.cases * share) if family != "profile" or PROFILE_TEXTS else 0
            for i in range(n):
                seed = args.seed * 1_000_003 + i
                c.case(family, seed, lambda fn=fn, seed=seed: fn(seed))
        for i in range(args.cli):
            seed = args.seed * 7_000_003 + i
            c.case("cli_validate", seed, lambda seed=seed: c.cli_validate(seed))
        for seed, design in c.loaded_designs[: args.run]:
            c.case("run_loaded", seed, lambda seed=seed, design=design: c.run_loaded(seed, design))
        outcomes = grammar_family(c, args.grammar, args.seed, Path(args.crash_dir)) if args.grammar else Counter()
    wall = time.perf_counter() - t0
    total = sum(c.cases.values())
    print(f"{'family':<14} {'cases':>7} {'loaded':>7}")
    for family, n in c.cases.items():
        print(f"{family:<14} {n:>7} {c.loaded[family]:>7}")
    if outcomes:
        print("grammar outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    print(f"inputs tried: {total}   internal errors: {len(c.crashes)}   peak memory: {peak_mib:.0f} MiB   "
          f"CPU: {cpu:.0f} s   wall: {wall:.1f} s")
    for family, seed, what in c.crashes[:40]:
        print(f"CRASH {family} seed={seed}: {what}")
    return 1 if c.crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
