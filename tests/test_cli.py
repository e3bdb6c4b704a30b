"""The two commands, run as a learner runs them: in a subprocess, reading their output."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

# the tests marked slow start Python processes (a few seconds each); the others run the
# commands in this process, with what they call replaced where a test needs it


def run(*args, timeout=300):
    # tiny models: one thread is as fast, and spares a machine shared with other work
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ck"
    corpus = tmp_path_factory.getbasetemp() / "tiny.txt"
    from conftest import TINY_TEXT
    corpus.write_text(TINY_TEXT * 5)
    r = run("course_lib.train", "--corpus", str(corpus), "--out", str(out), "--n-layer", "1",
            "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "8",
            "--max-iters", "60", "--eval-iters", "2", "--warmup-iters", "5")
    return r, out


@pytest.mark.slow
def test_train_command_trains_and_saves(trained):
    r, out = trained
    assert r.returncode == 0, r.stderr
    assert "parameters" in r.stdout and "checkpoint saved to" in r.stdout
    assert "step" in r.stderr                                   # the progress bar
    meta = json.loads((out / "config.json").read_text())
    assert meta["extra"]["val_loss"] < 3.0                      # ln(vocab_size) is about 3.3
    assert "val loss" in r.stdout


@pytest.mark.slow
def test_generate_command_prints_text(trained):
    _, out = trained
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "All:", "--max-new-tokens",
            "40", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("All:") and len(r.stdout) == len("All:") + 40 + 1
    again = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "All:",
                "--max-new-tokens", "40", "--seed", "1")
    assert again.stdout == r.stdout                             # same seed, same text


@pytest.mark.slow
def test_train_and_generate_with_bpe_tokens(tmp_path):
    """--tokenizer bpe --vocab-size N: the checkpoint holds the BPE merges; generate reads them."""
    from conftest import TINY_TEXT
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TINY_TEXT * 20)
    out = tmp_path / "ck"
    r = run("course_lib.train", "--corpus", str(corpus), "--out", str(out), "--tokenizer", "bpe",
            "--vocab-size", "300", "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
            "--block-size", "16", "--batch-size", "4", "--max-iters", "5", "--eval-iters", "1")
    assert r.returncode == 0, r.stderr
    assert "BPE tokens (vocabulary 300)" in r.stdout
    tokenizer = json.loads((out / "tokenizer.json").read_text())
    assert tokenizer["kind"] == "bpe" and len(tokenizer["merges"]) == 300 - 256 - 1
    g = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "All:",
            "--max-new-tokens", "10", "--seed", "1")
    assert g.returncode == 0, g.stderr
    assert g.stdout.startswith("All:")


@pytest.mark.slow
@pytest.mark.parametrize("args,message", [
    (["course_lib.train", "--out", "x", "--n-embd", "100", "--n-head", "3"],
     "n_embd=100 is not divisible by n_head=3"),
    (["course_lib.generate", "--checkpoint", "x", "--temperature", "0"],
     "argument --temperature: expected a finite number > 0, got 0"),
])
def test_commands_answer_nonsense_with_one_line(args, message):
    r = run(*args, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.slow
def test_generate_refuses_unknown_prompt_characters_and_bad_top_k(trained):
    _, out = trained
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "Zebra")
    assert r.returncode == 2 and "character 'Z' (U+005A) at position 0" in r.stderr
    r = run("course_lib.generate", "--checkpoint", str(out), "--top-k", "999")
    assert r.returncode == 2 and "top_k must be between 1 and the vocabulary size" in r.stderr
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "")
    assert r.returncode == 2 and "the prompt is empty" in r.stderr


# ----------------------------------------------------------------------------- in this process

from course_lib import CharTokenizer, GPTConfig, GPTLanguageModel, load_checkpoint  # noqa: E402
from course_lib.commands import generate as generate_command  # noqa: E402
from course_lib.commands import train as train_command  # noqa: E402
from course_lib.core import checkpoint as ckpt_module  # noqa: E402
from course_lib.core import model as model_module  # noqa: E402

TINY_RUN = ["--n-layer", "1", "--n-embd", "16", "--n-head", "1", "--block-size", "16",
            "--max-iters", "1", "--eval-iters", "1", "--no-progress", "--precision", "fp32"]


@pytest.fixture
def tiny_corpus(tmp_path):
    from conftest import TINY_TEXT
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_TEXT)
    return path


def checkpoint_with(tmp_path, text, name="ck"):
    """A tiny untrained checkpoint whose vocabulary is the characters of `text`."""
    import torch
    tok = CharTokenizer.from_text(text)
    torch.manual_seed(0)
    model = GPTLanguageModel(GPTConfig(vocab_size=tok.vocab_size, block_size=8, n_embd=8,
                                       n_head=1, n_layer=1))
    return ckpt_module.save_checkpoint(tmp_path / name, model, tok)


def test_ctrl_c_during_the_final_estimate_saves_the_weights_without_it(tmp_path, tiny_corpus,
                                                                      monkeypatch, capsys):
    def interrupted_train(net, *args, callback, **kwargs):
        for step in (1, 2, 3):
            callback(step, 3.0)
        raise KeyboardInterrupt     # the second Ctrl-C, while the last loss estimate runs

    monkeypatch.setattr(train_command, "train", interrupted_train)
    out = tmp_path / "ck"
    status = train_command.main(["--corpus", str(tiny_corpus), "--out", str(out), *TINY_RUN])
    captured = capsys.readouterr()
    assert status == 130
    assert (f"Ctrl-C again during the final loss estimate: saving the weights of step 3 "
            f"without it to {out}") in captured.err
    assert "before training started" not in captured.err
    assert f"checkpoint saved to {out} (the weights of step 3, stopped by Ctrl-C)" in captured.out
    meta = ckpt_module.read_checkpoint_info(out)
    assert meta["extra"]["steps"] == 3 and meta["extra"]["stopped"] == "interrupted"
    load_checkpoint(out)


def test_ctrl_c_during_the_save_quits_and_keeps_the_previous_checkpoint(tmp_path, tiny_corpus,
                                                                       monkeypatch, capsys):
    out = tmp_path / "ck"
    assert train_command.main(["--corpus", str(tiny_corpus), "--out", str(out), *TINY_RUN]) == 0
    before = (out / "model.safetensors").read_bytes()
    real, calls = ckpt_module._write_file, []

    def interrupted_write(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt          # the third Ctrl-C, in the middle of the save
        real(path, data)

    monkeypatch.setattr(ckpt_module, "_write_file", interrupted_write)
    status = train_command.main(["--corpus", str(tiny_corpus), "--out", str(out), *TINY_RUN,
                                 "--seed", "7"])
    err = capsys.readouterr().err
    assert status == 2
    assert (f"Ctrl-C during the save: quit without saving the training; {out} still holds the "
            f"previous checkpoint") in err
    assert (out / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ck.lock", "ck", "tiny.txt"]


def test_ctrl_c_before_training_says_nothing_was_saved(tmp_path, tiny_corpus, monkeypatch,
                                                       capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(train_command, "load_corpus", interrupted)
    status = train_command.main(["--corpus", str(tiny_corpus), "--out", str(tmp_path / "ck"),
                                 *TINY_RUN])
    assert status == 2
    assert "interrupted before training started; nothing saved" in capsys.readouterr().err
    assert not (tmp_path / "ck").exists()


def test_a_shipped_checkpoint_can_be_replaced_with_overwrite(tmp_path, tiny_corpus, monkeypatch,
                                                             capsys):
    from course_lib.core import data
    shipped = checkpoint_with(tmp_path / "data" / "checkpoints", "abc", "gpt")
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "data")
    args = ["--corpus", str(tiny_corpus), "--out", str(shipped), *TINY_RUN]
    assert train_command.main(args) == 2
    assert "`git checkout data/checkpoints/gpt` brings" in capsys.readouterr().err
    assert load_checkpoint(shipped)[1].chars == ["a", "b", "c"]       # untouched
    assert train_command.main([*args, "--overwrite"]) == 0
    assert load_checkpoint(shipped)[1].vocab_size > 3                 # replaced, as asked


def test_generation_is_streamed_and_equals_generate_text(tmp_path, monkeypatch, capsys):
    from conftest import TINY_TEXT
    from course_lib import generate_text
    ck = checkpoint_with(tmp_path, TINY_TEXT)
    writes = []
    real_write = generate_command.sys.stdout.write
    monkeypatch.setattr(generate_command.sys.stdout, "write",
                        lambda text: writes.append(text) or real_write(text))
    status = generate_command.main(["--checkpoint", str(ck), "--prompt", "All:",
                                    "--max-new-tokens", "30", "--seed", "3"])
    assert status == 0
    model, tok = load_checkpoint(ck)
    expected = generate_text(model, tok, "All:", 30, seed=3)
    assert capsys.readouterr().out == expected + "\n"
    assert len([w for w in writes if w]) >= 30          # one write per character, as drawn


def test_ctrl_c_during_generation_keeps_the_text_so_far(tmp_path, monkeypatch, capsys):
    from conftest import TINY_TEXT
    ck = checkpoint_with(tmp_path, TINY_TEXT)
    real, calls = model_module.sample_next_token, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(model_module, "sample_next_token", interrupted)
    status = generate_command.main(["--checkpoint", str(ck), "--prompt", "All:",
                                    "--max-new-tokens", "50"])
    captured = capsys.readouterr()
    assert status == 130
    assert captured.out.startswith("All:") and len(captured.out) == len("All:") + 5 + 1
    assert "stopped by Ctrl-C after 5 new characters (printed above)" in captured.err


def test_a_prompt_that_starts_with_a_dash(tmp_path, capsys):
    ck = checkpoint_with(tmp_path, "- abc")
    status = generate_command.main(["--checkpoint", str(ck), "--prompt", "- a",
                                    "--max-new-tokens", "3"])
    assert status == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("- a")


def test_a_prompt_file_with_a_bom_and_accents_in_another_form(tmp_path, capsys):
    import unicodedata
    ck = checkpoint_with(tmp_path, unicodedata.normalize("NFC", "café\n"))
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes("\ufeff".encode() + unicodedata.normalize("NFD", "café").encode())
    status = generate_command.main(["--checkpoint", str(ck), "--prompt-file", str(prompt),
                                    "--max-new-tokens", "2"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith("caf\u00e9")
    assert "dropped the byte-order mark" in captured.err and "NFC" in captured.err


def test_an_nfd_prompt_for_an_nfc_vocabulary_is_normalised_with_a_note(tmp_path, capsys):
    import unicodedata
    ck = checkpoint_with(tmp_path, unicodedata.normalize("NFC", "café\n"))
    status = generate_command.main(["--checkpoint", str(ck), "--prompt",
                                    unicodedata.normalize("NFD", "café"), "--max-new-tokens", "2"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "the prompt was changed to Unicode form NFC" in captured.err


def test_output_the_terminal_cannot_encode_is_escaped(tmp_path, monkeypatch):
    import io
    ck = checkpoint_with(tmp_path, "a\u2192b")     # an arrow: not in cp1252 (a surrogate is refused on load)
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="cp1252")           # a Windows console
    monkeypatch.setattr(generate_command.sys, "stdout", stdout)
    status = generate_command.main(["--checkpoint", str(ck), "--prompt", "a\u2192",
                                    "--max-new-tokens", "20", "--seed", "1"])
    stdout.flush()
    assert status == 0
    assert raw.getvalue().startswith(b"a\\u2192")


@pytest.mark.slow
def test_one_ctrl_c_stops_training_evaluates_and_saves(tmp_path, tiny_corpus):
    """A real SIGINT, as a terminal sends it, while the train command trains."""
    import re
    import signal
    import threading
    import time
    out = tmp_path / "ck"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "course_lib.train", "--corpus",
                             str(tiny_corpus), "--out", str(out), "--n-layer", "1", "--n-embd",
                             "16", "--n-head", "1", "--block-size", "16", "--max-iters",
                             "1000000", "--max-seconds", "120", "--eval-iters", "2",
                             "--precision", "fp32"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    err = []

    def read_stderr():                      # the progress bar: "12/1000000 [...]" with \r
        while chunk := proc.stderr.read(1):
            err.append(chunk)

    reader = threading.Thread(target=read_stderr)
    reader.start()
    deadline = time.monotonic() + 120
    while not re.search(r"\b([3-9]|\d\d+)/1000000", "".join(err)):   # 3 steps done
        assert proc.poll() is None and time.monotonic() < deadline, "".join(err)
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    proc.wait(timeout=120)
    reader.join()
    err = "".join(err)
    assert proc.returncode == 130, err
    assert "stopped by Ctrl-C after step" in err and f"saving the checkpoint to {out}" in err
    assert f"checkpoint saved to {out} (the weights of step" in rest
    meta = ckpt_module.read_checkpoint_info(out)
    assert meta["extra"]["stopped"] == "interrupted" and meta["extra"]["val_loss"] is not None


@pytest.mark.slow
@pytest.mark.parametrize("module", ["torch", "course_lib.commands.train"])
def test_ctrl_c_while_the_command_imports_gives_one_line(tmp_path, module):
    """Ctrl-C during `import torch` (seconds at the start of every command), simulated by an
    import hook that raises KeyboardInterrupt when `module` is imported."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r}:\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, Interrupt())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO)]))
    r = subprocess.run([sys.executable, "-m", "course_lib.train", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert r.returncode == 130, r.stderr
    assert "Traceback" not in r.stderr and "interrupted while starting" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# ----------------------------------------------------------------------------- --init-from

INIT_RUN = ["--max-iters", "1", "--eval-iters", "1", "--no-progress", "--precision", "fp32"]


def test_init_from_continues_the_checkpoint(tmp_path, tiny_corpus, capsys):
    """The weights, config and vocabulary come from the checkpoint: one step with a tiny
    learning rate leaves the weights where the checkpoint had them."""
    import torch
    from conftest import TINY_TEXT
    start = checkpoint_with(tmp_path, TINY_TEXT, "start")
    out = tmp_path / "more"
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(start),
                                 "--out", str(out), *INIT_RUN, "--lr", "1e-9", "--min-lr", "0",
                                 "--warmup-iters", "0"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"continuing from the checkpoint {start}" in captured.out
    before, tok_before = load_checkpoint(start)
    after, tok_after = load_checkpoint(out)
    assert after.cfg == before.cfg and tok_after == tok_before
    for name, t in before.state_dict().items():
        torch.testing.assert_close(after.state_dict()[name], t, atol=1e-6, rtol=0)
    assert ckpt_module.read_checkpoint_info(out)["extra"]["init_from"] == str(start)


def test_init_from_takes_flags_that_agree_and_refuses_those_that_differ(tmp_path, tiny_corpus,
                                                                         capsys):
    from conftest import TINY_TEXT
    start = checkpoint_with(tmp_path, TINY_TEXT, "start")     # n_embd 8, block_size 8
    base = ["--corpus", str(tiny_corpus), "--init-from", str(start), *INIT_RUN]
    assert train_command.main([*base, "--out", str(tmp_path / "a"), "--n-embd", "8"]) == 0
    capsys.readouterr()
    status = train_command.main([*base, "--out", str(tmp_path / "b"), "--n-embd", "32",
                                 "--block-size", "16"])
    err = capsys.readouterr().err
    assert status == 2
    assert ("the checkpoint's config differs from the flags: --n-embd 32 (the checkpoint has "
            "n_embd=8), --block-size 16 (the checkpoint has block_size=8). Leave those flags "
            "out") in err
    assert not (tmp_path / "b").exists()


def test_init_from_refuses_a_corpus_with_other_characters(tmp_path, tiny_corpus, capsys):
    start = checkpoint_with(tmp_path, "abc ", "start")
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(start),
                                 "--out", str(tmp_path / "more"), *INIT_RUN])
    err = capsys.readouterr().err
    assert status == 2
    assert f"does not fit the vocabulary of --init-from {start}" in err
    assert "made of the characters it was trained on" in err


