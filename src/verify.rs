//! `pillars verify`: every number and every year an annotation states must appear in the text
//! of the document it cites.
//!
//! What is checked, per record of every extraction file (the `[source]` record itself is not):
//! - numeric fields (integers and numbers: quantities, amounts, stake, indicator values), after
//!   normalisation (`"46 million"` → 46000000);
//! - every year of every partial-date field (`date`, `period`, both ends of a range);
//! - numbers written with digits inside free-text fields (title, description, location,
//!   occasion, item, role, name — every string field the schema merges as free text).
//!
//! A figure passes when some *mention* in the document has the same value. Mentions are read
//! from the document by [`mentions`]; the rules are listed there. A field named in the record's
//! `derived = { field = "reason" }` table is not checked; it is counted as accepted.

use crate::diagnostic::{Code, Loc, Problem};
use crate::extract::Extraction;
use crate::locator;
use crate::model::RawValue;
use crate::model::{Pos, Record, Value};
use crate::normalise::parse_amount;
use crate::schema::{FieldType, Kind, Merge, Schema, TableSchema};
use regex::Regex;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::LazyLock;

/// A number found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// The value, scale words applied ("46 million" → 46000000).
    pub value: f64,
    /// True for fractions written in words ("two-thirds" → 66.67): matched within 0.5.
    pub approx: bool,
    /// Byte range of the mention in the text.
    pub start: usize,
    pub end: usize,
}

/// A number inside an annotation's free text.
#[derive(Debug, Clone, PartialEq)]
pub enum TextFigure {
    /// A number, with scale words applied.
    Number {
        value: f64,
        start: usize,
        end: usize,
    },
    /// A number that is part of a name such as `CH-92A`, `FK-3`, `5G`: the whole token must
    /// appear in the document (case-insensitive).
    Designation {
        token: String,
        start: usize,
        end: usize,
    },
}

static DIGITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]+(?:[.,\u{a0}\u{202f}\u{2009}][0-9]+)*").expect("valid regex")
});
static SCALE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[ \t\r\n\u{a0}]{0,3}-?[ \t\r\n\u{a0}]{0,3}(trillion|billion|million|thousand)\b|(bn|mn|tn|m|k)\b)",
    )
    .expect("valid regex")
});
static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z]+").expect("valid regex"));

fn scale_of(word: &str) -> Option<u32> {
    Some(match word.to_ascii_lowercase().as_str() {
        "thousand" | "k" => 3,
        "million" | "mn" | "m" => 6,
        "billion" | "bn" => 9,
        "trillion" | "tn" => 12,
        _ => return None,
    })
}

/// Exact value of `digits[.frac] × 10^scale`, computed as `normalise` does.
fn scaled(num: &str, scale: u32) -> Option<f64> {
    let word = match scale {
        0 => return num.parse().ok(),
        3 => "thousand",
        6 => "million",
        9 => "billion",
        _ => "trillion",
    };
    parse_amount(&RawValue::Str(format!("{num} {word}"))).ok()
}

/// The readings of a run of digits and separators, as plain numbers (`"1,000"` → 1000;
/// `"1.26"` → 1.26). `strict` gives only the standard reading (comma groups thousands, dot is
/// the decimal point); otherwise alternative readings are added (`"1.000"` → also 1000,
/// `"4,5"` → also 4.5) and, after a year, every separated part on its own (`"1999.119"`, a
/// year followed by a footnote number, → also 1999 and 119).
fn readings(run: &str, strict: bool) -> Vec<String> {
    let norm: String = run
        .chars()
        .map(|c| {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let parts: Vec<&str> = norm.split(['.', ',', ' ']).collect();
    let seps: Vec<char> = norm.chars().filter(|c| !c.is_ascii_digit()).collect();
    let grouped = |groups: &[&str]| {
        groups.len() > 1 && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3)
    };
    let mut out = vec![];
    match seps.as_slice() {
        [] => out.push(norm.clone()),
        ['.'] => {
            out.push(norm.clone());
            if !strict && grouped(&parts) {
                out.push(parts.concat());
            }
        }
        s if s.iter().all(|&c| c == ',' || c == ' ') && grouped(&parts) => out.push(parts.concat()),
        s if !strict && s.iter().all(|&c| c == '.') && grouped(&parts) => out.push(parts.concat()),
        [.., last] if s_has_both(&seps) => {
            // 1,234.5 (standard) or 1.234,5 (continental, lenient only).
            let (int, frac) = norm.rsplit_once(*last).unwrap();
            let groups: Vec<&str> = int.split(['.', ',', ' ']).collect();
            if grouped(&groups) && (*last == '.' || !strict) {
                out.push(format!("{}.{frac}", groups.concat()));
            }
        }
        [','] if !strict => out.push(norm.replace(',', ".")),
        _ => {}
    }
    // Parts on their own: when no standard reading exists ("2019,2020"), or leniently when a
    // year is glued to a footnote number ("1999.119").
    let year_first = parts[0].len() == 4 && matches!(&parts[0][..2], "19" | "20");
    if out.is_empty() || (!strict && year_first && seps.len() == 1) {
        for p in &parts {
            if !p.is_empty() && !out.iter().any(|o| o == p) {
                out.push(p.to_string());
            }
        }
    }
    out
}

fn s_has_both(seps: &[char]) -> bool {
    seps.contains(&'.') && seps.contains(&',')
}

const UNITS: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORDINALS: [&str; 12] = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth",
];

