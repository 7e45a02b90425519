//! `pillars paragraphs FILE [N]`: the paragraphs of a source document, numbered as locators
//! name them (`¶N`; see [`crate::locator`]).

use crate::diagnostic::{self, Code, Format, Loc, Problem};
use crate::locator;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `pillars paragraphs`.
#[derive(Args, Debug, Clone)]
pub struct ParagraphsArgs {
    /// The source document (plain text, UTF-8).
    pub file: PathBuf,
    /// Print this paragraph whole instead of the list.
    pub number: Option<usize>,
}

pub fn run(a: &ParagraphsArgs) -> Result<ExitCode, ExitCode> {
    let fail = |msg: String, expected: &str| {
        let p = Problem::new(Code::MissingDocument, msg)
            .at(Loc::file(a.file.display().to_string()))
            .expected(expected.to_string());
        eprint!("{}", diagnostic::report(&[p], Format::Text));
        ExitCode::from(1)
    };
    let text = std::fs::read_to_string(&a.file).map_err(|e| {
        fail(
            format!("cannot read {}: {e}", a.file.display()),
            "a readable UTF-8 text file",
        )
    })?;
    let paras = locator::paragraphs(&text);
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    match a.number {
        Some(n) => {
            let Some(r) = n.checked_sub(1).and_then(|i| paras.get(i)) else {
                return Err(fail(
                    format!(
                        "{} has {} paragraphs, not ¶{n}",
                        a.file.display(),
                        paras.len()
                    ),
                    "a paragraph number from the list `pillars paragraphs FILE` prints",
                ));
            };
            println!("¶{n} (line {})\n{}", line_of(r.start), &text[r.clone()]);
        }
        None => {
            for (i, r) in paras.iter().enumerate() {
                let first: String = text[r.clone()]
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .chars()
                    .take(90)
                    .collect();
                println!("¶{} (line {}): {first}", i + 1, line_of(r.start));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
