//! The probable-duplicate check (E0410): two records that look like one real-world thing.
//! Same table: same partner, dates that overlap (or are missing), and similar titles (or
//! similar titles and a shared specific actor, or the same amount and a shared specific
//! actor). Titles are the `title_fields` (a visit's occasion). Across tables: an event
//! and a visit with overlapping dates and the same people; an event and a deal with
//! overlapping dates and the deal's counterparty among the event's actors. Every threshold
//! is in schema/tables/links.json (`x-duplicates`). A candidate passes once the two records
//! are merged into one id or linked by any relation (distinct_from when they differ).
//! Candidates come from blocks (items of one partner sharing a rare title token or an
//! actor), so large inputs are not compared all against all; see `pairs`.

use super::links::Link;
use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Pos, Record, Value};
use crate::reconcile::Dataset;
use crate::schema::{Schema, TableSchema};
use ahash::{AHashMap, AHashSet};
use chrono::NaiveDate;
use serde_json::Value as Json;
use std::borrow::Cow;

/// What the check compares of one row; texts borrowed from the row (memory and time: a
/// large build has hundreds of thousands of items).
struct Item<'a> {
    table: &'a str,
    id: Cow<'a, str>,
    partner: Cow<'a, str>,
    dates: Option<(NaiveDate, NaiveDate, bool)>,
    tokens: Words,
    specific: Set<&'a str>,
    actors: Set<&'a str>,
    counterparty: Option<&'a str>,
    amount: Option<String>,
}

/// A small set, as a sorted vector without repeats. Memory (issue 13): a million-record
/// build has hundreds of thousands of items, each with three sets of a few words; hash
/// sets took several times the room (and the time to build).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Set<T>(Vec<T>);

impl<T: Ord> Set<T> {
    fn contains<Q: Ord + ?Sized>(&self, x: &Q) -> bool
    where
        T: std::borrow::Borrow<Q>,
    {
        self.0.binary_search_by(|t| t.borrow().cmp(x)).is_ok()
    }

    fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The items of both, in order.
    fn intersection<'s>(&'s self, other: &'s Set<T>) -> impl Iterator<Item = &'s T> {
        both(self.iter(), other.iter())
    }
}

/// The items of two sorted sequences without repeats that are in both, in order.
fn both<T: Ord>(a: impl Iterator<Item = T>, b: impl Iterator<Item = T>) -> impl Iterator<Item = T> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    std::iter::from_fn(move || {
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.cmp(y) {
                    std::cmp::Ordering::Less => drop(a.next()),
                    std::cmp::Ordering::Greater => drop(b.next()),
                    std::cmp::Ordering::Equal => {
                        b.next();
                        return a.next();
                    }
                },
                _ => return None,
            }
        }
    })
}

/// A title's distinct tokens, sorted, in one string with a space after each (a token is
/// ASCII letters and digits: `tokens`). Memory (issue 13): one allocation per item, where a
/// set of `String`s took one per token and 24 bytes more each; the check's items were the
/// largest thing a million-record build allocated at its peak.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Words(Box<str>);

impl Words {
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split_terminator(' ')
    }

    fn len(&self) -> usize {
        self.0.bytes().filter(|&b| b == b' ').count()
    }
}

impl FromIterator<String> for Words {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Words {
        let set: Set<String> = iter.into_iter().collect();
        Words(set.iter().flat_map(|w| [w.as_str(), " "]).collect())
    }
}

impl<T: Ord> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Set<T> {
        let mut v: Vec<T> = iter.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        v.shrink_to_fit();
        Set(v)
    }
}

/// A value's text, borrowed when it is text.
fn text(v: &Value) -> Cow<'_, str> {
    crate::provenance::Cell::Value(v).text()
}

fn strings(j: &Json) -> Vec<String> {
    j.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

fn tokens(text: &str, stop: &AHashSet<String>) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && !stop.contains(*w))
        .map(String::from)
        .collect()
}

