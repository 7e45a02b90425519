"""Data scientists: every Parquet file, loaded with pandas (pyarrow engine), Python polars and
DuckDB, arrives with the right types, carries `schema_version` in its file metadata, and holds
exactly the values of the CSV file of the same table."""

import csv
import datetime as dt
import math

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from conftest import OUTPUT, SCHEMA_VERSION, TABLES, fields, kind


def parquet(out, table):
    return str(out / "parquet" / f"{table}.parquet")


# --- loaders: each returns (column → tool type, rows as lists of plain Python values) -------


def plain(v):
    """A cell from any tool as a plain Python value (None for every kind of missing)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):
        return [plain(x) for x in v.tolist()]
    if isinstance(v, list):
        return [plain(x) for x in v]
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def load_pandas(out, table):
    df = pd.read_parquet(parquet(out, table), engine="pyarrow")
    rows = [[plain(v) for v in r] for r in df.astype(object).itertuples(index=False)]
    return df, rows


def load_polars(out, table):
    df = pl.read_parquet(parquet(out, table))
    return df, [list(r) for r in df.rows()]


def load_duckdb(out, table):
    rel = duckdb.sql(f"SELECT * FROM '{parquet(out, table)}'")
    return rel, [list(r) for r in rel.fetchall()]


def csv_rows(out, table):
    """The CSV file's rows, typed as the schema says (what the CSV means)."""
    with open(out / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header == [f["name"] for f in fields(table)]
        return [
            [typed(field, cell) for field, cell in zip(fields(table), row)] for row in r
        ]


def unguard(cell):
    """A text cell's original text: the formula guard (README, docs/CSV.md) prepends exactly
    one `'`, to every text that starts with one too, so removing one leading `'` is exact."""
    return cell[1:] if cell.startswith("'") else cell


def typed(field, cell):
    if cell == "":
        return None
    t = field["type"]
    if t == "date":
        return dt.date.fromisoformat(cell)
    if t == "integer":
        return int(cell)
    if t == "number":
        return float(cell)
    if t == "boolean":
        return {"true": True, "false": False}[cell]
    cell = unguard(cell)  # the CSV's formula guard; Parquet keeps the exact text
    if t == "list":
        return cell.split(";")
    return cell


LOADERS = {"pandas": load_pandas, "polars": load_polars, "duckdb": load_duckdb}


# --- types ----------------------------------------------------------------------------------


def check_pandas_types(df, table):
    for f in fields(table):
        s, k, name = df[f["name"]], kind(f), f"{table}.{f['name']}"
        values = [v for v in s.tolist() if plain(v) is not None]
        if k == "date":
            assert all(type(v) is dt.date for v in values), f"{name}: {s.dtype}"
        elif k == "count":
            assert str(s.dtype) in ("int64", "Int64"), f"{name}: {s.dtype}"
            if s.isna().any():
                assert str(s.dtype) == "Int64", f"{name}: nullable integer, got {s.dtype}"
        elif k == "amount":
            assert str(s.dtype) == "float64", f"{name}: {s.dtype}"
        elif k == "bool":
            assert str(s.dtype) in ("bool", "boolean"), f"{name}: {s.dtype}"
        elif k == "code":
            assert isinstance(s.dtype, pd.CategoricalDtype), f"{name}: {s.dtype}"
        elif k == "list":
            assert all(hasattr(v, "tolist") or isinstance(v, list) for v in values), name
            assert all(isinstance(x, str) for v in values for x in plain(v)), name
        else:
            assert pd.api.types.is_string_dtype(s.dtype), f"{name}: {s.dtype}"


def check_polars_types(df, table):
    for f in fields(table):
        t, k, name = df.schema[f["name"]], kind(f), f"{table}.{f['name']}"
        expected = {
            "date": pl.Date,
            "count": pl.Int64,
            "amount": pl.Float64,
            "bool": pl.Boolean,
            "list": pl.List(pl.String),
            "code": pl.Categorical,
        }.get(k, pl.String)
        assert t == expected, f"{name}: {t}, expected {expected}"


def check_duckdb_types(rel, table, path):
    types = dict(zip(rel.columns, map(str, rel.types)))
    for f in fields(table):
        k, name = kind(f), f"{table}.{f['name']}"
        expected = {
            "date": "DATE",
            "count": "BIGINT",
            "amount": "DOUBLE",
            "bool": "BOOLEAN",
            "list": "VARCHAR[]",
        }.get(k, "VARCHAR")
        assert types[f["name"]] == expected, f"{name}: {types[f['name']]}"
    # DuckDB has no categorical type for Parquet: code columns arrive as VARCHAR, stored
    # dictionary-encoded in the file.
    codes = [f["name"] for f in fields(table) if kind(f) == "code"]
    if codes:
        enc = dict(
            duckdb.sql(
                f"SELECT path_in_schema, encodings FROM parquet_metadata('{path}')"
            ).fetchall()
        )
        for c in codes:
            assert "DICTIONARY" in enc[c], f"{table}.{c}: {enc[c]}"


@pytest.mark.parametrize("table", TABLES)
def test_types_in_pandas_polars_duckdb(table):
    df, _ = load_pandas(OUTPUT, table)
    check_pandas_types(df, table)
    df, _ = load_polars(OUTPUT, table)
    check_polars_types(df, table)
    rel, _ = load_duckdb(OUTPUT, table)
    check_duckdb_types(rel, table, parquet(OUTPUT, table))


def test_some_count_column_is_nullable_and_typed():
    """The data has empty counts (deals.quantity_ordered): they stay integers, not floats."""
    df = pd.read_parquet(parquet(OUTPUT, "deals"))
    s = df["quantity_ordered"]
    assert s.isna().any() and s.notna().any()
    assert str(s.dtype) == "Int64"
    assert pl.read_parquet(parquet(OUTPUT, "deals"))["quantity_ordered"].null_count() > 0


# --- metadata ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_schema_version_in_file_metadata(table):
    path = parquet(OUTPUT, table)
    # pandas' engine, pyarrow
    assert pq.read_metadata(path).metadata[b"schema_version"].decode() == SCHEMA_VERSION
    # polars
    assert pl.read_parquet_metadata(path)["schema_version"] == SCHEMA_VERSION
    # DuckDB
    kv = dict(
        (k.decode(), v.decode())
        for k, v in duckdb.sql(
            f"SELECT key, value FROM parquet_kv_metadata('{path}')"
        ).fetchall()
    )
    assert kv["schema_version"] == SCHEMA_VERSION
    assert kv["table"] == table


# --- values -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tool", sorted(LOADERS))
@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("which", ["output", "mini"])
def test_values_equal_the_csv(tool, table, which, mini_output):
    out = OUTPUT if which == "output" else mini_output
    _, rows = LOADERS[tool](out, table)
    want = csv_rows(out, table)
    assert len(rows) == len(want)
    names = [f["name"] for f in fields(table)]
    for i, (got, exp) in enumerate(zip(rows, want)):
        # One rule for "none" (README): an empty list is null in Parquet, as in the CSV, so
        # no tolerance for [] here.
        got = [plain(v) for v in got]
        assert dict(zip(names, got)) == dict(zip(names, exp)), f"{table} row {i}"


def test_formula_like_text_is_exact_in_parquet(mini_output):
    titles = pl.read_parquet(parquet(mini_output, "events"))["title"].to_list()
    assert '=HYPERLINK("http://example.invalid","click")' in titles