fn small_number(w: &str) -> Option<f64> {
    if let Some(i) = UNITS.iter().position(|u| *u == w) {
        return Some(i as f64);
    }
    TENS.iter()
        .position(|t| *t == w)
        .map(|i| (i as f64 + 2.0) * 10.0)
}

/// Every number a document states, with the rules `pillars verify` matches against:
///
/// - digits, with `,` grouping thousands (`1,000`), `.` as decimal point (`1.26`); leniently
///   also `.` or a (narrow) no-break space grouping thousands (`1.000`, `1 000`), `,` as a
///   decimal comma (`4,5`), and each separated part on its own (`2019.150` → 2019 and 150);
/// - a scale word or suffix after the digits multiplies: `46 million`, `€46-million`,
///   `$1.26 billion`, `1.2bn`, `46m`, `5k` (the bare number counts too); currency signs,
///   `%`, `per cent` do not change the value (`4%` → 4);
/// - numbers in words: `nine`, `twenty-five`, `two hundred`, `one million`, `a billion`,
///   `a dozen`, ordinals `first`–`twelfth`;
/// - fractions in words, as percentages matched within 0.5: `half` 50, `a third`/`one-third`
///   33.3, `two-thirds` 66.7, `a quarter` 25, `three-quarters` 75.
pub fn mentions(text: &str) -> Vec<Mention> {
    let mut out = digit_mentions(text);
    // Numbers and fractions in words.
    let words = word_tokens(text);
    for i in 0..words.len() {
        let at = |value: f64, approx: bool, end: usize| Mention {
            value,
            approx,
            start: words[i].1,
            end,
        };
        out.extend(fraction_at(&words, i, &at));
        if let Some(k) = ORDINALS.iter().position(|o| *o == words[i].0) {
            out.push(at(k as f64 + 1.0, false, words[i].2));
        }
        out.extend(cardinal_at(&words, i, &at));
    }
    out.sort_by(|a, b| a.start.cmp(&b.start).then(a.value.total_cmp(&b.value)));
    out.dedup();
    out
}

/// Numbers written in digits, each with its scale word or suffix when it has one.
fn digit_mentions(text: &str) -> Vec<Mention> {
    let mut out = vec![];
    for m in DIGITS.find_iter(text) {
        let scale = SCALE
            .captures(&text[m.end()..])
            .and_then(|c| c.get(1).or(c.get(2)).map(|w| (w.as_str(), c[0].len())))
            .and_then(|(w, len)| scale_of(w).map(|s| (s, len)));
        let standard = readings(m.as_str(), true);
        for r in readings(m.as_str(), false) {
            if let Some(v) = scaled(&r, 0) {
                out.push(Mention {
                    value: v,
                    approx: false,
                    start: m.start(),
                    end: m.end(),
                });
            }
            if let Some((s, len)) = scale
                && standard.first() == Some(&r)
                && let Some(v) = scaled(&r, s)
            {
                out.push(Mention {
                    value: v,
                    approx: false,
                    start: m.start(),
                    end: m.end() + len,
                });
            }
        }
    }
    out
}

/// A word of the text: (lowercase, start, end).
type Word = (String, usize, usize);

/// The words of `text`, with a `|` between two that are not joined by spaces or a hyphen:
/// "a 150 million" is not "a million".
fn word_tokens(text: &str) -> Vec<Word> {
    let mut words: Vec<Word> = vec![];
    for m in WORD.find_iter(text) {
        if let Some(prev) = words.last()
            && !text[prev.2..m.start()]
                .chars()
                .all(|c| c.is_whitespace() || c == '-')
        {
            words.push((String::from("|"), prev.2, m.start()));
        }
        words.push((m.as_str().to_ascii_lowercase(), m.start(), m.end()));
    }
    words
}

/// A fraction in words starting at word `i` (as a percentage), and "half a million".
fn fraction_at(words: &[Word], i: usize, at: &dyn Fn(f64, bool, usize) -> Mention) -> Vec<Mention> {
    let w = words[i].0.as_str();
    let next = |k: usize| words.get(i + k).map(|x| x.0.as_str());
    let fraction = match (w, next(1)) {
        ("half", _) => Some((50.0, 1)),
        ("a" | "one", Some("third")) => Some((100.0 / 3.0, 2)),
        ("two", Some("thirds")) => Some((200.0 / 3.0, 2)),
        ("a" | "one", Some("quarter")) => Some((25.0, 2)),
        ("three", Some("quarters")) => Some((75.0, 2)),
        _ => None,
    };
    let Some((v, n)) = fraction else {
        return vec![];
    };
    let mut out = vec![at(v, true, words[i + n - 1].2)];
    if w == "half"
        && next(1) == Some("a")
        && let Some(s) = next(2).and_then(scale_of).filter(|s| *s >= 3)
    {
        out.push(at(0.5 * 10f64.powi(s as i32), false, words[i + 2].2));
    }
    out
}

