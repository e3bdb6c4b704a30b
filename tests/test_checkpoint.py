import hashlib
import json
import pickle

import pytest
import torch

from conftest import replace_weights, within
from course_lib import (BigramLanguageModel, CheckpointError, GPTConfig, GPTLanguageModel,
                        load_checkpoint, save_checkpoint)
from course_lib.core import checkpoint as ckpt_module
from course_lib.core.checkpoint import validate_output_folder, read_checkpoint_info, writer_lock


def test_save_then_load_gives_identical_logits(tmp_path, tiny_model, tiny_tokenizer, tiny_cfg):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"steps": 3})
    model, tok = load_checkpoint(tmp_path / "ck")
    assert tok == tiny_tokenizer and model.cfg == tiny_cfg and not model.training
    idx = torch.randint(tiny_cfg.vocab_size, (2, 16))
    tiny_model.eval()
    assert torch.equal(model(idx)[0], tiny_model(idx)[0])
    meta = json.loads((tmp_path / "ck" / "config.json").read_text())
    assert meta["extra"] == {"steps": 3} and meta["model"] == "GPTLanguageModel"


def test_bigram_round_trip(tmp_path, tiny_tokenizer):
    model = BigramLanguageModel(tiny_tokenizer.vocab_size)
    save_checkpoint(tmp_path / "bi", model, tiny_tokenizer)
    loaded, _ = load_checkpoint(tmp_path / "bi")
    assert torch.equal(loaded.token_embedding_table.weight, model.token_embedding_table.weight)


