"""scripts/measure_modern_gpt.py in --quick mode: the result's shape, equal-time step counts
from the timing, the parts run separately, and lesson 12's loader."""

import json

import pytest

import measure_modern_gpt as measure
from course_lib.lessons.modern import load_modern_gpt, modern_table

pytestmark = pytest.mark.slow


def test_quick_run_writes_every_variant_at_equal_steps_and_equal_time(tmp_path):
    out = tmp_path / "modern.json"
    assert measure.main(["--quick", "--out", str(out)]) == 0
    data = load_modern_gpt(out)
    names = [r["variant"] for r in data["results"]]
    assert names == list(measure.VARIANTS)
    steps = data["timing"]["equal_time_steps"]
    median = data["timing"]["median_seconds_per_step"]
    for r in data["results"]:
        assert len(r["equal_steps"]["val_losses"]) == len(data["seeds"]) == 3
        assert r["equal_steps"]["steps"] == data["steps"]
        assert r["equal_time"]["steps"] == steps[r["variant"]]
        # the steps fit the baseline's time: n * t <= budget < (n + 1) * t
        n, t = steps[r["variant"]], median[r["variant"]]
        assert n == 1 or n * t <= data["timing"]["budget_seconds"] * (1 + 1e-9) < (n + 1) * t
    assert steps["baseline"] == data["steps"]
    assert [c["n_kv_head"] for c in data["kv_cache"]] == [4, 2, 1]
    assert all(c["measured_bytes"] == c["computed_bytes"] for c in data["kv_cache"])
    assert len(data["rope_long_context"]) == 3
    assert {"layernorm", "rmsnorm", "F.rms_norm"} == set(data["norm_seconds"]["median"])
    assert not list(tmp_path.glob("*.partial-*"))          # its own files, removed at the end
    assert "all four" in modern_table(data)


def test_parts_in_separate_processes_give_the_same_runs(tmp_path):
    out = tmp_path / "m.json"
    assert measure.main(["--quick", "--out", str(out), "--part", "steps"]) == 1  # no timing yet
    assert measure.main(["--quick", "--out", str(out), "--part", "timing"]) == 0
    assert measure.main(["--quick", "--out", str(out), "--part", "steps",
                         "--variants", "baseline", "rope"]) == 0
    saved = list(tmp_path.glob("m.partial-steps-*.json"))
    assert len(saved) == 1
    runs = json.loads(saved[0].read_text())["runs"]
    assert {r["variant"] for r in runs} == {"baseline", "rope"}
    assert measure.main(["--quick", "--out", str(out)]) == 0     # trains only what is missing
    data = json.loads(out.read_text())
    kept = {(r["variant"], r["seed"]): r["val_loss"] for r in runs}
    for r in data["runs"]:
        if (r["variant"], r["seed"]) in kept and r["steps"] == data["steps"]:
            assert r["val_loss"] == kept[(r["variant"], r["seed"])]


def test_variants_need_a_part(tmp_path, capsys):
    with pytest.raises(SystemExit):
        measure.main(["--quick", "--out", str(tmp_path / "x.json"), "--variants", "rope"])
    assert "--variants goes with --part steps or --part time" in capsys.readouterr().err


def test_loader_names_a_missing_or_broken_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="python scripts/measure_modern_gpt.py"):
        load_modern_gpt(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_modern_gpt(bad)
    bad.write_text(json.dumps({"results": [{"variant": "rope"}]}))
    with pytest.raises(ValueError, match="starting with the baseline"):
        load_modern_gpt(bad)
