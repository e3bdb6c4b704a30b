"""The course as a learner uses it: JupyterLab in a real (headless) browser.

nbval proves that each notebook's code runs. This test proves what a learner sees: it
starts `jupyter lab` on 127.0.0.1 (a free port, a random token, its own copy of the
notebooks so nothing in the repo is overwritten), opens every notebook in Debian's
Chromium through Playwright, clears the outputs, runs all cells, waits for the kernel, and
checks that

- no cell shows an error or anything on stderr;
- every widget renders as a widget (no "Loading widget...", no JavaScript error);
- every plot renders as an image with pixels;
- moving each slider, changing each dropdown and flipping each toggle changes what its
  widget shows. Each control is moved once the kernel has been idle for half a second, as
  a learner moves one slider after the other, and its redraw is waited for up to
  REDRAW_WAIT_S (a widget that never redraws fails; one that is only slow does not: how
  long a redraw takes depends on how busy the machine is, so the times are printed as
  information, and tests/test_widget_speed.py asserts what makes a redraw fast). A
  self-test proves that a callback that raises and one that never changes its output each
  fail the check, and that a slow one is timed but passes.

On a failure the assertion names a full-page screenshot under results/browser/. A widget
control that on purpose redraws nothing carries the CSS class `course-no-redraw`; one
that trains carries `course-trains` (see course_lib/widgets.py).

Set COURSE_BROWSER_NOTEBOOKS=00,03 to check only some notebooks (it/00 names an Italian one;
any Italian lesson can be named, in the sample or not).

The Italian lessons (notebooks/it/) run the same code as the English ones, so the test opens
only a sample of them (ITALIAN_SAMPLE), to see the Italian text and course_lib's Italian
messages in the browser; nbval runs them all.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.browser    # `pytest -m "not browser"` leaves it out (README, Testing)

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
RESULTS = REPO / "results" / "browser"
REDRAW_WAIT_S = 30.0    # a redraw that has not come by then never comes (the kernel hangs)
TRAIN_WAIT_S = 90.0     # the same for a control that trains (lesson 08's button: 10 s)
RUN_ALL_TIMEOUT_S = 300
QUIET_S = 0.5           # the kernel idle this long without a break: nothing is queued

_only = [x.strip() for x in os.environ.get("COURSE_BROWSER_NOTEBOOKS", "").split(",") if x.strip()]
NOTEBOOKS = [p for p in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
             if not _only or any(p.name.startswith(x) for x in _only)]
ITALIAN_SAMPLE = ("00",)        # the cheapest lesson: 8 s, a widget, a plot, two checks
# COURSE_BROWSER_NOTEBOOKS=it/08 opens an Italian lesson outside the sample too
NOTEBOOKS += [p for p in sorted((REPO / "notebooks" / "it").glob("[0-9][0-9]_*.ipynb"))
              if (any(f"it/{p.name}".startswith(x) for x in _only) if _only
                  else p.name.startswith(ITALIAN_SAMPLE))]


# what must appear in Italian in an Italian lesson: (what it is, its English text)
ITALIAN_IN_THE_PAGE = {
    "00": (("the environment report", "Everything is ready."),
           ("check_encode_decode's verdict",
            "encode and decode agree with the tokenizer, and decode(encode(s)) == s."),
           ("the context/target widget's hint",
            "Try: set block_size to 1, then 16; then move start one step to the right.")),
}


def _italian(english: str) -> str:
    from course_lib import i18n
    return i18n.translations("it").gettext(english)


def _served_name(nb_path: Path) -> str:
    """The notebook's path in the server's folder: 00_x.ipynb, or it/00_x.ipynb (a notebook
    a test wrote into the server's folder itself: its file name)."""
    try:
        return nb_path.relative_to(REPO / "notebooks").as_posix()
    except ValueError:
        return nb_path.name


def _label(nb_path: Path) -> str:
    """A name for workspaces, screenshots and test ids: 00_x or it-00_x."""
    return _served_name(nb_path)[:-len(".ipynb")].replace("/", "-")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(settings: Path) -> None:
    """JupyterLab user settings for the test: render every cell (no windowing, so every
    output is in the page), and no pop-up asking about news."""
    import json
    for path, value in {
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }.items():
        (settings / path).parent.mkdir(parents=True, exist_ok=True)
        (settings / path).write_text(json.dumps(value))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server of our own, stopped (by its PID) when the module's tests end."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser test needs Debian's chromium. "
                    f"Install it with `sudo apt-get install chromium` (or set COURSE_CHROMIUM "
                    f"to a Chromium binary); see README, Troubleshooting.")
    root = tmp_path_factory.mktemp("lab")
    for nb in NOTEBOOKS:
        (root / _served_name(nb)).parent.mkdir(exist_ok=True)
        shutil.copy(nb, root / _served_name(nb))
    port, token = _free_port(), secrets.token_hex(16)
    settings = root / ".settings"
    _write_settings(settings)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               JUPYTER_CONFIG_DIR=str(root / ".config"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(root / ".workspaces"), PYTHONUNBUFFERED="1")
    log = open(root / "jupyter.log", "w")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
           f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0",
           "--LabApp.news_url=", "--ContentsManager.allow_hidden=False", "--allow-root"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail(f"jupyter lab did not start:\n{(root / 'jupyter.log').read_text()}")
                time.sleep(0.5)
        yield {"base": base, "token": token, "root": root}
    finally:
        proc.send_signal(signal.SIGTERM)          # the server shuts its kernels down
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# JavaScript run in the page. `window.jupyterapp` exists because of expose_app_in_browser.
JS_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.sessionContext || !w.sessionContext.session) return false;
  const k = w.sessionContext.session.kernel;
  const running = [...document.querySelectorAll('.jp-InputPrompt')]
      .some(e => e.textContent.includes('[*]'));
  return k && k.status === 'idle' && !running;
}"""

# A widget view renders as an output area element (without a MIME type attribute) holding a
# `.jupyter-widgets` element; an Output widget inside it holds output areas of its own, so
# only the outermost are widget roots.
JS_WIDGET_ROOTS = """[...document.querySelectorAll('.jp-OutputArea-output')].filter(o =>
    !o.parentElement.closest('.jp-OutputArea-output') && !o.getAttribute('data-mime-type'))"""

JS_STATE = """() => {
  const outs = [...document.querySelectorAll('.jp-OutputArea-output')];
  const roots = """ + JS_WIDGET_ROOTS + """;
  const model = window.jupyterapp.shell.currentWidget.content.model;
  let modelWidgets = 0;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const data = cell.outputs.get(j).data || {};
      if (data['application/vnd.jupyter.widget-view+json']) modelWidgets++;
    }
  }
  const text = document.body.innerText;
  const imgs = [...document.querySelectorAll('.jp-OutputArea-output img')];
  return {
    stderr: outs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
                .map(o => { const t = o.innerText.trim();   // a traceback ends with its message
                  return t.length > 450 ? t.slice(0, 150) + ' ... ' + t.slice(-300) : t; }),
    widgetOutputs: modelWidgets,
    renderedWidgets: roots.filter(o => o.querySelector('.jupyter-widgets')).length,
    loading: (text.match(/Loading widget\\.\\.\\./g) || []).length,
    jsErrors: (text.match(/Javascript Error|Error displaying widget|Error rendering/g) || []).length,
    images: imgs.length,
    emptyImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length,
  };
}"""

# Every interactive control inside widget outputs, with a stable index.
JS_CONTROLS = """() => {
  const roots = """ + JS_WIDGET_ROOTS + """;
  const found = [];
  roots.forEach((root, r) => {
    const sel = '.widget-slider, .widget-hslider, .widget-dropdown, .widget-toggle-button, ' +
                '.widget-checkbox, .widget-radio, .widget-toggle-buttons, .widget-select';
    root.querySelectorAll(sel).forEach((el, i) => {
      el.setAttribute('data-course-control', `${r}-${i}`);
      const cls = el.className + ' ' + [...el.querySelectorAll('*')].map(c => c.className).join(' ');
      found.push({id: `${r}-${i}`, root: r, kind: el.className,
                  skip: /course-no-redraw/.test(cls) || !!el.closest('.course-no-redraw'),
                  trains: /course-trains/.test(cls) || !!el.closest('.course-trains'),
                  label: (el.innerText || '').trim().split('\\n')[0].slice(0, 40)});
    });
  });
  return found;
}"""

JS_ROOT_OUTPUT = """(r) => {
  const roots = """ + JS_WIDGET_ROOTS + """;
  const outs = roots[r] ? [...roots[r].querySelectorAll('.widget-output')] : [];
  return outs.map(o => o.innerHTML).join('||');
}"""


def _operate(page, control: dict) -> str | None:
    """Change one control the way a learner would: drag (keyboard), pick, click. Returns a
    problem when the control could not be changed in the browser at all, else None."""
    el = page.locator(f'[data-course-control="{control["id"]}"]')
    kind = control["kind"]
    if "slider" in kind:
        handle = el.locator(".noUi-handle").first
        value = handle.get_attribute("aria-valuenow")
        for _ in range(3):                   # a key press right after a scroll can be lost
            handle.focus()
            handle.press("ArrowRight")
            handle.press("ArrowRight")
            deadline = time.perf_counter() + 0.5
            while time.perf_counter() < deadline:
                if handle.get_attribute("aria-valuenow") != value:
                    return None
                time.sleep(0.02)
        return f"slider stayed at {value} after three tries of two ArrowRight key presses"
    if "dropdown" in kind or "widget-select" in kind:
        select = el.locator("select").first
        options = select.locator("option").all()
        current = select.input_value()
        values = [o.get_attribute("value") for o in options]
        other = next((v for v in values if v != current), None)
        if other is None:
            return f"it has no other option than {current!r}"
        select.select_option(other)
    elif "toggle-buttons" in kind or "radio" in kind:
        buttons = el.locator("button, input[type=radio]").all()
        if not buttons:
            return "it has no buttons to click"
        buttons[-1].click()
    else:                                   # a toggle button or a checkbox
        target = el.locator("input[type=checkbox]").first if "checkbox" in kind else el
        target.click()
    return None


def _wait_until_quiet(page, quiet_s: float = QUIET_S) -> None:
    """Wait until the kernel has been idle for `quiet_s` without a break. A slider moved by
    two key presses sends two updates: the kernel goes idle after the first redraw and busy
    again for the second, so one look at an idle kernel is not enough before the next
    control moves (the next control's redraw would then wait behind the last one's)."""
    since = None
    deadline = time.perf_counter() + RUN_ALL_TIMEOUT_S
    while time.perf_counter() < deadline:
        now = time.perf_counter()
        if page.evaluate(JS_KERNEL_IDLE):
            since = now if since is None else since
            if now - since >= quiet_s:
                return
        else:
            since = None
        time.sleep(0.05)
    raise AssertionError(f"the kernel was still busy after {RUN_ALL_TIMEOUT_S} s")


def _screenshot(page, name: str) -> Path:
    """The whole notebook in one image: JupyterLab scrolls inside its panel, not the page, so
    the viewport is made as tall as the notebook first."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    height = page.evaluate("""() => {
        const panel = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer') ||
                      document.querySelector('.jp-Notebook');
        return panel ? panel.scrollHeight : 1000; }""")
    page.evaluate("""() => { const p = document.querySelector('.jp-WindowedPanel-outer');
                              if (p) p.scrollTop = 0; }""")
    old = page.viewport_size
    page.set_viewport_size({"width": old["width"], "height": min(32000, int(height) + 300)})
    time.sleep(0.5)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(old)
    return path


def _stored_counts(nb_path: Path) -> tuple[int, int]:
    import json
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    outs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outs)
    images = sum("image/png" in o.get("data", {}) for o in outs)
    return widgets, images


def _slowest(redraws: list[tuple[float, str]]) -> str:
    if not redraws:
        return "no redraw timed"
    took, label = max(redraws)
    return f"slowest redraw {took:.2f} s, by {label!r}"


def check_notebook(lab, browser, nb_path: Path) -> tuple[list[str], Path, str]:
    """Open `nb_path` (already in the server's folder) as a learner would; return the
    problems found, the screenshot taken and the line printed about it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems = []
    try:
        # a fresh workspace per notebook: JupyterLab would otherwise reopen earlier tabs
        page.goto(f"{lab['base']}/lab/workspaces/{_label(nb_path)}/tree/{_served_name(nb_path)}"
                  f"?reset&token={lab['token']}")
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook",
                               timeout=60_000)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=60_000, polling=250)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        time.sleep(1.0)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=RUN_ALL_TIMEOUT_S * 1000, polling=500)
        time.sleep(1.0)                      # let the last widget views and images render
        state = page.evaluate(JS_STATE)
        stored_widgets, stored_images = _stored_counts(nb_path)

        if _served_name(nb_path).startswith("it/"):
            # course_lib speaks Italian in the page: the environment report, a check's
            # verdict and a widget's text as the run drew them (before a control moves), each as the catalogue translates it
            for what, english in ITALIAN_IN_THE_PAGE.get(nb_path.name[:2], ()):
                italian = _italian(english)
                if italian == english or not page.get_by_text(italian).count():
                    problems.append(f"{what} is not in Italian (expected {italian!r})")

        if state["stderr"]:
            problems.append(f"{len(state['stderr'])} output(s) on stderr or errors, first: "
                            f"{state['stderr'][0]!r}")
        if state["widgetOutputs"] != stored_widgets:
            problems.append(f"{state['widgetOutputs']} widget outputs, the stored notebook has "
                            f"{stored_widgets}")
        if state["renderedWidgets"] != state["widgetOutputs"]:
            problems.append(f"only {state['renderedWidgets']} of {state['widgetOutputs']} widget "
                            f"outputs rendered as widgets")
        if state["loading"] or state["jsErrors"]:
            problems.append(f"{state['loading']} 'Loading widget...' and {state['jsErrors']} "
                            f"widget/JavaScript error(s) shown")
        if state["images"] < stored_images or state["emptyImages"]:
            problems.append(f"{state['images']} plot image(s) rendered ({state['emptyImages']} "
                            f"empty); the stored notebook has {stored_images}")

        controls = page.evaluate(JS_CONTROLS)
        moved, redraws = 0, []
        for control in controls:
            if control["skip"]:
                continue
            # as a learner does: the next control once the kernel has finished the last one
            _wait_until_quiet(page)
            page.locator(f'[data-course-control="{control["id"]}"]').scroll_into_view_if_needed()
            before = page.evaluate(JS_ROOT_OUTPUT, control["root"])
            wait = TRAIN_WAIT_S if control["trains"] else REDRAW_WAIT_S
            name = f"control {control['label']!r} ({control['kind']}) in widget {control['root']}"
            stuck = _operate(page, control)
            if stuck:
                problems.append(f"{name} could not be changed in the browser: {stuck}")
                continue
            # the redraw is timed from the moment the control took its new value (Playwright's
            # own checks before a click or a key press are not the widget's time)
            start = time.perf_counter()
            took = None
            while time.perf_counter() - start < wait:
                if page.evaluate(JS_ROOT_OUTPUT, control["root"]) != before:
                    took = time.perf_counter() - start
                    break
                time.sleep(0.05)
            moved += 1
            if took is None:
                busy = "busy" if not page.evaluate(JS_KERNEL_IDLE) else "idle"
                problems.append(f"{name} did not change its output in {wait:.0f} s "
                                f"(the kernel is {busy} now)")
                continue
            redraws.append((took, control["label"]))
        state_after = page.evaluate(JS_STATE)
        if state_after["stderr"] and not state["stderr"]:
            problems.append(f"an error appeared after moving the widgets: "
                            f"{state_after['stderr'][0]!r}")
        shot = _screenshot(page, _label(nb_path))
        summary = (f"{_served_name(nb_path)}: {state['widgetOutputs']} widgets, {len(controls)} "
                   f"controls ({moved} moved, {_slowest(redraws)}), {state['images']} plots; "
                   f"screenshot {shot}")
        print(summary)
        return problems, shot, summary
    finally:
        page.close()
        _shut_down_kernels(lab)


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=_label)
def test_notebook_in_jupyterlab(lab, browser, nb_path):
    problems, shot, _ = check_notebook(lab, browser, nb_path)
    assert not problems, (f"{nb_path.name} in JupyterLab: " + "; ".join(problems)
                          + f". Screenshot: {shot}")