/// A cardinal in words starting at word `i`: [a|an|N] [hundred] [thousand|million|billion],
/// or "a dozen"; the number alone and the whole phrase.
fn cardinal_at(words: &[Word], i: usize, at: &dyn Fn(f64, bool, usize) -> Mention) -> Vec<Mention> {
    let w = words[i].0.as_str();
    let word = |k: usize| words.get(k).map(|x| x.0.as_str());
    let mut j = i;
    let mut value = match w {
        "a" | "an" => None,
        _ => small_number(w),
    };
    if let Some(v) = value
        && v >= 20.0
        && let Some(u) = word(i + 1)
            .and_then(small_number)
            .filter(|u| *u < 10.0 && *u > 0.0)
    {
        value = Some(v + u);
        j += 1;
    }
    let article = value.is_none() && (w == "a" || w == "an");
    if value.is_none() && !article {
        return vec![];
    }
    let mut total = value;
    let mut cur = value.unwrap_or(1.0);
    if word(j + 1) == Some("hundred") {
        j += 1;
        cur *= 100.0;
        total = Some(cur);
    }
    if let Some(s) = word(j + 1).and_then(scale_of).filter(|s| *s >= 3) {
        j += 1;
        cur *= 10f64.powi(s as i32);
        total = Some(cur);
    } else if word(j + 1) == Some("dozen") {
        j += 1;
        cur *= 12.0;
        total = Some(cur);
    }
    let alone = value.map(|v| at(v, false, words[i].2));
    let phrase = total.filter(|_| j > i).map(|t| at(t, false, words[j].2));
    alone.into_iter().chain(phrase).collect()
}

/// True for letters that may follow a number without making it part of a name: scale
/// suffixes (`46m`, `1.2bn`), decades (`2010s`), ordinals (`10th`).
fn number_suffix(s: &str) -> bool {
    let w: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        w.as_str(),
        "s" | "st" | "nd" | "rd" | "th" | "m" | "mn" | "bn" | "tn" | "k"
    )
}

/// The numbers written with digits in an annotation's free text. Numbers in words are not
/// read here: "one of the largest" is not a figure. A number glued to letters (`CH-92A`,
/// `FK-3`, `5G`, `COVID-19`) is a [`TextFigure::Designation`]; a range `2009-2013` is two
/// numbers.
pub fn text_figures(text: &str) -> Vec<TextFigure> {
    let bytes = text.as_bytes();
    let is_alnum = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric());
    let is_alpha = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic());
    let mut out = vec![];
    for m in DIGITS.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let before_letter = s > 0 && is_alpha(s - 1);
        // `CH-92A`, `FK-3`, `MiG-29` are names; `end-2020`, `mid-2019` are not.
        let before_hyphen_name = s > 1 && bytes[s - 1] == b'-' && is_alpha(s - 2) && {
            let word_start = text[..s - 1]
                .rfind(|c: char| !c.is_ascii_alphabetic())
                .map_or(0, |i| i + 1);
            text[word_start..s - 1]
                .chars()
                .any(|c| c.is_ascii_uppercase())
        };
        let after_letter = is_alpha(e) && !number_suffix(&text[e..]);
        if before_letter || before_hyphen_name || after_letter {
            let mut a = s;
            while a > 0 && (is_alnum(a - 1) || (bytes[a - 1] == b'-' && a > 1 && is_alnum(a - 2))) {
                a -= 1;
            }
            let mut b = e;
            while is_alnum(b) {
                b += 1;
            }
            out.push(TextFigure::Designation {
                token: text[a..b].to_string(),
                start: a,
                end: b,
            });
            continue;
        }
        let scale = SCALE
            .captures(&text[e..])
            .and_then(|c| c.get(1).or(c.get(2)).map(|w| (w.as_str(), c[0].len())))
            .and_then(|(w, len)| scale_of(w).map(|s| (s, len)));
        let Some(r) = readings(m.as_str(), true).into_iter().next() else {
            continue;
        };
        let (value, end) = match scale {
            Some((sc, len)) => (scaled(&r, sc), e + len),
            None => (scaled(&r, 0), e),
        };
        if let Some(value) = value {
            out.push(TextFigure::Number {
                value,
                start: s,
                end,
            });
        }
    }
    out
}

/// The numbers of one document, for lookups.
pub struct Document {
    pub name: String,
    pub text: String,
    /// Lowercased text with every dash as `-`, for designations.
    folded: String,
    mentions: Vec<Mention>,
    /// Hashes of every run of `n` consecutive words, for each `n` of [`COPY_RUNS`], to catch
    /// copied and near-copied sentences.
    shingles: Vec<(usize, HashSet<u64>)>,
    /// Byte ranges of the paragraphs ([`locator::paragraphs`]).
    paragraphs: Vec<Range<usize>>,
}

/// A figure counts as in its passage when it stands in a named paragraph or in the one just
/// before or after (a sentence split by a page break, a heading between).
pub const PASSAGE_SLACK: usize = 1;

