"""report.html: rendered from a real run with every status, checked as text and in Chromium.

The run is against ``tests/report_impls/nncheck_mixed_impl.py``: failed invariants (the
broken ``tests/mutants/svm_without_max.py``), an error whose message is hostile HTML,
declared deviations, a missing component (not-implemented) and the components every plot
needs. The browser tests drive Debian's headless ``chromium`` over the DevTools protocol
(``--remote-debugging-pipe``, so no extra Python package) and skip, saying why, where no
chromium is installed; CI installs it with ``.ci/install-browser.sh``.
"""

from __future__ import annotations

import html.parser
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from nncheck.api import check
from nncheck.report.html import render_html
from nncheck.report.model import validate_report, write_html, write_report
from nncheck.report.plots import measure
from nncheck.report.repro import failures

IMPLS = Path(__file__).parent / "report_impls"
HOSTILE_MARK = "window.__pwned"
PLOT_IDS = {"covariance", "init-histograms", "activation-variance", "gradient-errors",
            "dropout-expectation"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """(report dict, report folder) of one run against the mixed test implementation.

    The run checks the loss components only (the statuses this file is about); the
    measurements of every plotted component of the implementation are then added to its
    report.json, and the page is rendered again from it, as ``nncheck report render``
    does. (The plugin's own measuring is covered in test_report_cli.py.)
    """
    pytest.importorskip("jinja2", reason="report.html needs jinja2 (nncheck[report])")
    pytest.importorskip("matplotlib", reason="its plots need matplotlib (nncheck[report])")
    out = tmp_path_factory.mktemp("mixed")
    sys.path.insert(0, str(IMPLS))
    try:
        report = check("nncheck_mixed_impl:load", seed=3, report_dir=out, use_database=False,
                       components=["svm_loss", "softmax_loss"])
        import nncheck_mixed_impl

        report["measurements"] = measure(nncheck_mixed_impl.load())
    finally:
        sys.path.remove(str(IMPLS))
    write_report(report, out)
    return report, out


def test_the_run_has_every_status_and_validates(mixed):
    report, out = mixed
    validate_report(report)
    validate_report(json.loads((out / "report.json").read_text()))
    statuses = {inv["status"] for c in report["components"] for inv in c["invariants"]}
    assert statuses == {"passed", "failed", "error", "not-implemented", "deviation"}
    assert (out / "report.html").is_file() and (out / "report.md").is_file()


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_everything_from_the_implementation_is_escaped(mixed):
    report, out = mixed
    page = (out / "report.html").read_text()
    assert HOSTILE_MARK in page  # the hostile text is there ...
    assert "<script>" not in page and "<img src=x" not in page  # ... but never as markup
    assert "&lt;script&gt;window.__pwned" in page
    tags = _tags(page)
    assert not [t for t, _ in tags if t == "script"]
    images = [a for t, a in tags if t == "img"]
    assert images and all(a["src"].startswith("data:image/png;base64,") for a in images)
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]


