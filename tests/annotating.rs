//! The template in docs/ANNOTATING.md is what annotators copy: it must pass validation as
//! written (issue 12: `cameo = "1"` once failed its own pattern).

mod common;
use common::Workdir;

fn template() -> String {
    let doc = std::fs::read_to_string(format!("{}/docs/ANNOTATING.md", common::ROOT)).unwrap();
    let start = doc
        .find("```toml\n")
        .expect("a ```toml block in docs/ANNOTATING.md")
        + 8;
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_string()
}

#[test]
fn the_annotating_template_validates_as_written() {
    let wd = Workdir::new("annotating-template");
    let t = template();
    assert!(t.contains("[[event]]") && t.contains("[[resolution]]"));
    // The template's source is file 004; the extraction file is named after it.
    wd.write("raw/004_27d27e57ac741dc8.toml", &t);
    wd.ok(&["validate"]);
    wd.ok(&["build"]);
}