/// The ids of actors of a specific type (`specific_actor_types`: a person, a company).
fn specific_actors(ds: &Dataset, schema: &Schema, cfg: &Json) -> AHashSet<String> {
    let types = strings(&cfg["specific_actor_types"]);
    let rows = ds
        .tables
        .iter()
        .find(|t| schema.tables[t.schema].name == "actors");
    let mut out = AHashSet::new();
    if let (Some(at), Some(t)) = (schema.table("actors"), rows) {
        let (id, ty) = (at.field_index("actor_id"), at.field_index("actor_type"));
        if let (Some(id), Some(ty)) = (id, ty) {
            for row in &t.rows {
                if types.contains(&row[ty].to_string()) {
                    out.insert(row[id].to_string());
                }
            }
        }
    }
    out
}

/// Where one table keeps what the check compares: column positions, found once per table.
struct Cols {
    table: String,
    id: usize,
    partner: Option<usize>,
    /// Start, end and precision of the date.
    dates: [Option<usize>; 3],
    counterparty: Option<usize>,
    title: Vec<usize>,
    actors: Vec<usize>,
    amount: Vec<usize>,
}

impl Cols {
    fn new(ts: &TableSchema, cfg: &Json) -> Cols {
        let col = |name: &str| ts.field_index(name);
        let cols = |key: &str| -> Vec<usize> {
            strings(&cfg[key]).iter().filter_map(|f| col(f)).collect()
        };
        Cols {
            table: ts.name.clone(),
            id: col(&ts.id_field().name).expect("the id is a field"),
            partner: col("partner"),
            dates: [col("date_start"), col("date_end"), col("date_precision")],
            counterparty: cfg["counterparty_field"].as_str().and_then(col),
            title: cols("title_fields"),
            actors: cols("actor_fields"),
            amount: cols("amount_fields"),
        }
    }

    fn item<'a>(
        &'a self,
        row: &'a [Value],
        stop: &AHashSet<String>,
        specific: &AHashSet<String>,
    ) -> Item<'a> {
        let names = self.names(row);
        Item {
            table: &self.table,
            id: text(&row[self.id]),
            partner: self.partner.map(|c| text(&row[c])).unwrap_or_default(),
            dates: self.dates(row),
            tokens: (self.title.iter())
                .flat_map(|&c| tokens(&text(&row[c]), stop))
                .collect(),
            specific: (names.iter().copied())
                .filter(|n| specific.contains(*n))
                .collect(),
            actors: names,
            counterparty: self.counterparty.and_then(|c| row[c].as_str()),
            amount: self.amount(row),
        }
    }

    /// Every actor id the row names, in any of the `actor_fields`.
    fn names<'a>(&self, row: &'a [Value]) -> Set<&'a str> {
        let names = self.actors.iter().flat_map(|&c| match &row[c] {
            Value::List(l) => l.iter().map(String::as_str).collect(),
            Value::Str(s) => vec![&**s],
            _ => vec![],
        });
        names.collect()
    }

    /// Start, end, and whether the date is more precise than a year; None if undated.
    fn dates(&self, row: &[Value]) -> Option<(NaiveDate, NaiveDate, bool)> {
        let [start, end, precision] = self.dates;
        match (start.map(|c| &row[c]), end.map(|c| &row[c])) {
            (Some(Value::Date(a)), Some(Value::Date(b))) => {
                let precise = precision.is_some_and(|c| row[c].to_string() != "year");
                Some((*a, *b, precise))
            }
            _ => None,
        }
    }

    /// The `amount_fields` joined by a space, when all are set and not blank.
    fn amount(&self, row: &[Value]) -> Option<String> {
        let amount = self.amount.iter().all(|&c| !row[c].is_null()).then(|| {
            (self.amount.iter())
                .map(|&c| row[c].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        });
        amount.filter(|a| !a.trim().is_empty())
    }
}

/// The items of every table the check covers, with the columns they are read by.
fn items<'a>(
    ds: &'a Dataset,
    schema: &Schema,
    cols: &'a [(usize, Cols)],
    cfg: &Json,
) -> Vec<Item<'a>> {
    let stop: AHashSet<String> = strings(&cfg["stopwords"]).into_iter().collect();
    let specific = specific_actors(ds, schema, cfg);
    let mut out = vec![];
    for (ti, cols) in cols {
        // On all cores: tokenising every title is most of the check's work.
        let rows = &ds.tables[*ti].rows[..];
        let parts = crate::parallel::ranges(rows.len(), |range| {
            let items: Vec<Item> = (rows[range].iter())
                .map(|r| cols.item(r, &stop, &specific))
                .collect();
            items
        });
        out.extend(parts.into_iter().flatten());
    }
    out
}

