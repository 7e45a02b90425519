//! The schema loader on arbitrary bytes as one table schema file (`schema/tables/fuzz.json`,
//! beside a copy of the real schema/), or in place of `vocabularies.json`. Must never panic;
//! every problem is an E06xx error naming a file, and both reports render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pillars::diagnostic::{self, Format};
use pillars::schema::Schema;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A private copy of schema/, made once per process.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
        let dst = std::env::temp_dir().join(format!("pillars-fuzz-schema-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dst);
        std::fs::create_dir_all(dst.join("tables")).unwrap();
        for rel in ["VERSION", "vocabularies.json"] {
            std::fs::copy(src.join(rel), dst.join(rel)).unwrap();
        }
        for e in std::fs::read_dir(src.join("tables")).unwrap().flatten() {
            std::fs::copy(e.path(), dst.join("tables").join(e.file_name())).unwrap();
        }
        dst
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    // The first byte chooses the file the input replaces.
    let Some((&which, body)) = data.split_first() else { return };
    let vocab = dir.join("vocabularies.json");
    let saved = std::fs::read(&vocab).unwrap();
    let target = if which % 4 == 0 { vocab.clone() } else { dir.join("tables/fuzz.json") };
    std::fs::write(&target, body).unwrap();
    let result = Schema::load(dir);
    if target == vocab {
        std::fs::write(&vocab, &saved).unwrap();
    } else {
        std::fs::remove_file(&target).unwrap();
    }
    if let Err(problems) = result {
        assert!(!problems.is_empty());
        for p in &problems {
            assert!(p.code.id().starts_with("E06"), "{}", p.render());
            assert!(p.loc.is_some(), "{}", p.render());
        }
        let _ = diagnostic::report(&problems, Format::Text);
        let _ = diagnostic::report(&problems, Format::Json);
    }
});
