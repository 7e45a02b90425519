//! Problems found while building, reported rustc-style (file:line:col, the offending line,
//! what was expected) or as JSON. Every stage collects problems instead of stopping at the
//! first, so an annotator sees everything wrong in one run.

use serde::Serialize;
use std::fmt::Write as _;

/// Declares `Code` and its stable identifiers in one table, so a variant and its number are
/// written once, side by side.
macro_rules! codes {
    ($($name:ident = $id:literal,)*) => {
        /// A stable error code. The number never changes meaning; tests and scripts match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            /// The stable identifier printed in messages, e.g. `E0201`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Code::$name => $id,)*
                }
            }
        }
    };
}

codes! {
    // extract
    Io = "E0101",
    Encoding = "E0102",
    TomlSyntax = "E0103",
    UnknownTable = "E0104",
    UnknownField = "E0105",
    WrongType = "E0106",
    MissingSource = "E0107",
    EmptyRaw = "E0108",
    MissingId = "E0109",
    FileTooLarge = "E0110",
    SourceFileName = "E0111",
    SourceUrl = "E0112",
    BadExtension = "E0120",
    // normalise
    BadDate = "E0201",
    ImpossibleDate = "E0202",
    ReversedRange = "E0203",
    BadNumber = "E0204",
    UnknownCode = "E0205",
    NotInteger = "E0206",
    // meaning: exchange-rate snapshot (issue 10)
    SnapshotHash = "E0220",
    SnapshotFormat = "E0221",
    NumberTooLarge = "E0207",
    // validate
    Required = "E0301",
    Pattern = "E0302",
    OutOfRange = "E0303",
    FutureDate = "E0304",
    DuplicateId = "E0305",
    UnknownReference = "E0306",
    UnknownSource = "E0307",
    // meaning: CAMEO rules (issue 10)
    CameoNotAllowed = "E0330",
    CameoRules = "E0331",
    // links (src/meaning/links.rs)
    LinkTarget = "E0320",
    LinkTables = "E0321",
    LinkToSelf = "E0322",
    LinkCycle = "E0323",
    LinkRelation = "E0324",
    LinkReason = "E0325",
    LinkConflict = "E0326",
    LinkSyntax = "E0327",
    ControlCharacter = "E0308",
    CellTooLong = "E0309",
    ListItem = "E0310",
    // reconcile
    Conflict = "E0401",
    UnclaimedResolution = "E0402",
    UnknownResolutionTarget = "E0403",
    // duplicates and aggregation (src/meaning/)
    ProbableDuplicate = "E0410",
    AggregateReason = "E0411",
    DuplicateResolution = "E0404",
    ResolutionForm = "E0405",
    // export, schema, check
    OutputWrite = "E0501",
    OutputProtected = "E0502",
    OutputNotOurs = "E0503",
    OutputCleanup = "E0504",
    Schema = "E0601",
    SchemaVersion = "E0602",
    SchemaDuplicate = "E0604",
    SchemaName = "E0605",
    SchemaPrimaryKey = "E0606",
    SchemaMissingTable = "E0607",
    OutputStale = "E0701",
    Evidence = "E0801",
    // verify
    MissingDocument = "E0802",
    CopiedText = "E0803",
    LocatorUnreadable = "E0804",
    LocatorUnresolved = "E0805",
    OutsidePassage = "E0806",
    SourceYear = "E0807",
    // schema lock (semver), diff
    SchemaLock = "E0603",
    DiffInput = "E0901",
    // site, release (issue 12)
    ReleaseRecord = "E1002",
    NothingToRelease = "E1003",
    PreviousRelease = "E1004",
    CitationStale = "E1005",
    // bounded reads (fsio)
    NotRegularFile = "E0902",
    ReadTooLarge = "E0903",
    OutsideTree = "E0904",
}

/// A position in an input file, with the text of its line so it can be shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Loc {
    pub file: String,
    pub line: usize,
    pub col: usize,
    #[serde(skip)]
    pub line_text: String,
    #[serde(skip)]
    pub width: usize,
}

impl Loc {
    /// A location naming only a file (I/O problems, empty files).
    pub fn file(file: impl Into<String>) -> Loc {
        Loc {
            file: file.into(),
            line: 0,
            col: 0,
            line_text: String::new(),
            width: 0,
        }
    }