/// The columns of each table the check covers, by the table's place in `ds`.
fn columns(ds: &Dataset, schema: &Schema, cfg: &Json) -> Vec<(usize, Cols)> {
    let tables = strings(&cfg["tables"]);
    (ds.tables.iter().enumerate())
        .map(|(ti, t)| (ti, &schema.tables[t.schema]))
        .filter(|(_, ts)| tables.contains(&ts.name))
        .map(|(ti, ts)| (ti, Cols::new(ts, cfg)))
        .collect()
}

/// The thresholds and table pairs of `x-duplicates`, read once rather than once per pair.
struct Rules {
    /// Same table: title similarity enough on its own (1.0 when missing, as ever).
    similar: f64,
    /// Same table: title similarity enough with a shared specific actor.
    similar_with_actor: f64,
    same_people: Vec<String>,
    same_counterparty: Vec<String>,
}

impl Rules {
    fn new(cfg: &Json) -> Rules {
        let f = |key: &str| cfg[key].as_f64().unwrap_or(1.0);
        Rules {
            similar: f("similar_titles"),
            similar_with_actor: f("similar_titles_with_shared_actor"),
            same_people: strings(&cfg["same_people"]),
            same_counterparty: strings(&cfg["same_counterparty"]),
        }
    }
}

fn overlap(a: &Item, b: &Item) -> Option<bool> {
    match (a.dates, b.dates) {
        (Some(x), Some(y)) => Some(x.0 <= y.1 && y.0 <= x.1),
        _ => None,
    }
}

