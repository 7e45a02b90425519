"""The README's "Loading the data" one-liners, run exactly as written (extracted from
README.md, not copied), from the repository root as a user would."""

import re

import duckdb

from conftest import ROOT


def readme_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Loading the data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def test_readme_has_the_one_liners():
    langs = [lang for lang, _ in readme_blocks()]
    assert langs == ["python", "python", "sql", "python", "python"], langs


def run_python(name):
    """Every Python block of the section that defines `name`, run as written."""
    frames = []
    for lang, code in readme_blocks():
        if lang != "python" or f"{name} =" not in code:
            continue
        scope = {}
        exec(compile(code, "README.md", "exec"), scope)
        frames.append(scope[name])
    return frames


def test_csv_one_liners_keep_codes_as_text(monkeypatch):
    """With the README's dtypes, `057` stays `057` and `2016` stays text, in pandas and polars."""
    monkeypatch.chdir(ROOT)
    import csv

    with open(ROOT / "output/csv/events.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    want_cameo = [r["cameo"] or None for r in rows]
    want_date = [r["date"] for r in rows]
    assert any(c and c.startswith("0") for c in want_cameo), "the test needs a leading zero"
    pandas_events, polars_events = run_python("events")
    got = [None if isinstance(v, float) else v for v in pandas_events["cameo"].tolist()]
    assert got == want_cameo
    assert pandas_events["date"].tolist() == want_date
    assert polars_events["cameo"].to_list() == want_cameo
    assert polars_events["date"].to_list() == want_date
    assert str(polars_events["year"].dtype).startswith("Int")


def test_python_one_liners_run_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    frames = run_python("deals")
    pandas_deals, polars_deals = frames
    assert type(pandas_deals).__module__.startswith("pandas")
    assert type(polars_deals).__module__.startswith("polars")
    assert len(pandas_deals) == polars_deals.height > 0
    assert str(pandas_deals["date_start"].dropna().iloc[0].__class__.__name__) == "date"


def test_duckdb_one_liner_runs_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    (sql,) = [code for lang, code in readme_blocks() if lang == "sql"]
    rows = duckdb.sql(sql).fetchall()
    assert len(rows) > 0
    pandas_rows = len(__import__("pandas").read_parquet(ROOT / "output/parquet/deals.parquet"))
    assert len(rows) == pandas_rows
