"""The lesson support: what the notebooks use to explain, show and check.

    checks/         the exercise checks, one module per lesson (see checks/__init__.py)
    sandbox.py      runs a learner's function for a check: time, memory and output limits
    remote.py       the grader's data-only channel: a check in the grader calls the learner's
                    function in the learner's kernel
    plots/          the figures of lessons 00 to 09 and 11 (lesson 10's is in bpe_widgets.py)
    widgets.py      the interactive controls of lessons 00 to 09 (lessons 10 and 11 keep theirs
                    in bpe_widgets.py and own_gpt_panels.py)
    widget_text.py  what the widgets of lessons 00 and 07 say after a move (the longer sentences)
    experiments.py  the measurements lessons 05 to 07 make; one_thread for tiny tensor work
    env.py          lesson 00: the environment report
    embeddings.py   lesson 01: similarity, projections, word vectors
    bigram.py       lesson 02: the counting model
    sweep.py        lesson 08: the n_embd sweep and the GPT-changes results, read and checked
    bpe_widgets.py  lesson 10: vocabulary size against sequence length, its figure and widget
    hf_bpe.py       lesson 10: the same BPE trained with Hugging Face `tokenizers`, compared
    own_gpt.py      lesson 11: tasks, sizes, train_task, accuracy, save/load (no widgets)
    own_gpt_panels.py  lesson 11: the training panel and the generation panel (ipywidgets)
    ddp_demo.py     lesson 09: runs the torchrun demos, one line if one fails
    modern.py       lesson 12: the measured later-GPT changes, their plots and widgets

These modules import the core (course_lib.core); the core never imports them.
"""
