"""`charter report`: the site's files and links, its escaping of registry text, and what a browser makes of it.

The browser tests load every page from file:// in Debian's headless chromium (installed by `make test`) with every
network path closed (a proxy that does not exist), and fail on any console error or any request that is not a file
of the site.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, Charter, git

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

EVALUATION = """\
apiVersion: charter/v1
kind: Evaluation
metadata:
  name: card-fraud-3-3-0-shadow
  version: 1.0.0
  owner: team-payments-risk
  description: Shadow run of card-fraud 3.3.0 <img src=x onerror=alert(1)> on live traffic.
  status: active
  tags: [fraud, shadow]
spec:
  model: model:card-fraud@3.3.0
  cohort: cohort:card-transactions-eval@1.0.0
  event: event:chargeback-fraud@1.0.0
  dataSnapshot: payments-2026-10-30
  method: shadow
  metrics:
    auroc: {value: 0.987, ciLower: 0.985, ciUpper: 0.989, ciLevel: 0.95}
    auprc: {value: 0.731, ciLower: 0.722, ciUpper: 0.740, ciLevel: 0.95}
  thresholds:
    - {threshold: 0.1, alertsPerDay: 640.2, alertRate: 0.0032, sensitivity: 0.851, ppv: 0.452, specificity: 0.9982}
    - {threshold: 0.3, alertsPerDay: 341.0, alertRate: 0.0017, sensitivity: 0.702, ppv: 0.688, specificity: 0.9994}
    - {threshold: 0.5, alertsPerDay: 231.7, alertRate: 0.00116, sensitivity: 0.571, ppv: 0.812, specificity: 0.9998}
    - {threshold: 0.8, alertsPerDay: 140.9, alertRate: 0.0007, sensitivity: 0.392, ppv: 0.901, specificity: 0.9999}
  operatingThreshold: 0.5
  subgroups:
    - {name: channel=ecommerce, attribute: channel, value: ecommerce, n: 9100000, prevalence: 0.0019,
       metrics: {auroc: 0.988, sensitivity: 0.58, ppv: 0.82}}
    - {name: channel=recurring, attribute: channel, value: recurring, n: 1300000, prevalence: 0.0008,
       metrics: {auroc: 0.969, sensitivity: 0.41, ppv: 0.74}}
    - {name: "region=<b>UK</b>", attribute: region, value: UK, n: 2700000, prevalence: 0.0021,
       metrics: {auroc: 0.985, sensitivity: 0.56, ppv: 0.80}}
  calibration:
    bins:
      - {predicted: 0.0002, observed: 0.00013, n: 9000000}
      - {predicted: 0.2, observed: 0.19, n: 20000}
      - {predicted: 0.7, observed: 0.68, n: 9000}
  baseline: model:card-fraud@3.2.0
  evaluator: ci/charter-evaluate
  date: 2026-11-02
"""

HEALTH = """\
apiVersion: charter/v1
kind: DeploymentRecord
metadata:
  name: card-fraud-3-3-0-dev-health-2026-11-{day}
  owner: team-ml-platform
  description: Weekly health of the card-fraud 3.3.0 canary in dev.
  status: active
spec:
  model: model:card-fraud@3.3.0
  environment: dev
  type: health
  at: 2026-11-{day}T06:00:00Z
  reporter: monitoring/weekly-health
  period: {{start: 2026-11-01T00:00:00Z, end: 2026-11-{day}T00:00:00Z}}
  health: {{latencyP50Ms: {latency}, errorRate: 0.001, alertsPerDay: {alerts}}}
  links:
    - title: Not a link
      url: "javascript:alert(document.cookie)"