def test_page_is_self_contained(mixed):
    _, out = mixed
    tags = _tags((out / "report.html").read_text())
    for tag, attrs in tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith(("data:", "#")), (tag, attrs)
    csp = [a["content"] for t, a in tags
           if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_every_failure_has_its_message_counterexample_seed_and_snippet(mixed):
    report, out = mixed
    page = (out / "report.html").read_text()
    found = failures(report)
    assert {f["status"] for f in found} == {"failed", "error"}
    for failure in found:
        start = page.index(f'data-failure-id="{failure["id"]}"')
        card = page[start:page.index("</section>", start)]
        assert "Failing test case" in card, failure["id"]  # the shrunk counterexample
        assert f"<code>{report['run']['seed']}</code>" in card
        assert f"nncheck repro report.json {failure['id']}" in card
        assert ("nncheck check --impl nncheck_mixed_impl:load --component "
                f"{failure['component']} --profile ci --seed 3") in card
        first_line = failure["message"].splitlines()[0]
        assert _escape(first_line) in card


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_grid_environment_and_plots_are_rendered(mixed):
    report, out = mixed
    page = (out / "report.html").read_text()
    ids = {a.get("id") for _, a in _tags(page)}
    assert {"grid", "counts", "environment", "plots"} <= ids
    assert {f"plot-{p}" for p in PLOT_IDS} <= ids
    for name, version in report["environment"]["packages"].items():
        assert f"<dt>{name}</dt><dd>{version if version else 'not installed'}</dd>" in page
    assert report["environment"]["python"] in page
    # every invariant of the grid carries its status colour
    for comp in report["components"]:
        for inv in comp["invariants"]:
            assert f'chip st-{inv["status"]}' in page


def test_without_matplotlib_the_page_says_so(mixed, monkeypatch):
    report, _ = mixed
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    page = render_html(report)
    assert 'id="no-plots"' in page and "pip install" in page
    assert "<img" not in page


def test_without_jinja2_report_html_is_skipped_with_a_one_line_note(mixed, monkeypatch, tmp_path,
                                                                   capsys):
    """No warning (with a site-packages path); a stale report.html is removed, so the
    folder never holds a page that disagrees with report.json."""
    import warnings

    from nncheck.report import html as html_module

    report, _ = mixed
    (tmp_path / "report.html").write_text("stale")
    html_module.environment.cache_clear()
    monkeypatch.setitem(sys.modules, "jinja2", None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert write_html(report, tmp_path / "other.html") is False
            write_report(report, tmp_path)
    finally:
        html_module.environment.cache_clear()
    assert not (tmp_path / "other.html").exists() and not (tmp_path / "report.html").exists()
    assert (tmp_path / "report.json").exists() and (tmp_path / "report.md").exists()
    err = capsys.readouterr().err
    assert err == "nncheck: note: report.html not written: it needs jinja2 " \
                  "(pip install 'nncheck[report]')\n"


def test_error_counterexample_replays_the_raise(mixed, tmp_path):
    """The error verdict's repro script (a module:factory spec) shows the raise."""
    from nncheck.report.repro import find_failure, repro_script

    report, _ = mixed
    failure = find_failure(report, "svm_loss::svm_averages_over_examples")
    script = tmp_path / "repro.py"
    script.write_text(repro_script(report, failure))
    env = {**os.environ, "PYTHONPATH": str(IMPLS)}
    done = subprocess.run([sys.executable, "-c", _NO_HYPOTHESIS, str(script)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "RAISED" in done.stdout and "batch stacked on itself" in done.stdout


# A runner that makes importing hypothesis fail, then runs the script as __main__.
_NO_HYPOTHESIS = ("import runpy, sys; sys.modules['hypothesis'] = None; "
                  "path = sys.argv.pop(1); runpy.run_path(path, run_name='__main__')")


# ------------------------------------------------------------------ in a real browser

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4)."""

    def __init__(self, executable: str):
        self.profile = tempfile.mkdtemp(prefix="nncheck-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The child's ends move above fd 10, so "3<&r 4>&w" cannot overwrite one another
        # (bash, unlike dash, redirects fds above 9).
        to_child_r, from_child_w = (_above_ten(to_child_r), _above_ten(from_child_w))
        command = (f'exec "$0" --headless --no-sandbox --disable-gpu --no-first-run '
                   f'--disable-extensions --user-data-dir="{self.profile}" '
                   f'--remote-debugging-pipe 3<&{to_child_r} 4>&{from_child_w}')
        self.process = subprocess.Popen(
            ["bash", "-c", command, executable], pass_fds=(to_child_r, from_child_w),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session = None

    def send(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def open(self, path: Path) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, failed loads, CSP violations."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error",
                                                                              "warning",
                                                                              "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails')}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error",
                                                                            "warning"):
                found.append(f"log {params['entry']['level']}: {params['entry']['text']}")
        return found

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # already gone
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self.profile, ignore_errors=True)


def _above_ten(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium on PATH: install it (apt-get install -y chromium, or "
                    ".ci/install-browser.sh) to check report.html in a real browser")
    b = Browser(executable)
    try:
        yield b
    finally:
        b.close()


def test_report_in_browser_no_console_errors_failures_visible_plots_present(mixed, browser):
    report, out = mixed
    browser.open(out / "report.html")
    assert browser.problems() == []
    assert browser.evaluate("document.querySelectorAll('script').length") == 0
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.body.innerText.includes('<script>window.__pwned')")
    for failure in failures(report):
        state = browser.evaluate(f"""(() => {{
            const card = document.querySelector('[data-failure-id="{failure['id']}"]');
            if (!card) return null;
            const box = card.getBoundingClientRect();
            const message = card.querySelector('pre.message');
            return {{visible: card.checkVisibility({{opacityProperty: true,
                                                     visibilityProperty: true}}),
                     height: box.height, width: box.width,
                     message: message ? message.innerText : null}};
        }})()""")
        assert state is not None, f"{failure['id']} has no card"
        assert state["visible"] and state["height"] > 0 and state["width"] > 0, state
        assert state["message"].strip() == failure["message"].strip()
    plots = browser.evaluate("""Array.from(document.querySelectorAll('figure.plot')).map(f => {
        const img = f.querySelector('img');
        return {id: f.id, loaded: img.complete && img.naturalWidth > 0,
                width: img.getBoundingClientRect().width,
                visible: f.checkVisibility()};
    })""")
    assert {p["id"] for p in plots} == {f"plot-{i}" for i in PLOT_IDS}
    assert all(p["loaded"] and p["width"] > 100 and p["visible"] for p in plots), plots
    # every failed or errored invariant of the grid links to its card
    links = browser.evaluate("Array.from(document.querySelectorAll('#grid a.chip'))"
                             ".map(a => document.getElementById(a.hash.slice(1)) !== null)")
    assert links and all(links) and len(links) == len(failures(report))


def test_matrix_in_browser(mixed, browser, tmp_path):
    from nncheck.report.merge import write_matrix

    _, out = mixed
    written = write_matrix([out / "report.json", out / "report.json"], tmp_path)
    browser.open(written["html"])
    assert browser.problems() == []
    cells = browser.evaluate("document.querySelectorAll('#matrix-table .chip').length")
    report = json.loads((out / "report.json").read_text())
    rows = len(report["components"]) + sum(len(c["invariants"]) for c in report["components"])
    assert cells == 2 * rows
