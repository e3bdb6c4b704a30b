"""Call a learner's function in their kernel from the grader, with data only on the wire.

The grader (`python -m course_lib.grade`) never runs learner code, and never trusts what
the learner's kernel says about a verdict. It runs the exercise's check in its own process;
the check calls the learner's function through `checks.attempt`, which sees a
`RemoteFunction` and asks the kernel to run the function on the check's inputs. What goes
each way is data, never pickle:

    None, bool, int, float (nan and inf too), str, bytes, list, tuple, dict, numpy arrays
    and numbers, the course's configs (GPTConfig),
    torch.Tensor (dtype, shape, raw bytes, whether it has an autograd graph),
    a CPU torch.Generator (its state), a CharTokenizer (its characters),
    a module of torch.nn's plain layers, the course's blocks, or the checks'
    stand-in models (its class by name, from a fixed list, with its numbers, configs,
    recorded calls, parameters, buffers and submodules; rebuilt without running a
    constructor, so the code that runs is the library's own)

A value of any other type cannot cross: an argument the check wants to pass or a result
that is not data (a module the learner built) raises `Unverifiable`, and the grader reports
that the check cannot be verified outside the kernel instead of trusting the kernel.

A call runs in the kernel as it would in the grader's process: with the grader's global
torch random state and grad mode at the call. An argument the check lets the function
change (`modifies`: a model to train, a stand-in that records its calls) comes back after
the call as data, and the grader's own object takes that state, as if the function had
changed it in place.

Whatever the kernel sends back is only a value for the check to judge: a returned value a
function could have returned, and for an argument in `modifies`, a state (parameters,
training flags, plain attributes) that a function given that object could have set. A
forged reply is no stronger than a function that produces the same value and state.

Kernel side: `serve(handle, request)` runs `HANDLES[handle](*args)` in the sandbox of
sandbox.py and returns the reply as a JSON string of bounded size.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math

import torch

from ..i18n import _

MAX_MESSAGE_CHARS = 16 << 20     # a request or reply longer than this is refused (16 MiB)
MAX_DEPTH = 20                   # nesting of lists, tuples and dicts

# what the kernel holds for the grader: handle -> the learner's object (a function, a value)
HANDLES: dict[str, object] = {}


class Unverifiable(BaseException):
    """A check needs to pass (or get back) something that cannot cross as data.

    A BaseException, so the check framework's `except Exception` does not turn it into a
    verdict on the learner: the grader reports it as "cannot be verified" instead.
    """


class Unencodable(ValueError):
    """`encode` was given a value of a type that does not cross."""


class RemoteError(Exception):
    """An exception the learner's function raised in the kernel (its type's name kept)."""


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {shape}").format(shape=tuple(value.shape))
    return _("a {type}").format(type=f"{type(value).__module__}.{type(value).__qualname__}")


def encode(value, depth: int = 0):
    """`value` as JSON-ready data; Unencodable for any type outside the list above."""
    if depth > MAX_DEPTH:
        raise Unencodable(_("nested too deeply"))
    if type(value).__module__ == "numpy":
        import numpy as np
        if isinstance(value, np.ndarray) and value.dtype != object:
            return {"ndarray": encode(torch.from_numpy(np.ascontiguousarray(value)), depth)}
        if isinstance(value, np.integer):
            return {"np_int": encode(int(value), depth)}
        if isinstance(value, np.floating):
            return {"np_float": encode(float(value), depth)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)} if abs(value) > 2**53 else value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if type(value) is torch.Tensor:
        t = value.detach().cpu().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {"tensor": {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                           "grad": bool(value.requires_grad), "graph": value.grad_fn is not None,
                           "data": base64.b64encode(raw).decode("ascii")}}
    if type(value) is torch.Generator and value.device.type == "cpu":
        return {"generator": encode(value.get_state(), depth + 1)}
    from ..core.data import CharTokenizer
    if type(value) is CharTokenizer:
        return {"char_tokenizer": list(value.chars)}
    if isinstance(value, torch.nn.Module):
        return {"module": _encode_module(value, depth)}
    if dataclasses.is_dataclass(value) and type(value) in _dataclasses():
        return {"dataclass": [type(value).__qualname__, encode(
            {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, depth + 1)]}
    raise Unencodable(_describe(value))


_DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
    "uint8", "bool", "complex64", "complex128")}


def decode(data, depth: int = 0):
    """The value `encode` made; ValueError for anything malformed (data from the kernel)."""
    if depth > MAX_DEPTH:
        raise ValueError(_("nested too deeply"))
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(_("not an encoded value: {data}").format(data=str(data)[:80]))
    (kind, body), = data.items()
    if kind == "int":
        return int(str(body)[:40])
    if kind == "float":
        return float(body) if body in ("nan", "inf", "-inf") else _bad(kind)
    if kind == "bytes":
        return base64.b64decode(str(body), validate=True)
    if kind == "tuple" and isinstance(body, list):
        return tuple(decode(v, depth + 1) for v in body)
    if kind == "dict" and isinstance(body, list):
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                _bad(kind)
            key = decode(pair[0], depth + 1)
            if not isinstance(key, (str, int, float, bool, tuple, bytes, type(None))):
                _bad(kind)
            out[key] = decode(pair[1], depth + 1)
        return out
    if kind == "tensor" and isinstance(body, dict):
        dtype = _DTYPES.get(body.get("dtype"))
        shape = body.get("shape")
        if dtype is None or not isinstance(shape, list) or not all(
                isinstance(n, int) and 0 <= n for n in shape):
            _bad(kind)
        raw = base64.b64decode(str(body.get("data", "")), validate=True)
        numel = math.prod(shape)
        if len(raw) != numel * torch.empty((), dtype=dtype).element_size():
            _bad(kind)
        flat = (torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype) if raw
                else torch.empty(0, dtype=dtype))
        t = flat.reshape(shape).clone()
        if body.get("grad") is not True or not t.is_floating_point():
            return t
        if body.get("graph") is not True:
            return t.requires_grad_(True)
        with torch.enable_grad():                 # made by a computation: not a leaf
            return t.requires_grad_(True).clone()
    if kind == "generator":
        state = decode(body, depth + 1)
        if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
            _bad(kind)
        g = torch.Generator()
        try:
            g.set_state(state)
        except RuntimeError:
            _bad(kind)
        return g
    if kind in ("ndarray", "np_int", "np_float"):
        import numpy as np
        inner = decode(body, depth + 1)
        if kind == "ndarray" and isinstance(inner, torch.Tensor):
            return inner.numpy()
        if kind == "np_int" and isinstance(inner, int):
            return np.int64(inner)
        if kind == "np_float" and isinstance(inner, float):
            return np.float64(inner)
        _bad(kind)
    if kind == "dataclass" and isinstance(body, list) and len(body) == 2:
        cls = {c.__qualname__: c for c in _dataclasses()}.get(body[0])
        fields = decode(body[1], depth + 1)
        if cls is None or not isinstance(fields, dict) or not all(
                isinstance(v, (*_PLAIN, tuple)) for v in fields.values()):
            _bad(kind)
        return cls(**fields)
    if kind == "module" and isinstance(body, dict):
        return _decode_module(body, depth)
    if kind == "char_tokenizer" and isinstance(body, list) and all(
            isinstance(c, str) for c in body):
        from ..core.data import CharTokenizer
        return CharTokenizer(list(body))
    return _bad(kind)


def _module_classes() -> dict[str, type]:
    """The modules that cross, by name: torch.nn's plain layers, the course's blocks, and the
    checks' stand-in models. Rebuilt from their parts (no constructor runs), their code is
    the library's own."""
    from ..core import layers, model
    from .checks import l02_bigram, l08_full_gpt
    nn = torch.nn
    classes = [nn.Linear, nn.LayerNorm, nn.Dropout, nn.ReLU, nn.GELU, nn.Tanh, nn.Sigmoid,
               nn.Softmax, nn.Embedding, nn.Sequential, nn.ModuleList, nn.Identity,
               layers.Linear, model.Head, model.MultiHeadAttention, model.CausalSelfAttention,
               model.FeedForward, model.Block, l02_bigram.CheckBigram, l08_full_gpt.CheckGPT]
    return {f"{c.__module__}.{c.__qualname__}": c for c in classes}


