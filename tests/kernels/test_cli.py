import argparse
import json

import pytest

from kernels.cli import ProgressBar, add_calibrate_arguments, add_predict_arguments, predict_main
from kernels.errors import InputError
from kernels.perf import load_profile


def _parse(*argv):
    parser = argparse.ArgumentParser()
    add_predict_arguments(parser)
    return parser.parse_args(list(argv))


def test_predict_prints_json(capsys):
    args = _parse("--gpu", "h100-sxm", "--op", "gemm", "--m", "128", "--n", "4096", "--k", "4096", "--json")
    assert predict_main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"latency_ms": load_profile("h100-sxm").gemm_ms(128, 4096, 4096, "bf16")}


@pytest.mark.parametrize("argv, method, call_args", [
    (("--op", "attention-prefill", "--tokens", "512", "--heads", "32", "--kv-heads", "8"),
     "attention_prefill_ms", (512, 512, 32, 8, 128, 1, "bf16")),
    (("--op", "attention-decode", "--batch", "64", "--kv-len", "1000", "--heads", "32", "--kv-heads", "8",
      "--head-dim", "64"), "attention_decode_ms", (64, 1000.0, 32, 8, 64, "bf16")),
    (("--op", "allreduce", "--bytes", "1e6", "--gpus", "8"), "allreduce_ms", (1e6, 8)),
    (("--op", "memcpy", "--bytes", "1e9"), "memcpy_ms", (1e9,)),
])
def test_predict_ops(capsys, argv, method, call_args):
    predict_main(_parse("--profile", "a100-80gb", "--json", *argv))
    expected = getattr(load_profile("a100-80gb"), method)(*call_args)
    assert json.loads(capsys.readouterr().out)["latency_ms"] == expected


def test_missing_and_bad_arguments_are_one_line_input_errors():
    with pytest.raises(InputError, match="--op gemm needs --k"):
        predict_main(_parse("--gpu", "l4", "--op", "gemm", "--m", "1", "--n", "2"))
    with pytest.raises(InputError, match='unknown profile "nope"'):
        predict_main(_parse("--gpu", "nope", "--op", "memcpy", "--bytes", "10"))
    with pytest.raises(SystemExit):  # argparse: --gpu and --profile are exclusive
        _parse("--gpu", "l4", "--profile", "l4", "--op", "gemm")


def test_calibrate_arguments_and_progress_bar(capsys):
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    args = parser.parse_args(["--quick", "-o", "p.json"])
    assert (args.device, args.quick, args.output) == ("cpu", True, "p.json")
    bar = ProgressBar()
    bar(1, 2, "gemm")
    bar(2, 2, "memcpy")
    err = capsys.readouterr().err
    assert "[" in err and "2/2 memcpy" in err and err.endswith("\n")


def test_kernels_layer_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys, kernels.perf, kernels.hardware, kernels.cli, kernels.calibrate, kernels.fit; "
            "assert 'torch' not in sys.modules and 'simulation' not in sys.modules and 'designer' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
