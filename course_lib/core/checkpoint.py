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
Loading reads and checks the weights (float32, finite, shapes that fit the config, a size
that fits the memory) before it builds a model.

Saving writes a complete new directory next to the old one and then swaps the two with
renames, so an interrupted save leaves the previous checkpoint loadable and a reader gets
the old checkpoint or the new one. Only the checkpoint's own files are replaced (a learner's
notes in the folder are kept), a folder that is not a checkpoint is refused, one process
at a time writes (a lock file .NAME.lock), and the next save removes what a killed save
left (.NAME.saving-*).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load, save as safetensors_save

from ..i18n import N_, _
from .data import FileTooLargeError, read_regular_file, tokenizer_class, tokenizer_from_dict
from .model import BigramLanguageModel, GPTConfig, GPTLanguageModel, LanguageModel
from .tokenizer import Tokenizer

FORMAT = "course_lib-checkpoint"
VERSION = 2
FILES = ("config.json", "tokenizer.json", "model.safetensors")
FILES_V1 = ("config.json", "vocab.json", "model.safetensors")
CONFIG_LIMIT = 10_000_000          # bytes of config.json a load reads at most
TOKENIZER_LIMIT = 64_000_000       # bytes of tokenizer.json (GPT-2's 50,000 merges: 1 MB)


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
        raise TypeError(_("save_checkpoint needs a tokenizer with to_dict() (a CharTokenizer, "
                          "for example), got {kind}").format(kind=type(tokenizer).__name__))
    d = to_dict()
    tokenizer_class(d.get("kind") if isinstance(d, dict) else None)   # a kind loading knows
    return json.dumps(d, ensure_ascii=False).encode("utf-8")


def _absolute(path: str | Path) -> Path:
    """`path` made absolute without following links ("." and "a/.." get a real name)."""
    return Path(os.path.abspath(path))


def resolved(path: str | Path) -> Path:
    """`path` with every symbolic link and ".." resolved (the parts that exist): the path to
    compare with data/ or with a command's own inputs, which a link could otherwise hide."""
    return Path(os.path.realpath(path))


def same_or_inside(path: str | Path, other: str | Path) -> bool:
    """True if `path` is `other` or lies inside it, after resolving both (links, ..)."""
    try:
        resolved(path).relative_to(resolved(other))
        return True
    except ValueError:
        return False


OWN_FILES = frozenset(FILES) | frozenset(FILES_V1)   # what a save replaces; nothing else


def is_checkpoint(path: str | Path) -> bool:
    """True if `path` is a folder whose config.json says it is a course_lib checkpoint."""
    config = Path(path) / "config.json"
    try:
        if not config.is_file() or config.stat().st_size > CONFIG_LIMIT:
            return False
        meta = json.loads(read_regular_file(config, CONFIG_LIMIT, _("checkpoint config")))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def _some_entries(path: Path, n: int = 5) -> tuple[list[str], bool]:
    """Up to `n` entries of folder `path` (folders end in /), and whether there are more.
    Reads no more than n + 1 entries, however large the folder is."""
    names = []
    with os.scandir(path) as it:
        for entry in it:
            if len(names) == n:
                return sorted(names), True
            names.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return sorted(names), False


def _shipped(path: Path) -> Path | None:
    """The path relative to the repository if `path` is (inside) the course's data/ folder."""
    from .data import DATA_DIR
    try:   # resolved: a symlink (or a "..") that reaches data/ is data/
        rel = resolved(path).relative_to(resolved(DATA_DIR))
    except ValueError:
        return None
    return Path(DATA_DIR.name) / rel if rel.parts else Path(DATA_DIR.name)