/// Free text sharing this many consecutive words with its document is treated as copied:
/// long enough that names and official titles do not trigger it, short enough to catch a
/// sentence taken over with small edits.
pub const COPY_WINDOW: usize = 10;
/// Descriptions are the annotator's own sentences, never names: a shorter run is enough.
pub const DESCRIPTION_WINDOW: usize = 8;
/// A near copy: a description of at least `NEAR_COPY_MIN_WORDS` words of which this share
/// of its runs of `NEAR_COPY_RUN` words stand in the document (words swapped or dropped
/// here and there, the sentence kept).
pub const NEAR_COPY_SHARE: f64 = 0.4;
pub const NEAR_COPY_RUN: usize = 4;
pub const NEAR_COPY_MIN_WORDS: usize = 8;
const COPY_RUNS: [usize; 3] = [NEAR_COPY_RUN, DESCRIPTION_WINDOW, COPY_WINDOW];

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn shingle(words: &[String]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    words.hash(&mut h);
    h.finish()
}

fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl Document {
    pub fn new(name: &str, text: &str) -> Document {
        Document {
            name: name.to_string(),
            text: text.to_string(),
            folded: fold(text),
            mentions: mentions(text),
            shingles: {
                let w = words(text);
                let runs = |n| w.windows(n).map(shingle).collect();
                COPY_RUNS.iter().map(|&n| (n, runs(n))).collect()
            },
            paragraphs: locator::paragraphs(text),
        }
    }
    /// The passage a locator names (± [`PASSAGE_SLACK`] paragraphs), as byte ranges.
    pub fn passage(&self, loc: &str) -> Result<Vec<Range<usize>>, (Code, String)> {
        let refs = locator::references(loc).map_err(|e| (Code::LocatorUnreadable, e))?;
        if refs.is_empty() {
            return Err((
                Code::LocatorUnreadable,
                format!("the locator `{loc}` names no paragraph"),
            ));
        }
        locator::passages(&self.paragraphs, &refs, PASSAGE_SLACK).map_err(|r| {
            (
                Code::LocatorUnresolved,
                format!(
                    "the locator names ¶{}-{} but {} has {} paragraphs",
                    r.first,
                    r.last,
                    self.name,
                    self.paragraphs.len()
                ),
            )
        })
    }
    /// True when the passage states `v`.
    pub fn has_in(&self, v: f64, passage: &[Range<usize>]) -> bool {
        self.mentions
            .iter()
            .any(|m| same(m, v) && passage.iter().any(|r| r.contains(&m.start)))
    }
    /// True when the passage holds `token` (case- and dash-insensitive).
    pub fn has_token_in(&self, token: &str, passage: &[Range<usize>]) -> bool {
        let token = fold(token);
        passage
            .iter()
            .any(|r| fold(&self.text[r.clone()]).contains(&token))
    }
    /// The paragraph number holding byte `at`.
    fn paragraph_at(&self, at: usize) -> usize {
        self.paragraphs.partition_point(|p| p.end < at) + 1
    }
    /// The paragraphs (up to five) where the document states `v`, as a hint.
    fn stated_in(&self, v: Option<f64>, token: &str) -> String {
        let mut at: Vec<usize> = match v {
            Some(v) => self
                .mentions
                .iter()
                .filter(|m| same(m, v))
                .map(|m| self.paragraph_at(m.start))
                .collect(),
            None => {
                let token = fold(token);
                let paras = self.paragraphs.iter().enumerate();
                paras
                    .filter(|(_, r)| fold(&self.text[(*r).clone()]).contains(&token))
                    .map(|(i, _)| i + 1)
                    .collect()
            }
        };
        at.dedup();
        let list: Vec<String> = at.iter().take(5).map(|n| format!("¶{n}")).collect();
        list.join(", ")
    }
    fn runs(&self, n: usize) -> &HashSet<u64> {
        &self
            .shingles
            .iter()
            .find(|(m, _)| *m == n)
            .expect("a run length of COPY_RUNS")
            .1
    }
    /// The first run of `window` words of `s` that also stands in the document.
    pub fn copied_words(&self, s: &str, window: usize) -> Option<String> {
        words(s)
            .windows(window)
            .find(|w| self.runs(window).contains(&shingle(w)))
            .map(|w| w.join(" "))
    }
    /// The share of `s`'s runs of [`NEAR_COPY_RUN`] words that stand in the document, when
    /// it reaches [`NEAR_COPY_SHARE`].
    pub fn near_copy(&self, s: &str) -> Option<f64> {
        let w = words(s);
        if w.len() < NEAR_COPY_MIN_WORDS {
            return None;
        }
        let runs: Vec<_> = w.windows(NEAR_COPY_RUN).collect();
        let found = runs
            .iter()
            .filter(|r| self.runs(NEAR_COPY_RUN).contains(&shingle(r)));
        let share = found.count() as f64 / runs.len() as f64;
        (share >= NEAR_COPY_SHARE).then_some(share)
    }
    /// True when the document states `v`.
    pub fn has(&self, v: f64) -> bool {
        self.mentions.iter().any(|m| same(m, v))
    }
    pub fn has_token(&self, token: &str) -> bool {
        self.folded.contains(&fold(token))
    }
    /// The mention closest to `v` (by ratio), with its line number, as a hint.
    fn nearest(&self, v: f64) -> Option<String> {
        let score = |m: &Mention| {
            if v == 0.0 || m.value == 0.0 {
                f64::INFINITY
            } else {
                (m.value / v).ln().abs()
            }
        };
        let m = self
            .mentions
            .iter()
            .filter(|m| score(m) < 0.7)
            .min_by(|a, b| score(a).total_cmp(&score(b)))?;
        let line = self.text[..m.start].matches('\n').count() + 1;
        Some(format!(
            "the closest figure in the document is `{}` (line {line})",
            &self.text[m.start..m.end]
        ))
    }
}

