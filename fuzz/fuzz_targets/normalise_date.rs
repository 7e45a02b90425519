//! The partial-date normaliser (`2019`, `2019-09`, `2019-09-07`, `START/END`) on arbitrary
//! text. Must never panic; an accepted date must be a consistent interval.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pillars::model::Precision;

fuzz_target!(|text: &str| {
    if let Ok(d) = pillars::normalise::parse_partial_date(text) {
        assert!(d.start <= d.end, "{text:?}: start after end");
        assert_eq!(d.text, text);
        if d.precision == Precision::Day && !text.contains('/') {
            assert_eq!(d.start, d.end, "{text:?}");
        }
    }
});
