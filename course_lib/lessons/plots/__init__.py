"""Every figure the course draws. Each function returns the matplotlib Figure.

Figures have a title, labelled axes (with units where there are any), and a colour bar on
heatmaps. Notebooks call these; nothing here trains or computes a model.

The course's look (font sizes, a light grid) is applied inside each function with
`course_style()`; importing this module leaves matplotlib's global settings as they are, so
a learner's own figures look the way matplotlib draws them. The pieces the figures share
are drawn by a few building blocks, as d2l's `d2l.plot` and `d2l.set_axes` are:
`_bars_over_chars` (grouped bars with a character under each group, from `_grouped_bars`),
`_annotate_cells` (the value written in each cell of a heatmap) and `_char_ticks`
(character tick labels, smaller when there are many).

    base.py            course_style, FIGSIZE, the building blocks, plot_loss_curves, plot_heatmap
    lessons_00_03.py   characters, one-hot and dense vectors, embeddings, bigrams, softmax
    lessons_04_07.py   attention weights and maps, heads, gradient norms, dropout, LayerNorm
    lessons_08_11.py   parameters, the n_embd sweep, GPT changes, scaling, your own GPT's curves

`from course_lib.lessons.plots import plot_x` works for every figure.
"""

from .base import (COURSE_STYLE, FIGSIZE, course_style, plot_heatmap, plot_loss_curves, show_char)
from .lessons_00_03 import (char_group, plot_bigram_loss_curves, plot_bigram_matrix,
                            plot_char_embeddings_2d, plot_char_frequencies, plot_logits_and_probs,
                            plot_n_embd_view, plot_next_char_distribution,
                            plot_next_token_distribution, plot_one_hot_vs_dense,
                            plot_sample_frequencies, plot_temperature_distributions,
                            plot_vectors_2d, plot_word_map)
from .lessons_04_07 import (GRAD_FLOOR, plot_attention_grid, plot_attention_map,
                            plot_attention_weights, plot_dropout, plot_gradient_norms,
                            plot_layernorm_curves, plot_layernorm_io, plot_qkv_layout,
                            plot_score_variance)
from .lessons_08_11 import (plot_addition_digits, plot_gpt_changes, plot_live_loss,
                            plot_loss_levels, plot_n_embd_sweep, plot_parameter_breakdown,
                            plot_scaling, plot_sweep_curves)
