"""Lesson 11 (course_lib/lessons/own_gpt.py): tasks, bad input, sizes, training that stops
on a flag, saving into the learner's folder (never over data/ or a foreign folder), loading
back, and the addition accuracy."""

import math

import pytest
import torch

from course_lib import DATA_DIR, GPTLanguageModel
from course_lib.lessons import own_gpt, own_gpt_panels
from course_lib.lessons.plots import plot_live_loss
from course_lib.lessons.own_gpt import (SIZES, Task, addition_accuracy, addition_line,
                                        addition_pairs, addition_text, validate_text_fits,
                                        cli_commands, load_model, load_task, loss_levels,
                                        read_answer, save_model, score_answers, size_costs,
                                        new_model, task_from_path, task_from_upload, train_task)


@pytest.fixture(scope="module")
def addition():
    return load_task("addition", reverse=True, n_lines=3000)   # the non-default order


@pytest.fixture(scope="module")
def tiny_own(addition):
    return train_task(addition, "tiny", max_iters=20, eval_iters=2)


@pytest.fixture
def my_models(tmp_path, monkeypatch):
    """save_model's default folder moved into a temporary folder."""
    folder = tmp_path / "my_models"
    monkeypatch.setattr(own_gpt, "MY_MODELS_DIR", folder)
    return folder


# ----------------------------------------------------------------------------- addition

def test_addition_lines_are_padded_and_reversed():
    assert addition_line(7, 45) == "07+45=052"                  # as written by default
    assert addition_line(7, 45, reverse=True) == "07+45=250"
    assert addition_line(99, 99, reverse=True) == "99+99=891"
    assert read_answer("052") == 52 and read_answer("250", reverse=True) == 52
    assert read_answer("2x0") is None and read_answer("25") is None


@pytest.mark.parametrize("a,b", [(100, 1), (-1, 3), (2.0, 3), (True, 1)])
def test_addition_line_refuses_operands_outside_two_digits(a, b):
    with pytest.raises(ValueError, match="whole number from 0 to 99"):
        addition_line(a, b)


def test_held_out_pairs_never_appear_in_the_training_text():
    train_pairs, held = addition_pairs()
    assert len(held) == own_gpt.HELD_OUT and len(train_pairs) + len(held) == 10_000
    assert not set(train_pairs) & set(held)
    lines = set(addition_text(20_000).splitlines())
    assert not lines & {addition_line(a, b) for a, b in held}
    # nor do their mirrors: a held-out sum cannot be answered by remembering b + a
    assert all((b, a) in set(held) for a, b in held)
    assert not lines & {addition_line(b, a) for a, b in held}
    assert any(a == b for a, b in held) or len(held) % 2 == 0


def test_the_addition_text_is_the_same_every_time():
    """Only random.random() is used, whose sequence Python keeps across versions; the
    first lines are pinned, so a change of the generator shows here."""
    text = addition_text(5)
    assert text == addition_text(5)
    assert text.splitlines()[:2] == addition_text(2).splitlines()
    assert addition_pairs()[1][:3] == addition_pairs()[1][:3]
    assert addition_text(3, reverse=False) != addition_text(3, reverse=True)
    assert text.splitlines()[0] == "47+52=099"
    assert addition_text(1, reverse=True) == "47+52=990\n"


def test_loss_levels_of_the_addition_text(addition):
    levels = loss_levels(addition.text)
    assert levels["chars_per_line"] == 10
    # four question digits, nearly uniform: about 4 ln 10 nats per line
    assert levels["question_nats"] == pytest.approx(4 * math.log(10), rel=0.01)
    assert levels["floor"] == pytest.approx(levels["question_nats"] / 10)
    # the answer's units and tens are nearly uniform, its hundreds digit is 0 or 1
    assert levels["answer_nats"] == pytest.approx(2 * math.log(10) + math.log(2), rel=0.02)
    assert levels["format_only"] > levels["floor"]
    with pytest.raises(ValueError, match="lines of equal length"):
        loss_levels("12+3=15\n1+1=2\n")


def test_score_answers_reads_reversed_answers_and_counts_non_numbers_wrong():
    pairs = [(7, 45), (1, 2), (50, 50)]
    assert score_answers(["250", "300", "001"], pairs, reverse=True) == 1.0
    assert score_answers(["052", "x03", "001"], pairs, reverse=True) == pytest.approx(1 / 3)
    assert score_answers(["052", "003", "100"], pairs) == 1.0
    with pytest.raises(ValueError, match="one answer per pair"):
        score_answers(["250"], pairs)


