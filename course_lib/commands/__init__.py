"""The command-line tools: the code behind `python -m course_lib.train`, `.generate`, `.bench`,
`.grade`.

    train.py     train a GPT on a text file, save a checkpoint
    generate.py  write text with a checkpoint
    bench.py     time a training step against a reference implementation
    recipes.py   the CPU recipe (the train command's defaults) and the standard one
    contender.py the GPT written the way nanoGPT writes one, that bench.py measures against
    grade.py     grade learners' notebooks (`python -m course_lib.grade`); grade_worker.py
                 runs one notebook in its own kernel for it and runs its checks outside it
    grade_plan.py  which check call grades each exercise (read with ast), lessons, --release
    grade_procs.py ends every process a learner's kernel started (double forks included)
    cli.py       argument types and one-line errors the commands share

course_lib/train.py, generate.py, bench.py and grade.py are the entry points that `python -m` runs.
"""