def test_init_from_a_missing_folder_or_another_tokenizer(tmp_path, tiny_corpus, capsys):
    from conftest import TINY_TEXT
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from",
                                 str(tmp_path / "nothing"), "--out", str(tmp_path / "o"),
                                 *INIT_RUN])
    assert status == 2 and "no such folder" in capsys.readouterr().err
    start = checkpoint_with(tmp_path, TINY_TEXT, "start")
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(start),
                                 "--out", str(tmp_path / "o"), "--tokenizer", "bpe",
                                 "--vocab-size", "300", *INIT_RUN])
    err = capsys.readouterr().err
    assert status == 2 and "--tokenizer bpe (the checkpoint's tokenizer is char)" in err


# ----------------------------------------------------------------------------- issue 22

def bpe_checkpoint_with(tmp_path, text, vocab_size, name="bpe"):
    """A tiny untrained checkpoint with a BPE tokenizer learned from `text`."""
    import torch
    from course_lib.core.bpe import BPETokenizer
    tok = BPETokenizer.train(text, vocab_size)
    torch.manual_seed(0)
    model = GPTLanguageModel(GPTConfig(vocab_size=tok.vocab_size, block_size=8, n_embd=8,
                                       n_head=1, n_layer=1))
    return ckpt_module.save_checkpoint(tmp_path / name, model, tok)


