"""output/pillars.xlsx, read back with openpyxl: one sheet per table with the CSV's rows, the
header row frozen, dates as date cells, numbers as number cells, text as text (never a
formula, with the CSV's formula guard), and column widths that fit the cells."""

import csv
import datetime as dt

import openpyxl
import pytest

from conftest import OUTPUT, TABLES, build_fixture, fields
from test_parquet import csv_rows, unguard


@pytest.fixture(scope="module")
def workbook():
    return openpyxl.load_workbook(OUTPUT / "pillars.xlsx")


@pytest.fixture(scope="module")
def mini_workbook(mini_output):
    return openpyxl.load_workbook(mini_output / "pillars.xlsx")


def test_about_and_codebook_then_one_sheet_per_table(workbook):
    assert workbook.sheetnames == ["About", "Codebook", *TABLES]


def test_about_sheet_says_what_it_is(workbook):
    import json

    about = {r[0].value: r[1].value for r in workbook["About"].iter_rows(min_row=2)}
    version = json.loads((OUTPUT / "manifest.json").read_text())["dataset_version"]
    assert about["Dataset version"] == version
    assert "CC BY 4.0" in about["Licence"]
    assert version in about["How to cite"]
    assert "provenance" in about["Provenance"]
    for t in TABLES:
        assert f"Sheet {t}" in about


def test_codebook_sheet_has_every_column(workbook):
    rows = [[c.value for c in r] for r in workbook["Codebook"].iter_rows()]
    assert rows[0] == ["table", "column", "type", "unit", "required", "meaning", "allowed values"]
    listed = {(r[0], r[1]): r for r in rows[1:]}
    for t in TABLES:
        for f in fields(t):
            r = listed[(t, f["name"])]
            assert r[2] == f["type"] and r[5], (t, f["name"])
            if "x-vocabulary" in f:
                assert r[6], f"{t}.{f['name']}: allowed values"
    assert listed[("deals", "stake_pct")][3] == "percent"


def test_every_sheet_has_an_autofilter(workbook):
    for ws in workbook.worksheets:
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        last = ws.auto_filter.ref.split(":")[1]
        assert last.rstrip("0123456789") == ws.cell(1, ws.max_column).column_letter, ws.title


def test_names_titles_and_urls_next_to_ids(workbook):
    actors = {r[0]: r[1] for r in csv_rows(OUTPUT, "actors")}
    ws = workbook["deals"]
    head = [c.value for c in ws[1]]
    i = head.index("counterparty")
    assert head[i + 1] == "counterparty_name", head
    for row in ws.iter_rows(min_row=2):
        if row[i].value:
            assert row[i + 1].value == actors[row[i].value]
    j = head.index("source_ids")
    assert head[j + 1 : j + 3] == ["source_titles", "source_urls"], head
    ws = workbook["events"]
    head = [c.value for c in ws[1]]
    assert head[head.index("actor_ids") + 1] == "actor_names"


@pytest.mark.parametrize("which", ["output", "mini"])
@pytest.mark.parametrize("table", TABLES)
def test_sheet_matches_the_csv(workbook, mini_workbook, mini_output, which, table):
    wb, out = (workbook, OUTPUT) if which == "output" else (mini_workbook, mini_output)
    ws = wb[table]
    assert ws.freeze_panes == "A2", "header row frozen"
    rows = list(ws.iter_rows())
    names = [f["name"] for f in fields(table)]
    header = [c.value for c in rows[0]]
    # The data columns in schema order; helper columns (names, titles, URLs) between them.
    pos = [header.index(n) for n in names]
    assert pos == sorted(pos)
    assert all(h in names or h.endswith(("_name", "_title", "_url", "_names", "_titles", "_urls")) for h in header), header
    assert all(c.font.b for c in rows[0]), "header is bold"
    want = csv_rows(out, table)
    assert len(rows) - 1 == len(want)
    for i, (cells, exp) in enumerate(zip(rows[1:], want), start=2):
        cells = [cells[p] for p in pos]
        for f, c, v in zip(fields(table), cells, exp):
            where = f"{table}!{c.coordinate} ({f['name']}): {c.value!r}, want {v!r}"
            assert c.data_type != "f", where
            if v is None:
                assert c.value is None, where
            elif f["type"] == "date" and v.year < 1900:
                # Excel has no dates before 1900: ISO text instead.
                assert c.data_type == "s" and c.value == v.isoformat(), where
            elif f["type"] == "date":
                assert c.is_date and c.number_format == "yyyy-mm-dd", where
                assert c.value.date() == v, where
            elif f["type"] in ("integer", "number"):
                assert c.data_type == "n" and c.value == v, where
                if f["type"] == "integer":
                    assert isinstance(c.value, int), where
            elif f["type"] == "boolean":
                assert c.data_type == "b" and c.value is v, where
            elif f["type"] == "list":
                assert c.data_type == "s" and unguard(c.value) == ";".join(v), where
            else:
                assert c.data_type == "s" and unguard(c.value) == v, where