"""


@pytest.fixture
def evidence_registry(registry: Path) -> Path:
    """The example registry plus a shadow evaluation of card-fraud 3.3.0, two health reports and a promotion."""
    (registry / "evaluations/card-fraud-3-3-0-shadow").mkdir(parents=True)
    (registry / "evaluations/card-fraud-3-3-0-shadow/1.0.0.yaml").write_text(EVALUATION, encoding="utf-8")
    for day, latency, alerts in (("09", 21, 228.5), ("16", 23, 236.0)):
        (registry / f"records/card-fraud-3-3-0-dev-health-2026-11-{day}.yaml").write_text(
            HEALTH.format(day=day, latency=latency, alerts=alerts), encoding="utf-8")
    staging = registry / "environments/staging.yaml"
    staging.write_text(staging.read_text(encoding="utf-8").replace(
        "  assignments:\n",
        "  assignments:\n    - model: model:card-fraud@3.3.0\n      mode: shadow\n"
        "      promotedAt: 2026-11-20T08:00:00Z\n      reason: Shadow scoring before a canary.\n", 1),
        encoding="utf-8")
    git(registry, "add", "-A")
    git(registry, "commit", "-qm", "Shadow card-fraud 3.3.0 in staging (#42)")
    return registry


class _Links(HTMLParser):
    """Every URL-valued attribute of a page, with the tag it is on."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "xlink:href", "action", "poster", "data") and value is not None:
                self.found.append((tag, name, value))
            if name == "id" and value is not None:
                self.ids.add(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def site(evidence_registry: Path, charter: Charter, tmp_path: Path) -> Path:
    result = charter("-C", evidence_registry, "report", "-o", tmp_path / "site", "--title", "Risk & models")
    assert result.code == 0, result
    assert "pages to" in result.stdout
    return tmp_path / "site"


def test_every_entry_has_its_page_and_every_link_resolves(site: Path) -> None:
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    expected = {
        "index.html", "models/sepsis-risk.html", "models/card-fraud.html",
        "contracts/sepsis-risk-serving/1.0.0.html", "contracts/card-fraud-scoring/1.0.0.html",
        "events/sepsis-onset/1.0.0.html", "events/sepsis-onset/2.0.0.html", "events/chargeback-fraud/1.0.0.html",
        "cohorts/sepsis-adult-inpatients-eval/1.0.0.html", "cohorts/card-transactions-train/1.0.0.html",
        "evaluations/sepsis-risk-1-1-0-retro/1.0.0.html", "evaluations/card-fraud-3-3-0-shadow/1.0.0.html",
        "environments/production.html", "records/card-fraud-3-3-0-dev-health-2026-11-16.html",
    }
    assert expected <= set(pages)
    assert (site / "assets/style.css").is_file() and (site / "assets/catalog.js").is_file()
    checked = 0
    for page in pages:
        parsed = _parse(site / page)
        for tag, attr, url in parsed.found:
            if tag == "a" and re.match(r"^(https?|mailto):", url):
                continue  # a link the reader may follow; nothing is loaded from it
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I), f"{page}: {tag} {attr}={url} is not local"
            target, _, anchor = url.partition("#")
            resolved = (site / page).parent / target if target else site / page
            assert resolved.resolve().is_file(), f"{page}: {url} points at nothing"
            if anchor:
                assert anchor in _parse(resolved).ids, f"{page}: {url} has no such anchor"
            checked += 1
    assert checked > 200