CJK_TEXT = "你好世界，我们学习语言模型。春天来了，花开了。" * 30


def test_a_bpe_stream_of_cjk_text_equals_generate_text(tmp_path, monkeypatch, capsys):
    """A CJK character is 3 bytes; a BPE token often holds part of one. The stream prints
    only whole characters, so it shows the text generate_text returns, with no U+FFFD where
    a character fell into two tokens."""
    from course_lib import generate_text
    ck = bpe_checkpoint_with(tmp_path, CJK_TEXT, 300)
    model, tok = load_checkpoint(ck)
    split = [i for i in range(256, tok.vocab_size - 1)
             if not _whole_utf8(tok.token_bytes(i))]
    assert split, "the test needs tokens that hold part of a character"
    writes = []
    real_write = generate_command.sys.stdout.write
    monkeypatch.setattr(generate_command.sys.stdout, "write",
                        lambda text: writes.append(text) or real_write(text))
    for seed in (1, 2, 3):
        writes.clear()
        status = generate_command.main(["--checkpoint", str(ck), "--prompt", "你好",
                                        "--max-new-tokens", "40", "--seed", str(seed)])
        out = capsys.readouterr().out
        assert status == 0
        expected = generate_text(model, tok, "你好", 40, seed=seed)
        assert out == expected + "\n"
        # every piece written was whole text (never half a character shown as U+FFFD and
        # then corrected): the concatenation is the text, and so is every prefix
        assert "".join(writes) == out