@pytest.mark.parametrize("table", TABLES)
def test_column_widths_fit(workbook, table):
    ws = workbook[table]
    # openpyxl keeps one entry for a run of columns of the same width (min..max).
    widths = {
        i: d.width for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)
    }
    for col in ws.iter_cols():
        letter = col[0].column_letter
        width = widths[col[0].column]
        longest = max(
            len(c.value.isoformat()[:10]) if isinstance(c.value, dt.datetime) else len(str(c.value))
            for c in col
            if c.value is not None
        )
        assert width >= min(longest, 60), f"{table} column {letter}: {width} < {longest}"
        # 60 characters plus padding (the writer rounds widths to whole pixels).
        assert width <= 64, f"{table} column {letter}: {width} is wider than the cap"


def test_text_that_looks_like_numbers_stays_text(mini_workbook):
    """Codes keep leading zeros (CAMEO `057`), which a CSV opened in a spreadsheet loses."""
    ws = mini_workbook["events"]
    col = [c.value for c in ws[1]].index("cameo")
    cameo = [r[col] for r in ws.iter_rows(min_row=2)]
    assert any(c.value == "057" and c.data_type == "s" for c in cameo)
    col = [c.value for c in ws[1]].index("title")
    titles = [r[col].value for r in ws.iter_rows(min_row=2)]
    # The workbook has the CSV's formula guard: one `'`, which `unguard` removes exactly.
    assert '\'=HYPERLINK("http://example.invalid","click")' in titles, "guarded"


@pytest.mark.parametrize("table", TABLES)
def test_text_cells_have_the_same_formula_guard_as_the_csv(mini_workbook, mini_output, table):
    """One rule in both formats (docs/CSV.md): every text cell of the workbook is exactly the
    CSV's cell, `'` included."""
    with open(mini_output / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        want = list(csv.reader(f))[1:]
    ws = mini_workbook[table]
    # The workbook adds name/title columns beside ids: match columns by header.
    at = {c.value: i for i, c in enumerate(ws[1])}
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(want)
    for cells, exp in zip(rows, want):
        for f, v in zip(fields(table), exp):
            if f["type"] in ("string", "list"):
                c = cells[at[f["name"]]]
                assert (c.value or "") == v, f"{table}!{c.coordinate}: {c.value!r} != {v!r}"


@pytest.fixture(scope="module")
def limits_output(tmp_path_factory):
    return build_fixture(tmp_path_factory.mktemp("limits"), "limits")


def test_records_at_the_limits_in_the_workbook(limits_output):
    """Excel's 32,767-character cell, 2^53 and -0 (tests/fixtures/limits): the workbook
    holds them exactly (tests/limits.rs checks the CSV and Parquet)."""
    wb = openpyxl.load_workbook(limits_output / "pillars.xlsx")
    cell = lambda sheet, row, name: wb[sheet].cell(
        row, [c.value for c in wb[sheet][1]].index(name) + 1
    ).value
    assert len(cell("actors", 2, "aliases")) == 32_767
    title = cell("events", 2, "title")
    assert len(title) == 32_767 and unguard(title) == "=" + "x" * 32_765
    assert cell("events", 2, "description").startswith("Tab\there,\nnew line; ")
    deals = {cell("deals", r, "deal_id"): r for r in (2, 3)}
    assert cell("deals", deals["d-big"], "quantity_ordered") == 2**53
    assert cell("deals", deals["d-big"], "amount") == 2**53
    zero = cell("deals", deals["d-zero"], "amount")
    assert zero == 0 and str(zero) in ("0", "0.0"), zero
    with open(limits_output / "csv" / "deals.csv", encoding="utf-8-sig") as f:
        assert ",-0," not in f.read()
