"""The public status page, served by waitress on 127.0.0.1 and read by real third-party clients: headless Chromium
(through Selenium and ChromeDriver), feedparser, and statuspage-prometheus-exporter, which reads Atlassian pages.

Set STATUS_PAGE_SCREENSHOTS to a folder to keep the browser's screenshots (status-page.png, light, is the
README's; status-page-dark.png beside it): `STATUS_PAGE_SCREENSHOTS=docs python3 -m pytest
tests/e2e/test_status_page_site.py -k screenshot`, then remove the dark one.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import feedparser
import pytest
from botprocess import free_port
from prometheus_client.parser import text_string_to_metric_families
from publicpages import URL, acme, incident, page
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from firehouse.domain.statuspage import PublicStatus
from firehouse.statuspage.site import StatusSite, serve_status_page

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCRIPTED = ('We are looking into it. <script>document.title = "ran"; document.body.insertAdjacentHTML("beforeend", '
            '"<p id=ran>ran</p>")</script><img src=x onerror="document.title = \'ran\'">')
LIGHT, DARK = "rgb(246, 247, 249)", "rgb(14, 17, 22)"  # the page's background in each scheme


class Store:
    """What the database holds: the page and a version that changes with it."""

    def __init__(self) -> None:
        self.page, self.version = acme(), 1

    def change(self, page_) -> None:
        self.page, self.version = page_, self.version + 1


@pytest.fixture(scope="module")
def served():
    """A StatusSite polling every 0.1 s, served by `serve_status_page` on a free port: (base URL, store, site)."""
    store = Store()
    site = StatusSite(lambda: store.page, lambda: store.version, poll=0.1)
    site.start()
    stopping, port = threading.Event(), free_port()
    thread = serve_status_page(site, host="127.0.0.1", port=port, stopping=stopping)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: fetch(f"{base}/api/v2/status.json")[0] == 200)
    yield base, store, site
    stopping.set()
    thread.join(timeout=10)
    site.stop()
    assert not thread.is_alive()


def show(served, page_) -> str:
    """Publish `page_` as the database would, and wait until the site serves it; the base URL."""
    base, store, site = served
    store.change(page_)
    site.refresh()
    return base


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        missing = "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1000,900", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_the_browser_shows_the_published_updates_and_the_components(served, browser, tmp_path):
    base = show(served, acme())
    visit(browser, base)
    text = browser.find_element(By.TAG_NAME, "body").text
    assert browser.title == "Acme status"
    assert "Partial System Outage" in text
    assert "Assistant answers\nPartial outage" in text and "Customer data\nOperational" in text
    assert "A model update raised response times for long conversations." in text
    assert "Some answers cited the wrong source document" in text
    assert "Last updated 2025-05-06 14:40 UTC" in text
    strong = browser.find_element(By.CSS_SELECTOR, ".body strong")
    assert strong.text == "slower than usual"
    assert background(browser) == LIGHT  # the inline stylesheet applied: its hash is the one the policy allows
    shot = full_page(browser, tmp_path / "light.png", width=1000)
    assert png_size(shot)[0] == 1000 and png_size(shot)[1] > 900


def test_a_script_in_a_published_body_does_not_run(served, browser):
    base = show(served, page(incident("s1", "Answers are slow", (PublicStatus.INVESTIGATING, SCRIPTED,
                                                                 acme().updated_at, "degraded_performance"))))
    visit(browser, base)
    time.sleep(0.3)  # room for a script or an onerror to run, if either could
    assert browser.title == "Acme status"
    assert browser.find_elements(By.ID, "ran") == [] and browser.find_elements(By.TAG_NAME, "img") == []
    assert browser.execute_script("return document.scripts.length") == 0
    assert "<script>document.title" in browser.find_element(By.TAG_NAME, "body").text


def test_the_page_fits_a_phone_and_has_a_dark_scheme(served, browser, tmp_path):
    base = show(served, acme())
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        visit(browser, base)
        assert background(browser) == DARK
        full_page(browser, tmp_path / "dark.png", width=1000)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True})
        visit(browser, base)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 375  # no sideways scroll
        assert "Partial outage" in browser.find_element(By.TAG_NAME, "body").text
        phone = browser.get_screenshot_as_png()
        (tmp_path / "phone.png").write_bytes(phone)
        assert png_size(phone) == (750, 1624)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_screenshots_of_the_readme_page(served, browser, tmp_path):
    """The README's picture: the Acme page, light (and dark beside it), the whole page at 1000 pixels wide."""
    base = show(served, acme())
    folder = Path(os.environ.get("STATUS_PAGE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for scheme, name in (("light", "status-page.png"), ("dark", "status-page-dark.png")):
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
            {"name": "prefers-color-scheme", "value": scheme}]})
        visit(browser, base)
        assert png_size(full_page(browser, folder / name, width=1000))[0] == 1000
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_feedparser_reads_one_entry_per_update(served):
    shown = acme()
    base = show(served, shown)
    status, headers, body = fetch(f"{base}/history.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title == "Acme status"
    updates = sorted((u for i in shown.incidents for u in i.updates), key=lambda u: u.at, reverse=True)
    assert len(feed.entries) == len(updates) == 4
    for entry, update in zip(feed.entries, updates):
        assert entry.content[0].value == update.body and entry.content[0].type == "text/plain"
        assert entry.updated_parsed[:5] == update.at.timetuple()[:5]
    assert feed.entries[0].title == "Slow or failing assistant answers — Identified"
    assert feed.entries[0].link == f"{URL}#k2v7qj4d1xzs"
    assert feed.entries[-1].title == "Some answers cited the wrong source document — Identified"


def test_the_answers_on_the_wire_carry_the_headers_etags_and_no_cookies(served):
    base = show(served, acme())
    status, headers, body = fetch(f"{base}/api/v2/summary.json?cache=bust")
    assert status == 200 and json.loads(body)["status"]["indicator"] == "major"
    assert headers["Access-Control-Allow-Origin"] == "*" and "Set-Cookie" not in headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert fetch(f"{base}/api/v2/summary.json", If_None_Match=headers["ETag"])[0] == 304
    assert fetch(f"{base}/slack/events", method="POST")[0] == 404
    assert fetch(f"{base}/", method="POST")[0] == 405
    head = fetch(f"{base}/", method="HEAD")
    assert head[0] == 200 and head[2] == b"" and int(head[1]["Content-Length"]) == len(fetch(f"{base}/")[2])


def test_the_prometheus_exporter_reads_the_open_incident_then_its_resolution(served, tmp_path):
    base = show(served, acme())
    (tmp_path / "services.json").write_text(json.dumps(
        {"acme": {"url": f"{base}/api/v2/summary.json", "name": "Acme"}}))
    metrics = export(tmp_path)
    assert metrics[("statuspage_service_status", ())] == 0
    assert metrics[("statuspage_probe_check", ())] == 1
    assert metrics[("statuspage_component_status", (("component_name", "Assistant answers"),))] == 0
    assert metrics[("statuspage_component_status", (("component_name", "Customer data"),))] == 1
    (open_,) = [dict(labels) for (name, labels), value in metrics.items()
                if name == "statuspage_incident_info" and value == 1]
    assert open_ == {"incident_id": "k2v7qj4d1xzs", "incident_name": "Slow or failing assistant answers",
                     "impact": "major", "shortlink": f"{URL}#k2v7qj4d1xzs", "started_at": "2025-05-06T14:02:00Z",
                     "affected_components": "Assistant answers"}

    _, store, _ = served
    store.change(acme(resolved=True))  # the site's own poll notices
    wait_for(lambda: json.loads(fetch(f"{base}/api/v2/status.json")[2])["status"]["indicator"] == "none")
    metrics = export(tmp_path)
    assert metrics[("statuspage_service_status", ())] == 1
    assert metrics[("statuspage_component_status", (("component_name", "Assistant answers"),))] == 1
    assert not [labels for (name, labels), value in metrics.items()
                if name == "statuspage_incident_info" and value == 1]


def export(folder: Path) -> dict[tuple[str, tuple], float]:
    """One pass of the exporter (its RUN_MODE=once, as a cron job runs it) in `folder`, where its services.json,
    its cache and its metrics file are: each sample by name and labels (service_name left out)."""
    env = {key: value for key, value in os.environ.items() if key != "SLACK_WEBHOOK_URL"}
    env.update(SERVICES_JSON_PATH=str(folder / "services.json"), RUN_MODE="once",
               METRICS_TEXTFILE_PATH=str(folder / "metrics.prom"))
    done = subprocess.run([sys.executable, "-m", "statuspage_prometheus_exporter.status_monitoring"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    samples = {}
    for family in text_string_to_metric_families((folder / "metrics.prom").read_text()):
        for sample in family.samples:
            if not sample.name.startswith("statuspage_"):
                continue  # the Python process's own metrics
            labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "service_name"))
            assert sample.labels.get("service_name") == "Acme"
            samples[(sample.name, labels)] = sample.value
    return samples


def fetch(url: str, *, method: str = "GET", **headers: str) -> tuple[int, Message, bytes]:
    """(status, headers as sent, body); status 0 when nothing answers."""
    request = urllib.request.Request(url, method=method, headers={k.replace("_", "-"): v for k, v in headers.items()})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()
    except OSError:
        return 0, Message(), b""


def visit(driver, base: str) -> None:
    """Open the page past the browser's cache (it keeps a page for 30 s, as told; the query string is ignored)."""
    driver.get(f"{base}/?seen={time.monotonic_ns()}")


def background(driver) -> str:
    return driver.execute_script("return getComputedStyle(document.body).backgroundColor")


def full_page(driver, path: Path, *, width: int) -> bytes:
    """A screenshot of the whole page at `width` CSS pixels, saved at `path`."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    shot = driver.get_screenshot_as_png()
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(shot)
    return shot


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