def test_saving_over_a_checkpoint_replaces_it(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 1})
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 2})
    assert json.loads((tmp_path / "ck" / "config.json").read_text())["extra"] == {"n": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ck.lock", "ck"]   # no temp or backup left (the lock stays)


def test_weights_that_do_not_fit_the_config(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    meta_path = tmp_path / "ck" / "config.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["n_layer"] = 3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"config\.json does not fit the weights in model\."
                                              r"safetensors \(the file holds 2 blocks, the "
                                              r"config says n_layer=3\); the config was changed"):
        load_checkpoint(tmp_path / "ck")


def test_config_that_is_not_ours(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    (tmp_path / "ck" / "config.json").write_text('{"architectures": ["GPT2"]}')
    with pytest.raises(CheckpointError, match=r"is not a course_lib checkpoint config"):
        load_checkpoint(tmp_path / "ck")


def test_corrupt_json(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    (tmp_path / "ck" / "config.json").write_text('{"format": ')
    with pytest.raises(CheckpointError, match=r"config\.json is not valid JSON"):
        load_checkpoint(tmp_path / "ck")


class _RunsCode:
    """Unpickling this object calls os.system: the attack a pickled checkpoint can carry."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("fix_checksum", [False, True])
def test_loading_never_runs_code_from_the_file(tmp_path, tiny_model, tiny_tokenizer, fix_checksum):
    marker = tmp_path / "code_ran"
    payload = pickle.dumps({"weights": _RunsCode(marker)})
    # the payload really runs code when unpickled (proved on a copy, then the marker removed)
    pickle.loads(payload)
    assert marker.exists()
    marker.unlink()
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    (tmp_path / "ck" / "model.safetensors").write_bytes(payload)
    if fix_checksum:   # an attacker can also rewrite config.json: the file must still be refused
        meta = json.loads((tmp_path / "ck" / "config.json").read_text())
        meta["files"]["model.safetensors"]["sha256"] = hashlib.sha256(payload).hexdigest()
        (tmp_path / "ck" / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"model\.safetensors (cannot be read|does not match)"):
        load_checkpoint(tmp_path / "ck")
    assert not marker.exists()


def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path, tiny_model, tiny_tokenizer,
                                                         monkeypatch):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 1})
    calls = {"n": 0}
    real_write = ckpt_module._write_file

    def dies_midway(path, data):
        calls["n"] += 1
        if calls["n"] == 2:                   # the weights are written, the rest is not
            real_write(path, data[: len(data) // 2])
            raise KeyboardInterrupt           # as if the learner pressed Ctrl-C here
        real_write(path, data)

    monkeypatch.setattr(ckpt_module, "_write_file", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "ck", GPTLanguageModel(tiny_model.cfg), tiny_tokenizer,
                        extra={"n": 2})
    monkeypatch.undo()
    model, _ = load_checkpoint(tmp_path / "ck")
    assert json.loads((tmp_path / "ck" / "config.json").read_text())["extra"] == {"n": 1}
    assert torch.equal(model.lm_head.weight, tiny_model.lm_head.weight)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ck.lock", "ck"]


def test_save_interrupted_between_the_two_renames_still_loads(tmp_path, tiny_model, tiny_tokenizer,
                                                              monkeypatch):
    import os
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 1})
    real_replace = os.replace
    calls = {"n": 0}

    def dies_after_first_rename(src, dst):
        calls["n"] += 1
        real_replace(src, dst)
        if calls["n"] == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(ckpt_module.os, "replace", dies_after_first_rename)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 2})
    monkeypatch.undo()
    assert not (tmp_path / "ck").exists()            # the worst moment: old moved, new not in place
    model, tok = load_checkpoint(tmp_path / "ck")    # ... and the previous checkpoint still loads
    assert tok == tiny_tokenizer
    # the next save puts the old one back in place before it starts, so it is never lost
    monkeypatch.setattr(ckpt_module, "_write_file", lambda path, data: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 3})
    monkeypatch.undo()
    assert json.loads((tmp_path / "ck" / "config.json").read_text())["extra"] == {"n": 1}


def test_loaded_config_is_validated(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    meta_path = tmp_path / "ck" / "config.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["n_head"] = 5
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"n_embd=32 is not divisible by n_head=5"):
        load_checkpoint(tmp_path / "ck")


def test_config_roundtrip_default():
    assert GPTConfig.from_dict(GPTConfig().to_dict()) == GPTConfig()


def test_a_model_with_tied_weights_saves_and_loads_tied(tmp_path, tiny_tokenizer):
    """safetensors refuses tensors that share memory; the tie is rebuilt on load."""
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=tiny_tokenizer.vocab_size, block_size=8, n_embd=16, n_head=2,
                    n_layer=1, tie_weights=True)
    model = GPTLanguageModel(cfg)
    save_checkpoint(tmp_path / "ck", model, tiny_tokenizer)
    loaded, _ = load_checkpoint(tmp_path / "ck")
    assert loaded.lm_head.weight is loaded.token_embedding_table.weight
    torch.testing.assert_close(loaded.lm_head.weight, model.lm_head.weight)


# ----------------------------------------------------------------------------- format v2

def write_v1_checkpoint(path, model, tokenizer, extra=None):
    """A checkpoint as course_lib wrote it before format version 2 (vocab.json)."""
    from safetensors.torch import save
    path.mkdir(parents=True)
    weights = save({k: v.contiguous() for k, v in model.state_dict().items()})
    (path / "model.safetensors").write_bytes(weights)
    (path / "vocab.json").write_text(json.dumps({"chars": tokenizer.chars}))
    (path / "config.json").write_text(json.dumps({
        "format": "course_lib-checkpoint", "version": 1, "model": type(model).__name__,
        "config": model.cfg.to_dict(), "weights_sha256": hashlib.sha256(weights).hexdigest(),
        "extra": extra or {}}))
    return path


def test_a_checkpoint_holds_config_tokenizer_and_weights(tmp_path, tiny_model, tiny_tokenizer):
    path = save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    assert sorted(p.name for p in path.iterdir()) == ["config.json", "model.safetensors",
                                                      "tokenizer.json"]
    meta = json.loads((path / "config.json").read_text())
    assert meta["version"] == 2
    stored = json.loads((path / "tokenizer.json").read_text())
    assert stored == {"kind": "char", "chars": tiny_tokenizer.chars} == tiny_tokenizer.to_dict()
    for name in ("tokenizer.json", "model.safetensors"):   # a checksum for every file
        data = (path / name).read_bytes()
        assert meta["files"][name] == {"sha256": hashlib.sha256(data).hexdigest(),
                                       "bytes": len(data)}


def test_a_reordered_vocabulary_is_refused(tmp_path, tiny_model, tiny_tokenizer):
    path = save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    chars = list(reversed(tiny_tokenizer.chars))     # same characters, other IDs: garbage text
    (path / "tokenizer.json").write_text(json.dumps({"kind": "char", "chars": chars}))
    with pytest.raises(CheckpointError, match=r"tokenizer\.json does not match its checksum in "
                                              r"config\.json: the file was changed after saving"):
        load_checkpoint(path)


def test_version_1_checkpoints_still_load(tmp_path, tiny_model, tiny_tokenizer):
    path = write_v1_checkpoint(tmp_path / "old", tiny_model, tiny_tokenizer, extra={"steps": 7})
    model, tok = load_checkpoint(path)
    assert tok == tiny_tokenizer and model.cfg == tiny_model.cfg
    assert torch.equal(model.lm_head.weight, tiny_model.lm_head.weight)
    (path / "model.safetensors").write_bytes((path / "model.safetensors").read_bytes()[:500])
    with pytest.raises(CheckpointError, match=r"does not match its checksum"):
        load_checkpoint(path)                         # version 1 weights are still checked


def test_converting_a_version_1_checkpoint_keeps_weights_and_notes(tmp_path, tiny_model,
                                                                   tiny_tokenizer):
    from convert_checkpoint import convert            # scripts/convert_checkpoint.py
    path = write_v1_checkpoint(tmp_path / "old", tiny_model, tiny_tokenizer, extra={"steps": 7})
    convert(path)
    assert not (path / "vocab.json").exists() and (path / "tokenizer.json").is_file()
    meta = json.loads((path / "config.json").read_text())
    assert meta["version"] == 2 and meta["extra"] == {"steps": 7}
    model, tok = load_checkpoint(path)
    assert tok == tiny_tokenizer and torch.equal(model.lm_head.weight, tiny_model.lm_head.weight)


def test_the_shipped_checkpoint_is_version_2():
    from course_lib import DATA_DIR
    meta = json.loads((DATA_DIR / "checkpoints" / "gpt" / "config.json").read_text())
    assert meta["version"] == 2 and set(meta["files"]) == {"tokenizer.json", "model.safetensors"}


class _UpperTokenizer:
    """A second kind of tokenizer, as core/bpe.py adds one: registered by its "kind"."""

    def __init__(self, chars):
        self.chars = chars

    vocab_size = property(lambda self: len(self.chars))
    to_dict = lambda self: {"kind": "test-upper", "letters": "".join(self.chars)}  # noqa: E731
    from_dict = classmethod(lambda cls, d: cls(list(d["letters"])))
    __eq__ = lambda self, other: isinstance(other, _UpperTokenizer) and self.chars == other.chars  # noqa: E731


def test_loading_picks_the_tokenizer_class_by_its_kind(tmp_path, tiny_model, tiny_tokenizer,
                                                       monkeypatch):
    from course_lib.core import data
    tok = _UpperTokenizer(tiny_tokenizer.chars)
    with pytest.raises(ValueError, match=r"unknown tokenizer kind 'test-upper'; this course_lib "
                                         r"knows \[.*'char'.*\]"):
        save_checkpoint(tmp_path / "ck", tiny_model, tok)     # refused before anything is written
    assert not (tmp_path / "ck").exists()
    monkeypatch.setitem(data.TOKENIZER_KINDS, "test-upper", _UpperTokenizer)
    save_checkpoint(tmp_path / "ck", tiny_model, tok)
    assert load_checkpoint(tmp_path / "ck")[1] == tok
    # a class named as "module:Class" is imported when a checkpoint first needs it
    monkeypatch.setitem(data.TOKENIZER_KINDS, "test-upper", f"{__name__}:_UpperTokenizer")
    assert isinstance(load_checkpoint(tmp_path / "ck")[1], _UpperTokenizer)
    monkeypatch.delitem(data.TOKENIZER_KINDS, "test-upper")
    with pytest.raises(CheckpointError, match=r"tokenizer\.json does not hold a valid tokenizer "
                                              r"\(unknown tokenizer kind 'test-upper'"):
        load_checkpoint(tmp_path / "ck")


# ----------------------------------------------------------------------------- safe saving

def test_a_folder_that_is_not_a_checkpoint_is_refused_and_left_alone(tmp_path, tiny_model,
                                                                     tiny_tokenizer):
    (tmp_path / "ck" / "run1").mkdir(parents=True)
    (tmp_path / "ck" / "NOTES.md").write_text("n")
    with pytest.raises(CheckpointError, match=r"ck is a folder that is not a checkpoint and "
                                              r"holds files \(NOTES\.md, run1/\); saving there "
                                              r"would replace them"):
        save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["NOTES.md", "run1"]


def test_saving_over_a_checkpoint_keeps_the_learners_other_files(tmp_path, tiny_model,
                                                                 tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 1})
    (tmp_path / "ck" / "NOTES.md").write_text("my notes")
    (tmp_path / "ck" / "plots").mkdir()
    (tmp_path / "ck" / "plots" / "loss.png").write_bytes(b"png")
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer, extra={"n": 2})
    assert (tmp_path / "ck" / "NOTES.md").read_text() == "my notes"
    assert (tmp_path / "ck" / "plots" / "loss.png").read_bytes() == b"png"
    assert read_checkpoint_info(tmp_path / "ck")["extra"] == {"n": 2}
    load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("out,message", [
    (".", r"is a folder that is not a checkpoint and holds files"),
    ("file.txt", r"file\.txt is a file, not a folder"),
    ("file.txt/ck", r"cannot make the folder .*file\.txt/ck: .*file\.txt is a file, not a folder"),
])
def test_an_output_that_cannot_hold_a_checkpoint_is_refused_before_writing(
        tmp_path, monkeypatch, tiny_model, tiny_tokenizer, out, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep me")
    with pytest.raises(CheckpointError, match=message):
        validate_output_folder(out)
    with pytest.raises(CheckpointError, match=message):
        save_checkpoint(out, tiny_model, tiny_tokenizer)
    assert (tmp_path / "file.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]   # no file.txt.previous


def test_a_read_only_folder_and_a_full_disk_are_named(tmp_path, monkeypatch):
    import os
    import shutil
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(CheckpointError, match=r"cannot write in .*ro \(Permission denied\)"):
            validate_output_folder(ro / "ck")
    finally:
        ro.chmod(0o700)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(ckpt_module.shutil, "disk_usage",
                        lambda p: usage._replace(free=500_000))
    with pytest.raises(CheckpointError, match=r"has 0\.5 MB free, but saving this checkpoint "
                                              r"needs about 21\.0 MB"):
        validate_output_folder(tmp_path / "ck", size=10_000_000)


def test_a_read_only_folder_is_refused_even_for_root(tmp_path, monkeypatch):
    def refuses(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(ckpt_module.tempfile, "TemporaryFile", refuses)
    with pytest.raises(CheckpointError, match=r"cannot write in .* \(Permission denied\); give "
                                              r"an --out in a folder you can write to"):
        validate_output_folder(tmp_path / "ck")


def test_the_shipped_checkpoint_is_refused_without_overwrite():
    from course_lib import DATA_DIR
    with pytest.raises(CheckpointError, match=r"part of the course's shipped data \(data/"
                                              r"checkpoints/gpt.*--overwrite.*`git checkout "
                                              r"data/checkpoints/gpt` brings"):
        validate_output_folder(DATA_DIR / "checkpoints" / "gpt")
    validate_output_folder(DATA_DIR / "checkpoints" / "gpt", overwrite=True)   # a checkpoint: fine


def test_a_second_writer_is_refused_while_one_saves(tmp_path, tiny_model, tiny_tokenizer):
    import threading
    held, done = threading.Event(), threading.Event()

    def other_writer():
        with writer_lock(tmp_path / "ck"):
            held.set()
            done.wait(10)

    t = threading.Thread(target=other_writer)
    t.start()
    try:
        assert held.wait(10)
        with pytest.raises(CheckpointError, match=r"another run is saving a checkpoint to .*ck "
                                                  r"right now .*wait until it has finished, or "
                                                  r"give another --out"):
            save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    finally:
        done.set()
        t.join()
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)     # free again
    with writer_lock(tmp_path / "ck"):                               # the same thread: nested
        save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)


def _save_alternately(path, models, tokenizer, n):
    torch.set_num_threads(1)
    for i in range(n):
        save_checkpoint(path, models[i % 2], tokenizer, extra={"n": i})


def test_a_reader_during_saves_gets_the_old_or_the_new_checkpoint(tmp_path, tiny_cfg,
                                                                  tiny_tokenizer):
    """Another process saves 30 times while this one loads: every load succeeds (before the
    fix, about 1 load in 100 failed with "does not match its checksum")."""
    import multiprocessing
    models = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        models.append(GPTLanguageModel(tiny_cfg))
    save_checkpoint(tmp_path / "ck", models[0], tiny_tokenizer)     # this process locked once
    saver = multiprocessing.get_context("fork").Process(
        target=_save_alternately, args=(tmp_path / "ck", models, tiny_tokenizer, 30))
    saver.start()
    loads, errors = 0, []
    while saver.is_alive() or loads < 5:
        try:
            model, _ = load_checkpoint(tmp_path / "ck")
            loads += 1
            assert any(torch.equal(model.lm_head.weight, m.lm_head.weight) for m in models)
        except Exception as err:  # noqa: BLE001 - every failure is the finding
            errors.append(repr(err))
    saver.join()
    assert saver.exitcode == 0                       # the forked process could save too
    assert not errors, errors[:3]
    assert read_checkpoint_info(tmp_path / "ck")["extra"] == {"n": 29}


def test_stale_saving_folders_are_cleaned_up_by_the_next_save(tmp_path, tiny_model,
                                                              tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    stale = tmp_path / ".ck.saving-abc123"          # a save killed with kill -9
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"x" * 1000)
    other = tmp_path / ".ck.saving-mine"            # not a checkpoint's files: not touched
    other.mkdir()
    (other / "thesis.tex").write_text("keep")
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    assert not stale.exists() and (other / "thesis.tex").exists()


# ----------------------------------------------------------------------------- tampered files

def _tamper_config(path, **changes):
    meta = json.loads((path / "config.json").read_text())
    meta["config"].update(changes)
    (path / "config.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("changes,message", [
    ({"n_layer": 1_000_000}, r"the file holds 2 blocks, the config says n_layer=1000000"),
    ({"n_layer": 2000, "n_embd": 4096},
     r"token_embedding_table\.weight is \(30, 32\) in the file, \(30, 4096\) for the config"),
])
def test_a_tampered_config_is_refused_before_a_model_is_built(tmp_path, tiny_model,
                                                              tiny_tokenizer, monkeypatch,
                                                              changes, message):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    _tamper_config(tmp_path / "ck", **changes)
    built = []
    monkeypatch.setattr(ckpt_module, "GPTLanguageModel", lambda cfg: built.append(cfg))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "ck")
    assert not built                                  # refused from the shapes alone


def test_a_config_too_large_for_the_memory_is_refused_saying_how_much(monkeypatch):
    import psutil
    from course_lib.core.checkpoint import require_memory
    free = psutil.virtual_memory()._replace(available=2 * 10**9)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: free)
    cfg = GPTConfig(vocab_size=65, n_layer=48, n_embd=4096, n_head=32, block_size=1024)
    with pytest.raises(CheckpointError, match=r"this configuration makes a model of about "
                                              r"9,6\d\d,\d{3},\d{3} parameters .* needs about "
                                              r"\d[\d,.]* GB, but this machine has 2\.0 GB free"):
        require_memory(cfg, batch_size=16)
    require_memory(GPTConfig(vocab_size=65), batch_size=16)     # the course's model fits


@pytest.mark.parametrize("dtype,message", [(torch.int8, "as int8"), (torch.float64, "as float64")])
def test_weights_of_another_dtype_are_refused(tmp_path, tiny_model, tiny_tokenizer, dtype,
                                              message):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    replace_weights(tmp_path / "ck", {k: v.to(dtype) for k, v in tiny_model.state_dict().items()})
    with pytest.raises(CheckpointError, match=rf"stores blocks\.0\.ffwd\.net\.0\.bias {message}, "
                                              rf"but course checkpoints hold float32 weights"):
        load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("value,word", [(float("nan"), "NaN"), (float("inf"), "infinite")])
def test_weights_with_nan_or_inf_are_refused(tmp_path, tiny_model, tiny_tokenizer, value, word):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    state = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    state["blocks.1.sa.proj.weight"][3, 4] = value
    replace_weights(tmp_path / "ck", state)
    with pytest.raises(CheckpointError, match=rf"holds {word} values in blocks\.1\.sa\.proj\."
                                              rf"weight: the training that made it diverged"):
        load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("n_embd,n_head,n_layer,vocab,block", [(32, 2, 3, 20, 16),
                                                               (64, 4, 1, 67, 64), (48, 3, 2, 5, 7)])
def test_estimated_parameters_equals_the_models_count(bias, tie_weights, n_embd, n_head,
                                                      n_layer, vocab, block):
    """The estimate once counted 3 x n_embd too many per block (biases on key, query and
    value, which the model does not have) and ignored bias=False."""
    from course_lib.core.checkpoint import estimated_parameters
    cfg = GPTConfig(vocab_size=vocab, block_size=block, n_embd=n_embd, n_head=n_head,
                    n_layer=n_layer, bias=bias, tie_weights=tie_weights)
    assert estimated_parameters(cfg) == GPTLanguageModel(cfg).num_parameters()


# ----------------------------------------------------------------------------- issue 22

def _own(text, task_name="file"):
    """An untrained lesson-11 model of size tiny on `text`."""
    from course_lib.lessons.own_gpt import Task, new_model
    return new_model(Task(task_name, text, "a test text"), "tiny", seed=0)


SONNET = "Shall I compare thee to a summer's day?\nThou art more lovely.\n" * 20
SUMS = "".join(f"{a:02d}+{b:02d}={a + b:03d}\n" for a in range(30) for b in range(3))


def test_a_save_model_that_fails_midway_keeps_the_previous_save_whole(tmp_path, monkeypatch):
    """A full disk while the training text is written: the folder still holds the previous
    model with its own task and text (never the new weights beside the old task), and no
    partial .tmp file or .saving-* folder is left."""
    import errno
    import pathlib
    from course_lib.lessons.own_gpt import load_model, save_model
    folder = tmp_path / "mine"
    save_model(_own(SONNET), folder=folder)

    def full(path, *args, **kwargs):
        if pathlib.Path(path).name.startswith("training_text.txt"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, *args, **kwargs)

    def full_text(self, *args, **kwargs):                  # how a save wrote it before
        return full(self, *args, **kwargs) if self.name.startswith("training_text") \
            else real_text(self, *args, **kwargs)
    real_write, real_text = ckpt_module._write_file, pathlib.Path.write_text
    monkeypatch.setattr(ckpt_module, "_write_file", full)
    monkeypatch.setattr(pathlib.Path, "write_text", full_text)
    with pytest.raises(OSError, match="No space left on device"):
        save_model(_own(SUMS), folder=folder, overwrite=True)
    monkeypatch.undo()
    own = load_model(folder)
    assert own.task.text == SONNET and own.tokenizer.vocab_size == len(set(SONNET))
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "history.json", "model.safetensors", "task.json", "tokenizer.json",
        "training_text.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".mine.saving")] == []


def test_the_free_space_check_of_save_model_counts_the_training_text(tmp_path, monkeypatch):
    from course_lib.lessons.own_gpt import save_model
    sizes = []
    real = ckpt_module.validate_output_folder

    def spy(path, overwrite=False, size=0):
        sizes.append(size)
        return real(path, overwrite=overwrite, size=size)
    monkeypatch.setattr(ckpt_module, "validate_output_folder", spy)
    text = "abcdefgh " * 20_000                      # 180,000 bytes, more than the weights
    save_model(_own(text), folder=tmp_path / "big")
    weights = (tmp_path / "big" / "model.safetensors").stat().st_size
    assert max(sizes) >= weights + len(text)


@pytest.mark.parametrize("damage,message", [
    (lambda f: (f / "task.json").write_text("{"), "task.json does not match its checksum"),
    (lambda f: (f / "training_text.txt").write_bytes(b"\xff\xfe"), "training_text.txt does not "
                                                                   "match its checksum"),
    (lambda f: (f / "history.json").write_text("[]"), "history.json does not match its checksum"),
])
def test_load_model_refuses_a_damaged_side_file_with_one_line(tmp_path, damage, message):
    from course_lib.lessons.own_gpt import load_model, save_model
    folder = save_model(_own(SONNET), folder=tmp_path / "mine")
    damage(folder)
    with pytest.raises(ValueError, match=message + r".*not saved whole by save_model"):
        load_model(folder)


@pytest.mark.parametrize("task,message", [
    ("{", "JSONDecodeError"),
    ('{"name": "x"}', "KeyError: 'source'"),
    ('{"name": "x", "source": "s", "reverse": false, "held_out": 7}', "TypeError"),
    ('[1, 2]', "TypeError"),
])
def test_load_model_names_a_damaged_task_of_an_older_save(tmp_path, task, message):
    """A folder saved before the side files had checksums: read as it is, and a damaged
    task.json is named, not a raw KeyError or JSONDecodeError."""
    from course_lib.lessons.own_gpt import load_model, save_model
    folder = save_model(_own(SONNET), folder=tmp_path / "mine")
    meta = json.loads((folder / "config.json").read_text())
    for name in ("task.json", "training_text.txt", "history.json"):
        meta["files"].pop(name)                       # as an older course_lib wrote it
    (folder / "config.json").write_text(json.dumps(meta))
    (folder / "task.json").write_text(task)
    with pytest.raises(ValueError, match=r"holds a damaged training_text\.txt, task\.json or "
                                         r"history\.json \(" + message):
        load_model(folder)


def test_cli_commands_names_a_damaged_config(tmp_path):
    from course_lib.lessons.own_gpt import cli_commands, save_model
    folder = save_model(_own(SONNET), folder=tmp_path / "mine")
    meta = json.loads((folder / "config.json").read_text())
    meta["config"] = None
    (folder / "config.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="config.json is damaged"):
        cli_commands(folder)


def test_save_model_through_a_link_into_data_is_refused(tmp_path, monkeypatch):
    from course_lib.core import data
    from course_lib.lessons import own_gpt
    (tmp_path / "data" / "checkpoints").mkdir(parents=True)
    monkeypatch.setattr(own_gpt, "DATA_DIR", tmp_path / "data")
    monkeypatch.setattr(data, "DATA_DIR", tmp_path / "data")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "data")
    with pytest.raises(ValueError, match="is inside the course's data/ folder"):
        own_gpt.save_model(_own(SONNET), folder=link / "checkpoints" / "mine")
    assert list((tmp_path / "data" / "checkpoints").iterdir()) == []
    shipped = save_checkpoint(tmp_path / "data" / "checkpoints" / "gpt",
                              *_model_and_tokenizer())
    with pytest.raises(CheckpointError, match="is part of the course's shipped data"):
        validate_output_folder(link / "checkpoints" / "gpt")
    assert shipped.exists()


def _model_and_tokenizer():
    own = _own(SONNET)
    return own.model, own.tokenizer


@pytest.mark.parametrize("name,message", [
    ("my\x00model", r"holds the control character '\\x00'"),
    ("x" * 300, "the model name has 300 characters; a folder name may have at most 100"),
])
def test_a_model_name_no_disk_takes_is_refused_with_the_fix(name, message):
    from course_lib.lessons.own_gpt import model_folder
    with pytest.raises(ValueError, match=message):
        model_folder(name)


def test_a_tokenizer_file_larger_than_the_model_is_refused_before_it_is_built(tmp_path,
                                                                            monkeypatch):
    """A BPE tokenizer.json (checksum renewed) whose merges double a token 60 times: 2**60
    bytes if built. Its merges are counted against the config's vocab_size first."""
    from course_lib.core import bpe
    model, tok = _model_and_tokenizer()
    path = save_checkpoint(tmp_path / "ck", model, tok)
    merges = [[97, 97]] + [[256 + i, 256 + i] for i in range(59)]
    raw = json.dumps({"kind": "bpe", "version": 1, "vocab_size": 256 + 60, "merges": merges,
                      "special_tokens": [], "pattern": None}).encode()
    (path / "tokenizer.json").write_bytes(raw)
    meta = json.loads((path / "config.json").read_text())
    meta["files"]["tokenizer.json"] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    (path / "config.json").write_text(json.dumps(meta))
    built = []
    monkeypatch.setattr(bpe.BPETokenizer, "__init__", lambda *a, **k: built.append(1))
    with pytest.raises(CheckpointError, match=r"describes 316 tokens but the model config says "
                                              r"vocab_size=\d+; the tokenizer file does not "
                                              r"belong to this model"):
        load_checkpoint(path)
    assert built == []


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_a_checkpoint_or_as_a_task_is_refused(tmp_path):
    import os
    from course_lib.lessons.own_gpt import task_from_path
    model, tok = _model_and_tokenizer()
    path = save_checkpoint(tmp_path / "ck", model, tok)
    (path / "config.json").unlink()
    os.mkfifo(path / "config.json")
    assert not ckpt_module.is_checkpoint(path)
    with pytest.raises(CheckpointError, match="config.json missing"):
        load_checkpoint(path)
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(ValueError, match=r"pipe\.txt is a named pipe \(FIFO\), not a regular "
                                         r"file: reading it could wait forever"):
        within(60, lambda: task_from_path(tmp_path / "pipe.txt"))   # a kernel never hangs