def _whole_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@pytest.mark.slow
def test_a_cjk_prompt_is_utf8_whatever_the_locale(tmp_path):
    """LC_ALL=C with locale coercion and UTF-8 mode off: Python reads argv as ASCII with
    surrogate escapes; the prompt 你好 must still be its 6 UTF-8 bytes (its tokens), not 18."""
    ck = bpe_checkpoint_with(tmp_path, CJK_TEXT, 300)
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0",
               OMP_NUM_THREADS="1")
    r = subprocess.run([sys.executable, "-m", "course_lib.generate", "--checkpoint", str(ck),
                        "--prompt", "你好", "--max-new-tokens", "0"], capture_output=True,
                       cwd=REPO, env=env, timeout=300)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")
    assert r.stdout.decode("utf-8") == "你好\n"


def test_command_line_text_is_read_as_utf8():
    from course_lib.commands.cli import utf8_text
    escaped = "你好".encode("utf-8").decode("ascii", "surrogateescape")   # what LC_ALL=C gives
    assert utf8_text(escaped, "--prompt") == "你好"
    assert utf8_text("plain é", "--prompt") == "plain é"
    if os.fsencode("\udcff") == b"\xff":
        with pytest.raises(ValueError, match="--prompt holds bytes that are not UTF-8 text"):
            utf8_text("\udcff", "--prompt")


