"""Spreadsheet users: every CSV file opened in LibreOffice Calc (headless), saved as xlsx and
read back cell by cell; and the experiment behind the CSV encoding (UTF-8 with a byte-order
mark), run on both variants with every tool. docs/CSV.md records the results."""

import csv
import datetime as dt
import io
import math

import duckdb
import openpyxl
import pandas as pd
import polars as pl
import pytest

from conftest import OUTPUT, TABLES, convert, fields, soffice

# What a user picks in LibreOffice's Text Import dialog: comma, double quote, UTF-8 (76),
# from line 1. Without a dialog (headless, no filter options) LibreOffice uses the system's
# 8-bit charset instead, with or without a BOM: see test_encoding_in_libreoffice.
UTF8_CSV = "CSV:44,34,76,1"


def csv_cells(out, table):
    with open(out / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def calc(tmp_path_factory, mini_output):
    """Both datasets (the committed output/ and the mini fixture, which has the formula-like
    title) opened in LibreOffice and saved as xlsx: (dataset, table) → (csv rows, sheet rows)."""
    exe = soffice()
    tmp = tmp_path_factory.mktemp("calc")
    sheets = {}
    for which, out in [("output", OUTPUT), ("mini", mini_output)]:
        dest = tmp / which
        files = [out / "csv" / f"{t}.csv" for t in TABLES]
        convert(exe, files, "xlsx", dest, tmp / "profile", infilter=UTF8_CSV)
        for t in TABLES:
            ws = openpyxl.load_workbook(dest / f"{t}.xlsx").active
            sheets[which, t] = (csv_cells(out, t), list(ws.iter_rows()))
    return sheets


def looks_numeric(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("which", ["output", "mini"])
@pytest.mark.parametrize("table", TABLES)
def test_csv_in_libreoffice(calc, which, table):
    want, rows = calc[which, table]
    assert len(rows) == len(want), f"{table}: rows"
    assert [c.value for c in rows[0]] == want[0], "header intact (no BOM bytes in it)"
    types = {f["name"]: f["type"] for f in fields(table)}
    for i, (exp, got) in enumerate(zip(want[1:], rows[1:]), start=2):
        for name, text, cell in zip(want[0], exp, got):
            where = f"{table}.csv line {i}, {name}: {text!r} → {cell.value!r}"
            assert cell.data_type != "f", f"evaluated as a formula: {where}"
            if text == "":
                assert cell.value is None, where
                continue
            t = types[name]
            if t == "date":
                assert cell.is_date, f"not a date: {where}"
                assert cell.value.date() == dt.date.fromisoformat(text), where
            elif t in ("integer", "number"):
                # Spreadsheets hold 15 significant digits (docs/CSV.md): the averaged
                # exchange rates have up to 17, so compare to 1 part in 10^14.
                assert cell.data_type == "n", where
                assert math.isclose(cell.value, float(text), rel_tol=1e-14, abs_tol=0), where
            elif t == "boolean":
                assert cell.value is (text == "true"), where
            elif not text.isascii():
                # Diacritics (Vučić, Küçük Kaynarca…) arrive intact, as text.
                assert cell.data_type == "s" and cell.value == text, where
            elif not (looks_numeric(text) or text[:4].isdigit() or text in ("true", "false")):
                # Text that does not look like a number, date or boolean stays the same text
                # (a spreadsheet turns `057` into 57 and `2016` into a number: docs/CSV.md).
                assert cell.data_type == "s" and cell.value == text, where


def test_diacritics_and_formula_guard_in_libreoffice(calc):
    _, actors = calc["mini", "actors"]
    names = [r[1].value for r in actors]
    assert "Aleksandar Vučić" in names
    _, events = calc["mini", "events"]
    titles = [r[[c.value for c in events[0]].index("title")] for r in events[1:]]
    formula_like = [c for c in titles if "HYPERLINK" in str(c.value)]
    assert formula_like, "the fixture's formula-like title is there"
    for c in formula_like:
        assert c.data_type == "s", f"{c.value!r} is a {c.data_type}"
        assert c.value.lstrip("'") == '=HYPERLINK("http://example.invalid","click")'
    _, out_events = calc["output", "events"]
    assert any("Küçük" in str(c.value) for r in out_events for c in r)


# --- the encoding experiment: with and without a byte-order mark -----------------------------

SAMPLE = (
    "actor_id,name,date_start,amount\r\n"
    "aleksandar-vucic,Aleksandar Vučić,2016-06-01,46000000\r\n"
)
HEADER = ["actor_id", "name", "date_start", "amount"]
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module", params=["bom", "no-bom"])
def sample(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    path = tmp / "sample.csv"
    data = SAMPLE.encode()
    path.write_bytes(BOM + data if request.param == "bom" else data)
    return request.param, path


def test_encoding_in_data_tools(sample):
    """pandas, polars and DuckDB read both variants identically: the BOM is skipped."""
    _, path = sample
    df = pd.read_csv(path)
    assert list(df.columns) == HEADER and df["name"][0] == "Aleksandar Vučić"
    df = pl.read_csv(path)
    assert df.columns == HEADER and df["name"][0] == "Aleksandar Vučić"
    rel = duckdb.sql(f"SELECT * FROM read_csv('{path}')")
    assert rel.columns == HEADER
    assert rel.fetchall()[0][1:] == ("Aleksandar Vučić", dt.date(2016, 6, 1), 46000000)


def test_encoding_in_python_csv_module(sample):
    """Python's csv module: `utf-8-sig` reads both variants; plain `utf-8` keeps the BOM as
    U+FEFF in the first header cell, which is why docs/CSV.md says to use `utf-8-sig`."""
    variant, path = sample
    with open(path, encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == HEADER
    with open(path, encoding="utf-8", newline="") as f:
        first = next(csv.reader(f))[0]
    assert first == ("\ufeffactor_id" if variant == "bom" else "actor_id")


def test_encoding_in_frictionless(sample):
    import frictionless

    variant, path = sample
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        encoding="utf-8-sig" if variant == "bom" else "utf-8",
    )
    rows = resource.read_rows()
    assert resource.header == HEADER
    assert rows[0]["name"] == "Aleksandar Vučić"


def test_encoding_in_libreoffice(sample, tmp_path):
    """LibreOffice with UTF-8 chosen (the import dialog's choice) reads both variants and drops
    the BOM. Opened with no filter options at all (headless, no dialog), it decodes both
    variants with the system 8-bit charset: the BOM neither helps nor hurts there."""
    exe = soffice()
    variant, path = sample
    convert(exe, [path], "xlsx", tmp_path / "utf8", tmp_path / "profile", infilter=UTF8_CSV)
    ws = openpyxl.load_workbook(tmp_path / "utf8" / "sample.xlsx").active
    assert [c.value for c in ws[1]] == HEADER
    assert ws["B2"].value == "Aleksandar Vučić"
    assert ws["C2"].is_date and ws["D2"].value == 46000000
    convert(exe, [path], "xlsx", tmp_path / "default", tmp_path / "profile")
    ws = openpyxl.load_workbook(tmp_path / "default" / "sample.xlsx").active
    assert ws["B2"].value != "Aleksandar Vučić", "default import decoded UTF-8 after all"
    assert ws["C2"].is_date and ws["D2"].value == 46000000


def test_published_csv_files_start_with_a_bom():
    for t in TABLES:
        data = (OUTPUT / "csv" / f"{t}.csv").read_bytes()
        assert data.startswith(BOM), t
        assert data[3:].decode("utf-8").startswith(fields(t)[0]["name"] + ",")
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig").read()
    assert not text.startswith("\ufeff")
