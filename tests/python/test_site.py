"""The static site (`pillars site`), built with the real binary from the repository: every
record has its page, no internal link is broken, nothing is loaded from elsewhere, charts are
accessible, and headless Chromium opens the index, a table page and a record page without a
console error (screenshots go to target/site-screenshots/, which git ignores)."""

import csv
import json
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from cdp import Browser, chromium
from conftest import BIN, ROOT, SCHEMA

SHOTS = ROOT / "target" / "site-screenshots"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    env = dict(os.environ, PILLARS_TODAY="2026-01-01")
    r = subprocess.run(
        [str(BIN), "site", "--quiet", "--dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    return out


class Page(HTMLParser):
    """The links, ids, images and scripts of one HTML page."""

    def __init__(self):
        super().__init__()
        self.refs, self.ids, self.imgs, self.loads = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for attr in ("href", "src"):
            if a.get(attr) is not None:
                self.refs.append(a[attr])
        if tag == "img":
            self.imgs.append(a)
        if tag in ("script", "img") or (tag == "link" and a.get("rel") == "stylesheet"):
            self.loads.append(a.get("src") or a.get("href"))


def parse(path):
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def pages(site):
    return sorted(site.rglob("*.html"))


def record_tables():
    return [t for t, s in SCHEMA.items() if len(s["primaryKey"]) == 1]


def csv_ids(site, table):
    key = SCHEMA[table]["primaryKey"][0]
    with open(site / "download" / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        return [row[key] for row in csv.DictReader(f)]


@pytest.mark.parametrize("table", record_tables())
def test_every_record_has_its_page(site, table):
    ids = csv_ids(site, table)
    assert ids, table
    missing = [i for i in ids if not (site / "records" / table / f"{i}.html").exists()]
    assert not missing, f"{table}: no page for {missing[:5]}"
    pages = list((site / "records" / table).glob("*.html"))
    assert len(pages) == len(ids)


def test_no_broken_internal_link(site):
    parsed = {p: parse(p) for p in pages(site)}
    broken = []
    for page, info in parsed.items():
        for ref in info.refs:
            u = urlsplit(ref)
            if u.scheme or u.netloc:
                continue
            target = (page.parent / unquote(u.path)).resolve() if u.path else page
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)}: {ref}")
            elif u.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if u.fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {ref} (no such anchor)")
    assert len(parsed) > 100, "the site has a page per record"
    assert not broken, f"{len(broken)} broken links, e.g. {broken[:10]}"


def test_self_contained_and_accessible(site):
    for page in pages(site):
        info = parse(page)
        for load in info.loads:
            assert not urlsplit(load).scheme, f"{page}: loads {load} from elsewhere"
        for img in info.imgs:
            assert img.get("alt"), f"{page}: image {img.get('src')} has no alt text"
        text = page.read_text(encoding="utf-8")
        assert "<h1>" in text and '<html lang="en">' in text, page
    charts = sorted((site / "charts").glob("*.svg"))
    assert len(charts) >= 4
    for svg in charts:
        head = svg.read_text(encoding="utf-8")[:2000]
        assert 'role="img"' in head and "<title" in head and "<desc" in head, svg


def test_table_pages_readable_without_the_script(site):
    """Every row is in the HTML itself; the script only adds sorting and filtering."""
    for table in SCHEMA:
        with open(site / "download" / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
            n = sum(1 for _ in csv.DictReader(f))
        html = (site / "tables" / f"{table}.html").read_text(encoding="utf-8")
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert body.count("<tr>") == n, table
        assert html.count('<th scope="col">') >= len(SCHEMA[table]["fields"])


def test_site_manifest_lists_every_file(site):
    m = json.loads((site / "manifest.json").read_text())
    listed = {f["path"] for f in m["files"]}
    on_disk = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()} - {"manifest.json"}
    assert listed == on_disk
    assert m["generator"] == "pillars site"


def browser_or_skip():
    exe = chromium()
    if exe:
        return exe
    msg = "Chromium is not installed, so the browser test could NOT run; install it with `apt-get install -y chromium` (.ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(msg)
    print(f"\n*** SKIPPED: {msg} ***")
    pytest.skip(msg)


def a_record_with_a_resolution(site):
    with open(site / "download" / "csv" / "provenance.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["resolution"]:
                return row["table"], row["record_id"]
    raise AssertionError("no provenance row has a resolution: the record-page checks need one")


def test_in_headless_chromium(site):
    exe = browser_or_skip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    table, rid = a_record_with_a_resolution(site)
    b = Browser(exe)
    try:
        for name, rel in [("index", "index.html"), ("table", "tables/events.html"), ("record", f"records/{table}/{rid}.html")]:
            s = b.open((site / rel).resolve().as_uri())
            b.screenshot(s, SHOTS / f"{name}.png")
            assert (SHOTS / f"{name}.png").stat().st_size > 5000
            errors = b.console_errors(s)
            assert not errors, f"{rel}: console errors {errors}"
            broken = b.evaluate(s, "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
            assert broken == [], f"{rel}: images not shown {broken}"
            if name == "table":
                # The script adds a sort button to every header and a working filter.
                n = b.evaluate(s, "document.querySelectorAll('table.data thead th button').length")
                assert n == len(SCHEMA["events"]["fields"])
                total = b.evaluate(s, "document.querySelectorAll('table.data tbody tr').length")
                shown = b.evaluate(s, """(() => { const i = document.querySelector('input[type=search]');
                    i.value = 'CN'; i.dispatchEvent(new Event('input'));
                    return Array.from(document.querySelectorAll('table.data tbody tr')).filter(r => !r.hidden).length; })()""")
                assert 0 < shown < total
                first, last = b.evaluate(s, """(() => {
                    const ids = Array.from(document.querySelectorAll('table.data tbody tr')).map(r => r.cells[0].textContent);
                    ids.sort((a, b) => a.localeCompare(b));
                    const h = document.querySelectorAll('table.data thead th button')[0];
                    h.click(); h.click();
                    return [document.querySelector('table.data tbody tr').cells[0].textContent, ids[ids.length - 1]]; })()""")
                assert first == last, "the second click sorts the ids descending"
            if name == "record":
                assert b.evaluate(s, "!!document.getElementById('provenance')")
                assert b.evaluate(s, "document.body.textContent.includes('not kept')")
    finally:
        b.close()
