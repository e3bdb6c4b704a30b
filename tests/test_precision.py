"""--precision auto|fp32|bf16: what `auto` decides, and that deciding changes nothing else."""

import pytest
import torch

from course_lib.core import precision
from course_lib.core.data import get_batch
from course_lib.core.model import GPTConfig, GPTLanguageModel
from course_lib.core.training import train

CPU = torch.device("cpu")


def tiny_model():
    torch.manual_seed(0)
    return GPTLanguageModel(GPTConfig(vocab_size=11, block_size=8, n_embd=16, n_head=2,
                                      n_layer=1))


def batch():
    data = torch.arange(200) % 11
    return get_batch(data, 4, 8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("bad", ["fp16", "BF16", "", None, 32])
def test_an_unknown_precision_is_named(bad):
    with pytest.raises((ValueError, TypeError), match="precision"):
        precision.validate_precision(bad)


@pytest.mark.parametrize("flags, native", [
    ({"avx2", "avx512f"}, False),
    ({"avx512f", "avx512_bf16"}, True),
    ({"amx_bf16", "amx_tile"}, True),
    ({"fp", "asimd", "bf16"}, True),          # Arm's flag
    (set(), False),                           # no /proc/cpuinfo (macOS, Windows)
])
def test_native_bf16_reads_the_cpu_flags(monkeypatch, flags, native):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    ok, why = precision.native_bf16(CPU)
    assert ok is native
    assert ("no native bfloat16" in why) is (not native)


def test_auto_keeps_fp32_without_native_bf16_and_times_nothing(monkeypatch):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: {"avx2"})
    monkeypatch.setattr(precision, "_time_steps", lambda *a: pytest.fail("timed anyway"))
    chosen, why = precision.choose_precision("auto", tiny_model(), batch, CPU)
    assert chosen == "fp32" and "no native bfloat16" in why


@pytest.mark.parametrize("fp32_s, bf16_s, chosen", [
    (0.100, 0.080, "bf16"),     # 1.25x: pays
    (0.100, 0.095, "fp32"),     # 1.05x: below the 1.10x needed
    (0.100, 0.120, "fp32"),     # slower
])
def test_auto_chooses_by_the_timing_and_says_what_it_measured(monkeypatch, fp32_s, bf16_s,
                                                              chosen):
    monkeypatch.setattr(precision, "_cpu_flags", lambda: {"avx512_bf16"})
    monkeypatch.setattr(precision, "_time_steps", lambda *a: (fp32_s, bf16_s))
    got, why = precision.choose_precision("auto", tiny_model(), batch, CPU)
    assert got == chosen
    assert f"{bf16_s * 1e3:.1f} ms in bf16" in why and f"{fp32_s * 1e3:.1f} ms in fp32" in why


@pytest.mark.parametrize("asked", ["fp32", "bf16"])
def test_an_explicit_precision_is_used_as_asked(monkeypatch, asked):
    monkeypatch.setattr(precision, "_time_steps", lambda *a: pytest.fail("timed anyway"))
    assert precision.choose_precision(asked, tiny_model(), batch, CPU) == (asked, "asked for")


def test_the_timing_leaves_the_model_and_the_random_stream_alone():
    model = tiny_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    fp32_s, bf16_s = precision._time_steps(model, batch, CPU, 2)
    assert fp32_s > 0 and bf16_s > 0
    assert torch.equal(torch.rand(3), expected)
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_train_reports_the_precision_it_used():
    data = torch.arange(300) % 11
    h = train(tiny_model(), data, data, max_iters=2, batch_size=2, block_size=8,
              eval_interval=10**9, eval_iters=1, progress=False, precision="bf16")
    assert h.precision == "bf16" and h.precision_reason == "asked for"
    h = train(tiny_model(), data, data, max_iters=2, batch_size=2, block_size=8,
              eval_interval=10**9, eval_iters=1, progress=False)
    assert h.precision == "fp32"          # train()'s default: the lessons stay float32