def shipped_data_error(path: str | Path, flag: str = "--overwrite") -> CheckpointError | None:
    """The refusal for writing over the course's shipped data at `path`, or None if
    `path` is not shipped data (or does not exist yet)."""
    rel = _shipped(Path(path))
    if rel is None or not Path(path).exists():
        return None
    return CheckpointError(_(
        "{path} is part of the course's shipped data ({rel}, which the lessons load); a "
        "command does not overwrite it unless you pass {flag}. Choose another path (for "
        "example checkpoints/mine); if it was overwritten, `git checkout {posix}` brings the "
        "shipped version back").format(path=path, rel=rel, flag=flag, posix=rel.as_posix()))


def validate_output_folder(path: str | Path, overwrite: bool = False, size: int = 0) -> None:
    """Raise CheckpointError unless a checkpoint of about `size` bytes can be saved at `path`.

    Run it before training, so that nothing trained is lost to a bad --out:

    - the course's shipped data (data/...) is refused unless `overwrite`;
    - a file, or a folder that is not empty and not a checkpoint, is refused, naming what is
      in it (a save replaces the folder: its files would be lost);
    - the folder it goes into must exist as a folder (or can be made) and take a new file;
    - the disk must have room for the new checkpoint next to the old one.
    """
    shown = Path(path)
    path = _absolute(path)
    if not overwrite and (err := shipped_data_error(shown)) is not None:
        raise err
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise CheckpointError(_("{path} is a file, not a folder; a checkpoint is a folder "
                                "holding {files}. Give the name of a new folder (it is made) "
                                "or of an existing checkpoint").format(
            path=shown, files=", ".join(FILES)))
    if path.is_dir() and not is_checkpoint(path):
        names, more = _some_entries(path)
        if names:
            listing = ", ".join(names) + (", ..." if more else "")
            raise CheckpointError(_(
                "{path} is a folder that is not a checkpoint and holds files ({listing}); "
                "saving there would replace them. Give the name of a new folder, or of an "
                "empty one").format(path=shown, listing=listing))
    backup = _backup_path(path)
    if backup.exists() and not is_checkpoint(backup):
        raise CheckpointError(_("{backup} exists and is not a checkpoint; a save to {path} "
                                "keeps the previous checkpoint under that name. Move it away, "
                                "or give another folder").format(backup=backup, path=shown))
    parent = path.parent
    while not parent.exists():              # the nearest folder that exists holds the rest
        parent = parent.parent
    if not parent.is_dir():
        raise CheckpointError(_("cannot make the folder {path}: {parent} is a file, not a "
                                "folder").format(path=shown, parent=parent))
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as err:
        raise CheckpointError(_("cannot write in {parent} ({err}); give an --out in a folder "
                                "you can write to").format(parent=parent,
                                                           err=err.strerror or err)) from None
    need = 2 * size + 1_000_000             # the new checkpoint beside the old, and some slack
    free = shutil.disk_usage(parent).free
    if free < need:
        raise CheckpointError(_("the disk holding {parent} has {free:,.1f} MB free, but saving "
                                "this checkpoint needs about {need:,.1f} MB; free some space or "
                                "give an --out on another disk").format(
            parent=parent, free=free / 1e6, need=need / 1e6))


# ------------------------------------------------------------------ one writer at a time

_LOCKS: dict[tuple[int, Path], "object"] = {}