    /// The location of byte range `span` in `text`.
    pub fn at(file: &str, text: &str, span: std::ops::Range<usize>) -> Loc {
        let start = floor_boundary(text, span.start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let col = text[line_start..start].chars().count() + 1;
        let end = floor_boundary(text, span.end.clamp(start, line_end));
        let line_text = text[line_start..line_end]
            .trim_end_matches('\r')
            .to_string();
        let width = text[start..end].chars().count().max(1);
        Loc {
            file: file.to_string(),
            line,
            col,
            line_text,
            width,
        }
    }
}

/// The largest char boundary of `text` at or before byte `i` (a byte offset from another
/// parser may fall inside a character).
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// One thing wrong with the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    pub loc: Option<Loc>,
    pub table: Option<String>,
    pub record: Option<String>,
    pub field: Option<String>,
    pub expected: Option<String>,
    /// Further locations (e.g. the other side of a conflict).
    pub notes: Vec<(Loc, String)>,
}

impl Problem {
    pub fn new(code: Code, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
            loc: None,
            table: None,
            record: None,
            field: None,
            expected: None,
            notes: vec![],
        }
    }
    pub fn at(mut self, loc: Loc) -> Self {
        self.loc = Some(loc);
        self
    }
    pub fn record(mut self, table: &str, id: &str) -> Self {
        self.table = Some(table.to_string());
        self.record = Some(id.to_string());
        self
    }
    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }
    pub fn note(mut self, loc: Loc, text: impl Into<String>) -> Self {
        self.notes.push((loc, text.into()));
        self
    }

    /// Sort key: file, line, column, code — a stable order independent of thread timing.
    fn sort_key(&self) -> (String, usize, usize, Code, String) {
        let (f, l, c) = self
            .loc
            .as_ref()
            .map_or((String::new(), 0, 0), |l| (l.file.clone(), l.line, l.col));
        (f, l, c, self.code, self.message.clone())
    }

    /// rustc-style rendering. Control and bidirectional-override characters from the inputs
    /// are escaped (`\u{1b}`), so that an input cannot move the cursor or colour the terminal.
    pub fn render(&self) -> String {
        render_escaped(&self.render_raw())
    }

    fn render_raw(&self) -> String {
        let mut s = format!("error[{}]: {}\n", self.code.id(), clip(&self.message));
        // The `=` lines line up with the `|` gutter, whose width is that of the largest
        // line number shown.
        let gutter = self
            .loc
            .iter()
            .chain(self.notes.iter().map(|(l, _)| l))
            .map(|l| l.line.to_string().len())
            .max()
            .unwrap_or(1);
        let eq = format!(" {} =", " ".repeat(gutter));
        if let Some(loc) = &self.loc {
            render_loc(&mut s, loc, None);
        }
        for (loc, text) in &self.notes {
            render_loc(&mut s, loc, Some(text));
        }
        if let (Some(t), Some(r)) = (&self.table, &self.record) {
            let _ = write!(s, "{eq} record: {t} `{}`", clip(r));
            if let Some(f) = &self.field {
                let _ = write!(s, ", field `{}`", clip(f));
            }
            s.push('\n');
        }
        if let Some(e) = &self.expected {
            let _ = writeln!(s, "{eq} expected: {}", clip(e));
        }
        s
    }
}

/// Values from the inputs (an id, a code) can be any length: a report line holds at most
/// `MAX_TEXT_CHARS` of one, with the count of the rest (`--format json` keeps them whole).
const MAX_TEXT_CHARS: usize = 200;

fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT_CHARS) {
        Some((i, _)) => format!("{}… ({} more characters)", &s[..i], s[i..].chars().count()).into(),
        None => s.into(),
    }
}

