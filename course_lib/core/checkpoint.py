"""Saving and loading a trained model with its tokenizer, safely.

A checkpoint is a directory (format version 2):

    config.json        which model, its config, the SHA-256 and size of every other file,
                       training notes
    tokenizer.json     the tokenizer's to_dict(): {"kind": "char", "chars": [...]} for a
                       CharTokenizer; loading picks the class by "kind" (data.TOKENIZER_KINDS)
    model.safetensors  the weights (safetensors holds plain tensors: loading runs no code)

Loading checks every file against its checksum, so a changed vocabulary (a reordered
tokenizer.json turns the model's output into garbage) is refused like damaged weights.
Version 1 checkpoints (vocab.json with the characters, a checksum of the weights only)
still load.

Nothing is unpickled, so a checkpoint from a stranger cannot run code on your machine.
Saving writes a complete new directory next to the old one and then swaps the two with
renames, so an interrupted save leaves the previous checkpoint loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load, save as safetensors_save

from .data import CharTokenizer, tokenizer_class, tokenizer_from_dict
from .model import BigramLanguageModel, GPTConfig, GPTLanguageModel, LanguageModel

FORMAT = "course_lib-checkpoint"
VERSION = 2
FILES = ("config.json", "tokenizer.json", "model.safetensors")
FILES_V1 = ("config.json", "vocab.json", "model.safetensors")
CHECKED = ("tokenizer.json", "model.safetensors")   # config.json holds a checksum of each


class CheckpointError(ValueError):
    """A checkpoint is missing, damaged, or made for another model."""


def _backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".previous")


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _plain_tensors(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU tensors that share no memory (safetensors refuses shared ones, such as tied weights)."""
    out, seen = {}, set()
    for k, v in state.items():
        t = v.detach().to("cpu").contiguous()
        if t.data_ptr() in seen:
            t = t.clone()          # lm_head.weight tied to the token embedding: saved twice
        seen.add(t.data_ptr())
        out[k] = t
    return out


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tokenizer_bytes(tokenizer) -> bytes:
    """tokenizer.to_dict() as JSON, after checking that loading can rebuild it."""
    to_dict = getattr(tokenizer, "to_dict", None)
    if not callable(to_dict):
        raise TypeError(f"save_checkpoint needs a tokenizer with to_dict() (a CharTokenizer, for "
                        f"example), got {type(tokenizer).__name__}")
    d = to_dict()
    tokenizer_class(d.get("kind") if isinstance(d, dict) else None)   # a kind loading knows
    return json.dumps(d, ensure_ascii=False).encode("utf-8")


def save_checkpoint(path: str | Path, model: LanguageModel, tokenizer: CharTokenizer,
                    extra: dict | None = None) -> Path:
    """Write `model` and `tokenizer` to the directory `path`, replacing what is there.

    `extra` is a JSON-serialisable dict stored in config.json (for example the number of
    training steps and the loss reached). Returns the path.
    """
    if not isinstance(model, LanguageModel):
        raise TypeError(f"save_checkpoint expects a course_lib language model, got "
                        f"{type(model).__name__}")
    if tokenizer.vocab_size != model.cfg.vocab_size:
        raise ValueError(f"the tokenizer has {tokenizer.vocab_size} tokens but the model "
                         f"was built for vocab_size={model.cfg.vocab_size}; save the tokenizer "
                         f"the model was trained with")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = _plain_tensors(model.state_dict())
    contents = {"tokenizer.json": _tokenizer_bytes(tokenizer),
                "model.safetensors": safetensors_save(state)}
    config = {
        "format": FORMAT,
        "version": VERSION,
        "model": type(model).__name__,
        "config": model.cfg.to_dict(),
        "files": {name: {"sha256": _sha256(data), "bytes": len(data)}
                  for name, data in contents.items()},
        "extra": extra or {},
    }
    backup = _backup_path(path)
    if backup.exists() and not path.exists():
        os.replace(backup, path)   # an earlier save stopped between its renames: undo it first
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.saving-", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a checkpoint is an ordinary folder
    try:
        for name, data in contents.items():
            _write_file(tmp / name, data)
        _write_file(tmp / "config.json", json.dumps(config, indent=2).encode())
        if backup.exists():
            shutil.rmtree(backup)
        if path.exists():
            os.replace(path, backup)   # keep the old one until the new one is in place
        os.replace(tmp, path)
        if backup.exists():
            shutil.rmtree(backup)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _read_json(path: Path, data: bytes | None = None) -> dict:
    try:
        return json.loads(path.read_bytes() if data is None else data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}); the checkpoint is damaged, "
                              f"save or download it again") from None


def _checked_bytes(path: Path, name: str, meta: dict) -> bytes:
    """The bytes of file `name`, after comparing them with the checksum in config.json."""
    data = (path / name).read_bytes()
    if meta.get("version") == 1:
        expected = {"sha256": meta.get("weights_sha256")} if name == "model.safetensors" else None
    else:
        files = meta.get("files")
        expected = files.get(name) if isinstance(files, dict) else None
        if not isinstance(expected, dict):
            raise CheckpointError(f"{path / 'config.json'} has no checksum for {name}; the "
                                  f"config is damaged. Save the checkpoint again")
    if expected is not None and _sha256(data) != expected.get("sha256"):
        size = (f"{len(data):,} bytes, {expected['bytes']:,} expected"
                if isinstance(expected.get("bytes"), int) and expected["bytes"] != len(data)
                else f"{len(data):,} bytes")
        what = ("the file is truncated or damaged" if name == "model.safetensors" else
                "the file was changed after saving (a reordered vocabulary would turn the "
                "model's output into garbage)")
        raise CheckpointError(f"{path / name} does not match its checksum in config.json: "
                              f"{what} ({size}). Save the checkpoint again")
    return data