fn same(m: &Mention, v: f64) -> bool {
    if m.approx {
        (m.value - v).abs() < 0.5
    } else {
        (m.value - v).abs() <= 1e-9 * v.abs().max(1.0)
    }
}

/// Counts for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub documents: usize,
    pub records: usize,
    pub numbers: usize,
    pub years: usize,
    pub in_text: usize,
    pub derived: usize,
    pub mismatches: usize,
    /// Free-text fields that copy a run of words from their document.
    pub copied: usize,
}

/// A derived field the check accepted: file:line, record, field, reason.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub loc: Loc,
    pub table: String,
    pub record: String,
    pub field: String,
    pub reason: String,
}

pub struct Outcome {
    pub stats: Stats,
    pub accepted: Vec<Accepted>,
    pub problems: Vec<Problem>,
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

static PUBLISHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:published|posted on|first published|copyright|©)\W{0,3}(?:[A-Za-z]+\.? ){0,3}(?:[0-9]{1,2},? )?((?:19|20)[0-9]{2})\b")
        .expect("valid regex")
});
static ACCESSED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:accessed|retrieved)(?: on)?:? [^\n]{0,20}?((?:19|20)[0-9]{2})\b")
        .expect("valid regex")
});

/// The `[source]` year against what the document says of its own date: a publication line
/// ("Published March 2021", "© 2020") must agree with it, and a reference the author
/// accessed in a year (`Accessed 1 July 2024`) means the document is not older than that.
fn source_year(doc: &Document, r: &Record<Value>, t: &TableSchema) -> Option<Problem> {
    let year = r.fields.iter().find_map(|(fi, v, _)| match v {
        Value::Int(y) if t.fields[*fi].name == "year" => Some(*y),
        _ => None,
    })?;
    let stated: Vec<i64> = PUBLISHED
        .captures_iter(&doc.text)
        .filter_map(|c| c[1].parse().ok())
        .collect();
    let accessed = ACCESSED
        .captures_iter(&doc.text)
        .filter_map(|c| c[1].parse::<i64>().ok())
        .max();
    let msg = if !stated.is_empty() && !stated.contains(&year) {
        format!(
            "[source] year {year}, but {} says it was published in {}",
            doc.name, stated[0]
        )
    } else if let Some(a) = accessed.filter(|a| *a > year) {
        format!(
            "[source] year {year}, but {} cites a page it accessed in {a}",
            doc.name
        )
    } else {
        return None;
    };
    Some(
        Problem::new(Code::SourceYear, msg)
            .record("sources", &r.id)
            .field("year")
            .expected("the year the document was published, as the document states it"),
    )
}

/// A free-text field that copies its document: a run of words (10; 8 in a description), or
/// a description most of whose 4-word runs stand in the document. Names and official titles
/// (`name`, `role`) are designations, quoted by nature.
fn copied(doc: &Document, field: &str, text: &str) -> Option<Problem> {
    if ["name", "role"].contains(&field) {
        return None;
    }
    let description = field == "description";
    let window = if description {
        DESCRIPTION_WINDOW
    } else {
        COPY_WINDOW
    };
    let msg = if let Some(run) = doc.copied_words(text, window) {
        format!(
            "`{field}` repeats {window} or more consecutive words of {}: \"{run}\"",
            doc.name
        )
    } else {
        let share = doc.near_copy(text).filter(|_| description)?;
        format!(
            "`{field}` nearly copies {}: {:.0}% of its {NEAR_COPY_RUN}-word runs stand in the document",
            doc.name,
            share * 100.0
        )
    };
    Some(Problem::new(Code::CopiedText, msg).expected(
        "the annotator's own words: the documents are copyrighted; keep the facts and names, rephrase the rest",
    ))
}

/// A figure the document states, but not in the passage the record's locator names.
fn outside_passage(
    doc: &Document,
    r: &Record<Value>,
    field: &str,
    written: &str,
    v: Option<f64>,
    table: &str,
) -> Problem {
    Problem::new(
        Code::OutsidePassage,
        format!(
            "`{written}` is in {} but not in the passage the locator names (`{}`)",
            doc.name, r.locator
        ),
    )
    .record(table, &r.id)
    .field(field)
    .expected(format!(
        "a locator that names the paragraph stating it (± {PASSAGE_SLACK}): {} states it in {}",
        doc.name,
        doc.stated_in(v, written)
    ))
}

