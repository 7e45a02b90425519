//! The amount normaliser (`46 million`, `1.26 billion`, `3,500`) on arbitrary text, and on
//! the same text as a TOML number would give it. Must never panic; an accepted amount is
//! finite and within ±2^53.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pillars::model::RawValue;
use pillars::normalise::parse_amount;

fuzz_target!(|text: &str| {
    if let Ok(v) = parse_amount(&RawValue::Str(text.to_string())) {
        assert!(v.is_finite() && v.abs() <= 9_007_199_254_740_992.0, "{text:?} -> {v}");
    }
    if let Ok(f) = text.parse::<f64>() {
        let _ = parse_amount(&RawValue::Float(f));
    }
    if let Ok(i) = text.parse::<i64>() {
        // Exact up to 2^53; beyond, an error (E0207), never a rounded number.
        match parse_amount(&RawValue::Int(i)) {
            Ok(v) => assert_eq!(v, i as f64),
            Err(_) => assert!(i.unsigned_abs() > 1 << 53, "{i}"),
        }
    }
});