def load_checkpoint(path: str | Path, cfg: GPTConfig | None = None,
                    device: str | torch.device = "cpu") -> tuple[LanguageModel, CharTokenizer]:
    """Load a checkpoint directory written by save_checkpoint -> (model, tokenizer).

    If `cfg` is given, the checkpoint must have been made for that configuration. The model
    is returned in eval mode. Raises FileNotFoundError if nothing is there and
    CheckpointError (a ValueError) naming the problem when the checkpoint is not one, is
    truncated or damaged, or was made for another configuration.
    """
    path = Path(path)
    if not path.exists() and _backup_path(path).exists():
        path = _backup_path(path)  # a save was interrupted between its two renames
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; train one with `python -m "
                                f"course_lib.train --out {path}` or check the path")
    if not path.is_dir():
        raise CheckpointError(f"{path} is a file, but a checkpoint is a directory holding "
                              f"{', '.join(FILES)}; give the directory")
    if not (path / "config.json").is_file():
        raise CheckpointError(f"{path} is not a complete checkpoint: config.json missing (a "
                              f"checkpoint holds {', '.join(FILES)})")
    meta = _read_json(path / "config.json")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path / 'config.json'} is not a course_lib checkpoint config "
                              f"(no \"format\": \"{FORMAT}\")")
    if meta.get("version") not in (1, VERSION):
        raise CheckpointError(f"checkpoint format version {meta.get('version')} is not "
                              f"supported (this course_lib reads versions 1 and {VERSION}); "
                              f"update course_lib (git pull)")
    files = FILES_V1 if meta["version"] == 1 else FILES
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise CheckpointError(f"{path} is not a complete checkpoint: {', '.join(missing)} "
                              f"missing (a checkpoint holds {', '.join(files)})")
    if meta["version"] == 1:
        tokenizer_file = "vocab.json"
        vocab = _read_json(path / "vocab.json")
        stored = {"kind": "char", "chars": vocab.get("chars") if isinstance(vocab, dict) else None}
    else:
        tokenizer_file = "tokenizer.json"
        stored = _read_json(path / tokenizer_file, _checked_bytes(path, tokenizer_file, meta))
    try:
        tokenizer = tokenizer_from_dict(stored)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"{path / tokenizer_file} does not hold a valid tokenizer "
                              f"({err})") from None
    weights = _checked_bytes(path, "model.safetensors", meta)

    kind = meta.get("model")
    try:
        if kind == "GPTLanguageModel":
            saved_cfg = GPTConfig.from_dict(meta["config"])
            if cfg is not None and cfg != saved_cfg:
                diffs = [f"{k}={v} (you asked for {cfg.to_dict()[k]})"
                         for k, v in saved_cfg.to_dict().items() if cfg.to_dict()[k] != v]
                raise CheckpointError(f"the checkpoint at {path} was made for another "
                                      f"configuration: {', '.join(diffs)}; build the model with "
                                      f"the checkpoint's config, or pass cfg=None")
            model = GPTLanguageModel(saved_cfg)
        elif kind == "BigramLanguageModel":
            model = BigramLanguageModel(int(meta["config"]["vocab_size"]))
        else:
            raise CheckpointError(f"unknown model type {kind!r} in {path / 'config.json'}")
    except (KeyError, TypeError) as err:
        raise CheckpointError(f"{path / 'config.json'} has an invalid config ({err})") from None
    if tokenizer.vocab_size != model.cfg.vocab_size:
        raise CheckpointError(f"{tokenizer_file} has {tokenizer.vocab_size} tokens but the model "
                              f"config says vocab_size={model.cfg.vocab_size}")
    try:
        state = safetensors_load(weights)
    except SafetensorError as err:
        raise CheckpointError(
            f"{path / 'model.safetensors'} cannot be read as safetensors ({err}). If it came "
            f"from torch.save (a pickle), the course will not load it: unpickling can run any "
            f"code. Load it yourself only if you trust it, then write a checkpoint with "
            f"save_checkpoint(...)") from None
    load_state(model, state, source=str(path))
    return model.to(device).eval(), tokenizer


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Copy `state` into `model`, with one readable message for missing, extra or reshaped weights."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = [f"{k}: {tuple(state[k].shape)} in the file, {tuple(v.shape)} in the model"
                for k, v in own.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or reshaped:
        parts = []
        if missing:
            parts.append(f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''}")
        if reshaped:
            parts.append("wrong shapes " + "; ".join(reshaped[:3]))
        raise CheckpointError(f"the weights in {source} do not fit this model ({', '.join(parts)}); "
                              f"it was made for another configuration")
    model.load_state_dict(state)


def read_checkpoint_info(path: str | Path) -> dict:
    """The config.json of a checkpoint (model type, config, training notes), without weights."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no checkpoint config at {path / 'config.json'}")
    return _read_json(path / "config.json")
