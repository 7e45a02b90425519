"""The reference validator: frictionless-py validates output/datapackage.json (every resource,
every row against its Table Schema) with zero errors and zero warnings."""

import frictionless

from conftest import OUTPUT, TABLES


def test_datapackage_is_valid_without_warnings():
    report = frictionless.validate(str(OUTPUT / "datapackage.json"))
    errors = [e.message for t in report.tasks for e in t.errors] + [
        e.message for e in report.errors
    ]
    assert report.valid, "\n".join(errors[:20])
    assert report.stats["errors"] == 0 and report.stats["warnings"] == 0, report.stats
    assert all(not t.warnings for t in report.tasks), [t.warnings for t in report.tasks]
    assert not report.warnings
    assert sorted(t.name for t in report.tasks) == TABLES
    assert all(t.stats["rows"] > 0 for t in report.tasks)


def test_licences_in_datapackage():
    package = frictionless.Package(str(OUTPUT / "datapackage.json"))
    assert [l["name"] for l in package.licenses] == ["CC-BY-4.0"]
    assert all(r.encoding == "utf-8-sig" for r in package.resources)


def test_parquet_is_kept_out_of_the_package_with_a_note():
    """frictionless cannot describe or validate the Parquet files' list columns (issue 12), so
    the package lists the CSV resources only and its description says where Parquet is."""
    import json

    dp = json.loads((OUTPUT / "datapackage.json").read_text(encoding="utf-8"))
    assert all(r["format"] == "csv" and r["path"].startswith("csv/") for r in dp["resources"])
    assert "parquet/" in dp["description"]
    assert sorted(r["name"] for r in dp["resources"]) == TABLES


def test_frictionless_describe_handles_every_resource():
    package = frictionless.Package(str(OUTPUT / "datapackage.json"))
    for r in package.resources:
        described = frictionless.describe(str(OUTPUT / r.path))
        assert [f.name for f in described.schema.fields] == [f.name for f in r.schema.fields], r.name
