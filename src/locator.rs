//! Locators a machine can follow: the paragraphs of a source text, and the `¶N` references a
//! record's `locator` makes to them.
//!
//! A **paragraph** is a maximal run of non-blank lines; a line is blank when it holds only
//! whitespace. Paragraphs are numbered from 1 at the top of the file. The rule needs nothing
//! but the text, so anyone can recount it (`pillars paragraphs FILE` lists them).
//!
//! A locator names paragraphs with `¶12`, a range `¶12-14` (or `¶12–14`), or several of
//! either anywhere in its text, e.g. `"Chinese Economic Statecraft, ¶41; ¶44-45"`. The words
//! around them (a section heading) are for people and are not interpreted.

use std::ops::Range;

/// Byte ranges of the paragraphs of `text`, in order (paragraph N is at index N-1).
pub fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut out = vec![];
    let mut open: Option<Range<usize>> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let end = at + line.len();
        if line.trim().is_empty() {
            out.extend(open.take());
        } else {
            let content_end = at + line.trim_end_matches(['\n', '\r']).len();
            match &mut open {
                Some(p) => p.end = content_end,
                None => open = Some(at..content_end),
            }
        }
        at = end;
    }
    out.extend(open);
    out
}

/// One paragraph reference of a locator: paragraphs `first..=last` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParaRef {
    pub first: usize,
    pub last: usize,
}

/// The paragraph references in a locator, in the order written. `Err` describes a reference
/// that cannot be read (`¶` without a number, `¶0`, a reversed range).
pub fn references(locator: &str) -> Result<Vec<ParaRef>, String> {
    let mut refs = vec![];
    let mut rest = locator;
    while let Some(i) = rest.find('¶') {
        let after = rest[i + '¶'.len_utf8()..].trim_start();
        let (first, after) = leading_number(after)
            .ok_or_else(|| "a `¶` is not followed by a paragraph number".to_string())?;
        let (last, after) = match after.strip_prefix(['-', '–']) {
            Some(r) => leading_number(r.trim_start().trim_start_matches('¶'))
                .ok_or_else(|| format!("the range after `¶{first}` has no end number"))?,
            None => (first, after),
        };
        if first == 0 || last < first {
            return Err(format!(
                "`¶{first}-{last}` is not a paragraph range (paragraphs count from 1, low to high)"
            ));
        }
        refs.push(ParaRef { first, last });
        rest = after;
    }
    Ok(refs)
}

fn leading_number(s: &str) -> Option<(usize, &str)> {
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    // More than six digits is not a paragraph of any document we read; it also keeps the
    // parse from overflowing.
    if digits == 0 || digits > 6 {
        return None;
    }
    Some((s[..digits].parse().ok()?, &s[digits..]))
}

/// The byte ranges of `text` a locator's references cover, widened by `slack` paragraphs on
/// each side. `Err` names the first reference past the last paragraph.
pub fn passages(
    paras: &[Range<usize>],
    refs: &[ParaRef],
    slack: usize,
) -> Result<Vec<Range<usize>>, ParaRef> {
    refs.iter()
        .map(|r| {
            if r.last > paras.len() {
                return Err(*r);
            }
            let first = r.first.saturating_sub(slack).max(1);
            let last = (r.last + slack).min(paras.len());
            Ok(paras[first - 1].start..paras[last - 1].end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_are_runs_of_non_blank_lines() {
        let t = "Title\n\nOne\nstill one\n  \t\nTwo\r\n\r\n\r\nThree";
        let p: Vec<&str> = paragraphs(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(p, ["Title", "One\nstill one", "Two", "Three"]);
        assert!(paragraphs("\n \n").is_empty());
    }

    #[test]
    fn references_single_ranges_and_lists() {
        let r = references("Chinese Economic Statecraft, ¶41; ¶ 44-45; ¶7–¶9").unwrap();
        let pairs: Vec<_> = r.iter().map(|r| (r.first, r.last)).collect();
        assert_eq!(pairs, [(41, 41), (44, 45), (7, 9)]);
        assert!(references("para 3").unwrap().is_empty());
        assert!(references("¶").is_err());
        assert!(references("¶0").is_err());
        assert!(references("¶9-3").is_err());
        assert!(references("¶12-").is_err());
        assert!(references("¶99999999999999999999").is_err());
    }

    #[test]
    fn passages_widen_by_the_slack_and_stop_at_the_ends() {
        let t = "a\n\nb\n\nc\n\nd";
        let p = paragraphs(t);
        let one = [ParaRef { first: 1, last: 1 }];
        assert_eq!(&t[passages(&p, &one, 1).unwrap()[0].clone()], "a\n\nb");
        let last = [ParaRef { first: 4, last: 4 }];
        assert_eq!(&t[passages(&p, &last, 1).unwrap()[0].clone()], "c\n\nd");
        let past = [ParaRef { first: 5, last: 6 }];
        assert_eq!(passages(&p, &past, 1), Err(past[0]));
    }
}
