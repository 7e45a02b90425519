"""Shared fixtures for the tool tests: the repository, its schema, and datasets built with the
real binary. Run with `make test-tools` (or `make test`), which builds the binary and output/
first and installs the pinned tools into .venv/."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "target" / "release" / "pillars"
OUTPUT = ROOT / "output"


def load_schema():
    """Table name → Table Schema (with the pipeline's `x-` properties), from schema/tables."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "schema" / "tables").glob("*.json"))
    }


SCHEMA = load_schema()
TABLES = sorted(SCHEMA)
SCHEMA_VERSION = (ROOT / "schema" / "VERSION").read_text().strip()


def fields(table):
    return SCHEMA[table]["fields"]


def kind(field):
    """What a column must look like in a data tool: date, id, code, count, amount, bool,
    list or text."""
    t = field["type"]
    if t == "list":
        return "list"
    if t == "date":
        return "date"
    if t == "integer":
        return "count"
    if t == "number":
        return "amount"
    if t == "boolean":
        return "bool"
    if "x-vocabulary" in field:
        return "code"
    if field["name"].endswith("_id") or "x-ref" in field:
        return "id"
    return "text"


def build_fixture(tmp: Path, fixture: str) -> Path:
    """Builds tests/fixtures/FIXTURE with the real binary in `tmp`; returns its output dir."""
    if not BIN.exists():
        pytest.fail(f"{BIN} is missing: run `make` (make test-tools builds it first)")
    shutil.copytree(ROOT / "tests" / "fixtures" / fixture / "raw", tmp / "raw")
    shutil.copytree(ROOT / "schema", tmp / "schema")
    env = dict(os.environ, PILLARS_TODAY="2026-01-01")
    r = subprocess.run(
        [str(BIN), "build", "--quiet"], cwd=tmp, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return tmp / "output"


@pytest.fixture(scope="session")
def mini_output(tmp_path_factory):
    """output/ of the `mini` fixture, which holds the formula-like title and diacritics."""
    return build_fixture(tmp_path_factory.mktemp("mini"), "mini")


def soffice():
    """The LibreOffice binary, or a loud skip (a failure in CI, which must run every test)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    msg = (
        "LibreOffice (soffice) is not installed, so the spreadsheet test could NOT run; "
        "install it with `apt-get install -y --no-install-recommends libreoffice-calc` "
        "(.ci/run does)"
    )
    if os.environ.get("CI"):
        pytest.fail(msg)
    print(f"\n*** SKIPPED: {msg} ***")
    pytest.skip(msg)


def convert(exe: str, files, fmt: str, outdir: Path, profile: Path, infilter=None):
    """Opens `files` in LibreOffice Calc, headless, and saves them as `fmt` in `outdir`, with
    a private user profile so parallel runs do not share state."""
    cmd = [
        exe,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
    ]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    cmd += ["--convert-to", fmt, "--outdir", str(outdir), *map(str, files)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for f in files:
        out = outdir / (Path(f).stem + "." + fmt.split(":")[0])
        assert out.exists(), f"LibreOffice wrote no {out}:\n{r.stdout}{r.stderr}"


def pytest_terminal_summary(terminalreporter):
    """Names every test that could not run, so a skip is never mistaken for a pass."""
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} TESTS COULD NOT RUN", red=True)
        for r in skipped:
            reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
            terminalreporter.write_line(f"NOT RUN: {r.nodeid}: {reason}")