/// Checks every record of `ex` (normalised as `records`) against the documents in `sources`.
pub fn run(
    ex: &Extraction,
    records: &[Record<Value>],
    schema: &Schema,
    sources: &Path,
) -> Result<Outcome, Vec<Problem>> {
    if !sources.is_dir() {
        return Err(vec![
            Problem::new(
                Code::Io,
                format!(
                    "the sources directory {} does not exist or is not a directory",
                    sources.display()
                ),
            )
            .at(Loc::file(sources.display().to_string()))
            .expected("a directory holding the source documents named in each [source] `file` (--sources DIR)"),
        ]);
    }
    let source_table = schema.tables.iter().position(|t| t.name == "sources");
    let mut out = Outcome {
        stats: Stats::default(),
        accepted: vec![],
        problems: vec![],
    };
    // The document of every extraction file that has a [source].
    let mut docs: BTreeMap<u32, Document> = BTreeMap::new();
    for r in records.iter().filter(|r| Some(r.table) == source_table) {
        match document(ex, r, &schema.tables[r.table], sources) {
            Ok((doc, year)) => {
                out.problems.extend(year);
                docs.insert(r.pos.file, doc);
            }
            Err(p) => out.problems.push(p),
        }
    }
    out.stats.documents = docs.len();
    for r in records.iter().filter(|r| Some(r.table) != source_table) {
        // raw/resolutions.toml, or a file whose document is reported missing.
        if let Some(doc) = docs.get(&r.pos.file) {
            out.stats.records += 1;
            record(ex, r, &schema.tables[r.table], doc, &mut out);
        }
    }
    crate::diagnostic::sort(&mut out.problems);
    Ok(out)
}

/// The document a `sources` record cites (its `file`, read inside `sources`), with a problem
/// when the record's year is not the document's.
fn document(
    ex: &Extraction,
    r: &Record<Value>,
    t: &TableSchema,
    sources: &Path,
) -> Result<(Document, Option<Problem>), Problem> {
    let file = r
        .fields
        .iter()
        .find(|(fi, _, _)| t.fields[*fi].name == "file");
    let (name, pos) = match file {
        Some((_, Value::Str(s), p)) => (s.to_string(), *p),
        _ => (format!("{}.txt", r.id), r.pos),
    };
    let path = sources.join(&name);
    // Only a plain file name, read as a bounded regular file inside --sources.
    if let Some(why) = crate::source_ref::file_problem(&name) {
        return Err(Problem::new(
            Code::SourceFileName,
            format!("`file` = `{name}` is not accepted: {why}"),
        )
        .at(ex.loc(pos))
        .record(&t.name, &r.id)
        .field("file")
        .expected("the plain file name of the document in the sources directory"));
    }
    match crate::fsio::read_in_tree(sources, Path::new(&name), crate::fsio::MAX_DOCUMENT_BYTES) {
        Ok(b) => {
            let doc = Document::new(&name, &String::from_utf8_lossy(&b));
            let year = source_year(&doc, r, t).map(|p| p.at(ex.loc(r.pos)));
            Ok((doc, year))
        }
        Err(
            e @ (crate::fsio::ReadError::NotRegular(_)
            | crate::fsio::ReadError::TooLarge { .. }
            | crate::fsio::ReadError::Outside(_)),
        ) => {
            let mut p = e.problem(
                Code::Io,
                &path,
                "a regular file inside the sources directory, at most 64 MiB",
            );
            p.loc = Some(ex.loc(pos));
            Err(p.record(&t.name, &r.id).field("file"))
        }
        Err(e) => Err(Problem::new(
            Code::MissingDocument,
            format!("cannot read the cited document {}: {e}", path.display()),
        )
        .at(ex.loc(pos))
        .record(&t.name, &r.id)
        .field("file")
        .expected(format!(
            "the document `{name}` in {} (or the right `file` name)",
            sources.display()
        ))),
    }
}

/// A figure of a value: (its value when it is a number, what was written, where, kind).
type Figure<'k> = (Option<f64>, String, Pos, &'k str);

/// Checks one record's numbers, years and free text against its document.
fn record(ex: &Extraction, r: &Record<Value>, t: &TableSchema, doc: &Document, out: &mut Outcome) {
    // Figures are looked for in the passage the locator names; when it cannot be followed,
    // that is reported and the figures are still checked against the document.
    let passage = doc.passage(&r.locator).map_err(|(code, msg)| {
        out.problems.push(
            Problem::new(code, msg)
                .at(ex.loc(r.pos))
                .record(&t.name, &r.id)
                .field("locator")
                .expected(format!("a locator naming the paragraphs of {} that state the record's figures, e.g. `Section heading, ¶12` or `¶12-14; ¶20` (paragraphs: `pillars paragraphs {}`; see docs/ANNOTATING.md)", doc.name, doc.name)),
        )
    }).ok();
    for (fi, value, pos) in &r.fields {
        let f = &t.fields[*fi];
        let fname = f.raw.as_deref().unwrap_or(&f.name);
        let figures = figures(ex, f, value, *pos);
        if let Value::Str(text) = value
            && is_free_text(f)
            && let Some(p) = copied(doc, fname, text)
        {
            out.stats.copied += 1;
            out.problems
                .push(p.at(ex.loc(*pos)).record(&t.name, &r.id).field(fname));
        }
        if figures.is_empty() {
            continue;
        }
        if let Some((_, reason)) = r.derived.iter().find(|(d, _)| d == fi) {
            out.stats.derived += 1;
            out.accepted.push(Accepted {
                loc: ex.loc(*pos),
                table: t.name.clone(),
                record: r.id.clone(),
                field: fname.to_string(),
                reason: reason.clone(),
            });
            continue;
        }
        for figure in figures {
            let at = (r, fname, t.name.as_str());
            if let Some(p) = evidence(ex, doc, passage.as_deref(), at, figure, &mut out.stats) {
                out.problems.push(p);
            }
        }
    }
}