/// Characters a terminal acts on instead of showing: C0/C1 controls, bidirectional overrides.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as `\u{…}`. Lines are rendered first, so the
/// line breaks of the report itself stay.
fn render_escaped(s: &str) -> String {
    if !s.chars().any(is_unsafe) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if is_unsafe(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A shown source line: one character for one, so the caret stays under its column.
fn shown_line(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if is_unsafe(c) || c == '\n' => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn render_loc(s: &mut String, loc: &Loc, label: Option<&str>) {
    let _ = writeln!(
        s,
        "  --> {loc}{}",
        label.map(|l| format!("  ({l})")).unwrap_or_default()
    );
    if loc.line > 0 {
        let n = loc.line.to_string();
        let pad = " ".repeat(n.len());
        let (text, caret, width) = shown_window(&shown_line(&loc.line_text), loc.col, loc.width);
        let _ = writeln!(s, " {pad} |");
        let _ = writeln!(s, " {n} | {text}");
        let _ = writeln!(s, " {pad} | {}{}", " ".repeat(caret - 1), "^".repeat(width));
    }
}

/// Lines longer than this many characters are shown as a window around the column (with
/// `…` marking the cut), so one runaway line — a generated or deeply nested file — cannot
/// flood the terminal. The `file:line:col` header always gives the real column.
const MAX_SHOWN_CHARS: usize = 100;

/// The part of `line` to show, the 1-based caret column within it, and the caret width.
fn shown_window(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let col = col.max(1);
    if chars.len() <= MAX_SHOWN_CHARS {
        return (line.to_string(), col, width.max(1));
    }
    let start = (col - 1)
        .saturating_sub(MAX_SHOWN_CHARS / 3)
        .min(chars.len() - MAX_SHOWN_CHARS);
    let end = start + MAX_SHOWN_CHARS;
    let mut text = String::new();
    if start > 0 {
        text.push('…');
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push('…');
    }
    let caret = col - start + usize::from(start > 0);
    let width = width.min((end + 1).saturating_sub(col)).max(1);
    (text, caret, width)
}

/// Puts problems in their stable reporting order.
pub fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.sort_key());
}

/// Output format for problem reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Renders all problems plus a summary line.
pub fn report(problems: &[Problem], format: Format) -> String {
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = problems
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "code": p.code.id(),
                        "message": p.message,
                        "file": p.loc.as_ref().map(|l| l.file.clone()),
                        "line": p.loc.as_ref().map(|l| l.line),
                        "column": p.loc.as_ref().map(|l| l.col),
                        "table": p.table, "record": p.record, "field": p.field,
                        "expected": p.expected,
                        "notes": p.notes.iter().map(|(l, t)| serde_json::json!({"file": l.file, "line": l.line, "column": l.col, "note": t})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(
                &serde_json::json!({ "errors": items, "count": problems.len() }),
            )
            .unwrap()
                + "\n"
        }
        Format::Text => {
            let mut s: String = problems.iter().map(|p| p.render() + "\n").collect();
            let _ = writeln!(
                s,
                "error: {} problem{} found; nothing was written",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_shown_as_a_window_around_the_column() {
        let line = format!("x = {}", "[".repeat(10_000));
        let text = format!("a = 1\n{line}\n");
        let start = text.find("x = ").unwrap() + 5_000;
        let p =
            Problem::new(Code::TomlSyntax, "too deep").at(Loc::at("f.toml", &text, start..start));
        assert_eq!(
            p.loc.as_ref().unwrap().col,
            5_001,
            "the header keeps the real column"
        );
        let out = p.render();
        assert!(out.contains("--> f.toml:2:5001"), "{out}");
        let shown = out.lines().find(|l| l.starts_with(" 2 | ")).unwrap();
        assert!(shown.chars().count() < 120, "{shown}");
        assert!(shown.contains('…'));
        // The caret sits under the character at the column.
        let caret = out.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
        let at = caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(shown.chars().nth(at), Some('['));
    }

    #[test]
    fn short_lines_are_unchanged() {
        assert_eq!(shown_window("abc", 2, 1), ("abc".to_string(), 2, 1));
        // A column just past the end (an unterminated string) still gets a caret.
        let long = "y".repeat(300);
        let (t, caret, w) = shown_window(&long, 301, 1);
        assert_eq!((t.chars().count(), caret, w), (101, 102, 1));
    }

    #[test]
    fn equals_lines_align_with_the_gutter() {
        let text = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\nbad\n";
        let p = Problem::new(Code::BadDate, "m")
            .at(Loc::at("f", text, 21..24))
            .expected("e");
        let out = p.render();
        let bar = out.lines().find(|l| l.ends_with('|')).unwrap();
        let eq = out.lines().find(|l| l.contains("= expected")).unwrap();
        assert_eq!(bar.find('|'), eq.find('='), "{out}");
    }
}