BROKEN_WIDGETS = """\
import time
import ipywidgets as widgets
from course_lib.lessons.widgets import redraw_on_change

def explorer(name, draw_for):
    slider = widgets.IntSlider(value=1, min=1, max=5, description=name,
                               continuous_update=False)
    out = widgets.Output()
    redraw_on_change([slider], out, lambda: draw_for(slider.value))
    return widgets.VBox([slider, out])

def raises(value):
    if value != 1:
        raise RuntimeError("this callback is broken on purpose")
    print("value", value)

def slow(value):
    if value != 1:
        time.sleep(2.0)
    print("value", value)

def forgets(value):
    print("value 1")          # shows the same whatever the slider says

display(explorer("raises", raises), explorer("slow", slow), explorer("forgets", forgets))
"""


def test_broken_widgets_fail_with_a_screenshot(lab, browser):
    """The check above can fail: a slider whose callback raises and one whose output never
    changes are each reported, with a screenshot; one that takes 2 s to redraw is timed (the
    slowest redraw) but is not a failure."""
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(BROKEN_WIDGETS))
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()   # stored outputs
    path = Path(lab["root"]) / "zz_broken_widgets.ipynb"
    nbformat.write(nb, path)
    problems, shot, summary = check_notebook(lab, browser, path)
    assert any("error appeared after moving the widgets" in p and "broken on purpose" in p
               for p in problems), problems
    assert not any("'slow'" in p for p in problems), problems
    assert "by 'slow'" in summary, summary          # the slowest redraw, named
    assert any("'forgets'" in p and "did not change its output" in p for p in problems), problems
    assert not any(p.startswith("control 'raises'") for p in problems), problems  # it redraws
    assert shot.exists() and shot.stat().st_size > 0
    shot.unlink()                         # not a lesson: keep results/browser/ to the course