def test_init_from_refuses_typed_flags_that_equal_the_defaults(tmp_path, tiny_corpus, capsys):
    """--n-embd 128 --n-layer 2 are GPTConfig's defaults: typed on a 8/1 checkpoint they are
    refused, not silently dropped; so is --tokenizer char on a BPE checkpoint."""
    from conftest import TINY_TEXT
    start = checkpoint_with(tmp_path, TINY_TEXT, "start")     # n_embd 8, n_layer 1
    M = GPTConfig()
    base = ["--corpus", str(tiny_corpus), "--init-from", str(start), *INIT_RUN]
    status = train_command.main([*base, "--out", str(tmp_path / "b"), "--n-embd", str(M.n_embd),
                                 "--n-layer", str(M.n_layer)])
    err = capsys.readouterr().err
    assert status == 2
    assert (f"--n-layer {M.n_layer} (the checkpoint has n_layer=1), --n-embd {M.n_embd} (the "
            f"checkpoint has n_embd=8)") in err
    assert not (tmp_path / "b").exists()
    bpe = bpe_checkpoint_with(tmp_path, TINY_TEXT * 3, 280)
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(bpe), *INIT_RUN,
                                 "--out", str(tmp_path / "c"), "--tokenizer", "char"])
    err = capsys.readouterr().err
    assert status == 2 and "--tokenizer char (the checkpoint's tokenizer is bpe)" in err
    status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(bpe), *INIT_RUN,
                                 "--out", str(tmp_path / "d"), "--no-bias"])
    err = capsys.readouterr().err
    assert status == 2 and "--no-bias (the checkpoint has bias=True)" in err