_PLAIN = (bool, int, float, str, type(None))


def _dataclasses() -> tuple[type, ...]:
    """The course's configs that cross (plain numbers and strings only)."""
    from ..core import model
    return (model.GPTConfig, model.BigramConfig)


def _attribute(value, depth: int = 0) -> bool:
    """Whether a module may hold `value` as a plain attribute: a number or string, a course
    config, or a short nest of lists and tuples of those (a stand-in's recorded calls)."""
    if isinstance(value, _PLAIN) or type(value) in _dataclasses():
        return True
    return isinstance(value, (list, tuple)) and depth < 3 and all(
        _attribute(v, depth + 1) for v in value)


def _encode_module(m: torch.nn.Module, depth: int) -> dict:
    name = f"{type(m).__module__}.{type(m).__qualname__}"
    if name not in _module_classes():
        raise Unencodable(_("a {name} module").format(name=name))
    attrs = {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training"}
    if not all(_attribute(v) for v in attrs.values()):
        raise Unencodable(_("a {name} module holding more than numbers and modules").format(
            name=name))
    return {"class": name, "training": m.training, "attrs": encode(attrs, depth + 1),
            "params": [[k, encode(p.detach(), depth + 1), p.requires_grad]
                       for k, p in m._parameters.items() if p is not None],
            "none_params": [k for k, p in m._parameters.items() if p is None],
            "buffers": [[k, encode(b, depth + 1), k not in m._non_persistent_buffers_set]
                        for k, b in m._buffers.items() if b is not None],
            "modules": [[k, _encode_module(c, depth + 1)] for k, c in m._modules.items()
                        if c is not None]}


def _decode_module(body: dict, depth: int) -> torch.nn.Module:
    cls = _module_classes().get(body.get("class"))
    if cls is None or depth > MAX_DEPTH:
        _bad("module")
    m = cls.__new__(cls)
    torch.nn.Module.__init__(m)
    attrs = decode(body.get("attrs"), depth + 1)
    if not isinstance(attrs, dict) or not all(
            isinstance(k, str) and k.isidentifier() and not k.startswith("_")
            and not callable(getattr(cls, k, None)) and _attribute(v)
            for k, v in attrs.items()):
        _bad("module")
    for k, v in attrs.items():
        object.__setattr__(m, k, v)
    for k, p, grad in body.get("params", []):
        m.register_parameter(str(k), torch.nn.Parameter(decode(p, depth + 1),
                                                        requires_grad=bool(grad)))
    for k in body.get("none_params", []):
        m.register_parameter(str(k), None)
    for k, b, persistent in body.get("buffers", []):
        m.register_buffer(str(k), decode(b, depth + 1), persistent=bool(persistent))
    for k, child in body.get("modules", []):
        m.add_module(str(k), _decode_module(child, depth + 1))
    m.train(bool(body.get("training", True)))
    return m


def _bad(kind: str):
    raise ValueError(_("a malformed {kind!r} value").format(kind=kind))


def dumps(value) -> str:
    return json.dumps(encode(value), ensure_ascii=True, allow_nan=False)


def loads(text: str):
    if not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(_("a message longer than {n:,} characters").format(
            n=MAX_MESSAGE_CHARS))
    return decode(json.loads(text))


# ----------------------------------------------------------------------------- kernel side

def bind(handle: str, value) -> str:
    """Keep `value` under `handle`; what the grader may know of it, as JSON.

    A callable is described by its name; anything else is sent as data (or called opaque).
    """
    HANDLES[handle] = value
    if callable(value) and not isinstance(value, type):
        return json.dumps({"callable": True, "name": str(getattr(value, "__name__", ""))[:200],
                           "qualname": str(getattr(value, "__qualname__", ""))[:200]})
    try:
        return json.dumps({"callable": False, "value": encode(value)}, allow_nan=False)
    except Unencodable as err:
        return json.dumps({"callable": False, "opaque": str(err)})


def is_stub(handle: str) -> str:
    """Whether the function under `handle` still raises NotImplementedError (the stub, also
    with some of its TODOs filled in), as JSON. The check in the notebook says "not
    attempted" when it reaches that raise; the grader asks this only where it cannot call
    the function itself, to say the same instead of "unverified". A kernel that lies here
    gains nothing: neither answer counts as solved."""
    import dis
    code = getattr(HANDLES.get(handle), "__code__", None)
    if code is None:
        return "false"
    ops = list(dis.get_instructions(code))
    loads = {i.argval for i in ops if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    return json.dumps("NotImplementedError" in loads
                      and any(i.opname == "RAISE_VARARGS" for i in ops))


def serve(handle: str, request: str) -> str:
    """Run the function under `handle` on the request's arguments, in the sandbox."""
    from . import sandbox
    req = json.loads(request)
    fn = HANDLES[handle]
    args = decode(req["args"])
    modifies = tuple(int(i) for i in req.get("modifies", ()))
    # the grader's random state and grad mode at the call; the kernel's own come back after
    with torch.random.fork_rng(devices=[]), torch.set_grad_enabled(req.get("grad") is not False):
        if "rng" in req:
            torch.set_rng_state(decode(req["rng"]))
        out = sandbox.run(fn, tuple(args), seconds=float(req["seconds"]),
                          memory_bytes=int(req["memory"]), max_items=int(req["max_items"]),
                          modifies=modifies)
    reply = {"stopped": out.stopped, "limit": out.limit, "modified": list(out.modified),
             "seconds": out.seconds}
    if out.error is not None:
        err = out.error
        reply["error"] = {"type": type(err).__name__[:100], "message": str(err)[:2000],
                          "kind": next((k for k in ("NotImplementedError", "SystemExit",
                                                    "Shortcut")
                                        if any(c.__name__ == k for c in type(err).__mro__)),
                                       "other")}
    elif out.stopped is None:
        try:
            reply["value"] = encode(out.value)
        except Unencodable as why:
            reply["opaque"] = str(why)
            reply["module"] = isinstance(out.value, torch.nn.Module)
        try:            # what the function left in the arguments it may change
            reply["after"] = [[i, encode(args[i])] for i in modifies if 0 <= i < len(args)]
        except Unencodable as why:
            reply["after_opaque"] = str(why)
    text = json.dumps(reply, allow_nan=False)
    if len(text) > MAX_MESSAGE_CHARS:
        return json.dumps({"stopped": None, "modified": [], "too_large": len(text)})
    return text


# ----------------------------------------------------------------------------- grader side

def _exception(kind, name: str, message: str) -> BaseException:
    """The learner's exception, rebuilt: Python's own class for a built-in one (so a check
    can ask for a ValueError), else a RemoteError subclass of the same name."""
    import builtins
    if kind is not None:
        return kind(message)
    if name == "UnicodeDecodeError":
        return UnicodeDecodeError("utf-8", b"", 0, 1, message)
    cls = getattr(builtins, name, None) if name.isidentifier() else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except TypeError:
            pass
    return type(name if name.isidentifier() else "Exception", (RemoteError,), {})(message)


class RemoteFunction:
    """The grader's stand-in for a learner's function that lives in their kernel.

    `transport(handle, request_json, wait_s)` sends the request and returns the kernel's
    reply (a JSON string), or None when the kernel did not answer within `wait_s` (it has
    then been interrupted).
    """
    __course_remote__ = True

    def __init__(self, handle: str, name: str, transport):
        self.handle, self.__name__, self._transport = handle, name or _("your function"), transport

    def __call__(self, *args):
        raise Unverifiable(_("the check called the function in an unexpected way"))

    def __repr__(self) -> str:
        return _("<your function {name} (in your kernel)>").format(name=self.__name__)

    def run(self, args: tuple, seconds: float, memory: int, max_items: int,
            modifies: tuple[int, ...]):
        """What `sandbox.run` would have returned, from the kernel's reply (an Outcome)."""
        from . import checks, sandbox
        try:
            payload = json.dumps({"args": encode(list(args)), "seconds": seconds,
                                  "memory": memory, "max_items": max_items,
                                  "modifies": list(modifies), "grad": torch.is_grad_enabled(),
                                  "rng": encode(torch.get_rng_state())}, allow_nan=False)
        except Unencodable as why:
            raise Unverifiable(_("the check passes {what} to your function, which the grader "
                                 "cannot send to your kernel as data").format(what=why)) from None
        text = self._transport(self.handle, payload, seconds)
        if text is None:
            return sandbox.Outcome(stopped="time", limit=seconds)
        try:
            reply = json.loads(text) if len(text) <= MAX_MESSAGE_CHARS else None
            if not isinstance(reply, dict):
                raise ValueError(_("not an object"))
            if "too_large" in reply:
                raise checks.Mistake(_("your function returned about {mb} MB of data, far "
                                       "larger than this exercise's answer. Check the "
                                       "shapes").format(mb=reply["too_large"] // 2**20))
            out = sandbox.Outcome(stopped=reply.get("stopped"), limit=reply.get("limit"),
                                  modified=[str(m) for m in reply.get("modified") or []])
            if out.stopped not in (None, "time", "memory", "items"):
                raise ValueError(_("unknown stop"))
            if "error" in reply:
                e = reply["error"]
                kind = {"NotImplementedError": NotImplementedError, "SystemExit": SystemExit,
                        "Shortcut": checks.Shortcut}.get(e.get("kind"))
                out.error = _exception(kind, str(e.get("type", "Exception")),
                                       str(e.get("message", "")))
            elif "opaque" in reply and reply.get("module") is True:
                raise Unverifiable(_("your function returned {what}, which the grader cannot "
                                     "read back from your kernel as data").format(
                    what=reply["opaque"]))
            elif "opaque" in reply:
                raise checks.Mistake(_("your function returned {what}; the exercise asks for "
                                       "numbers, text, lists or tensors").format(
                    what=str(reply["opaque"])[:200]))
            elif out.stopped is None:
                out.value = decode(reply.get("value"))
                if "after_opaque" in reply:
                    raise Unverifiable(_("your function left {what} in its argument, which "
                                         "the grader cannot read back from your kernel as "
                                         "data").format(what=str(reply["after_opaque"])[:200]))
                for i, state in reply.get("after") or []:
                    if i not in modifies or not 0 <= i < len(args):
                        raise ValueError(_("argument {i} came back").format(i=i))
                    _adopt(args[i], decode(state))
        except (ValueError, TypeError, KeyError, AttributeError) as why:
            raise checks.Mistake(_("the grader could not read what your kernel answered "
                                   "({why}); was the course's code in the kernel "
                                   "changed?").format(why=why)) from None
        return out


def _adopt(target, state) -> None:
    """The check's argument `target` takes the state its copy in the kernel was left in, as
    if the function had changed `target` itself (which, in the notebook, it does)."""
    if not isinstance(target, torch.nn.Module) or type(state) is not type(target):
        raise Unverifiable(_("the check lets your function change {what}, which came back "
                             "from your kernel as {got}").format(what=_describe(target),
                                                                 got=_describe(state)))
    vars(target).clear()
    vars(target).update(vars(state))
