"""Shared fixtures: a tiny corpus and tiny models, so the unit tests stay fast."""

import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))   # lets tests import the scripts as modules

from course_lib import CharTokenizer, GPTConfig, GPTLanguageModel, load_corpus  # noqa: E402
from course_lib.lessons.checks import framework  # noqa: E402

# The unit tests use tiny tensors, where a second thread only waits for the first. On a busy
# machine PyTorch's threads also wait for each other's CPU time: a 0.2 s test took 31 s with
# two threads and two cores shared with other work. One thread keeps them fast everywhere.
# (The notebooks run in their own kernels and keep PyTorch's choice.)
torch.set_num_threads(1)

TINY_TEXT = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
             "All:\nSpeak, speak.\n") * 20


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch):
    """Every test starts with course_lib in English ($COURSE_LANG unset) and leaves it so,
    whatever language the test chose (course_lib.set_language)."""
    from course_lib import i18n, set_language
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    set_language(None)
    yield
    set_language(None)


@pytest.fixture(scope="session")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def tok():
    """The course corpus's character tokenizer (the exercise checks' tests use it)."""
    return load_corpus().tokenizer


@pytest.fixture
def short_limits(monkeypatch):
    """Small limits on learner code, so a looping or greedy function is stopped in a fraction of
    a second (the exercise checks' tests use it)."""
    monkeypatch.setattr(framework, "TIME_LIMIT_S", 0.3)
    monkeypatch.setattr(framework, "MAX_ITEMS", 1000)
    monkeypatch.setattr(framework, "MEMORY_LIMIT", 150 << 20)


@pytest.fixture
def tiny_text_file(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def tiny_tokenizer():
    return CharTokenizer.from_text(TINY_TEXT)


@pytest.fixture
def tiny_cfg(tiny_tokenizer):
    return GPTConfig(vocab_size=tiny_tokenizer.vocab_size, block_size=16, n_embd=32, n_head=4,
                     n_layer=2, dropout=0.0)


@pytest.fixture
def tiny_model(tiny_cfg):
    torch.manual_seed(0)
    return GPTLanguageModel(tiny_cfg)


@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test left open (use it with pytest.mark.usefixtures)."""
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(scope="module")
def ipython_shell():
    """An IPython shell, so that display() inside a widget's draw is captured as in Jupyter."""
    from IPython.core.interactiveshell import InteractiveShell
    return InteractiveShell.instance()


def replace_weights(path, state) -> None:
    """Give the checkpoint at `path` the weights `state`, with a matching checksum: a file
    made on purpose (tampered with), not a damaged one."""
    import hashlib
    import json

    from safetensors.torch import save
    data = save(state)
    (path / "model.safetensors").write_bytes(data)
    meta = json.loads((path / "config.json").read_text())
    meta["files"]["model.safetensors"] = {"sha256": hashlib.sha256(data).hexdigest(),
                                          "bytes": len(data)}
    (path / "config.json").write_text(json.dumps(meta))


def reference_merge(ids, pair, new_id) -> list:
    """The obvious BPE merge, for tests: every `pair`, left to right, becomes `new_id`."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def within(seconds, call):
    """call() in a thread; its result, or a failed test if it has not returned in time (a
    read of a named pipe that blocks forever)."""
    import threading
    box = {}

    def run():
        try:
            box["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the test
            box["error"] = err
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds} s (blocked)"
    if "error" in box:
        raise box["error"]
    return box.get("value")