def test_history_never_overwrites_the_corpus_or_a_checkpoint(tmp_path, tiny_corpus, capsys):
    from conftest import TINY_TEXT
    start = checkpoint_with(tmp_path, TINY_TEXT, "start")
    out = tmp_path / "out"
    before = {p: p.read_bytes() for p in [tiny_corpus, *start.iterdir()]}
    for history, words in [(tiny_corpus, "is the corpus the command trains on"),
                           (start / "model.safetensors", "is a file of the checkpoint --init-from"),
                           (out / "config.json", "is a file of the new checkpoint (--out)"),
                           (tmp_path / "link-to-corpus", "is the corpus")]:
        if history.name == "link-to-corpus":
            history.symlink_to(tiny_corpus)
        for extra in ([], ["--overwrite"]):                 # not even with --overwrite
            status = train_command.main(["--corpus", str(tiny_corpus), "--init-from", str(start),
                                         "--out", str(out), "--history", str(history),
                                         *INIT_RUN, *extra])
            err = capsys.readouterr().err
            assert status == 2 and words in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert not out.exists()


def test_history_replaces_only_a_history_it_wrote(tmp_path, tiny_corpus, capsys):
    notes = tmp_path / "notes.json"
    notes.write_text('{"my": "notes"}')
    (tmp_path / "h.json.tmp").write_text("mine")            # the old temp name: not touched
    args = ["--corpus", str(tiny_corpus), *TINY_RUN]
    status = train_command.main([*args, "--out", str(tmp_path / "a"), "--history", str(notes)])
    err = capsys.readouterr().err
    assert status == 2 and "exists and is not a loss history this command wrote" in err
    assert notes.read_text() == '{"my": "notes"}'
    history = tmp_path / "h.json"
    assert train_command.main([*args, "--out", str(tmp_path / "b"), "--history", str(history)]) == 0
    first = json.loads(history.read_text())
    assert train_command.main([*args, "--out", str(tmp_path / "c"), "--history", str(history),
                               "--seed", "2"]) == 0                  # its own file: replaced
    assert json.loads(history.read_text()) != first
    assert (tmp_path / "h.json.tmp").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".h.json")]
    assert train_command.main([*args, "--out", str(tmp_path / "d"), "--history", str(notes),
                               "--overwrite"]) == 0                  # asked for: replaced
    assert "steps" in json.loads(notes.read_text())


