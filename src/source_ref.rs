//! A `[source]` names its document (issue 9, section 3): `file` is a plain file name inside
//! the sources directory — no `/`, no `\`, no `..`, not absolute — so `pillars verify` never
//! reads anything else, and `url` is an http(s) address (a DOI goes in `doi`). Checked at
//! every build (E0111, E0112), and again by `verify` before it opens a document.

use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::schema::Schema;

/// Why `name` is not a plain file name, if it is not.
pub fn file_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name == "." || name == ".." {
        Some("it names a directory")
    } else if name.contains(['/', '\\']) {
        Some("it has a `/` or `\\` (a path, not a file name)")
    } else if name.chars().any(char::is_control) {
        Some("it has a control character")
    } else {
        None
    }
}

/// Why `url` is not an http(s) address, if it is not.
pub fn url_problem(url: &str) -> Option<&'static str> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    match rest {
        None => Some("it does not start with http:// or https://"),
        Some(r) if r.is_empty() || r.starts_with('/') => Some("it has no host"),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Some("it has a space or control character")
        }
        Some(_) => None,
    }
}

/// E0111 / E0112 for every `[source]` whose `file` or `url` is not as above.
pub fn run(ex: &Extraction, records: &[Record<Value>], schema: &Schema) -> Vec<Problem> {
    let Some(st) = schema.tables.iter().position(|t| t.name == "sources") else {
        return vec![];
    };
    let t = &schema.tables[st];
    let mut problems = vec![];
    for r in records.iter().filter(|r| r.table == st) {
        for (fi, value, pos) in &r.fields {
            let Value::Str(s) = value else { continue };
            let f = &t.fields[*fi];
            let raw = f.raw.as_deref().unwrap_or(&f.name);
            let (code, why, expected) = match f.name.as_str() {
                "file" => (
                    Code::SourceFileName,
                    file_problem(s),
                    "the plain file name of the document in the sources directory, e.g. `report.txt`",
                ),
                "url" => (
                    Code::SourceUrl,
                    url_problem(s),
                    "an http:// or https:// address (a DOI goes in `doi`, without the resolver prefix)",
                ),
                _ => continue,
            };
            if let Some(why) = why {
                problems.push(
                    Problem::new(code, format!("`{raw}` = `{s}` is not accepted: {why}"))
                        .at(ex.loc(*pos))
                        .record(&t.name, &r.id)
                        .field(raw)
                        .expected(expected),
                );
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(file_problem("a.txt"), None);
        assert_eq!(file_problem("000_7a25.txt"), None);
        for bad in [
            "",
            ".",
            "..",
            "../a.txt",
            "/etc/passwd",
            "a/b.txt",
            "a\\b",
            "a\nb",
        ] {
            assert!(file_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(url_problem("https://example.org/a"), None);
        assert_eq!(url_problem("HTTP://example.org"), None);
        for bad in [
            "file:///etc/passwd",
            "doi:10.1000/x",
            "10.1000/x",
            "javascript:alert(1)",
            "https://",
            "https:///x",
            "https://a b",
            "ftp://x",
        ] {
            assert!(url_problem(bad).is_some(), "{bad:?}");
        }
    }
}
