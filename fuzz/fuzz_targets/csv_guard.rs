//! The formula guard (docs/CSV.md) on arbitrary text: removing one leading `'` gives the text
//! back exactly; a guarded cell never starts (after whitespace) with a formula character
//! unless it is a plain number; and the cell survives a CSV write and read unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pillars::guard::{guard, unguard};

const STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

fuzz_target!(|text: &str| {
    let cell = guard(text);
    assert_eq!(unguard(&cell), text, "not reversible");
    if !cell.starts_with('\'') {
        assert!(!text.starts_with(['\'', '\t', '\r', '\n']), "{text:?}");
        if text.trim_start().starts_with(STARTS) {
            // Only a plain number may keep its sign unguarded.
            assert!(text.parse::<f64>().is_ok() && !text.contains(['e', 'E', '+']), "{text:?}");
        }
    }
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record([cell.as_ref(), "x"]).unwrap();
    let bytes = w.into_inner().unwrap();
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes.as_slice());
    let rec = r.records().next().unwrap().unwrap();
    assert_eq!(&rec[0], cell.as_ref());
});