/// Free text (a string whose first source's wording is kept): its figures are checked, and
/// it must not copy its document.
fn is_free_text(f: &crate::schema::Field) -> bool {
    f.ftype == FieldType::String && f.merge == Merge::First
}

/// The figures of one value that its document must state: a number, the years of a date,
/// the numbers and designations written in free text (none for other fields).
fn figures<'k>(
    ex: &Extraction,
    f: &crate::schema::Field,
    value: &Value,
    pos: Pos,
) -> Vec<Figure<'k>> {
    let numeric = matches!(f.ftype, FieldType::Integer | FieldType::Number);
    let is_date = f.kind == Kind::PartialDate;
    let free_text = is_free_text(f);
    if !(numeric || is_date || free_text) {
        return vec![];
    }
    let literal_start = pos.start as usize;
    let file_text = &ex.files[pos.file as usize].text;
    let literal = file_text
        .get(pos.start as usize..pos.end as usize)
        .unwrap_or_default();
    // Where `needle` is in the value's literal, from byte `from` on (the whole value when
    // it is not there as written).
    let sub = |needle: &str, from: usize| -> Pos {
        match literal.get(from..).and_then(|l| l.find(needle)) {
            Some(i) => Pos {
                file: pos.file,
                start: (literal_start + from + i) as u32,
                end: (literal_start + from + i + needle.len()) as u32,
            },
            None => pos,
        }
    };
    let mut figures: Vec<Figure> = vec![];
    match value {
        Value::Int(i) if numeric => figures.push((Some(*i as f64), i.to_string(), pos, "number")),
        Value::Num(n) if numeric => figures.push((Some(*n), fmt_num(*n), pos, "number")),
        Value::PDate(d) if is_date => {
            let mut from = 0;
            for y in d.text.split('/').map(|p| &p[..4.min(p.len())]) {
                let p = sub(y, from);
                from = (p.end as usize).saturating_sub(literal_start);
                figures.push((y.parse().ok(), y.to_string(), p, "year"));
            }
        }
        Value::Str(s) if free_text => {
            let mut from = 0;
            for tf in text_figures(s) {
                let (v, written) = match &tf {
                    TextFigure::Number { value, start, end } => {
                        (Some(*value), s[*start..*end].to_string())
                    }
                    TextFigure::Designation { token, .. } => (None, token.clone()),
                };
                let p = sub(&written, from);
                if p != pos {
                    from = (p.end as usize).saturating_sub(literal_start);
                }
                figures.push((v, written, p, "text"));
            }
        }
        _ => {}
    }
    figures
}