fn jaccard(a: &Words, b: &Words) -> f64 {
    let both = both(a.iter(), b.iter()).count();
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

/// Why `a` and `b` look like one thing, or None.
fn why(a: &Item, b: &Item, rules: &Rules) -> Option<String> {
    if a.partner != b.partner {
        return None;
    }
    // In order (the message names them).
    let shared: Vec<&str> = a.specific.intersection(&b.specific).copied().collect();
    if a.table == b.table {
        same_table(a, b, rules, &shared)
    } else {
        across_tables(a, b, rules, &shared)
    }
}

/// Two items of one table: compatible dates and similar titles, or the same amount, with a
/// shared actor when the titles are less similar.
fn same_table(a: &Item, b: &Item, rules: &Rules, shared: &[&str]) -> Option<String> {
    if overlap(a, b) == Some(false) {
        return None;
    }
    let j = jaccard(&a.tokens, &b.tokens);
    if j >= rules.similar {
        return Some(format!(
            "same partner, compatible dates, similar titles ({j:.2})"
        ));
    }
    if j >= rules.similar_with_actor && !shared.is_empty() {
        return Some(format!(
            "same partner, compatible dates, similar titles ({j:.2}) and a shared actor ({})",
            shared[0]
        ));
    }
    if a.amount.is_some() && a.amount == b.amount && !shared.is_empty() {
        return Some(format!(
            "same partner, compatible dates, same amount ({})",
            a.amount.as_deref().unwrap()
        ));
    }
    None
}

/// Items of two tables: overlapping dates and the same people, or a deal's counterparty among
/// the other item's actors, for the table pairs the rules name.
fn across_tables(a: &Item, b: &Item, rules: &Rules, shared: &[&str]) -> Option<String> {
    if overlap(a, b) != Some(true) {
        return None;
    }
    let pair = |t: &[String]| {
        let has = |name: &str| t.iter().any(|x| x == name);
        has(a.table) && has(b.table)
    };
    if pair(&rules.same_people) {
        let precise = a.dates.is_some_and(|d| d.2) && b.dates.is_some_and(|d| d.2);
        if (precise && !shared.is_empty()) || shared.len() >= 2 {
            return Some(format!(
                "same partner, overlapping dates, same people ({})",
                shared.join(", ")
            ));
        }
    }
    if pair(&rules.same_counterparty) {
        let (deal, other) = if a.counterparty.is_some() {
            (a, b)
        } else {
            (b, a)
        };
        if let Some(cp) = deal.counterparty
            && other.actors.contains(cp)
        {
            return Some(format!(
                "same partner, overlapping dates, same counterparty ({cp})"
            ));
        }
    }
    None
}

/// What two items must share for `why` to return Some (within one partner): similar
/// titles share a token of both title prefixes; a shared specific actor, or a deal's
/// counterparty among the other item's actors, is an actor both have as a key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key<'a> {
    Token(&'a str),
    Actor(&'a str),
}

/// How many of a title's `k` tokens (rarest first) go into blocks: k − ⌈t·k⌉ + 1. Two token
/// sets with Jaccard ≥ t share at least ⌈t·k⌉ tokens for either size k, so the rarest
/// shared token is in both prefixes (prefix filtering). t·k is shrunk by a hair first:
/// float error can then only lengthen the prefix, which is always safe.
fn prefix_len(k: usize, t: f64) -> usize {
    let alpha = (t * k as f64 * (1.0 - 1e-9)).ceil().max(0.0) as usize;
    (k + 1).saturating_sub(alpha).min(k)
}

/// The distinct keys of one item (see `Key`). Titles: the prefix of its tokens in the global
/// order (fewest items first, then the text, so it is deterministic). Actors: the specific
/// ones, its counterparty, and any actor that is some item's counterparty; no other actor
/// can make two items duplicates.
fn keys<'a>(
    it: &'a Item,
    freq: &AHashMap<&str, usize>,
    t: f64,
    counterparties: &AHashSet<&str>,
) -> Vec<Key<'a>> {
    // (Each token's count looked up once, not at every comparison of the sort.)
    let mut tokens: Vec<(usize, &str)> = (it.tokens.iter()).map(|w| (freq[w], w)).collect();
    tokens.sort_unstable();
    tokens.truncate(prefix_len(tokens.len(), t));
    let actors = (it.actors.iter().copied())
        .filter(|a| it.specific.contains(*a) || counterparties.contains(a));
    let mut out: Vec<Key> = tokens
        .into_iter()
        .map(|(_, w)| Key::Token(w))
        .chain(actors.chain(it.counterparty).map(Key::Actor))
        .collect();
    // The counterparty is usually among the actors too: an item enters a block once.
    out.sort_unstable();
    out.dedup();
    out
}

/// Calls `each` with every block: positions in `items` (ascending, at least two) of the
/// items `members` (one partner's) that share a key. When any two titles are similar enough
/// (threshold ≤ 0), the members are one block, as before blocking. The token counts that
/// order the prefixes are the members' own: any order the two items of a pair share keeps
/// the prefix filter exact, and two items of different partners are never a pair.
fn blocks(items: &[Item], members: &[usize], rules: &Rules, mut each: impl FnMut(&[usize])) {
    // Performance (issue 13): keys are numbered (in first-seen order), so that millions of
    // them sort as numbers, not as strings. A block is the same set of items whatever the
    // numbers.
    let mut key_numbers: AHashMap<Key, u32> = AHashMap::new();
    let mut keyed: Vec<(u32, usize)> = vec![];
    if rules.similar <= 0.0 {
        keyed.extend(members.iter().map(|&i| (0, i)));
    } else {
        let mut freq: AHashMap<&str, usize> = AHashMap::new();
        for w in members.iter().flat_map(|&i| items[i].tokens.iter()) {
            *freq.entry(w).or_default() += 1;
        }
        let cps: AHashSet<&str> = (members.iter())
            .filter_map(|&i| items[i].counterparty)
            .collect();
        for &i in members {
            for k in keys(&items[i], &freq, rules.similar, &cps) {
                let n = key_numbers.len() as u32;
                keyed.push((*key_numbers.entry(k).or_insert(n), i));
            }
        }
    }
    // Sorted, a block is a run of one key; no map of millions of small vectors.
    keyed.sort_unstable();
    let mut group = vec![];
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() > 1 {
            group.clear();
            group.extend(run.iter().map(|k| k.1));
            each(&group);
        }
    }
}

