"""Call a learner's function in their kernel from the grader, with data only on the wire.

The grader (`python -m course_lib.grade`) never runs learner code, and never trusts what
the learner's kernel says about a verdict. It runs the exercise's check in its own process;
the check calls the learner's function through `checks.attempt`, which sees a
`RemoteFunction` and asks the kernel to run the function on the check's inputs. What goes
each way is data, never pickle:

    None, bool, int, float (nan and inf too), str, bytes, list, tuple, dict,
    torch.Tensor (dtype, shape, raw bytes), a CharTokenizer (its characters)

A value of any other type cannot cross: an argument the check wants to pass (a stand-in
model, say) or a result that is not data (a module the learner built) raises `Unverifiable`,
and the grader reports that the check cannot be verified outside the kernel instead of
trusting the kernel. Whatever the kernel sends back is only a value for the check to judge:
a forged reply is no stronger than a function that returns the same value.

Kernel side: `serve(handle, request)` runs `HANDLES[handle](*args)` in the sandbox of
sandbox.py and returns the reply as a JSON string of bounded size.
"""

from __future__ import annotations

import base64
import json
import math

import torch

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
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def encode(value, depth: int = 0):
    """`value` as JSON-ready data; Unencodable for any type outside the list above."""
    if depth > MAX_DEPTH:
        raise Unencodable("nested too deeply")
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
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {"tensor": {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                           "grad": bool(value.requires_grad),
                           "data": base64.b64encode(raw).decode("ascii")}}
    from ..core.data import CharTokenizer
    if type(value) is CharTokenizer:
        return {"char_tokenizer": list(value.chars)}
    if hasattr(value, "__index__") and type(value).__module__ == "numpy":
        return int(value)
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return encode(float(value), depth)
    raise Unencodable(_describe(value))


_DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
    "uint8", "bool", "complex64", "complex128")}


def decode(data, depth: int = 0):
    """The value `encode` made; ValueError for anything malformed (data from the kernel)."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(f"not an encoded value: {str(data)[:80]}")
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
        return t.requires_grad_(True) if body.get("grad") is True and t.is_floating_point() else t
    if kind == "char_tokenizer" and isinstance(body, list) and all(
            isinstance(c, str) for c in body):
        from ..core.data import CharTokenizer
        return CharTokenizer(list(body))
    return _bad(kind)


def _bad(kind: str):
    raise ValueError(f"a malformed {kind!r} value")


def dumps(value) -> str:
    return json.dumps(encode(value), ensure_ascii=True, allow_nan=False)


def loads(text: str):
    if not isinstance(text, str) or len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"a message longer than {MAX_MESSAGE_CHARS:,} characters")
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
    """Whether the function under `handle` only raises NotImplementedError (the stub), as
    JSON. The grader asks only to say "not attempted" where a check cannot be verified: a
    kernel that lies here gains nothing."""
    import dis
    code = getattr(HANDLES.get(handle), "__code__", None)
    if code is None:
        return "false"
    ops = [i for i in dis.get_instructions(code)
           if i.opname not in ("RESUME", "NOP", "CACHE", "PRECALL", "PUSH_NULL")]
    return json.dumps(0 < len(ops) <= 4 and ops[0].argval == "NotImplementedError"
                      and ops[-1].opname == "RAISE_VARARGS")


def serve(handle: str, request: str) -> str:
    """Run the function under `handle` on the request's arguments, in the sandbox."""
    from . import sandbox
    req = json.loads(request)
    fn = HANDLES[handle]
    args = decode(req["args"])
    out = sandbox.run(fn, tuple(args), seconds=float(req["seconds"]),
                      memory_bytes=int(req["memory"]), max_items=int(req["max_items"]),
                      modifies=tuple(req.get("modifies", ())))
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
    text = json.dumps(reply, allow_nan=False)
    if len(text) > MAX_MESSAGE_CHARS:
        return json.dumps({"stopped": None, "modified": [], "too_large": len(text)})
    return text


# ----------------------------------------------------------------------------- grader side

class RemoteFunction:
    """The grader's stand-in for a learner's function that lives in their kernel.

    `transport(handle, request_json, wait_s)` sends the request and returns the kernel's
    reply (a JSON string), or None when the kernel did not answer within `wait_s` (it has
    then been interrupted).
    """
    __course_remote__ = True

    def __init__(self, handle: str, name: str, transport):
        self.handle, self.__name__, self._transport = handle, name or "your function", transport

    def __call__(self, *args):
        raise Unverifiable("the check called the function in an unexpected way")

    def __repr__(self) -> str:
        return f"<your function {self.__name__} (in your kernel)>"

    def run(self, args: tuple, seconds: float, memory: int, max_items: int,
            modifies: tuple[int, ...]):
        """What `sandbox.run` would have returned, from the kernel's reply (an Outcome)."""
        from . import checks, sandbox
        try:
            payload = json.dumps({"args": encode(list(args)), "seconds": seconds,
                                  "memory": memory, "max_items": max_items,
                                  "modifies": list(modifies)}, allow_nan=False)
        except Unencodable as why:
            raise Unverifiable(f"the check passes {why} to your function, which the grader "
                               f"cannot send to your kernel as data") from None
        text = self._transport(self.handle, payload, seconds)
        if text is None:
            return sandbox.Outcome(stopped="time", limit=seconds)
        try:
            reply = json.loads(text) if len(text) <= MAX_MESSAGE_CHARS else None
            if not isinstance(reply, dict):
                raise ValueError("not an object")
            if "too_large" in reply:
                raise checks.Mistake(f"your function returned about "
                                     f"{reply['too_large'] // 2**20} MB of data, far larger "
                                     f"than this exercise's answer. Check the shapes")
            out = sandbox.Outcome(stopped=reply.get("stopped"), limit=reply.get("limit"),
                                  modified=[str(m) for m in reply.get("modified") or []])
            if out.stopped not in (None, "time", "memory", "items"):
                raise ValueError("unknown stop")
            if "error" in reply:
                e = reply["error"]
                kind = {"NotImplementedError": NotImplementedError, "SystemExit": SystemExit,
                        "Shortcut": checks.Shortcut}.get(e.get("kind"))
                name = str(e.get("type", "Exception"))
                cls = kind or type(name if name.isidentifier() else "Exception",
                                   (RemoteError,), {})
                out.error = cls(str(e.get("message", "")))
            elif "opaque" in reply:
                raise Unverifiable(f"your function returned {reply['opaque']}, which the "
                                   f"grader cannot read back from your kernel as data")
            elif out.stopped is None:
                out.value = decode(reply.get("value"))
        except (ValueError, TypeError, KeyError, AttributeError) as why:
            raise checks.Mistake(f"the grader could not read what your kernel answered "
                                 f"({why}); was the course's code in the kernel changed?"
                                 ) from None
        return out
