import hashlib
import json
import pickle

import pytest
import torch

from course_lib import (BigramLanguageModel, CheckpointError, GPTConfig, GPTLanguageModel,
                        load_checkpoint, save_checkpoint)
from course_lib.core import checkpoint as ckpt_module


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]   # no temp or backup left


def test_weights_that_do_not_fit_the_config(tmp_path, tiny_model, tiny_tokenizer):
    save_checkpoint(tmp_path / "ck", tiny_model, tiny_tokenizer)
    meta_path = tmp_path / "ck" / "config.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["n_layer"] = 3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"do not fit this model \(missing \['blocks\.2\."):
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
        meta["weights_sha256"] = hashlib.sha256(payload).hexdigest()
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck"]


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