def test_no_resource_comes_from_a_network(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag, _attr, url in _parse(page).found:
            if tag in ("script", "link", "img", "image", "iframe", "source", "video", "audio", "object", "use"):
                assert not re.match(r"^(https?:)?//", url), f"{page}: {tag} loads {url}"
        assert "<iframe" not in text and "@import" not in text
        assert "Content-Security-Policy" in text
    assert not re.search(r"url\(|https?://", (site / "assets/style.css").read_text(encoding="utf-8"))
    assert "http" not in (site / "assets/catalog.js").read_text(encoding="utf-8")


def test_model_page_shows_versions_placements_charts_lineage_and_history(site: Path,
                                                                         evidence_registry: Path) -> None:
    html = (site / "models/card-fraud.html").read_text(encoding="utf-8")
    for version in ("3.2.0", "3.3.0"):
        assert f'id="v-{version}"' in html
    running = html.split('id="running"', 1)[1].split("</section>", 1)[0]
    assert "staging" in running and "shadow" in running and "canary 20%" in running
    charts = {section: html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
              for section in ("performance", "thresholds", "subgroups", "lineage")}
    assert charts["performance"].count('<svg class="chart"') >= 4
    assert "latencyP50Ms over time" in charts["performance"]  # health reports are part of the history
    assert charts["thresholds"].count('<svg class="chart"') == 3
    assert "Alerts per day by threshold" in charts["thresholds"] and "operating" in charts["thresholds"]
    assert charts["subgroups"].count('<svg class="chart"') == 3
    assert "channel=recurring" in charts["subgroups"]
    assert '<svg class="lineage"' in charts["lineage"] and "chargeback-fraud@1.0.0" in charts["lineage"]
    head = git(evidence_registry, "rev-parse", "--short=7", "HEAD").strip()
    promotions = html.split('id="promotions"', 1)[1].split("</section>", 1)[0]
    assert head in promotions and "#42" in promotions and "Shadow scoring before a canary." in promotions
    assert "card-fraud-3-3-0-shadow" in html.split('id="evaluations"', 1)[1]


def test_registry_text_is_escaped_and_only_safe_links_are_clickable(site: Path) -> None:
    evaluation = (site / "evaluations/card-fraud-3-3-0-shadow/1.0.0.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in evaluation and "<img" not in evaluation
    assert "region=&lt;b&gt;UK&lt;/b&gt;" in evaluation and "<b>UK" not in evaluation
    record = (site / "records/card-fraud-3-3-0-dev-health-2026-11-16.html").read_text(encoding="utf-8")
    assert "javascript:alert(document.cookie)" in record  # shown as text ...
    assert 'href="javascript' not in record  # ... never as a link
    model = (site / "models/sepsis-risk.html").read_text(encoding="utf-8")
    assert 'href="https://wiki.example.org/ml/model-cards/sepsis-risk"' in model
    catalog = (site / "index.html").read_text(encoding="utf-8")
    assert "<title>Catalog · Risk &amp; models</title>" in catalog


def test_rebuilds_in_place_and_refuses_folders_it_did_not_write(evidence_registry: Path, charter: Charter,
                                                                tmp_path: Path) -> None:
    target = tmp_path / "site"
    assert charter("-C", evidence_registry, "report", "-o", target).code == 0
    (target / "stale.html").write_text("old", encoding="utf-8")
    result = charter("-C", evidence_registry, "report", "-o", target, "--format", "json")
    assert result.code == 0, result
    summary = json.loads(result.stdout)
    assert summary["index"] == str(target / "index.html") and "models/sepsis-risk.html" in summary["pages"]
    assert not (target / "stale.html").exists()  # the old site was replaced whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no temporary folder left

    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("precious", encoding="utf-8")
    refused = charter("-C", evidence_registry, "report", "-o", mine)
    assert refused.code == 2 and "not a charter report" in refused.stderr and "--force" in refused.stderr
    assert (mine / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert charter("-C", evidence_registry, "report", "-o", mine, "--force").code == 0
    assert (mine / "index.html").is_file() and not (mine / "keep.txt").exists()

    for folder in (evidence_registry, evidence_registry.parent):
        refused = charter("-C", evidence_registry, "report", "-o", folder, "--force")
        assert refused.code == 2 and "holds the registry itself" in refused.stderr
    assert (evidence_registry / "registry.yaml").is_file()
    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    assert "is a file" in charter("-C", evidence_registry, "report", "-o", afile).stderr


def test_python_api_writes_the_same_site(evidence_registry: Path, tmp_path: Path) -> None:
    from charter import Registry

    index = Registry(evidence_registry).report(tmp_path / "api-site", title="From a job")
    assert index == tmp_path / "api-site/index.html" and index.is_file()
    assert "<title>Catalog · From a job</title>" in index.read_text(encoding="utf-8")
    assert (tmp_path / "api-site/models/card-fraud.html").is_file()


def test_a_registry_without_git_history_still_gets_a_report(registry: Path, charter: Charter,
                                                           tmp_path: Path) -> None:
    shutil.rmtree(registry / ".git")
    assert charter("-C", registry, "report", "-o", tmp_path / "site").code == 0
    html = (tmp_path / "site/models/sepsis-risk.html").read_text(encoding="utf-8")
    assert "promotion history unavailable" in html or "no assignment change" in html


def test_malformed_entries_are_shown_not_fatal(registry: Path, charter: Charter, tmp_path: Path) -> None:
    """The report shows what is there; `validate` is the place that says what is wrong with it."""
    (registry / "models/odd/versions").mkdir(parents=True)
    (registry / "models/odd/versions/1.0.0.yaml").write_text(
        "apiVersion: charter/v1\nkind: ModelVersion\nmetadata: {name: odd, version: 1.0.0}\n"
        "spec: {metrics: [1], contract: 7, labelEvent: 'event:nope@1.0.0'}\n", encoding="utf-8")
    (registry / "evaluations/odd").mkdir(parents=True)
    (registry / "evaluations/odd/1.0.0.yaml").write_text(
        "apiVersion: charter/v1\nkind: Evaluation\nmetadata: {name: odd, version: 1.0.0}\n"
        "spec: {model: 'model:odd@1.0.0', metrics: {auroc: {value: x}}, thresholds: [{threshold: x}, 5],\n"
        "       subgroups: [{name: a, metrics: {auroc: high}}], calibration: {bins: no}}\n", encoding="utf-8")
    (registry / "evaluations/odd/2.0.0.yaml").write_text(
        "apiVersion: charter/v1\nkind: Evaluation\nmetadata: {name: odd, version: 2.0.0}\nspec: 5\n",
        encoding="utf-8")
    result = charter("-C", registry, "report", "-o", tmp_path / "site")
    assert result.code == 0, result
    odd = (tmp_path / "site/models/odd.html").read_text(encoding="utf-8")
    assert 'id="v-1.0.0"' in odd and "event:nope@1.0.0" in odd and 'href="../events/nope' not in odd
    assert "evaluation:odd@1.0.0" in odd.split('id="evaluations"', 1)[1]
    assert (tmp_path / "site/evaluations/odd/2.0.0.html").is_file()


def test_an_empty_registry_gets_a_one_page_report(tmp_path: Path, charter: Charter) -> None:
    (tmp_path / "empty").mkdir()
    shutil.copy(PROJECT / "registry-template/.empty/registry.yaml", tmp_path / "empty/registry.yaml")
    result = charter("-C", tmp_path / "empty", "report", "-o", tmp_path / "site")
    assert result.code == 0 and "wrote 1 page to" in result.stdout
    assert "0 entries" in (tmp_path / "site/index.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    assert CHROMIUM.is_file() and CHROMEDRIVER.is_file(), \
        "the report tests need Debian's chromium and chromium-driver: run `make test` (it installs them)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900",
                 # Any request that tries to leave the machine goes to a proxy that is not there, and fails.
                 "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        driver.get("about:blank")
        yield driver
    finally:
        driver.quit()


def _load(driver: Any, page: Path) -> tuple[list[str], list[str]]:
    """Open a page; return its console errors and every URL it requested."""
    driver.get_log("browser")
    driver.get_log("performance")  # drain what came before this page
    driver.get(page.as_uri())  # returns once the page has loaded
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    return errors, requests


@pytest.mark.parametrize(("low", "high"), [(0.28, 0.366), (0.0, 1.0), (5.1, 5.3), (-2.5, 7.0), (3.0, 3.0)])
def test_axis_ticks_span_the_data_and_its_intervals(low: float, high: float) -> None:
    from charter.report.charts import nice_ticks

    ticks = nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high, ticks  # no whisker runs off the plot
    assert ticks == sorted(ticks) and len(ticks) <= 12


def test_every_page_renders_without_errors_or_network_requests(site: Path, browser: Any) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        errors, requests = _load(browser, page)
        assert errors == [], f"{page.relative_to(site)}: {errors}"
        outside = [url for url in requests if not url.startswith(site.as_uri() + "/")]
        assert outside == [], f"{page.relative_to(site)} requested {outside}"
        assert browser.find_element("css selector", "h1").text.strip()
        assert browser.execute_script("return getComputedStyle(document.body).margin") == "0px"  # CSS loaded


def test_charts_and_lineage_are_drawn(site: Path, browser: Any) -> None:
    errors, _ = _load(browser, site / "models/card-fraud.html")
    assert errors == []
    sizes = browser.execute_script("""
        const measure = (selector) => Array.from(document.querySelectorAll(selector))
            .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0).length;
        return {
            dots: measure('#performance svg.chart circle.dot'),
            ringed: measure('#performance svg.chart circle.hollow'),
            lines: measure('#thresholds svg.chart polyline.line'),
            bars: measure('#subgroups svg.chart rect.bar'),
            nodes: measure('#lineage details[open] svg.lineage g.node'),
            charts: measure('svg.chart'),
        };
    """)
    assert sizes["dots"] > 10 and sizes["ringed"] >= 2
    assert sizes["lines"] >= 6 and sizes["bars"] >= 12 and sizes["nodes"] >= 6
    assert sizes["charts"] >= 10
    errors, _ = _load(browser, site / "evaluations/card-fraud-3-3-0-shadow/1.0.0.html")
    assert errors == []
    calibration = browser.execute_script(
        "return document.querySelectorAll('#charts svg.chart circle.dot').length")
    assert calibration >= 3 + 4 * 3


def test_catalog_filters_narrow_the_table(site: Path, browser: Any) -> None:
    from selenium.webdriver.support.ui import Select

    errors, _ = _load(browser, site / "index.html")
    assert errors == []

    def visible() -> list[str]:
        rows = browser.find_elements("css selector", "#catalog tbody tr")
        return [r.get_attribute("data-kind") for r in rows if r.is_displayed()]

    everything = visible()
    assert len(everything) > 20
    assert browser.find_element("id", "filters").is_displayed()  # shown once the script runs
    Select(browser.find_element("name", "kind")).select_by_value("model")
    assert visible() == ["model", "model"]
    Select(browser.find_element("name", "kind")).select_by_value("")
    Select(browser.find_element("name", "tag")).select_by_value("shadow")
    assert visible() == ["evaluation"]
    Select(browser.find_element("name", "tag")).select_by_value("")
    box = browser.find_element("name", "text")
    box.send_keys("card-fraud-3-3-0-SHADOW")
    assert visible() == ["evaluation"]
    box.clear()
    box.send_keys("chargeback")
    texts = [r.get_attribute("data-text") for r in browser.find_elements("css selector", "#catalog tbody tr")
             if r.is_displayed()]
    assert "event definition" in visible() and all("chargeback" in t for t in texts)
    assert len(texts) < len(everything)
    assert "of" in browser.find_element("id", "shown").text
    box.send_keys(" no-such-word")
    assert visible() == [] and browser.find_element("id", "no-match").is_displayed()

