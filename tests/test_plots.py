"""plots.py as a whole: importing it leaves matplotlib's settings alone, its figures keep the
course's look wherever they are drawn, and the shared building blocks draw what they say."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.lessons import plots  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")   # in conftest.py


def test_importing_the_lesson_modules_leaves_matplotlib_settings_alone():
    code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
            "before = dict(matplotlib.rcParams)\n"
            "import course_lib.lessons.plots, course_lib.lessons.widgets\n"
            "changed = {k for k, v in matplotlib.rcParams.items() if before[k] != v}\n"
            "assert not changed, changed")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_course_style_keeps_what_matplotlib_sets_inside_it():
    """Jupyter turns `interactive` on when a session's first figure loads the inline backend;
    if that happens inside a plot function, it must stay on, or later figures are not shown."""
    before = matplotlib.is_interactive()
    try:
        with plots.course_style():
            assert matplotlib.rcParams["font.size"] == plots.COURSE_STYLE["font.size"]
            matplotlib.interactive(not before)
        assert matplotlib.is_interactive() is (not before)
    finally:
        matplotlib.interactive(before)


def test_a_plot_leaves_matplotlib_settings_alone():
    before = dict(matplotlib.rcParams)
    plots.plot_score_variance([1, 4], [1.0, 4.0], [1.0, 1.0])
    assert dict(matplotlib.rcParams) == before


class History:                       # what plot_loss_curves reads of a TrainHistory
    steps, train_loss = [1, 2, 3], [3.0, 2.0, 1.5]
    eval_steps, eval_train, eval_val = [], [], []


def pixels(fig, **settings):
    """The figure drawn with some global settings in force (as a learner might have set them)."""
    with matplotlib.rc_context(settings):
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def test_the_course_look_survives_other_global_settings():
    """Ticks, tick counts and margins are made when a figure is drawn, which may be after the
    plot function returned and a learner changed matplotlib's settings: the figure stays the same."""
    def draw():
        return plots.plot_one_hot_vs_dense(torch.eye(5)[:3], torch.linspace(-2, 2, 12).view(3, 4),
                                           list("ab "))
    plain = pixels(draw())
    other = pixels(draw(), **{"font.size": 20, "grid.alpha": 1.0, "ytick.labelsize": 30})
    assert plain.shape == other.shape and (plain == other).all()
    fig = plots.plot_loss_curves(History())
    pixels(fig, **{"font.size": 20})
    ax = fig.axes[0]
    assert ax.title.get_fontsize() == plots.COURSE_STYLE["axes.titlesize"]
    assert ax.xaxis.label.get_fontsize() == plots.COURSE_STYLE["axes.labelsize"]
    assert {t.label1.get_fontsize() for t in ax.xaxis.get_major_ticks()} == {plots.COURSE_STYLE["font.size"]}


def test_no_figure_is_left_in_a_style_that_changes_later():
    fig = plots.plot_loss_curves(History())
    pixels(fig, **{"font.size": 20})
    first = fig.subplotpars.left
    pixels(fig)
    assert fig.subplotpars.left == first        # the layout does not follow the global font size


def test_bars_over_chars_groups_the_series_around_each_character():
    fig, ax = plt.subplots()
    plots.base._bars_over_chars(ax, {"a": [1.0, 2.0], "b": [3.0, 4.0]}, [" ", "\n"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["␣", "\\n"]
    xs = [p.get_x() + p.get_width() / 2 for p in ax.patches]
    assert xs == pytest.approx([-0.2, 0.8, 0.2, 1.2])
    assert [p.get_height() for p in ax.patches] == [1.0, 2.0, 3.0, 4.0]


def test_annotate_cells_skips_masked_and_missing_cells():
    fig, ax = plt.subplots()
    m = torch.tensor([[1.0, float("nan")], [0.25, 0.75]])
    plots.base._annotate_cells(ax, m, skip=torch.tensor([[False, False], [True, False]]))
    assert [t.get_text() for t in ax.texts] == ["1.00", "0.75"]
    assert [t.get_color() for t in ax.texts] == ["black", "black"]
    plots.base._annotate_cells(ax, m, vmax=2.0)
    assert ax.texts[-1].get_color() == "white"      # 0.75 is dark on a scale up to 2
