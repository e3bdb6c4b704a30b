"""The `generate` command: write text with a checkpoint made by the `train` command.

    python -m course_lib.generate --checkpoint data/checkpoints/gpt --prompt "ROMEO:"
    python -m course_lib.generate --checkpoint data/checkpoints/gpt --prompt-file start.txt

The text appears as it is generated; Ctrl-C stops and keeps what was printed.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from pathlib import Path

from ..core.checkpoint import load_checkpoint
from ..core.defaults import SEED
from .cli import (OneLineParser, fail, non_negative_int, positive_float, positive_int,
                  safe_output, utf8_text, validate_seed)
from ..core.device import pick_device
from ..core.sampling import generate_text


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m course_lib.generate",
                      description="Generate text from a checkpoint written by course_lib.train.")
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint directory")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--prompt", default=None,
                       help="text to start from (default: a new line); one that starts with "
                            "'-' works too: --prompt '-- Enter ROMEO'")
    start.add_argument("--prompt-file", type=Path, default=None,
                       help="read the text to start from from this UTF-8 file")
    p.add_argument("--max-new-tokens", type=non_negative_int, default=500,
                   help="tokens to write: characters for a character-level checkpoint; a BPE "
                        "token (--tokenizer bpe) is a few characters")
    p.add_argument("--temperature", type=positive_float, default=1.0)
    p.add_argument("--top-k", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    return p


def _join_prompt_value(argv: list[str]) -> list[str]:
    """`--prompt -x` -> `--prompt=-x`: argparse takes a value that starts with '-' for an
    option, so a prompt such as '- Enter' would be refused."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] == "--prompt" and i + 1 < len(argv):
            out.append(f"--prompt={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


PROMPT_LIMIT = 10_000_000      # bytes of a --prompt-file (a model sees block_size tokens of it)


def _read_prompt(args) -> str:
    """The text to start from: --prompt (read as UTF-8 whatever the locale), --prompt-file
    (a regular UTF-8 file; a pipe or device is refused before it is read), or a new line."""
    if args.prompt_file is None:
        return "\n" if args.prompt is None else utf8_text(args.prompt, "--prompt")
    from ..core.data import decode_utf8, normalize_text, read_regular_file
    path, flag = args.prompt_file, f"--prompt-file {args.prompt_file}"
    if not path.exists():
        raise FileNotFoundError(f"{flag}: no such file; check the path (or give the text "
                                f"itself with --prompt)")
    raw = read_regular_file(path, PROMPT_LIMIT, "--prompt-file")
    text = decode_utf8(raw, path, "--prompt-file")
    if not text:
        raise ValueError(f"{flag} is empty (0 bytes); write the text to start from in it, or "
                         f"leave --prompt-file out to start from a new line")
    # a prompt of spaces or new lines is a prompt like any other (the default is one new line)
    return normalize_text(text.replace("\r\n", "\n"), source=str(path))


def _fit_prompt(prompt: str, tokenizer, prog: str) -> str:
    """The prompt in the Unicode form the vocabulary uses (NFC or NFD), saying so if it
    changed: 'é' typed as one character or as 'e' + an accent is the same text."""
    known = set(getattr(tokenizer, "chars", ()) or ())
    if not known or all(c in known for c in prompt):
        return prompt
    for form in ("NFC", "NFD"):
        other = unicodedata.normalize(form, prompt)
        if other != prompt and all(c in known for c in other):
            print(f"{prog}: note: the prompt was changed to Unicode form {form} (the form of "
                  f"the model's vocabulary); it reads the same", file=sys.stderr)
            return other
    return prompt                            # encode() names the character that is unknown


def main(argv: list[str] | None = None) -> int:
    safe_output()
    parser = build_parser()
    args = parser.parse_args(_join_prompt_value(sys.argv[1:] if argv is None else list(argv)))
    prog = parser.prog
    try:
        validate_seed(args.seed)
        prompt = _read_prompt(args)
        device = pick_device(args.device)
        model, tokenizer = load_checkpoint(args.checkpoint, device=device)
        prompt = _fit_prompt(prompt, tokenizer, prog)
        if not prompt:
            raise ValueError("the prompt is empty: give at least one character to start from, "
                             "for example --prompt '\\n' (a new line), or leave --prompt out")
        if not tokenizer.encode(prompt):     # an unknown character: refused before any output
            raise ValueError(f"the tokenizer turns the prompt {prompt[:40]!r} into no tokens "
                             f"at all; give a prompt with other characters")
        return _stream(model, tokenizer, prompt, args, prog)
    except (ValueError, TypeError, OSError, RuntimeError) as err:
        if os.environ.get("COURSE_DEBUG"):
            raise
        return fail(prog, err)
    except KeyboardInterrupt:
        return fail(prog, KeyboardInterrupt("interrupted before any text was generated"))


def _stream(model, tokenizer, prompt: str, args, prog: str) -> int:
    """Generate, printing each character as soon as it is whole; Ctrl-C keeps what is printed.

    A BPE token can hold part of a character (a CJK character is 3 bytes, often split over
    two tokens): the tokens' bytes go through an incremental UTF-8 decoder, which gives out
    only complete characters, so the printed text equals generate_text's text."""
    import codecs
    from ..core import model as model_module
    original = model_module.sample_next_token
    count = [0]
    token_bytes = getattr(tokenizer, "token_bytes", None)
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def text_of(token_id: int) -> str:
        if token_bytes is None:              # a character tokenizer: a token is a character
            return tokenizer.decode([token_id])
        return utf8.decode(token_bytes(token_id))

    def sample_and_print(*a, **kw):
        token = original(*a, **kw)           # (B, 1); the command generates one text (B = 1)
        sys.stdout.write(text_of(token[0].item()))
        sys.stdout.flush()
        count[0] += 1
        return token

    sys.stdout.write(prompt)
    sys.stdout.flush()
    # every model's generate draws its tokens through model.sample_next_token: watching it
    # shows each token the moment it is drawn, with the same text as generate_text
    model_module.sample_next_token = sample_and_print
    try:
        generate_text(model, tokenizer, prompt, args.max_new_tokens, args.temperature,
                      args.top_k, args.seed)
    except KeyboardInterrupt:
        sys.stdout.write(utf8.decode(b"", final=True))
        print(flush=True)
        unit = "characters" if token_bytes is None else "tokens"
        print(f"{prog}: stopped by Ctrl-C after {count[0]} new {unit} (printed above)",
              file=sys.stderr)
        return 130
    finally:
        model_module.sample_next_token = original
    sys.stdout.write(utf8.decode(b"", final=True))   # bytes of a character never finished: U+FFFD
    print(flush=True)
    return 0
