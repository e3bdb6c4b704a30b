"""The command-line tools: the code behind `python -m course_lib.train`, `.generate`, `.bench`.

    train.py     train a GPT on a text file, save a checkpoint
    generate.py  write text with a checkpoint
    bench.py     time a training step against a reference implementation
    recipes.py   the CPU recipe (the train command's defaults) and the standard one
    cli.py       argument types and one-line errors the commands share

course_lib/train.py, generate.py and bench.py are the entry points that `python -m` runs.
"""