def test_addition_accuracy_of_a_model(tiny_own, addition):
    result = addition_accuracy(tiny_own.model, tiny_own.tokenizer, addition.held_out[:20])
    assert 0.0 <= result["accuracy"] <= 1.0 and len(result["rows"]) == 20
    assert set(result["per_place"]) == {"hundreds", "tens", "units"}
    answers = [r[1] for r in result["rows"]]
    assert result["accuracy"] == score_answers(answers, addition.held_out[:20])
    html = own_gpt.addition_table_html(result)
    assert "Held-out sums answered right" in html and "<table>" in html


# ----------------------------------------------------------------------------- other texts

def test_python_task_reads_the_standard_library():
    task = load_task("python", max_chars=50_000)
    assert len(task.text) == 50_000 and "# file: " in task.text and "def " in task.text
    assert "another Python version gives another text" in task.source


def test_shakespeare_task():
    task = load_task("shakespeare")
    assert task.text.startswith((DATA_DIR / "shakespeare.txt").read_text(encoding="utf-8")[:50])


def test_unknown_task_names_the_choices():
    with pytest.raises(ValueError, match="choose 'addition', 'python' or 'shakespeare'"):
        load_task("poems")


def test_a_file_by_path(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("hello world\n" * 100, encoding="utf-8")
    assert task_from_path(path).text.startswith("hello world")


@pytest.mark.parametrize("make,error,message", [
    (lambda p: p / "missing.txt", FileNotFoundError, "no file at"),
    (lambda p: p, ValueError, "is a folder; give the path of one text file"),
    (lambda p: _write(p / "latin1.txt", "caf\xe9".encode("latin-1")), ValueError,
     "is not UTF-8 text"),
    (lambda p: _write(p / "empty.txt", b"  \n"), ValueError, "is empty"),
])
def test_bad_files_are_refused_with_the_fix(tmp_path, make, error, message):
    with pytest.raises(error, match=message):
        task_from_path(make(tmp_path))


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_an_upload_as_ipywidgets_8_gives_it():
    value = ({"name": "poem.txt", "content": memoryview("roses are red\n".encode() * 50)},)
    assert task_from_upload(value).text.startswith("roses are red")
    with pytest.raises(ValueError, match="no file uploaded yet"):
        task_from_upload(())
    with pytest.raises(ValueError, match="poem.txt is not UTF-8 text.*save it as UTF-8"):
        task_from_upload(({"name": "poem.txt", "content": memoryview(b"caf\xe9 x")},))
    with pytest.raises(ValueError, match="poem.txt is UTF-16 text .*byte-order mark FF FE.*"
                                         "iconv -f UTF-16 -t UTF-8 poem.txt"):
        task_from_upload(({"name": "poem.txt", "content": memoryview(b"\xff\xfe x")},))
    with pytest.raises(ValueError, match="poem.txt is empty"):
        task_from_upload(({"name": "poem.txt", "content": memoryview(b"")},))


def test_a_text_shorter_than_a_window_is_refused():
    with pytest.raises(ValueError, match="shorter than the training window needs.*at least "
                                         "471 characters"):
        validate_text_fits("x" * 300, block_size=32, batch_size=16)
    validate_text_fits("x" * 471, block_size=32, batch_size=16)
    with pytest.raises(ValueError, match="at least 471"):
        validate_text_fits("x" * 470, block_size=32, batch_size=16)
    with pytest.raises(ValueError, match="shorter than the training window"):
        train_task(Task("file", "abc" * 50, "a short text"), "tiny")


# ----------------------------------------------------------------------------- sizes

def test_sizes_count_parameters_by_building_the_model():
    rows = size_costs(13)
    assert [r["size"] for r in rows] == list(SIZES)
    for r in rows:
        cfg = SIZES[r["size"]].config(13)
        assert r["params"] == GPTLanguageModel(cfg).num_parameters()
        assert r["train_bytes"] == 16 * r["params"]
    assert [r["params"] for r in rows] == sorted(r["params"] for r in rows)
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        own_gpt.get_size("huge")


def test_measured_seconds_per_step_is_positive(addition):
    assert own_gpt.measure_seconds_per_step(addition, "tiny", steps=1) > 0


# ----------------------------------------------------------------------------- training

def test_train_task_uses_course_train_and_stops_on_the_callback(addition):
    seen = []

    def stop_at_5(step, loss):
        seen.append(step)
        return step >= 5

    own = train_task(addition, "tiny", max_iters=50, callback=stop_at_5, eval_iters=2)
    assert own.history.stopped == "callback" and own.history.steps[-1] == 5 and seen[-1] == 5
    assert own.history.final()["val"] > 0        # the final estimate was made
    assert own.tokenizer.vocab_size == 13 and own.model.cfg.vocab_size == 13


def test_train_task_refuses_what_is_not_a_task():
    with pytest.raises(TypeError, match="task must be a Task"):
        train_task("addition")


def test_the_panel_stop_button_ends_training_and_keeps_the_model():
    panel = own_gpt_panels.training_panel("addition", "tiny", max_iters=100_000)
    thread = panel.start()
    assert thread is not None and panel.stop_button.disabled is False
    panel.stop()                                  # what the Stop button's click does
    thread.join(timeout=120)
    assert not thread.is_alive()
    own = panel.result
    assert own is not None and own.history.stopped == "callback"
    assert own.history.steps[-1] < 100_000
    assert panel.status.value.startswith("stopped by the Stop button at step")
    assert "kept the model" in panel.status.value and "val loss" in panel.status.value
    assert panel.train_button.disabled is False and panel.stop_button.disabled is True


def test_the_panel_trains_with_the_chosen_tokenizer_and_dropout_and_draws_val_live(monkeypatch):
    drawn = []
    real = own_gpt_panels.plot_live_loss

    def spy(steps, losses, floor=None, val_steps=(), val_losses=(), **kw):
        drawn.append((list(val_steps), list(val_losses), floor))
        return real(steps, losses, floor=floor, val_steps=val_steps, val_losses=val_losses, **kw)
    monkeypatch.setattr(own_gpt_panels, "plot_live_loss", spy)
    panel = own_gpt_panels.training_panel("addition", "tiny", max_iters=40, floor=0.92)
    panel.tokenizer_box.value = "bpe"
    assert panel.vocab_box.disabled is False      # the vocabulary size is BPE's only
    panel.vocab_box.value, panel.dropout_box.value = 300, 0.1
    assert "BPE tokens: 300 tokens" in panel.info.outputs[-1]["text"]
    panel.start().join(timeout=120)
    own = panel.result
    assert own is not None, panel.status.value
    assert own.model.cfg.vocab_size == 300 and own.model.cfg.dropout == 0.1
    assert "nats per token" in panel.status.value and "bits per character" in panel.status.value
    val_steps, val_losses, floor = drawn[-1]
    assert val_steps == own.history.eval_steps and val_losses == own.history.eval_val
    assert len(val_steps) >= 2
    assert floor is None                          # addition's floor is per character, not token
    panel.tokenizer_box.value = "char"
    assert panel.vocab_box.disabled is True


def test_live_loss_plot_draws_the_val_curve_and_names_unequal_lengths():
    fig = plot_live_loss([1, 2, 3], [3.0, 2.5, 2.0], val_steps=[0, 3], val_losses=[3.1, 2.2])
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "val loss (estimate)" in labels and not any("floor" in lab for lab in labels)
    with pytest.raises(ValueError, match="val_steps and val_losses differ in length"):
        plot_live_loss([1], [1.0], val_steps=[0, 1], val_losses=[2.0])


def test_train_refuses_a_history_that_is_not_empty(tiny_own):
    from course_lib.core.training import train
    with pytest.raises(ValueError, match="history must be an empty TrainHistory"):
        zeros = torch.zeros(200, dtype=torch.long)
        train(tiny_own.model, zeros, zeros, max_iters=1, batch_size=2, progress=False,
              history=tiny_own.history)


def test_the_panel_names_a_text_it_cannot_train_on(tmp_path):
    panel = own_gpt_panels.training_panel("file", "tiny")
    assert panel.start() is None
    assert panel.status.value.startswith("Cannot train: no file uploaded yet")
    panel.path_box.value = str(tmp_path / "nothing.txt")
    assert "no file at" in panel.info.outputs[0]["text"]


def test_training_panel_refuses_unknown_choices():
    with pytest.raises(ValueError, match="unknown task 'poems'"):
        own_gpt_panels.training_panel("poems")
    with pytest.raises(ValueError, match="unknown size 'huge'"):
        own_gpt_panels.training_panel("addition", "huge")


# ----------------------------------------------------------------------------- save and load

def test_save_and_load_round_trip(tiny_own, my_models):
    folder = save_model(tiny_own, "adder")
    assert folder == my_models / "adder"
    assert {"config.json", "tokenizer.json", "model.safetensors", "training_text.txt",
            "task.json", "history.json"} <= {p.name for p in folder.iterdir()}
    assert (folder / "training_text.txt").read_text(encoding="utf-8") == tiny_own.task.text
    back = load_model(folder)
    assert back.task.held_out == tiny_own.task.held_out and back.task.reverse
    pairs = tiny_own.task.held_out[:10]
    a = addition_accuracy(tiny_own.model, tiny_own.tokenizer, pairs, temperature=1.0, top_k=None)
    b = addition_accuracy(back.model, back.tokenizer, pairs, temperature=1.0, top_k=None)
    assert a["rows"] == b["rows"]                 # the same generations
    for x, y in zip(tiny_own.model.state_dict().values(), back.model.state_dict().values()):
        torch.testing.assert_close(x, y)


def test_save_refuses_the_shipped_data(tiny_own):
    with pytest.raises(ValueError, match="inside the course's data/ folder"):
        save_model(tiny_own, folder=DATA_DIR / "checkpoints" / "mine")
    with pytest.raises(ValueError, match="inside the course's data/ folder"):
        save_model(tiny_own, folder=DATA_DIR)


def test_save_refuses_a_folder_or_file_it_did_not_make(tiny_own, my_models, tmp_path):
    notes = my_models / "notes"
    notes.mkdir(parents=True)
    (notes / "mine.txt").write_text("my notes")
    with pytest.raises(ValueError, match="was not made by save_model; it is not replaced. "
                                         "Choose another name.*'notes-2'"):
        save_model(tiny_own, "notes")
    assert (notes / "mine.txt").read_text() == "my notes"
    (my_models / "afile").write_text("x")
    with pytest.raises(ValueError, match="was not made by save_model"):
        save_model(tiny_own, "afile")
    from course_lib import save_checkpoint
    other = tmp_path / "other-checkpoint"
    save_checkpoint(other, tiny_own.model, tiny_own.tokenizer)      # a checkpoint, not ours
    with pytest.raises(ValueError, match="was not made by save_model"):
        save_model(tiny_own, folder=other)


def test_save_replaces_its_own_model_only_when_asked(tiny_own, my_models):
    save_model(tiny_own, "adder")
    with pytest.raises(ValueError, match="already holds a model you saved; pass overwrite=True"):
        save_model(tiny_own, "adder")
    assert save_model(tiny_own, "adder", overwrite=True) == my_models / "adder"


@pytest.mark.parametrize("name", ["", "a/b", "..", ".hidden", 3])
def test_model_names_are_plain_folder_names(name, tiny_own, my_models):
    with pytest.raises(ValueError, match="a model name is a plain folder name"):
        save_model(tiny_own, name)


def test_cli_commands_continue_from_the_saved_model(tiny_own, my_models):
    folder = save_model(tiny_own, "adder")
    gen, more = cli_commands(folder).splitlines()
    assert gen.startswith("python -m course_lib.generate --checkpoint ")
    assert "--prompt 12+34=" in gen
    assert f"--init-from {folder.as_posix()}" in more or "--init-from notebooks/" in more
    assert "--corpus " in more and "training_text.txt" in more and "adder-more" in more
    with pytest.raises(ValueError, match="holds no saved model"):
        cli_commands(my_models / "nothing")


def test_load_model_refuses_a_plain_checkpoint(tiny_own, tmp_path):
    from course_lib import save_checkpoint
    save_checkpoint(tmp_path / "plain", tiny_own.model, tiny_own.tokenizer)
    with pytest.raises(ValueError, match="not one saved by save_model.*load_checkpoint"):
        load_model(tmp_path / "plain")


def test_own_text_in_bpe_tokens_with_dropout_and_bits_per_character():
    """Lesson 11's own-text path is not character-only: BPE with a vocabulary size, a
    dropout setting, and a loss in bits per character that compares across tokenizers."""
    from course_lib.lessons.own_gpt import Task
    text = load_task("shakespeare").text[:60_000]
    task = Task("file", text, "a test text")
    bpe = train_task(task, "tiny", max_iters=30, tokenizer="bpe", vocab_size=300, dropout=0.1,
                     eval_iters=2)
    assert bpe.tokenizer.vocab_size == 300 and bpe.model.cfg.dropout == 0.1
    char = train_task(task, "tiny", max_iters=30, eval_iters=2)
    assert char.model.cfg.dropout == 0.0
    # bits per character = loss per token / characters per token / ln 2
    val = bpe.history.final()["val"]
    assert 0 < bpe.bits_per_char() < val / math.log(2)          # a BPE token is > 1 character
    assert char.bits_per_char() == pytest.approx(char.history.final()["val"] / math.log(2),
                                                 rel=0.02)
    with pytest.raises(ValueError, match="vocab-size"):
        new_model(task, "tiny", tokenizer="bpe")
    with pytest.raises(ValueError, match="train it first"):
        new_model(task, "tiny").bits_per_char()