def _shut_down_kernels(lab) -> None:
    """End the kernels this notebook started (through the server, which started them)."""
    import json
    base, token = lab["base"], lab["token"]
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}",
                                     method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()


LESSON_11 = [p for p in NOTEBOOKS if p.name.startswith("11_") and p.parent.name != "it"]


@pytest.mark.parametrize("nb_path", LESSON_11, ids=lambda p: p.stem)
def test_lesson_11_train_and_stop_in_jupyterlab(lab, browser, nb_path):
    """As a learner: run all, choose the tiny size, press Train, see it training, press
    Stop, and see that it stopped and kept the model (with its loss), without an error.
    The generic check above never presses a button, so it never trains."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{lab['base']}/lab/workspaces/{nb_path.stem}-train/tree/{nb_path.name}"
                  f"?reset&token={lab['token']}")
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook",
                               timeout=60_000)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=60_000, polling=250)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        time.sleep(1.0)
        page.wait_for_function(JS_KERNEL_IDLE, timeout=RUN_ALL_TIMEOUT_S * 1000, polling=500)
        # ipywidgets lists the options by their labels
        page.locator(".course-task-select select").first.select_option(
            label="addition, answers reversed")
        page.locator(".course-size-select select").first.select_option(label="tiny")
        _wait_until_quiet(page)
        status = page.locator(".course-train-status").first
        status.scroll_into_view_if_needed()
        page.locator(".course-train-button").first.click()
        page.wait_for_function(
            "() => (document.querySelector('.course-train-status') || {}).innerText"
            "?.startsWith('training')", timeout=TRAIN_WAIT_S * 1000, polling=100)
        page.locator(".course-stop-button").first.click()
        page.wait_for_function(
            "() => /stopped by the Stop button at step .*kept the model.*val loss [0-9.]+/"
            ".test((document.querySelector('.course-train-status') || {}).innerText || '')",
            timeout=TRAIN_WAIT_S * 1000, polling=200)
        text = status.inner_text()
        state = page.evaluate(JS_STATE)
        shot = _screenshot(page, f"{nb_path.stem}_train_stop")
        print(f"{nb_path.name}: {text!r}; screenshot {shot}")
        assert not state["stderr"], f"error output: {state['stderr'][0]!r}. Screenshot: {shot}"
        assert state["jsErrors"] == 0, f"widget errors shown. Screenshot: {shot}"
    finally:
        page.close()
        _shut_down_kernels(lab)
