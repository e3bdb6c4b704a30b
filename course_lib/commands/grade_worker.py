"""Run one notebook for the grader, and run its exercise checks here, outside the kernel.

    python -m course_lib.commands.grade_worker --record-fd N --cell-timeout S < job.json

`python -m course_lib.grade` starts this in a process of its own for every notebook, in a
temp folder of that learner's own, and sends the job on stdin: {"notebook": the notebook
(nbformat 4, read by the grader), "calls": the check calls to grade (see grade_plan.py),
"lang": the language of the verdict messages, "en" or "it"}.
No learner's path is in the command line or the environment. The worker

- makes itself non-dumpable and a child subreaper (grade_procs.py), so the learner's code
  cannot read its pipes or memory, and cannot escape the final sweep by double-forking;
- speaks the job's "lang" (course_lib.set_language; the kernel gets COURSE_LANG too);
- starts a fresh kernel in its folder, with TMPDIR and the Jupyter runtime folder there
  too, and runs every code cell, going on after a cell that raises, interrupting a
  cell that runs past `--cell-timeout`;
- after a cell that holds a check call the grader picked, evaluates that call's argument
  expressions in the kernel into handles, then runs the grader's own copy of the check
  here, in this process: every call of the learner's function goes to the kernel as data
  (course_lib/lessons/remote.py), and the verdict is computed here. Nothing the kernel
  prints or writes can become a verdict;
- writes one JSON line per event to file descriptor N, a pipe the kernel does not have:
  {"kernel_started": true}; {"cell": i, "error": {...} or null, "timed_out": bool};
  {"verdict": {"call": k, "status", "message", "function"}}; {"dead": i, "error": ...};
  {"done": true};
- ends the kernel and everything it started before it exits.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import sys
import time
from pathlib import Path

from ..core.defaults import GRADE_CELL_TIMEOUT_S
from ..i18n import ENV_VAR, _, set_language
from . import grade_procs

CELL_TIMEOUT_ENAME = "CellTimeout"
REMOTE = "__import__('course_lib.lessons.remote', fromlist=['serve'])"
REPLY_GRACE_S = 5.0          # beyond a call's own limit, before the grader interrupts it


def _first_error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return {"ename": str(out.get("ename", ""))[:200],
                    "evalue": str(out.get("evalue", ""))[:500]}
    return None


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """A NotebookClient that remembers which cell ran past its time limit."""
        timed_out_cell: int | None = None

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out_cell = getattr(self, "_current_index", None)
            return await super()._async_handle_timeout(timeout, cell)

    return GradingClient


class KernelError(Exception):
    """An expression the grader sent raised in the kernel."""


class Channel:
    """Expressions evaluated in the learner's kernel; their values come back as strings."""

    def __init__(self, client):
        self.client = client

    async def _ask(self, expressions: dict[str, str], wait_s: float) -> dict[str, str] | None:
        kc = self.client.kc
        msg_id = kc.execute("", silent=True, store_history=False, allow_stdin=False,
                            user_expressions=expressions)
        deadline = time.monotonic() + wait_s
        interrupted = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if interrupted:
                    return None
                await self.client.km.interrupt_kernel()      # the grader's own time limit
                interrupted, deadline = True, time.monotonic() + REPLY_GRACE_S
                continue
            try:
                msg = await kc.get_shell_msg(timeout=left)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if interrupted:
                return None
            content = msg.get("content", {})
            if content.get("status") != "ok":
                raise KernelError(f"{content.get('ename')}: {content.get('evalue')}")
            out = {}
            for key in expressions:
                r = content.get("user_expressions", {}).get(key, {})
                if r.get("status") != "ok":
                    raise KernelError(f"{str(r.get('ename'))[:100]}: {str(r.get('evalue'))[:300]}")
                text = r.get("data", {}).get("text/plain", "")
                try:
                    value = ast.literal_eval(text) if len(text) < 40 << 20 else None
                except (ValueError, SyntaxError, MemoryError, RecursionError):
                    value = None
                if not isinstance(value, str):
                    raise KernelError(_("the kernel answered something that is not a "
                                        "string"))
                out[key] = value
            return out

    def ask(self, expressions: dict[str, str], wait_s: float) -> dict[str, str] | None:
        from nbclient.util import run_sync
        return run_sync(self._ask)(expressions, wait_s)

    def transport(self, handle: str, request: str, wait_s: float) -> str | None:
        from ..lessons.checks import Mistake
        try:
            reply = self.ask({"r": f"{REMOTE}.serve({handle!r}, {request!r})"},
                             wait_s + REPLY_GRACE_S)
        except KernelError as err:        # the kernel's side of the channel broke
            raise Mistake(_("your kernel could not run your function for the grader ({error}); "
                            "was the course's code in the kernel changed?").format(
                error=err)) from None
        return None if reply is None else reply["r"]


