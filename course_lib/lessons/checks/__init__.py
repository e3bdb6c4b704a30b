"""The exercise checks (one module per lesson): `from course_lib.lessons.checks import check_x`.

    framework.py                  CheckResult, the exceptions, @exercise, the sandboxed call, the log
    answers.py                    helpers the lessons' checks share; name_the_mistake (a table)
    l00_text_to_tokens.py         lesson 00's checks (notebooks/00_text_to_tokens.ipynb)
    l01_embeddings.py             lesson 01's checks (notebooks/01_embeddings.ipynb)
    l02_bigram.py                 lesson 02's checks (notebooks/02_bigram.ipynb)
    l03_softmax.py                lesson 03's checks (notebooks/03_softmax.ipynb)
    l04_self_attention_trick.py   lesson 04's checks (notebooks/04_self_attention_trick.ipynb)
    l05_heads.py                  lesson 05's checks (notebooks/05_heads.ipynb)
    l06_blocks.py                 lesson 06's checks (notebooks/06_blocks.ipynb)
    l07_layernorm.py              lesson 07's checks (notebooks/07_layernorm.ipynb)
    l08_full_gpt.py               lesson 08's checks (notebooks/08_full_gpt.ipynb)
    l09_scaling_up.py             lesson 09's checks (notebooks/09_scaling_up.ipynb)
    l10_subword_tokens.py         lesson 10's checks (notebooks/10_subword_tokens.ipynb)
    l11_your_own_gpt.py           lesson 11's checks (notebooks/11_your_own_gpt.ipynb)
    l12_modern_gpt.py             lesson 12's checks (notebooks/12_modern_gpt.ipynb)

EXERCISES maps each lesson to its checks, in the order its notebook first calls them. The tests
are split the same way: tests/test_checks_framework.py and tests/test_checks_lNN_*.py.
"""

from .answers import close, expect_tensor
from .framework import (CHECK_LOG_ENV, ICONS, MAX_ITEMS, MAX_RESULT_BYTES, MEMORY_LIMIT,
                        OUTPUT_LIMIT, TIME_LIMIT_S, CheckResult, Mistake, NotAttempted, Shortcut,
                        TimedOut, attempt, call, exercise)
from .l00_text_to_tokens import check_encode_decode, check_context_target_pairs
from .l01_embeddings import check_one_hot_embed, check_cosine_similarity, check_most_similar
from .l02_bigram import (check_bigram_counts, check_counting_loss, check_bigram_forward,
                         check_bigram_generate, check_estimate_loss, check_training_loop)
from .l03_softmax import check_stable_softmax, check_temperature_probs, check_cross_entropy
from .l04_self_attention_trick import (check_masked_average_weights,
                                       check_causal_attention_weights)
from .l05_heads import check_head_forward, check_multi_head, check_mha_parameter_count
from .l06_blocks import check_block_forward, check_feed_forward, check_dropout
from .l07_layernorm import check_layer_norm, check_layernorm_parameter_count
from .l08_full_gpt import check_linear_forward, check_gpt_parameter_count, check_gpt_forward
from .l09_scaling_up import check_tokens_per_step, check_steps_per_epoch
from .l10_subword_tokens import (check_count_pairs, check_merge, check_train_bpe,
                                 check_encode_bpe, check_decode_bpe)
from .l11_your_own_gpt import check_addition_line, check_addition_accuracy
from .l12_modern_gpt import check_rms_norm, check_swiglu, check_rope_rotate, check_repeat_kv

EXERCISES: dict[str, tuple[str, ...]] = {
    "00": ("check_encode_decode", "check_context_target_pairs"),
    "01": ("check_one_hot_embed", "check_cosine_similarity", "check_most_similar"),
    "02": ("check_bigram_counts", "check_counting_loss", "check_bigram_forward",
           "check_bigram_generate", "check_estimate_loss", "check_training_loop"),
    "03": ("check_stable_softmax", "check_temperature_probs", "check_cross_entropy"),
    "04": ("check_masked_average_weights", "check_causal_attention_weights"),
    "05": ("check_head_forward", "check_multi_head", "check_mha_parameter_count"),
    "06": ("check_feed_forward", "check_block_forward", "check_dropout"),
    "07": ("check_layer_norm", "check_layernorm_parameter_count"),
    "08": ("check_gpt_forward", "check_linear_forward", "check_gpt_parameter_count"),
    "09": ("check_tokens_per_step", "check_steps_per_epoch"),
    "10": ("check_count_pairs", "check_merge", "check_train_bpe", "check_encode_bpe",
           "check_decode_bpe"),
    "11": ("check_addition_line", "check_addition_accuracy"),
    "12": ("check_rms_norm", "check_swiglu", "check_rope_rotate", "check_repeat_kv"),
}
