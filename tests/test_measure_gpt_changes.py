"""scripts/measure_gpt_changes.py: where its baseline comes from, and how it combines runs
(no training here: the runs are made up)."""

import json

import measure_gpt_changes as mgc  # scripts/ is on sys.path, see conftest.py
import pytest
import sweep_n_embd

VOCAB = 67


def run(seed, val, n_embd=64, **extra):
    return {"n_embd": n_embd, "seed": seed, "params": 212_035, "train_loss": val - 0.05,
            "val_loss": val, "seconds": 80.0, "threads": 1, "eval_steps": [0, 100],
            "eval_val": [4.2, val]} | extra


@pytest.fixture
def paths(tmp_path, monkeypatch):
    sweep, partial = tmp_path / "sweep_n_embd.json", tmp_path / "sweep_n_embd.partial.json"
    monkeypatch.setattr(mgc, "SWEEP", sweep)
    monkeypatch.setattr(mgc, "SWEEP_PARTIAL", partial)
    return sweep, partial


def settings(**changes):
    s = sweep_n_embd._settings(VOCAB)
    return {"fixed_config": s["fixed_config"] | changes, "training": s["training"] | {"seed": 1}}


def test_baseline_from_the_finished_sweep(paths):
    sweep, _ = paths
    runs = [run(1337, 1.77), run(1338, 1.76), run(1339, 1.78)]
    sweep.write_text(json.dumps(settings() | {"results": [
        {"n_embd": 32, "runs": [run(1337, 1.9, n_embd=32)]}, {"n_embd": 64, "runs": runs}]}))
    base, source = mgc.baseline(VOCAB, mgc.SEEDS)
    assert source == "sweep_n_embd.json"
    assert base["variant"] == "baseline" and base["change"] == {}
    assert base["val_losses"] == [1.77, 1.76, 1.78] and base["seeds"] == [1337, 1338, 1339]


def test_baseline_from_a_running_sweep_and_missing_seeds(paths):
    _, partial = paths
    partial.write_text(json.dumps(settings() | {"runs": [run(1337, 1.77), run(1338, 1.76)]}))
    assert mgc.baseline(VOCAB, mgc.SEEDS) is None              # seed 1339 not run yet
    partial.write_text(json.dumps(settings() | {"runs": [run(s, 1.7) for s in mgc.SEEDS]}))
    assert mgc.baseline(VOCAB, mgc.SEEDS)[1] == "sweep_n_embd.partial.json"


def test_baseline_ignores_other_settings(paths):
    _, partial = paths
    partial.write_text(json.dumps(settings(n_layer=2) | {"runs": [run(s, 1.7)
                                                                    for s in mgc.SEEDS]}))
    assert mgc.baseline(VOCAB, mgc.SEEDS) is None


def test_combine_keeps_every_seed():
    r = mgc.combine("tied", {"tie_weights": True}, [run(1, 1.7, threads=1), run(2, 1.8)])
    assert r["variant"] == "tied" and r["change"] == {"tie_weights": True}
    assert r["val_losses"] == [1.7, 1.8] and r["train_losses"] == [1.65, 1.75]
    assert r["seconds"] == [80.0, 80.0] and r["threads"] == [1, 1]
