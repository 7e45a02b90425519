"""Files users and CI read but no other test touches: the workflow (schema-checked with
check-jsonschema's vendored GitHub workflow schema) and CITATION.cff (cffconvert, CFF 1.2.0)."""

import subprocess
import sys
from pathlib import Path

import yaml

from conftest import ROOT

VENV_BIN = Path(sys.executable).parent
CFF_BIN = ROOT / ".venv-cff" / "bin" / "cffconvert"
WORKFLOW = ROOT / ".github" / "workflows" / "rebuild.yml"


def run(cmd):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def test_workflow_matches_the_github_schema():
    code, out = run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)]
    )
    assert code == 0, out


def test_workflow_schema_check_catches_mistakes(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("runs-on:", "runs_on:"))
    code, out = run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)]
    )
    assert code != 0, out


def test_workflow_does_what_the_issue_asks():
    wf = yaml.safe_load(WORKFLOW.read_text())
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "schedule"} <= set(on)
    steps = wf["jobs"]["build"]["steps"]
    text = WORKFLOW.read_text()
    assert any(s.get("run") == "bash .ci/run" for s in steps)
    assert any(s.get("run") == "target/release/pillars check" for s in steps)
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for s in steps)
    commit = [s for s in steps if "git commit" in s.get("run", "")]
    assert commit and commit[0]["if"] == "github.event_name == 'schedule'"
    assert "target/release/pillars diff old-output output" in text


def test_workflow_refreshes_the_rate_snapshot_before_the_weekly_rebuild():
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["build"]["steps"]
    names = [s.get("name", "") for s in steps]
    refresh = [s for s in steps if "refresh.py" in s.get("run", "")]
    assert refresh and refresh[0]["if"] == "github.event_name == 'schedule'"
    assert "eurofxref-hist.zip" in refresh[0]["run"]
    rebuild = names.index("Rebuild output/ from raw/ and schema/")
    assert names.index(refresh[0]["name"]) < rebuild
    commit = [s for s in steps if "git commit" in s.get("run", "")][0]["run"]
    assert "git add output/ schema/snapshots/" in commit


def test_snapshot_metadata_matches_the_snapshot():
    import hashlib
    import json

    d = ROOT / "schema" / "snapshots" / "ecb-eurofxref-hist"
    meta = json.loads((d / "snapshot.json").read_text())
    assert hashlib.sha256((d / meta["file"]).read_bytes()).hexdigest() == meta["sha256"]
    for key in ("origin", "date_taken", "licence", "refresh", "origin_sha256"):
        assert meta.get(key), key


def test_citation_cff_is_valid():
    assert CFF_BIN.exists(), f"{CFF_BIN} missing: run `make venv`"
    code, out = run([str(CFF_BIN), "--validate", "--infile", "CITATION.cff"])
    assert code == 0, out
    code, out = run([str(CFF_BIN), "--format", "zenodo", "--infile", "CITATION.cff"])
    assert code == 0 and "CC-BY-4.0" in out, out


def test_citation_check_catches_mistakes(tmp_path):
    bad = tmp_path / "CITATION.cff"
    text = (ROOT / "CITATION.cff").read_text()
    bad.write_text("\n".join(l for l in text.splitlines() if not l.startswith("title:")))
    code, out = run([str(CFF_BIN), "--validate", "--infile", str(bad)])
    assert code != 0, out
