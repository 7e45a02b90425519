//! The formula guard: one reversible rule for every text cell of every table, in the CSV files
//! and the workbook (docs/CSV.md, "The formula guard").
//!
//! A text cell gets one `'` prepended when
//! - its first character is `'`, a tab, a carriage return or a line feed; or
//! - its first character that is not whitespace is `=`, `+`, `-` or `@`, or their full-width
//!   forms `＝` `＋` `－` `＠` (spreadsheets that trim spaces, or fold full-width characters,
//!   would otherwise run it as a formula or a DDE payload);
//!
//! unless the whole cell is a plain decimal number (`-3900000000`, `-2.5`): a spreadsheet reads
//! that as the number it is, which is harmless, and it is left exactly as is.
//!
//! A reader undoes the guard by removing exactly one leading `'` from every text cell that
//! starts with one: a cell whose original text started with `'` was prefixed too, so this
//! is exact. Numbers, dates and booleans are never changed. Parquet keeps the exact text.

use std::borrow::Cow;

/// Characters that start a formula (after any whitespace), ASCII and full-width.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Characters that get the prefix when they are the very first one.
const FIRST_CHARS: [char; 4] = ['\'', '\t', '\r', '\n'];

/// The published form of a text cell.
pub fn guard(s: &str) -> Cow<'_, str> {
    if needs_prefix(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The original text of a published text cell (what a reader does).
pub fn unguard(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

fn needs_prefix(s: &str) -> bool {
    // Most text starts with a letter or digit, which no rule below matches (performance:
    // every text cell of every CSV file passes here).
    if s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric) {
        return false;
    }
    if s.starts_with(FIRST_CHARS) {
        return true;
    }
    s.trim_start().starts_with(FORMULA_STARTS) && !is_plain_number(s)
}

/// `-?digits(.digits)?`: how the dataset writes numbers in text columns (provenance values).
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_dde_and_whitespace_tricks_are_prefixed() {
        for s in [
            "=1+1",
            "  =1+1",
            "\u{3000}=1",
            "\u{a0}@SUM(A1)",
            "+1",
            "-2+3+cmd|' /C calc'!A0",
            "=cmd|' /C calc'!A0",
            "@x",
            "＝1+1",
            "＋1",
            "－1",
            "＠x",
            "\tx",
            "\rx",
            "\nx",
            "'quoted",
            "-",
            "-1e5",
            "--1",
        ] {
            assert_eq!(guard(s), format!("'{s}"), "{s:?}");
        }
    }

    #[test]
    fn numbers_and_plain_text_are_untouched() {
        for s in [
            "-3900000000",
            "-2.5",
            "0",
            "12",
            "plain",
            "a=b",
            "",
            " x",
            "e-1",
        ] {
            assert_eq!(guard(s), s, "{s:?}");
        }
    }

    #[test]
    fn the_guard_round_trips() {
        for s in [
            "'",
            "''x",
            "=1",
            "'=1",
            "  -x",
            "-3900000000",
            "text",
            "",
            "＠",
        ] {
            assert_eq!(unguard(&guard(s)), s, "{s:?}");
        }
    }
}
