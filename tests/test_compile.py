"""torch.compile(model) works on the course GPT and computes what the eager model computes.

The course's Linear times backends on first use and can run oneDNN's op, which TorchInductor
cannot lower; under torch.compile the layer must step aside and be plain F.linear.
"""

import pytest
import torch
import torch.nn.functional as F

from course_lib import GPTConfig, GPTLanguageModel
from course_lib.core import layers
from course_lib.core.layers import BACKEND_ENV, Linear, backend_choices, onednn_available

# 16 x 16 = 256 rows: large enough for the autotuner to time the shape (layers.MIN_ROWS)
B, T = 16, 16
assert B * T >= layers.MIN_ROWS


@pytest.mark.parametrize("backend", ["auto", "onednn"])
def test_under_torch_compile_the_layer_is_plain_f_linear_and_times_nothing(monkeypatch, backend):
    monkeypatch.setenv(BACKEND_ENV, backend)
    layers.reset_backend_choices()
    ran = []
    monkeypatch.setattr(layers, "_RUN", {k: (lambda *a, k=k: ran.append(k) or F.linear(*a))
                                         for k in layers._RUN})
    monkeypatch.setattr(layers, "_time_backend", lambda *a: ran.append("timed") or 1.0)
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    layer = Linear(32, 48)
    x = torch.randn(B * T, 32, requires_grad=True)
    out = layer(x)
    torch.testing.assert_close(out, F.linear(x, layer.weight, layer.bias), rtol=0, atol=0)
    assert ran == [], f"while compiling the layer ran {ran} instead of F.linear"
    assert backend_choices() == []


@pytest.mark.slow   # Inductor writes and compiles C++: tens of seconds on 2 cores
@pytest.mark.parametrize("backend", ["auto", "onednn"] if onednn_available() else ["auto"])
def test_torch_compile_trains_the_course_gpt_as_eager_does(monkeypatch, backend):
    """Forced oneDNN stopped torch.compile with an InductorError (LoweringException)."""
    monkeypatch.setenv(BACKEND_ENV, backend)
    torch._dynamo.reset()
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=20, block_size=T, n_embd=32, n_head=2, n_layer=1)
    eager = GPTLanguageModel(cfg)
    compiled_model = GPTLanguageModel(cfg)
    compiled_model.load_state_dict(eager.state_dict())
    compiled = torch.compile(compiled_model)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(cfg.vocab_size, (B, T), generator=g)
    y = torch.randint(cfg.vocab_size, (B, T), generator=g)
    _, want = eager(x, y)
    _, got = compiled(x, y)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    want.backward()
    got.backward()
    for (name, p), q in zip(eager.named_parameters(), compiled_model.parameters()):
        torch.testing.assert_close(q.grad, p.grad, atol=1e-5, rtol=1e-4, msg=name)


# ----------------------------------------------------------------------------- the bench

def _tiny_contenders(monkeypatch, backend):
    from course_lib.commands.bench import make_contenders
    monkeypatch.setenv(BACKEND_ENV, backend)
    cfg = GPTConfig(vocab_size=20, block_size=T, n_embd=32, n_head=2, n_layer=1)

    def batch():
        return torch.randint(20, (B, T)), torch.randint(20, (B, T))
    return make_contenders(cfg, batch)[0], batch


def test_the_bench_forced_aten_row_runs_every_linear_on_f_linear(monkeypatch):
    contenders, batch = _tiny_contenders(monkeypatch, "onednn")
    forced = [c for c in contenders if c.name == "course, all F.linear (fp32)"]
    assert len(forced) == 1
    ran = []
    monkeypatch.setattr(layers, "_RUN", {k: (lambda *a, k=k: ran.append(k) or F.linear(*a))
                                         for k in layers._RUN})
    forced[0].step(*batch())
    assert ran and set(ran) == {"aten"}, ran
    import os
    assert os.environ[BACKEND_ENV] == "onednn", "the row must restore the backend it found"
    course = next(c for c in contenders if c.name == "course, as learners (fp32)")
    ran.clear()
    course.step(*batch())
    assert "onednn" in ran or not onednn_available()


def test_the_bench_has_no_second_forced_aten_row_when_aten_is_forced_already(monkeypatch):
    contenders, _ = _tiny_contenders(monkeypatch, "aten")
    assert not [c for c in contenders if "all F.linear" in c.name]


@pytest.mark.parametrize("compiled_ms,first_s,expected", [
    # (10 s - one eager step of 0.06 s) / 0.01 s saved per step = 994
    (50.0, 10.0, "1.20x faster per step: it pays back after about 994 steps"),
    (70.0, 10.0, "1.17x the eager step's time: it never pays back here"),
])
def test_the_bench_says_when_compiling_pays_back(compiled_ms, first_s, expected):
    from course_lib.commands.bench import compile_payback
    text = compile_payback({"ms": compiled_ms, "first_step_s": first_s}, {"ms": 60.0})
    assert expected in text, text


def test_the_bench_reads_the_shared_kernels_time_from_the_profiler(monkeypatch, capfd):
    from course_lib.commands.bench import shared_kernel_ms
    contenders, batch = _tiny_contenders(monkeypatch, "aten")
    course = next(c for c in contenders if c.name == "course, as learners (fp32)")
    ms = shared_kernel_ms(course, batch, steps=2)
    assert ms["matrix products"] > 0 and ms["attention"] > 0, ms
    # a model whose attention is lesson 05's heads calls no attention kernel: nothing is guessed
    heads = next(c for c in contenders if c.name == "lesson 05 heads (fp32)")
    assert shared_kernel_ms(heads, batch, steps=1)["attention"] == 0
    # the profiler's own stderr lines are hidden, and stderr works again afterwards
    import sys
    print("after the profile", file=sys.stderr)
    err = capfd.readouterr().err
    assert "profiler_start" not in err and "after the profile" in err, err


def test_the_bench_ceiling_is_the_contenders_step_over_the_courses_shared_kernels():
    from course_lib.commands.bench import ceiling_line
    result = {"rows": [{"name": "nanoGPT-style", "ms": 40.0},
                       {"name": "course, all F.linear (fp32)", "ms": 30.0}],
              "shared_ms": (("course, all F.linear (fp32)",
                             {"matrix products": 10.0, "attention": 5.0}),
                            ("nanoGPT-style", {"matrix products": 12.0, "attention": 5.0}))}
    line = ceiling_line(result)
    assert "matrix products 10.0 and attention 5.0 ms of the course's 30.0 ms step" in line
    assert "17.0 ms of nanoGPT-style's 40.0 ms" in line
    assert "at most 2.67x nanoGPT-style here; it is 1.33x." in line, line
    assert ceiling_line({"rows": result["rows"]}) is None
