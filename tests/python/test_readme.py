"""The README's "Loading the data" one-liners, run exactly as written (extracted from
README.md, not copied), from the repository root as a user would."""

import re

import duckdb

from conftest import ROOT


def readme_blocks():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Loading the data", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)


def test_readme_has_the_three_one_liners():
    langs = [lang for lang, _ in readme_blocks()]
    assert langs == ["python", "python", "sql"], langs


def test_python_one_liners_run_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)
    frames = []
    for lang, code in readme_blocks():
        if lang != "python":
            continue
        scope = {}
        exec(compile(code, "README.md", "exec"), scope)
        frames.append(scope["deals"])
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
