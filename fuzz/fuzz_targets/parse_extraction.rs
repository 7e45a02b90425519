//! The extraction parser on arbitrary bytes: decoding, TOML parsing, the extract-stage
//! checks, then normalisation of every value that came out, and the rendering of every
//! problem (text and JSON). Must never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pillars::diagnostic::{self, Format};
use pillars::schema::Schema;
use std::sync::OnceLock;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema"))
            .expect("schema/ loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let schema = schema();
    let (records, mut problems) = pillars::extract::parse_bytes("fuzz.toml", data, schema);
    for r in &records {
        let table = &schema.tables[r.table];
        for (fi, raw, _) in &r.fields {
            let _ = pillars::normalise::normalise_value(&table.fields[*fi], raw, schema);
        }
    }
    diagnostic::sort(&mut problems);
    let _ = diagnostic::report(&problems, Format::Text);
    let _ = diagnostic::report(&problems, Format::Json);
});