/// The pairs of `group` (positions in `items`) whose dates allow a duplicate: overlapping
/// dates, or one undated and both in one table. A sweep over the dated items in start
/// order, so a large group is not compared all against all. Pushed as (lower, higher).
fn sweep(items: &[Item], group: &[usize], out: &mut Vec<(usize, usize)>) {
    let (mut dated, undated): (Vec<usize>, Vec<usize>) =
        group.iter().partition(|&&i| items[i].dates.is_some());
    dated.sort_by_key(|&i| items[i].dates.unwrap().0);
    for (k, &i) in dated.iter().enumerate() {
        let end = items[i].dates.unwrap().1;
        for &j in dated[k + 1..]
            .iter()
            .take_while(|&&j| items[j].dates.unwrap().0 <= end)
        {
            out.push((i.min(j), i.max(j)));
        }
    }
    for &u in &undated {
        for &j in group
            .iter()
            .filter(|&&j| j != u && items[j].table == items[u].table)
        {
            // Two undated items: once, from the lower index.
            if items[j].dates.is_some() || u < j {
                out.push((u.min(j), u.max(j)));
            }
        }
    }
}

/// The pairs worth comparing, as positions in `items`: those of a block (see `blocks`)
/// whose dates allow a duplicate (see `sweep`). A superset of the pairs `why` accepts, in
/// a stable order (sorted, each once), so problems come out as they did before blocking.
fn pairs(items: &[Item], rules: &Rules) -> Vec<(usize, usize)> {
    // Each partner's items are blocked on their own, partners on every core.
    let mut by_partner: AHashMap<&str, Vec<usize>> = AHashMap::new();
    for (i, it) in items.iter().enumerate() {
        by_partner.entry(&it.partner).or_default().push(i);
    }
    let mut partners: Vec<(&str, Vec<usize>)> = by_partner.into_iter().collect();
    // Largest first, so the longest job does not start last.
    partners.sort_by(|a, b| (b.1.len(), a.0).cmp(&(a.1.len(), b.0)));
    let found = crate::parallel::map(&partners, |(_, members)| {
        let mut out = vec![];
        blocks(items, members, rules, |group| sweep(items, group, &mut out));
        out
    });
    let mut out: Vec<(usize, usize)> = found.into_iter().flatten().collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The problem for one probable duplicate, located at the first claim of each record.
fn problem(
    ex: &Extraction,
    schema: &Schema,
    first: &AHashMap<(&str, &str), Pos>,
    a: &Item,
    b: &Item,
    reason: &str,
) -> Problem {
    let raw = |t: &str| {
        schema
            .table(t)
            .and_then(|t| t.raw_table.clone())
            .unwrap_or_default()
    };
    let (ra, rb) = (raw(a.table), raw(b.table));
    let mut p = Problem::new(
        Code::ProbableDuplicate,
        format!("{ra} `{}` and {rb} `{}` look like the same thing: {reason}", a.id, b.id),
    )
    .record(a.table, &a.id)
    .expected(format!(
        "merge them into one id (same table), or a [[link]] from = \"{ra}:{}\", to = \"{rb}:{}\" with a relation (distinct_from with a reason when they differ)",
        a.id, b.id
    ));
    if let Some(pos) = first.get(&(a.table, &*a.id)) {
        p = p.at(ex.loc(*pos));
    }
    if let Some(pos) = first.get(&(b.table, &*b.id)) {
        p = p.note(ex.loc(*pos), format!("{rb} `{}` is here", b.id));
    }
    p
}

/// Every candidate pair not merged or linked, as problems located at both records.
pub fn check(
    ex: &Extraction,
    records: &[Record<Value>],
    ds: &Dataset,
    links: &[Link],
    schema: &Schema,
) -> Vec<Problem> {
    let Some(cfg) = schema.table("links").map(|t| &t.json["x-duplicates"]) else {
        return vec![];
    };
    let cols = columns(ds, schema, cfg);
    let items = items(ds, schema, &cols, cfg);
    let linked: AHashSet<(&str, &str, &str, &str)> = links
        .iter()
        .flat_map(|l| {
            let (a, b) = (
                (l.from.0.as_str(), l.from.1.as_str()),
                (l.to.0.as_str(), l.to.1.as_str()),
            );
            [(a.0, a.1, b.0, b.1), (b.0, b.1, a.0, a.1)]
        })
        .collect();
    let rules = Rules::new(cfg);
    let mut found = vec![];
    for (i, j) in pairs(&items, &rules) {
        let (a, b) = (&items[i], &items[j]);
        let key = (a.table, &*a.id, b.table, &*b.id);
        if linked.contains(&key) {
            continue;
        }
        if let Some(reason) = why(a, b, &rules) {
            found.push((a, b, reason));
        }
    }
    if found.is_empty() {
        return vec![];
    }
    // Where each record is first defined: only for the problems (performance: a map of
    // every record cost more than the rest of a clean large build's check).
    let mut first: AHashMap<(&str, &str), Pos> = AHashMap::new();
    for r in records {
        first
            .entry((schema.tables[r.table].name.as_str(), r.id.as_str()))
            .or_insert(r.pos);
    }
    (found.into_iter())
        .map(|(a, b, reason)| problem(ex, schema, &first, a, b, &reason))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(table: &'a str, partner: &'a str, dates: Option<(i32, i32)>) -> Item<'a> {
        let d = |y: i32, end: bool| {
            NaiveDate::from_ymd_opt(y, if end { 12 } else { 1 }, if end { 31 } else { 1 }).unwrap()
        };
        Item {
            table,
            id: "".into(),
            partner: partner.into(),
            dates: dates.map(|(a, b)| (d(a, false), d(b, true), false)),
            tokens: Words::default(),
            specific: Set(vec![]),
            actors: Set(vec![]),
            counterparty: None,
            amount: None,
        }
    }

    fn rules(similar: f64, similar_with_actor: f64) -> Rules {
        Rules {
            similar,
            similar_with_actor,
            same_people: vec!["events".into(), "visits".into()],
            same_counterparty: vec!["events".into(), "deals".into()],
        }
    }

    #[test]
    fn words_are_a_sorted_set_and_jaccard_counts_them() {
        let words = |ws: &[&str]| -> Words { ws.iter().map(|w| w.to_string()).collect() };
        let abc = words(&["c", "a", "b", "a"]);
        assert_eq!(abc.iter().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(abc.len(), 3);
        assert_eq!(jaccard(&abc, &words(&["d", "b", "c"])), 0.5);
        assert_eq!(jaccard(&abc, &words(&["x1", "y2"])), 0.0);
        assert_eq!(
            (Words::default().len(), Words::default().iter().count()),
            (0, 0)
        );
        assert_eq!(jaccard(&Words::default(), &Words::default()), 0.0);
    }

    /// The sweep yields exactly the pairs an all-against-all comparison would consider.
    #[test]
    fn sweep_equals_all_pairs() {
        let mut items = vec![];
        for (k, table) in ["events", "deals", "events", "visits"]
            .iter()
            .cycle()
            .take(60)
            .enumerate()
        {
            let partner = if k % 3 == 0 { "CN" } else { "RU" };
            let dates = match k % 5 {
                0 => None,
                n => Some((
                    2000 + (k as i32 * 7) % 13,
                    2000 + (k as i32 * 7) % 13 + n as i32 % 3,
                )),
            };
            items.push(item(table, partner, dates));
        }
        // A threshold of 0 makes every two titles similar: one block per partner.
        let got = pairs(&items, &rules(0.0, 0.3));
        let mut want = vec![];
        for i in 0..items.len() {
            for j in i + 1..items.len() {
                let (a, b) = (&items[i], &items[j]);
                let considered = a.partner == b.partner
                    && match overlap(a, b) {
                        Some(o) => o,
                        None => a.table == b.table,
                    };
                if considered {
                    want.push((i, j));
                }
            }
        }
        assert_eq!(got, want);
        assert!(
            want.len() > 50,
            "the test data should have pairs: {}",
            want.len()
        );
    }

    /// A tiny LCG (Knuth's MMIX constants): the same pseudo-random items on every run.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    /// Items from small vocabularies, so that titles, actors and amounts often coincide;
    /// some undated, three partners, three tables. Persons (p) and companies (c) are specific.
    fn random_items(n: usize) -> Vec<Item<'static>> {
        const WORDS: [&str; 8] = [
            "rail", "steel", "loan", "bridge", "mine", "plant", "summit", "energy",
        ];
        const ACTORS: [&str; 7] = ["p1", "p2", "p3", "c1", "c2", "gov", "ministry"];
        let mut r = Lcg(7);
        let mut out = vec![];
        for _ in 0..n {
            let table = ["events", "deals", "visits"][r.below(3)];
            let partner = ["CN", "RU", "EU"][r.below(3)];
            let year = 2000 + r.below(6) as i32;
            let dates = (r.below(5) > 0).then(|| (year, year + r.below(2) as i32));
            let mut it = item(table, partner, dates);
            if let Some(d) = &mut it.dates {
                d.2 = r.below(2) == 0;
            }
            it.tokens = (0..r.below(5))
                .map(|_| WORDS[r.below(WORDS.len())].into())
                .collect();
            let mut actors: Vec<&str> = (0..r.below(3))
                .map(|_| ACTORS[r.below(ACTORS.len())])
                .collect();
            if table == "deals" && r.below(3) > 0 {
                let cp = ACTORS[r.below(ACTORS.len())];
                it.counterparty = Some(cp);
                if r.below(2) == 0 {
                    actors.push(cp);
                }
            }
            it.actors = actors.into_iter().collect();
            it.specific = it
                .actors
                .iter()
                .filter(|a| !a.starts_with(['g', 'm']))
                .cloned()
                .collect();
            it.amount = (r.below(3) == 0).then(|| ["1 EUR", "2 EUR"][r.below(2)].into());
            out.push(it);
        }
        out
    }

    /// Blocking loses nothing: the pairs `why` accepts among the blocked candidates are the
    /// pairs it accepts among all pairs, for usual and unusual thresholds.
    #[test]
    fn blocked_equals_all_pairs() {
        let items = random_items(400);
        for (similar, with_actor) in [
            (0.5, 0.3),
            (0.3, 0.5),
            (0.34, 0.0),
            (0.67, 0.2),
            (1.0, 1.0),
            (0.0, 0.3),
        ] {
            let rules = rules(similar, with_actor);
            let accepted = |&(i, j): &(usize, usize)| why(&items[i], &items[j], &rules).is_some();
            let got: Vec<(usize, usize)> =
                pairs(&items, &rules).into_iter().filter(accepted).collect();
            let want: Vec<(usize, usize)> = (0..items.len())
                .flat_map(|i| (i + 1..items.len()).map(move |j| (i, j)))
                .filter(accepted)
                .collect();
            assert_eq!(got, want, "thresholds {similar} / {with_actor}");
            // Titles alone must account for many of them, or the prefixes go untested.
            let by_title = want
                .iter()
                .filter(|&&(i, j)| jaccard(&items[i].tokens, &items[j].tokens) >= similar)
                .count();
            assert!(
                by_title >= 20,
                "{similar}: {by_title} of {} by title",
                want.len()
            );
        }
    }

    /// The prefix is never shorter than the exact one: a title of k tokens is similar to
    /// another (as `why` computes it, in floats) only when they share at least m tokens,
    /// the least m with m / k ≥ t.
    #[test]
    fn prefix_is_long_enough() {
        let ts = [
            0.1,
            0.2,
            0.3,
            1.0 / 3.0,
            0.34,
            0.4,
            0.5,
            0.6,
            2.0 / 3.0,
            0.7,
            0.9,
            1.0,
        ];
        for t in ts {
            for k in 1..=60usize {
                let m = (1..=k).find(|&m| m as f64 / k as f64 >= t).unwrap();
                assert!(prefix_len(k, t) > k - m, "t {t}, k {k}");
                assert!(prefix_len(k, t) <= k);
            }
        }
        assert_eq!(prefix_len(0, 0.5), 0);
        assert_eq!(prefix_len(4, 1.5), 0, "a threshold above 1 is never met");
    }
}