/// A figure not stated in the passage its record's locator names (or, without a passage,
/// anywhere in the document); counted in `stats`.
fn evidence(
    ex: &Extraction,
    doc: &Document,
    passage: Option<&[Range<usize>]>,
    (r, fname, table): (&Record<Value>, &str, &str),
    (v, written, p, kind): Figure,
    stats: &mut Stats,
) -> Option<Problem> {
    match kind {
        "number" => stats.numbers += 1,
        "year" => stats.years += 1,
        _ => stats.in_text += 1,
    }
    let in_doc = match v {
        Some(v) => doc.has(v),
        None => doc.has_token(&written),
    };
    let in_passage = match (passage, v) {
        (None, _) => in_doc,
        (Some(p), Some(v)) => doc.has_in(v, p),
        (Some(p), None) => doc.has_token_in(&written, p),
    };
    if in_passage {
        return None;
    }
    stats.mismatches += 1;
    if in_doc {
        return Some(outside_passage(doc, r, fname, &written, v, table).at(ex.loc(p)));
    }
    let what = match (kind, v) {
        ("number", Some(v)) if written != fmt_num(v) => format!("{} (`{written}`)", fmt_num(v)),
        ("number", _) => format!("`{written}`"),
        ("year", _) => format!("year {written}"),
        (_, Some(_)) => format!("`{written}` in the text"),
        (_, None) => format!("name `{written}` in the text"),
    };
    let mut expected = format!(
        "a figure stated in {} (see docs/ANNOTATING.md); correct it, remove it from free text, or mark it derived = {{ {fname} = \"reason\" }}",
        doc.name
    );
    if let Some(hint) = v.and_then(|v| doc.nearest(v)) {
        expected = format!("{expected}; {hint}");
    }
    Some(
        Problem::new(
            Code::Evidence,
            format!("{what} is not in the cited document {}", doc.name),
        )
        .at(ex.loc(p))
        .record(table, &r.id)
        .field(fname)
        .expected(expected),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<f64> {
        let mut v: Vec<f64> = mentions(text).iter().map(|m| m.value).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    }
    fn has(text: &str, v: f64) -> bool {
        Document::new("t.txt", text).has(v)
    }

    #[test]
    fn digits_with_scale_words_and_currency() {
        assert!(has("a loan of $1.26 billion", 1_260_000_000.0));
        assert!(has("worth €46-million", 46_000_000.0));
        assert!(has("worth 46 million euros", 46_000_000.0));
        assert!(has("some 1,000 workers", 1000.0));
        assert!(has("€2.5bn in loans", 2_500_000_000.0));
        assert!(has("€46m", 46_000_000.0));
        assert!(has("up 4% on the year", 4.0));
        assert!(has("over 70 per cent", 70.0));
        assert!(has("5.13 billion", 5_130_000_000.0));
        assert!(has("around €185 \nmillion, and", 185_000_000.0));
        // The bare number counts too.
        assert!(has("$1.26 billion", 1.26));
        assert!(!has("$1.26 billion", 126_000_000.0));
        assert!(!has("46 million", 460_000_000.0));
    }

    #[test]
    fn separators() {
        assert_eq!(values("1,000,000"), vec![1_000_000.0]);
        // A decimal is not also its integer part, and the scale applies to the whole number.
        assert!(!has("1.21 billion", 1_000_000_000.0));
        assert!(!has("9.8 million", 9.0));
        assert!(!has("a 150 million loan", 1_000_000.0));
        // Continental thousands and decimal comma are accepted leniently.
        assert!(has("1.000 soldiers", 1000.0));
        assert!(has("4,5 posto", 4.5));
        // A year followed by a footnote number.
        assert!(has("in 1999.119 The", 1999.0));
        assert!(has("1,234.5", 1234.5));
        assert!(has("(2009-2013)", 2013.0));
    }

    #[test]
    fn numbers_in_words() {
        assert!(has("nine drones", 9.0));
        assert!(has("Nine drones", 9.0));
        assert!(has("twenty-five years", 25.0));
        assert!(has("one million doses", 1_000_000.0));
        assert!(has("a billion dollars", 1_000_000_000.0));
        assert!(has("two hundred", 200.0));
        assert!(has("a dozen", 12.0));
        assert!(has("the tenth anniversary", 10.0));
        assert!(has("half a million", 500_000.0));
        assert!(!has("nine drones", 6.0));
        assert!(!has("a loan", 1.0));
    }

    #[test]
    fn fractions_match_within_half_a_point() {
        assert!(has("two-thirds of exports", 66.7));
        assert!(has("two-thirds of exports", 67.0));
        assert!(!has("two-thirds of exports", 60.0));
        assert!(has("a third of", 33.0));
        assert!(has("three quarters", 75.0));
        assert!(has("half of it", 50.0));
        // "third" alone is an ordinal, not a fraction.
        assert!(!has("the third time", 33.3));
    }

    #[test]
    fn free_text_figures() {
        let f = text_figures("Six CH-92A drones for €46 million in 2020, FK-3 and 5G; 2009-2013");
        assert_eq!(
            f,
            vec![
                TextFigure::Designation {
                    token: "CH-92A".into(),
                    start: 4,
                    end: 10
                },
                TextFigure::Number {
                    value: 46_000_000.0,
                    start: 25,
                    end: 35
                },
                TextFigure::Number {
                    value: 2020.0,
                    start: 39,
                    end: 43
                },
                TextFigure::Designation {
                    token: "FK-3".into(),
                    start: 45,
                    end: 49
                },
                TextFigure::Designation {
                    token: "5G".into(),
                    start: 54,
                    end: 56
                },
                TextFigure::Number {
                    value: 2009.0,
                    start: 58,
                    end: 62
                },
                TextFigure::Number {
                    value: 2013.0,
                    start: 63,
                    end: 67
                },
            ]
        );
    }

    #[test]
    fn free_text_numbers_and_names() {
        // Decades, ordinals, suffixes and lowercase prefixes are numbers, not names.
        assert!(matches!(
            text_figures("by end-2020")[0],
            TextFigure::Number { value: 2020.0, .. }
        ));
        assert!(matches!(
            text_figures("MiG-29 jets")[0],
            TextFigure::Designation { .. }
        ));
        assert!(matches!(
            text_figures("the 2010s")[0],
            TextFigure::Number { value: 2010.0, .. }
        ));
        assert!(matches!(
            text_figures("its 10th anniversary")[0],
            TextFigure::Number { value: 10.0, .. }
        ));
        assert!(matches!(
            text_figures("€1.2bn")[0],
            TextFigure::Number {
                value: 1_200_000_000.0,
                ..
            }
        ));
        // Strict reading in annotations: 1.000 is one, not a thousand.
        assert!(matches!(
            text_figures("1.000")[0],
            TextFigure::Number { value: 1.0, .. }
        ));
    }

    #[test]
    fn designations_match_case_and_dash_insensitively() {
        let d = Document::new("t.txt", "the FK‑3 system and Covid–19");
        assert!(d.has_token("fk-3"));
        assert!(d.has_token("COVID-19"));
        assert!(!d.has_token("FK-2"));
    }
}
