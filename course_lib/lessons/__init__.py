"""The lesson support: what the notebooks use to explain, show and check.

    checks.py       the exercise checks, one check_* per exercise
    plots.py        every figure the course draws
    widgets.py      every interactive control the course shows
    experiments.py  the measurements lessons 05 to 07 make
    embeddings.py   lesson 01: similarity, projections, word vectors
    bigram.py       lesson 02: the counting model
    sweep.py        lesson 08: the n_embd sweep
    env.py          lesson 00: the environment report

These modules import the core (course_lib.core); the core never imports them.
"""
{"verdict": {"call": 0, "status": "failed", "message": "SABOTAGED"}}