def grade_call(channel: Channel, call: dict, index: int) -> dict:
    """The verdict on one check call: its arguments as handles in the kernel, the check here."""
    from ..lessons import checks, remote
    check = getattr(checks, call["check"])
    exprs = list(call["args"]) + [v for _name, v in call["kwargs"]]
    expressions = {f"a{j}": f"{REMOTE}.bind('c{index}a{j}', ({e}))" for j, e in enumerate(exprs)}
    try:
        answers = channel.ask(expressions, 60.0)
    except KernelError as err:
        return {"status": "error", "message": _(
            "evaluating the check's arguments in your kernel raised {error}").format(error=err)}
    if answers is None:
        return {"status": "timed_out", "message": _(
            "evaluating the check's arguments in your kernel took more than a minute")}
    values, function = [], ""
    for j, e in enumerate(exprs):
        try:
            info = json.loads(answers[f"a{j}"])
            if info.get("callable"):
                name = str(info.get("name", ""))
                if name.startswith("solution_") or str(info.get("qualname", "")).startswith(
                        "solution_"):
                    return {"status": "failed", "function": name, "message": _(
                        "{check} was given the course's solution function `{name}`, not your "
                        "own; pass the function you wrote").format(check=call["check"],
                                                                  name=name)}
                function = function or name
                values.append(remote.RemoteFunction(f"c{index}a{j}", name or e,
                                                    channel.transport))
            elif "opaque" in info:
                return {"status": "unverified", "message": _(
                    "the argument `{argument}` is {what}, which the grader cannot read from "
                    "your kernel as data").format(argument=e, what=info["opaque"])}
            else:
                values.append(remote.decode(info["value"]))
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            return {"status": "error", "message": _(
                "your kernel answered something the grader cannot read ({error})").format(
                error=err)}
    args = values[:len(call["args"])]
    kwargs = {k: v for (k, _source), v in zip(call["kwargs"], values[len(call["args"]):])}
    try:
        result = check(*args, **kwargs)
    except remote.Unverifiable as why:
        stub = next((v for v in values if isinstance(v, remote.RemoteFunction)), None)
        try:
            is_stub = stub is not None and (channel.ask(
                {"s": f"{REMOTE}.is_stub({stub.handle!r})"}, 30.0) or {}).get("s") == "true"
        except KernelError:
            is_stub = False
        if is_stub:
            return {"status": "not_attempted", "function": function, "message": _(
                "not attempted yet: fill in the TODO in `{name}` (remove the "
                "`raise NotImplementedError`), then run this cell again.").format(
                name=stub.__name__)}
        return {"status": "unverified", "message": _(
            "cannot be verified outside your kernel: {why}").format(why=why),
            "function": function}
    return {"status": result.status, "message": result.message, "function": function}


def run(job: dict, out, cell_timeout: float) -> int:
    import nbformat
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.from_dict(job["notebook"])
    lang = set_language(job.get("lang") or "en")     # the checks' messages, made here
    calls_after: dict[int, list[tuple[int, dict]]] = {}
    for k, call in enumerate(job["calls"]):
        calls_after.setdefault(call["cell"], []).append((k, call))
    workdir = Path.cwd()
    runtime = workdir / ".runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)   # connection files: this learner's own
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_CHECK")}
    env[ENV_VAR] = lang          # what course_lib says in the kernel (a check's stand-in, say)
    # temp files in this learner's folder; HOME stays (its caches, such as matplotlib's
    # font list, would cost every kernel seconds to rebuild, and guard nothing: the kernel
    # runs as your user and can reach HOME anyway)
    env.update(TMPDIR=str(workdir), TMP=str(workdir), TEMP=str(workdir))
    client = _client_class()(
        nb, timeout=int(max(1, cell_timeout)), kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, record_timing=False,
        error_on_timeout={"ename": CELL_TIMEOUT_ENAME,
                          "evalue": _("the cell ran for more than {seconds:g} s and was "
                                      "interrupted").format(seconds=cell_timeout)},
        resources={"metadata": {"path": str(workdir)}})
    channel = Channel(client)

    def write(entry: dict):
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        out.flush()

    try:
        with client.setup_kernel(env=env, cwd=str(workdir)):
            write({"kernel_started": True})
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                client._current_index = index
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError as err:
                    write({"dead": index, "error": str(err)[:300]})
                    return 0
                write({"cell": index, "error": _first_error(cell),
                       "timed_out": client.timed_out_cell == index})
                cell.outputs = []                  # the grader needs verdicts, not outputs
                for k, call in calls_after.get(index, []):
                    try:
                        verdict = grade_call(channel, call, k)
                    except DeadKernelError as err:
                        write({"dead": index, "error": str(err)[:300]})
                        return 0
                    write({"verdict": {"call": k, **verdict}})
    except DeadKernelError as err:          # the kernel died while starting or shutting down
        write({"dead": -1, "error": str(err)[:300]})
        return 0
    finally:
        grade_procs.end_descendants()        # the kernel's double forks included
    write({"done": True})
    return 0


def main(argv: list[str] | None = None) -> int:
    grade_procs.shield()
    parser = argparse.ArgumentParser(description="Run one notebook for course_lib.grade.")
    parser.add_argument("--record-fd", type=int, required=True)
    parser.add_argument("--cell-timeout", type=float, default=GRADE_CELL_TIMEOUT_S)
    args = parser.parse_args(argv)
    os.set_inheritable(args.record_fd, False)
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    with os.fdopen(args.record_fd, "w", encoding="utf-8") as out:
        return run(job, out, args.cell_timeout)


if __name__ == "__main__":
    sys.exit(main())