def test_a_link_into_data_is_data(tmp_path, tiny_corpus, monkeypatch, capsys):
    """--out or --history through a symbolic link (or ..) that reaches data/ is refused like
    data/ itself."""
    from course_lib.core import data
    shipped = checkpoint_with(tmp_path / "data" / "checkpoints", "abc", "gpt")
    (tmp_path / "data" / "notes.json").write_text('{"shipped": 1}')
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "data")
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "link"
    link.symlink_to(tmp_path / "data")
    for flags in (["--out", str(link / "checkpoints" / "gpt")],
                  ["--out", str(tmp_path / "elsewhere" / ".." / "data" / "checkpoints" / "gpt")],
                  ["--out", str(tmp_path / "o"), "--history", str(link / "notes.json")]):
        status = train_command.main(["--corpus", str(tiny_corpus), *flags, *TINY_RUN])
        err = capsys.readouterr().err
        assert status == 2 and "is part of the course's shipped data" in err, err
    assert load_checkpoint(shipped)[1].chars == ["a", "b", "c"]       # untouched
    assert (tmp_path / "data" / "notes.json").read_text() == '{"shipped": 1}'


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_as_corpus_or_prompt_is_refused_without_waiting(tmp_path, capsys):
    from conftest import within
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status = within(60, lambda: train_command.main(["--corpus", str(fifo), "--out",
                                                    str(tmp_path / "o"), *TINY_RUN]))
    err = capsys.readouterr().err
    assert status == 2 and "is a named pipe (FIFO), not a regular file" in err
    ck = checkpoint_with(tmp_path, "abc")
    status = within(60, lambda: generate_command.main(["--checkpoint", str(ck),
                                                       "--prompt-file", str(fifo)]))
    err = capsys.readouterr().err
    assert status == 2 and "--prompt-file " in err and "is a named pipe (FIFO)" in err


def test_a_prompt_file_of_spaces_is_a_prompt_and_an_empty_one_says_so(tmp_path, capsys):
    ck = checkpoint_with(tmp_path, "ab \n")
    prompt = tmp_path / "prompt.txt"
    prompt.write_text(" \n")
    status = generate_command.main(["--checkpoint", str(ck), "--prompt-file", str(prompt),
                                    "--max-new-tokens", "3"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith(" \n") and len(captured.out) == 2 + 3 + 1
    prompt.write_text("")
    status = generate_command.main(["--checkpoint", str(ck), "--prompt-file", str(prompt)])
    err = capsys.readouterr().err
    assert status == 2 and "prompt.txt is empty (0 bytes); write the text to start from" in err
    assert "corpus" not in err


def test_a_pattern_that_matches_nothing_still_generates(tmp_path, capsys):
    """A BPE checkpoint whose stored pattern matches no character: the prompt is one piece
    (no text is dropped), not "the prompt is empty" after the prompt was printed."""
    import torch
    from course_lib.core.bpe import BPETokenizer
    tok = BPETokenizer.train("hello world " * 20, 260, pattern=r"x*")
    torch.manual_seed(0)
    model = GPTLanguageModel(GPTConfig(vocab_size=tok.vocab_size, block_size=8, n_embd=8,
                                       n_head=1, n_layer=1))
    ck = ckpt_module.save_checkpoint(tmp_path / "ck", model, tok)
    status = generate_command.main(["--checkpoint", str(ck), "--prompt", "hello",
                                    "--max-new-tokens", "3"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith("hello")
    status = generate_command.main(["--checkpoint", str(ck), "--prompt=", "--max-new-tokens", "3"])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == "" and "the prompt is empty" in captured.err


def test_a_corpus_larger_than_the_limit_is_refused_naming_the_size(tmp_path, tiny_corpus,
                                                                   monkeypatch, capsys):
    """Files are read with a limit that the message names (a 50 GB file by mistake must not
    fill the memory); the real limit is data.MAX_TEXT_BYTES, 256 MB."""
    from course_lib.core import data
    monkeypatch.setattr(data, "MAX_TEXT_BYTES", 100)
    status = train_command.main(["--corpus", str(tiny_corpus), "--out", str(tmp_path / "o"),
                                 *TINY_RUN])
    err = capsys.readouterr().err
    assert status == 2
    assert "tiny.txt is larger than 100 bytes, the most the course reads from such a file" in err
