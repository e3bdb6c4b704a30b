"""The model core: what builds, trains, saves and samples a GPT.

    model.py       BigramLanguageModel, Head, MultiHeadAttention, CausalSelfAttention,
                   FeedForward, Block, GPTLanguageModel, GPTConfig (in the order of the lessons)
    layers.py      Linear: nn.Linear on the matrix library measured fastest here (same math)
    data.py        the corpus, CharTokenizer, the train/val split, get_batch
    training.py    estimate_loss and the training loop, train()
    sampling.py    temperature, top-k, sampling the next token, generate_text
    checkpoint.py  safe save and load of a model with its tokenizer
    device.py      cpu, cuda or mps
    precision.py   the number format training computes in (float32, or bfloat16 where it pays)
    bpe.py         BPETokenizer: byte-level byte-pair encoding (lesson 10)
    windows.py     SlidingWindowDataset: windows of a token stream with a stride (lesson 10)
    validate.py    argument checks that name the argument, the value and the fix
    defaults.py    the defaults several modules share: SEED, TRAIN_FRACTION, the eval interval,
                   the precision, the grader's time limits (each written once)
    tokenizer.py   the Tokenizer protocol that CharTokenizer and BPETokenizer follow

Nothing here imports the lesson support (course_lib.lessons) or the commands.
"""
