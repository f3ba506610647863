"""The dashboard in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by Selenium against ``forecast serve`` in a subprocess.

The page's numbers are checked against ``forecast run --json`` and a what-if against the
library; the archive's bytes and times are checked unchanged after the page was used. Without
Chromium the tests fail (CI must not skip them silently) and say how to install it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import forecasting as fc
from forecasting.dashboard.data import shown

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Every element matching a CSS selector, inside the page's shadow roots too (Panel renders
#: its components in shadow DOM).
DEEP = """
const selector = arguments[0];
const found = [];
function walk(root) {
  root.querySelectorAll(selector).forEach((e) => found.push(e));
  root.querySelectorAll("*").forEach((e) => { if (e.shadowRoot) walk(e.shadowRoot); });
}
walk(document);
return found;
"""
#: Seconds to wait for the server, and for an element to appear.
STARTUP, WAIT = 120, 60


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: its bytes and modification time (ns)."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def archive_before(project):
    root = project.parent.parent
    return snapshot(root / "forecasts"), snapshot(root / "models"), snapshot(root / "evidence")


@pytest.fixture(scope="module")
def server(project, as_of, archive_before):
    """``forecast serve MODELS_DIR --port N --as-of DATE``, running; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "forecasting.cli", "serve", str(project.parent)]
    command += ["--port", str(port), "--as-of", as_of.isoformat()]
    proc = subprocess.Popen(
        command,
        cwd=project.parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + STARTUP
    while True:
        if proc.poll() is not None:
            pytest.fail(f"forecast serve exited {proc.returncode}: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"forecast serve did not answer at {url} within {STARTUP} s")
        time.sleep(0.5)
    yield url
    proc.send_signal(signal.SIGINT)  # Ctrl-C: the command stops and exits 0
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"{url}  (Ctrl-C stops it)" in out


@pytest.fixture(scope="module")
def browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"the browser tests need headless Chromium and its driver ({', '.join(missing)} "
            "missing): install them with 'apt-get install chromium chromium-driver' (Debian) "
            "or run .ci/run as root, which does"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1400")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def find(driver, selector: str, *, count: int = 1) -> list:
    """At least ``count`` elements matching ``selector`` (waits for them)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = driver.execute_script(DEEP, selector)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"no element '{selector}' on the page after {WAIT} s")
        time.sleep(0.25)


def open_tab(driver, name: str, shows: str) -> None:
    """Click the tab ``name`` and wait for an element ``shows`` of its content."""
    from selenium.common.exceptions import StaleElementReferenceException

    for _ in range(20):  # the tabs are drawn again as the page updates
        try:
            tabs = find(driver, ".bk-tab", count=5)
            next(t for t in tabs if t.text == name).click()
            break
        except StaleElementReferenceException:
            time.sleep(0.25)
    find(driver, shows)


def inner(driver, host, tag: str):
    """The ``tag`` element inside a Panel widget's shadow root."""
    return driver.execute_script(f"return arguments[0].shadowRoot.querySelector('{tag}')", host)


def cells(driver, table: str, column: str, n: int) -> dict[str, str]:
    """Scenario -> the probability shown in ``column`` of the table with class ``table``."""
    found = find(driver, f"table.{table} td.fc-p[data-column='{column}']", count=n)
    return {e.get_attribute("data-scenario"): e.text for e in found}


@pytest.fixture(scope="module")
def page(server, browser):
    browser.get(server)
    find(browser, "table.fc-forecast td.fc-p")
    return browser


def test_page_shows_the_numbers_of_forecast_run(page, project, as_of):
    run = subprocess.run(
        [sys.executable, "-m", "forecasting.cli", "run", str(project), "--json"]
        + ["--as-of", as_of.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    printed = json.loads(run.stdout)
    expected = {s["id"]: shown(s["probability"]) for s in printed["scenarios"]}
    assert cells(page, "fc-forecast", "probability", len(expected)) == expected
    lead = max(printed["scenarios"], key=lambda s: s["probability"])
    [overview] = find(page, "tr.fc-question[data-question='watch'] td.fc-headline-p")
    assert overview.text == shown(lead["probability"])
    [level] = find(page, "tr.fc-question td.fc-level")
    assert level.text == printed["confidence"]["level"]


def test_dropping_an_item_recomputes_as_the_library_says(page, project, as_of):
    open_tab(page, "What if", ".fc-item")
    [host] = find(page, ".fc-item")
    select = inner(page, host, "select")
    page.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'))",
        select,
        "t3",
    )
    [button] = find(page, ".fc-drop-item")
    inner(page, button, "button").click()
    q = fc.load_question(project)
    f = fc.forecast(q, fc.load_evidence(None, q).without(["t3"]), as_of=as_of)
    expected = {s: shown(p) for s, p in zip(f.scenarios, f.probabilities.values, strict=True)}
    assert cells(page, "fc-whatif", "what-if", len(expected)) == expected
    [note] = find(page, "table.fc-whatif ~ p.fc-note")
    assert (
        "Edits: dropped item t3" in note.text and "Recomputed by the exact engine in" in note.text
    )


def test_the_page_never_writes_the_archive(page, project, archive_before):
    open_tab(page, "What changed", ".fc-change-table")  # every reader of the archive, used
    open_tab(page, "Ledger", ".fc-ledger")
    open_tab(page, "Analysts", ".fc-disagreement")
    root = project.parent.parent
    assert (snapshot(root / "forecasts"), snapshot(root / "models")) == archive_before[:2]
    assert snapshot(root / "evidence") == archive_before[2]
    assert not (root / "reports").exists()