def _lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def writer_lock(path: str | Path):
    """Hold the lock that lets one process at a time write a checkpoint at `path`.

    A second writer (another process, or another thread) is refused at once with a
    CheckpointError; inside the same `with`, save_checkpoint takes the same lock again (the
    train command holds it from before training until its save). The lock is the hidden
    file .NAME.lock next to the checkpoint; it stays there (empty) after the lock is freed.
    """
    from filelock import FileLock, Timeout
    path = _absolute(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = (os.getpid(), path)                # a forked process makes locks of its own
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = FileLock(str(_lock_path(path)), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise CheckpointError(_(
            "another run is saving a checkpoint to {path} right now (it holds the lock "
            "{lock}); wait until it has finished, or give another --out").format(
            path=path, lock=_lock_path(path))) from None
    try:
        yield
    finally:
        lock.release()


def _remove_stale_saves(path: Path, own: frozenset = OWN_FILES) -> None:
    """Delete .NAME.saving-* folders that a killed save left next to `path` (only folders
    that hold nothing but the files a save writes, `own`; the caller holds the writer lock,
    so no save is writing them)."""
    for tmp in path.parent.glob(f".{path.name}.saving-*"):
        try:
            if tmp.is_dir() and not tmp.is_symlink() and all(
                    e.name in own for e in os.scandir(tmp)):
                shutil.rmtree(tmp)
        except OSError:
            pass                            # not ours to clean, or already gone


def _keep_learner_files(old: Path, new: Path, own: frozenset = OWN_FILES) -> None:
    """Put every entry of the old checkpoint folder that is not a file the save writes
    (`own`: notes, a sub-folder) into the new one, as hard links where the disk allows: a
    save replaces the checkpoint's own files and nothing else."""
    for entry in os.scandir(old):
        if entry.name in own:
            continue
        src, dst = Path(entry.path), new / entry.name
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_symlink():
            os.symlink(os.readlink(src), dst)
        else:
            _link_or_copy(src, dst)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def save_checkpoint(path: str | Path, model: LanguageModel, tokenizer: Tokenizer,
                    extra: dict | None = None, side_files: dict[str, bytes] | None = None) -> Path:
    """Write `model` and `tokenizer` to the directory `path`; returns the path.

    `extra` is a JSON-serialisable dict stored in config.json (for example the number of
    training steps and the loss reached). `side_files` maps more file names to their bytes
    (lesson 11's training text, task and history): they are written in the same new folder,
    with a checksum in config.json (read them back with read_side_file), so the whole set
    is swapped in at once or not at all. An existing checkpoint at `path` is replaced:
    its own files (config.json, tokenizer.json, model.safetensors) are, anything else in
    the folder is kept. A folder that is not a checkpoint and not empty is refused (see
    validate_output_folder), and so is a second writer while one is saving (writer_lock).
    A reader loading at the same time gets the old checkpoint or the new one.
    """
    if not isinstance(model, LanguageModel):
        raise TypeError(_("save_checkpoint expects a course_lib language model, got "
                          "{kind}").format(kind=type(model).__name__))
    if tokenizer.vocab_size != model.cfg.vocab_size:
        raise ValueError(_("the tokenizer has {n} tokens but the model was built for "
                           "vocab_size={vocab_size}; save the tokenizer the model was trained "
                           "with").format(n=tokenizer.vocab_size,
                                          vocab_size=model.cfg.vocab_size))
    shown, path = Path(path), _absolute(path)
    side_files = dict(side_files or {})
    for name, data in side_files.items():
        if (not isinstance(name, str) or name in OWN_FILES or os.path.basename(name) != name
                or name.startswith(".") or not isinstance(data, bytes)):
            raise ValueError(_("side_files maps plain file names (not {own}) to bytes, got "
                               "{name!r}: {kind}").format(own=sorted(OWN_FILES), name=name,
                                                         kind=type(data).__name__))
    state = _plain_tensors(model.state_dict())
    contents = {"tokenizer.json": _tokenizer_bytes(tokenizer),
                "model.safetensors": safetensors_save(state), **side_files}
    config = {
        "format": FORMAT,
        "version": VERSION,
        "model": type(model).__name__,
        "config": model.cfg.to_dict(),
        "files": {name: {"sha256": _sha256(data), "bytes": len(data)}
                  for name, data in contents.items()},
        "extra": extra or {},
    }
    config_bytes = json.dumps(config, indent=2).encode()
    size = sum(map(len, contents.values())) + len(config_bytes)
    validate_output_folder(shown, overwrite=True, size=size)   # before the lock file is made
    with writer_lock(path):
        backup = _backup_path(path)
        if backup.exists() and not path.exists() and is_checkpoint(backup):
            os.replace(backup, path)   # an earlier save stopped between its renames: undo it
        validate_output_folder(shown, overwrite=True, size=size)   # again: now nobody else writes
        own = OWN_FILES | frozenset(side_files)
        _remove_stale_saves(path, own)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.saving-", dir=path.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; a checkpoint is an ordinary folder
        try:
            for name, data in contents.items():
                _write_file(tmp / name, data)
            _write_file(tmp / "config.json", config_bytes)
            if path.is_dir():
                _keep_learner_files(path, tmp, own)
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
    return shown


def _read_json(path: Path, data: bytes | None = None, limit: int = CONFIG_LIMIT) -> dict:
    if data is None:
        try:
            data = read_regular_file(path, limit, _("checkpoint file"))
        except ValueError as err:
            raise CheckpointError(str(err)) from None
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(_("{path} is not valid JSON ({err}); the checkpoint is damaged, "
                                "save or download it again").format(path=path, err=err)) from None


def _checked_bytes(path: Path, name: str, meta: dict) -> bytes:
    """The bytes of file `name`, after comparing them with the checksum in config.json.
    The size is compared first (from the file system), so a file far larger than the one
    saved is refused before it is read."""
    if meta.get("version") == 1:
        expected = {"sha256": meta.get("weights_sha256")} if name == "model.safetensors" else None
    else:
        files = meta.get("files")
        expected = files.get(name) if isinstance(files, dict) else None
        if not isinstance(expected, dict):
            raise CheckpointError(_("{config} has no checksum for {name}; the config is "
                                    "damaged. Save the checkpoint again").format(
                config=path / "config.json", name=name))
    size = expected.get("bytes") if isinstance(expected, dict) else None
    known = _is_whole(size) and size >= 0
    try:
        data = read_regular_file(path / name, size if known else _memory_limit(),
                                 _("checkpoint file"))
    except ValueError as err:
        if known and isinstance(err, FileTooLargeError):
            raise CheckpointError(_(
                "{file} does not match its checksum in config.json: it holds {n:,} bytes, "
                "{expected:,} expected (the file was changed or damaged after saving). Save "
                "the checkpoint again").format(file=path / name, n=os.stat(path / name).st_size,
                                               expected=size)) from None
        raise CheckpointError(str(err)) from None
    if expected is not None and _sha256(data) != expected.get("sha256"):
        size = (_("{n:,} bytes, {expected:,} expected").format(n=len(data),
                                                               expected=expected["bytes"])
                if isinstance(expected.get("bytes"), int) and expected["bytes"] != len(data)
                else _("{n:,} bytes").format(n=len(data)))
        what = (_("the file is truncated or damaged") if name == "model.safetensors" else
                _("the file was changed after saving (a reordered vocabulary would turn the "
                  "model's output into garbage)") if name in ("tokenizer.json", "vocab.json")
                else _("the file was changed or cut short after saving"))
        raise CheckpointError(_("{file} does not match its checksum in config.json: {what} "
                                "({size}). Save the checkpoint again").format(
            file=path / name, what=what, size=size))
    return data


def _is_whole(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _memory_limit() -> int:
    """The most bytes a load reads from a weights file of unknown size: the free memory."""
    import psutil
    return int(psutil.virtual_memory().available)


def read_side_file(path: str | Path, name: str, limit: int, unchecked_ok: bool = False) -> bytes:
    """The bytes of `name`, a side file that save_checkpoint(side_files=...) wrote into the
    checkpoint at `path`, after checking them against config.json's checksum (a file from
    another save, edited or cut short is refused). With `unchecked_ok`, a file that
    config.json has no checksum for (written by an older course_lib) is read as it is.
    Raises FileNotFoundError if it is not there, CheckpointError if it is damaged, not a
    regular file, or larger than `limit` bytes."""
    path = Path(path)
    meta = _read_json(path / "config.json")
    files = meta.get("files") if isinstance(meta, dict) else None
    entry = files.get(name) if isinstance(files, dict) else None
    if not (path / name).exists():
        raise FileNotFoundError(_("{file} is missing").format(file=path / name))
    if not isinstance(entry, dict):
        if unchecked_ok:
            try:
                return read_regular_file(path / name, limit, _("checkpoint file"))
            except ValueError as err:
                raise CheckpointError(str(err)) from None
        raise CheckpointError(_("{config} has no checksum for {name}: it was not saved with "
                                "this checkpoint").format(config=path / "config.json", name=name))
    size = entry.get("bytes")
    if _is_whole(size) and size > limit:
        raise CheckpointError(_("{file} would be {n:,} bytes, more than the {limit:,} this "
                                "reads; the config is damaged").format(
            file=path / name, n=size, limit=limit))
    return _checked_bytes(path, name, meta)


def _identity(path: Path):
    """What changes when a save swaps the folder at `path` (None: nothing there)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


def load_checkpoint(path: str | Path, cfg: GPTConfig | None = None,
                    device: str | torch.device = "cpu") -> tuple[LanguageModel, Tokenizer]:
    """Load a checkpoint directory written by save_checkpoint -> (model, tokenizer).

    If `cfg` is given, the checkpoint must have been made for that configuration. The model
    is returned in eval mode. Raises FileNotFoundError if nothing is there and
    CheckpointError (a ValueError) naming the problem when the checkpoint is not one, is
    truncated or damaged, or was made for another configuration.

    A save running at the same time swaps the whole folder: a load that read some files of
    the old checkpoint and some of the new (their checksums disagree), or that looked
    between the two renames, sees the folder change and loads again, so it returns the old
    checkpoint or the new one and never fails because of the save.
    """
    path = Path(path)
    deadline = time.monotonic() + 30
    while True:
        before = _identity(path)
        try:
            return _load_once(path, cfg, device)
        except (CheckpointError, FileNotFoundError):
            now = _identity(path)
            saving = now != before or (now is None and _backup_path(path).exists())
            if not saving or time.monotonic() > deadline:
                raise
            time.sleep(0.02)                 # a save is swapping the folder: look again


def _load_once(path: Path, cfg: GPTConfig | None,
               device: str | torch.device) -> tuple[LanguageModel, Tokenizer]:
    if not path.exists() and _backup_path(path).exists():
        path = _backup_path(path)  # a save was interrupted between its two renames
    if not path.exists():
        raise FileNotFoundError(_("no checkpoint at {path}; train one with `python -m "
                                  "course_lib.train --out {path}` or check the path").format(
            path=path))
    if not path.is_dir():
        raise CheckpointError(_("{path} is a file, but a checkpoint is a directory holding "
                                "{files}; give the directory").format(
            path=path, files=", ".join(FILES)))
    if not (path / "config.json").is_file():
        raise CheckpointError(_("{path} is not a complete checkpoint: config.json missing (a "
                                "checkpoint holds {files})").format(
            path=path, files=", ".join(FILES)))
    meta = _read_json(path / "config.json")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(_('{config} is not a course_lib checkpoint config (no "format": '
                                '"{format}")').format(config=path / "config.json",
                                                      format=FORMAT))
    if meta.get("version") not in (1, VERSION):
        raise CheckpointError(_("checkpoint format version {version} is not supported (this "
                                "course_lib reads versions 1 and {newest}); update course_lib "
                                "(git pull)").format(version=meta.get("version"),
                                                     newest=VERSION))
    files = FILES_V1 if meta["version"] == 1 else FILES
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise CheckpointError(_("{path} is not a complete checkpoint: {missing} missing (a "
                                "checkpoint holds {files})").format(
            path=path, missing=", ".join(missing), files=", ".join(files)))
    if meta["version"] == 1:
        tokenizer_file = "vocab.json"
        vocab = _read_json(path / "vocab.json")
        stored = {"kind": "char", "chars": vocab.get("chars") if isinstance(vocab, dict) else None}
    else:
        tokenizer_file = "tokenizer.json"
        if os.stat(path / tokenizer_file).st_size > TOKENIZER_LIMIT:
            raise CheckpointError(_("{file} is larger than {limit:,} bytes, more than any "
                                    "course tokenizer (GPT-2's 50,000 merges take about 1 MB); "
                                    "the file is damaged").format(
                file=path / tokenizer_file, limit=TOKENIZER_LIMIT))
        stored = _read_json(path / tokenizer_file, _checked_bytes(path, tokenizer_file, meta))
    _validate_stored_vocab_size(stored, meta, path / tokenizer_file)
    try:
        tokenizer = tokenizer_from_dict(stored)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(_("{file} does not hold a valid tokenizer ({err})").format(
            file=path / tokenizer_file, err=err)) from None
    weights = _checked_bytes(path, "model.safetensors", meta)

    try:
        state = safetensors_load(weights)
    except SafetensorError as err:
        raise CheckpointError(_(
            "{file} cannot be read as safetensors ({err}). If it came from torch.save (a "
            "pickle), the course will not load it: unpickling can run any code. Load it "
            "yourself only if you trust it, then write a checkpoint with "
            "save_checkpoint(...)").format(file=path / "model.safetensors", err=err)) from None
    _validate_weight_values(state, path / "model.safetensors")

    kind = meta.get("model")
    try:
        if kind == "GPTLanguageModel":
            saved_cfg = GPTConfig.from_dict(meta["config"])
            if cfg is not None and cfg != saved_cfg:
                diffs = [_("{field}={value} (you asked for {asked})").format(
                             field=k, value=v, asked=cfg.to_dict()[k])
                         for k, v in saved_cfg.to_dict().items() if cfg.to_dict()[k] != v]
                raise CheckpointError(_("the checkpoint at {path} was made for another "
                                        "configuration: {diffs}; build the model with the "
                                        "checkpoint's config, or pass cfg=None").format(
                    path=path, diffs=", ".join(diffs)))
            # the file's shapes must fit the config before a model of that config is built:
            # a tampered config.json (n_layer=1000000) would otherwise fill the memory first
            _validate_shapes_fit_config(state, saved_cfg, path)
            require_memory(saved_cfg, what=_("the config in {config}").format(
                config=path / "config.json"))
            model = GPTLanguageModel(saved_cfg)
        elif kind == "BigramLanguageModel":
            vocab = int(meta["config"]["vocab_size"])
            table = state.get("token_embedding_table.weight")
            if table is None or tuple(table.shape) != (vocab, vocab):
                raise CheckpointError(_("{config} says vocab_size={vocab}, but the weights in "
                                        "model.safetensors do not have that size; the config or "
                                        "the weights were changed after saving").format(
                    config=path / "config.json", vocab=vocab))
            model = BigramLanguageModel(vocab)
        else:
            raise CheckpointError(_("unknown model type {kind!r} in {config}").format(
                kind=str(kind)[:100], config=path / "config.json"))
    except (KeyError, TypeError) as err:
        raise CheckpointError(_("{config} has an invalid config ({err})").format(
            config=path / "config.json", err=str(err)[:200])) from None
    if tokenizer.vocab_size != model.cfg.vocab_size:
        raise CheckpointError(_("{file} has {n} tokens but the model config says "
                                "vocab_size={vocab_size}").format(
            file=tokenizer_file, n=tokenizer.vocab_size, vocab_size=model.cfg.vocab_size))
    load_state(model, state, source=str(path))
    return model.to(device).eval(), tokenizer


def _stored_vocab_size(stored) -> int | None:
    """The vocabulary size a stored tokenizer describes, counted without building it."""
    if not isinstance(stored, dict):
        return None
    if stored.get("kind") == "char" and isinstance(stored.get("chars"), list):
        return len(stored["chars"])
    if stored.get("kind") == "bpe" and isinstance(stored.get("merges"), list) \
            and isinstance(stored.get("special_tokens"), list):
        return 256 + len(stored["merges"]) + len(stored["special_tokens"])
    return None


def _validate_stored_vocab_size(stored, meta: dict, source: Path) -> None:
    """The tokenizer file's size must be the model's vocab_size: compared before a tokenizer
    is built, so a file with a million merges does no work beyond counting them."""
    config = meta.get("config")
    vocab = config.get("vocab_size") if isinstance(config, dict) else None
    n = _stored_vocab_size(stored)
    if n is not None and _is_whole(vocab) and n != vocab:
        raise CheckpointError(_("{source} describes {n:,} tokens but the model config says "
                                "vocab_size={vocab:,}; the tokenizer file does not belong to "
                                "this model (or was changed). Save the checkpoint again").format(
            source=source, n=n, vocab=vocab))


def _validate_weight_values(state: dict[str, torch.Tensor], source: Path) -> None:
    """float32 weights with finite values only, as save_checkpoint writes them."""
    for name, t in sorted(state.items()):
        if t.dtype != torch.float32:
            raise CheckpointError(_(
                "{source} stores {name} as {dtype}, but course checkpoints hold float32 "
                "weights (save_checkpoint writes them so); convert the model with model.float() "
                "and save it again").format(source=source, name=name,
                                            dtype=str(t.dtype).replace("torch.", "")))
    for name, t in sorted(state.items()):
        if not torch.isfinite(t).all():
            what = "NaN" if torch.isnan(t).any() else _("infinite")
            raise CheckpointError(_(
                "{source} holds {what} values in {name}: the training that made it diverged (or "
                "the file was changed). Such a model only outputs garbage; train it again, with "
                "a lower learning rate").format(source=source, what=what, name=name))


def _validate_shapes_fit_config(state: dict[str, torch.Tensor], cfg: GPTConfig, path: Path) -> None:
    """The few shapes that fix a GPT's size (vocabulary, context, width, depth), compared
    with the config before a model of that config is built."""
    expected = {"token_embedding_table.weight": (cfg.vocab_size, cfg.n_embd)}
    if cfg.position == "learned":                    # RoPE has no position table (lesson 12)
        expected["position_embedding_table.weight"] = (cfg.block_size, cfg.n_embd)
    problems = []
    for name, shape in expected.items():
        got = tuple(state[name].shape) if name in state else None
        if got != shape:
            problems.append(_("{name} is {got} in the file, {shape} for the config").format(
                name=name, got=got if got is not None else _("missing"), shape=shape))
    blocks = {int(k.split(".")[1]) for k in state if k.startswith("blocks.")
              and k.split(".")[1].isdigit()}
    n_blocks = max(blocks) + 1 if blocks else 0
    if n_blocks != cfg.n_layer:
        problems.append(_("the file holds {n} blocks, the config says n_layer={n_layer}").format(
            n=n_blocks, n_layer=cfg.n_layer))
    if problems:
        raise CheckpointError(_("{config} does not fit the weights in model.safetensors "
                                "({problems}); the config was changed after saving. Save the "
                                "checkpoint again").format(config=path / "config.json",
                                                           problems="; ".join(problems[:3])))


def estimated_parameters(cfg: GPTConfig) -> int:
    """The parameter count of GPTLanguageModel(cfg), from the config alone (no model built)."""
    from .model import swiglu_hidden
    C, V, T, L = cfg.n_embd, cfg.vocab_size, cfg.block_size, cfg.n_layer
    b = 1 if cfg.bias else 0
    # attention: queries C², keys and values 2 C (kv_heads * head_size) without biases (as
    # in the lecture), the projection C² + C
    attention = C * C + 2 * C * cfg.kv_heads * cfg.head_size + C * C + b * C
    # feed-forward: C -> 4C -> C; with SwiGLU C -> 2H, H -> C (lesson 12)
    H = swiglu_hidden(C) if cfg.activation == "swiglu" else 4 * C
    width = 2 * H if cfg.activation == "swiglu" else H
    feed_forward = C * width + b * width + H * C + b * C
    # a LayerNorm: weight and bias (weight only without bias); an RMSNorm: weight only
    norm = C if cfg.norm == "rmsnorm" or not cfg.bias else 2 * C
    head = (0 if cfg.tie_weights else V * C) + b * V
    positions = T * C if cfg.position == "learned" else 0
    return V * C + positions + L * (attention + feed_forward + 2 * norm) + norm + head


def estimated_bytes(cfg: GPTConfig, batch_size: int | None = None) -> int:
    """About how much memory a model of `cfg` needs: to hold it (and its weights file), or,
    with `batch_size`, to train it (weights, gradients, AdamW's two moments, activations)."""
    params = estimated_parameters(cfg)
    if batch_size is None:
        return 3 * 4 * params                         # the file's bytes, the tensors, the model
    tokens = batch_size * cfg.block_size
    activations = tokens * cfg.n_layer * (16 * cfg.n_embd + 2 * cfg.n_head * cfg.block_size)
    return 4 * (4 * params + activations + 3 * tokens * cfg.vocab_size)


def require_memory(cfg: GPTConfig, batch_size: int | None = None,
                   what: str | None = None) -> None:
    """Refuse a config whose model cannot fit in the memory this machine has free, saying
    how much it would need (with `batch_size`: to train it)."""
    import psutil
    need = estimated_bytes(cfg, batch_size)
    free = psutil.virtual_memory().available
    if need > free:
        message = TOO_BIG_TO_TRAIN if batch_size else TOO_BIG_TO_LOAD
        raise CheckpointError(_(message).format(
            what=_("this configuration") if what is None else what,
            params=estimated_parameters(cfg), n_layer=cfg.n_layer, n_embd=cfg.n_embd,
            block_size=cfg.block_size, need=_gb(need), free=_gb(free)))


# require_memory's refusal, for a model to train (with a batch size) and to load
TOO_BIG_TO_TRAIN = N_(
    "{what} makes a model of about {params:,} parameters (n_layer={n_layer}, n_embd={n_embd}, "
    "block_size={block_size}), and to train it needs about {need}, but this machine has "
    "{free} free. Use a smaller n_layer or n_embd or batch size")
TOO_BIG_TO_LOAD = N_(
    "{what} makes a model of about {params:,} parameters (n_layer={n_layer}, n_embd={n_embd}, "
    "block_size={block_size}), and to load it needs about {need}, but this machine has "
    "{free} free. Use a smaller n_layer or n_embd")


def _gb(n: int) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.1f} MB"


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Copy `state` into `model`, with one readable message for missing, extra or reshaped weights."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = [_("{name}: {file_shape} in the file, {model_shape} in the model").format(
                    name=k, file_shape=tuple(state[k].shape), model_shape=tuple(v.shape))
                for k, v in own.items() if k in state and state[k].shape != v.shape]
    if missing or unexpected or reshaped:
        parts = []
        if missing:
            parts.append(_("missing {names}").format(names=missing[:3])
                         + ("..." if len(missing) > 3 else ""))
        if unexpected:
            parts.append(_("unexpected {names}").format(names=unexpected[:3])
                         + ("..." if len(unexpected) > 3 else ""))
        if reshaped:
            parts.append(_("wrong shapes {shapes}").format(shapes="; ".join(reshaped[:3])))
        raise CheckpointError(_("the weights in {source} do not fit this model ({parts}); it "
                                "was made for another configuration").format(
            source=source, parts=", ".join(parts)))
    model.load_state_dict(state)


def read_checkpoint_info(path: str | Path) -> dict:
    """The config.json of a checkpoint (model type, config, training notes), without weights."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(_("no checkpoint config at {config}").format(
            config=path / "config.json"))
    return _read_json(path / "config.json")
