//! The probable-duplicate check (E0410): two records that look like one real-world thing.
//! Same table: same partner, dates that overlap (or are missing), and similar titles (or
//! similar titles and a shared specific actor, or the same amount and a shared specific
//! actor). Titles are the `title_fields` (a visit's occasion). Across tables: an event
//! and a visit with overlapping dates and the same people; an event and a deal with
//! overlapping dates and the deal's counterparty among the event's actors. Every threshold
//! is in schema/tables/links.json (`x-duplicates`). A candidate passes once the two records
//! are merged into one id or linked by any relation (distinct_from when they differ).

use super::links::Link;
use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Pos, Record, Value};
use crate::reconcile::Dataset;
use crate::schema::Schema;
use chrono::NaiveDate;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};

/// What the check compares of one row.
struct Item {
    table: String,
    id: String,
    partner: String,
    dates: Option<(NaiveDate, NaiveDate, bool)>,
    tokens: HashSet<String>,
    specific: HashSet<String>,
    actors: HashSet<String>,
    counterparty: Option<String>,
    amount: Option<String>,
}

fn strings(j: &Json) -> Vec<String> {
    j.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

fn tokens(text: &str, stop: &HashSet<String>) -> Vec<String> {
    deunicode::deunicode(text)
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && !stop.contains(*w))
        .map(String::from)
        .collect()
}

fn items(ds: &Dataset, schema: &Schema, cfg: &Json) -> Vec<Item> {
    let stop: HashSet<String> = strings(&cfg["stopwords"]).into_iter().collect();
    let specific_types = strings(&cfg["specific_actor_types"]);
    let actors = schema.table("actors");
    let mut specific: HashSet<String> = HashSet::new();
    if let (Some(at), Some(t)) = (
        actors,
        ds.tables
            .iter()
            .find(|t| schema.tables[t.schema].name == "actors"),
    ) {
        let (id, ty) = (at.field_index("actor_id"), at.field_index("actor_type"));
        if let (Some(id), Some(ty)) = (id, ty) {
            for row in &t.rows {
                if specific_types.contains(&row[ty].to_string()) {
                    specific.insert(row[id].to_string());
                }
            }
        }
    }
    let mut out = vec![];
    for table in &ds.tables {
        let ts = &schema.tables[table.schema];
        if !strings(&cfg["tables"]).contains(&ts.name) {
            continue;
        }
        let col = |name: &str| ts.field_index(name);
        let cols = |key: &str| -> Vec<usize> {
            strings(&cfg[key]).iter().filter_map(|f| col(f)).collect()
        };
        let (title_cols, actor_cols, amount_cols) = (
            cols("title_fields"),
            cols("actor_fields"),
            cols("amount_fields"),
        );
        for row in &table.rows {
            let id = row[col(&ts.id_field().name).unwrap()].to_string();
            let tok: HashSet<String> = title_cols
                .iter()
                .flat_map(|&c| tokens(&row[c].to_string(), &stop))
                .collect();
            let mut names: HashSet<String> = HashSet::new();
            for &c in &actor_cols {
                match &row[c] {
                    Value::List(l) => names.extend(l.iter().cloned()),
                    Value::Str(s) => {
                        names.insert(s.clone());
                    }
                    _ => {}
                }
            }
            let dates = match (
                col("date_start").map(|c| &row[c]),
                col("date_end").map(|c| &row[c]),
            ) {
                (Some(Value::Date(a)), Some(Value::Date(b))) => {
                    let precise =
                        col("date_precision").is_some_and(|c| row[c].to_string() != "year");
                    Some((*a, *b, precise))
                }
                _ => None,
            };
            let amount = amount_cols.iter().all(|&c| !row[c].is_null()).then(|| {
                amount_cols
                    .iter()
                    .map(|&c| row[c].to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            out.push(Item {
                table: ts.name.clone(),
                partner: col("partner")
                    .map(|c| row[c].to_string())
                    .unwrap_or_default(),
                dates,
                tokens: tok,
                specific: names.intersection(&specific).cloned().collect(),
                actors: names,
                counterparty: cfg["counterparty_field"]
                    .as_str()
                    .and_then(col)
                    .and_then(|c| row[c].as_str().map(String::from)),
                amount: amount.filter(|a| !a.trim().is_empty()),
                id,
            });
        }
    }
    out
}

fn overlap(a: &Item, b: &Item) -> Option<bool> {
    match (a.dates, b.dates) {
        (Some(x), Some(y)) => Some(x.0 <= y.1 && y.0 <= x.1),
        _ => None,
    }
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(b).count() as f64 / union as f64
    }
}

/// Why `a` and `b` look like one thing, or None.
fn why(a: &Item, b: &Item, cfg: &Json) -> Option<String> {
    if a.partner != b.partner {
        return None;
    }
    let shared: Vec<&String> = a.specific.intersection(&b.specific).collect();
    let pair = |key: &str| {
        let t = strings(&cfg[key]);
        (t.contains(&a.table) && t.contains(&b.table) && a.table != b.table).then_some(())
    };
    if a.table == b.table {
        if overlap(a, b) == Some(false) {
            return None;
        }
        let j = jaccard(&a.tokens, &b.tokens);
        if j >= cfg["similar_titles"].as_f64().unwrap_or(1.0) {
            return Some(format!(
                "same partner, compatible dates, similar titles ({j:.2})"
            ));
        }
        if j >= cfg["similar_titles_with_shared_actor"]
            .as_f64()
            .unwrap_or(1.0)
            && !shared.is_empty()
        {
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
        return None;
    }
    if overlap(a, b) != Some(true) {
        return None;
    }
    if pair("same_people").is_some() {
        let precise = a.dates.is_some_and(|d| d.2) && b.dates.is_some_and(|d| d.2);
        if (precise && !shared.is_empty()) || shared.len() >= 2 {
            let names: Vec<&str> = shared.iter().map(|s| s.as_str()).collect();
            return Some(format!(
                "same partner, overlapping dates, same people ({})",
                names.join(", ")
            ));
        }
    }
    if pair("same_counterparty").is_some() {
        let (deal, other) = if a.counterparty.is_some() {
            (a, b)
        } else {
            (b, a)
        };
        if let Some(cp) = &deal.counterparty
            && other.actors.contains(cp)
        {
            return Some(format!(
                "same partner, overlapping dates, same counterparty ({cp})"
            ));
        }
    }
    None
}

/// The pairs worth comparing: same partner, and overlapping dates or one of them undated
/// (a sweep over the dated items in start order, so large inputs are not compared all
/// against all). In a stable order: by position in `items`.
fn pairs(items: &[Item]) -> Vec<(&Item, &Item)> {
    let mut by_partner: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        by_partner.entry(it.partner.as_str()).or_default().push(i);
    }
    let mut out: Vec<(usize, usize)> = vec![];
    for group in by_partner.values() {
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
    out.sort_unstable();
    out.into_iter()
        .map(|(i, j)| (&items[i], &items[j]))
        .collect()
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
    let items = items(ds, schema, cfg);
    let linked: HashSet<(&str, &str, &str, &str)> = links
        .iter()
        .flat_map(|l| {
            let (a, b) = (
                (l.from.0.as_str(), l.from.1.as_str()),
                (l.to.0.as_str(), l.to.1.as_str()),
            );
            [(a.0, a.1, b.0, b.1), (b.0, b.1, a.0, a.1)]
        })
        .collect();
    let mut first: HashMap<(&str, &str), Pos> = HashMap::new();
    for r in records {
        first
            .entry((schema.tables[r.table].name.as_str(), r.id.as_str()))
            .or_insert(r.pos);
    }
    let mut problems = vec![];
    for (a, b) in pairs(&items) {
        if linked.contains(&(
            a.table.as_str(),
            a.id.as_str(),
            b.table.as_str(),
            b.id.as_str(),
        )) {
            continue;
        }
        let Some(reason) = why(a, b, cfg) else {
            continue;
        };
        let raw = |t: &str| {
            schema
                .table(t)
                .and_then(|t| t.raw_table.clone())
                .unwrap_or_default()
        };
        let (ra, rb) = (raw(&a.table), raw(&b.table));
        let mut p = Problem::new(
            Code::ProbableDuplicate,
            format!("{ra} `{}` and {rb} `{}` look like the same thing: {reason}", a.id, b.id),
        )
        .record(&a.table, &a.id)
        .expected(format!(
            "merge them into one id (same table), or a [[link]] from = \"{ra}:{}\", to = \"{rb}:{}\" with a relation (distinct_from with a reason when they differ)",
            a.id, b.id
        ));
        if let Some(pos) = first.get(&(a.table.as_str(), a.id.as_str())) {
            p = p.at(ex.loc(*pos));
        }
        if let Some(pos) = first.get(&(b.table.as_str(), b.id.as_str())) {
            p = p.note(ex.loc(*pos), format!("{rb} `{}` is here", b.id));
        }
        problems.push(p);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(table: &str, partner: &str, dates: Option<(i32, i32)>) -> Item {
        let d = |y: i32, end: bool| {
            NaiveDate::from_ymd_opt(y, if end { 12 } else { 1 }, if end { 31 } else { 1 }).unwrap()
        };
        Item {
            table: table.into(),
            id: String::new(),
            partner: partner.into(),
            dates: dates.map(|(a, b)| (d(a, false), d(b, true), false)),
            tokens: HashSet::new(),
            specific: HashSet::new(),
            actors: HashSet::new(),
            counterparty: None,
            amount: None,
        }
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
        let idx = |p: &Item| items.iter().position(|x| std::ptr::eq(x, p)).unwrap();
        let got: Vec<(usize, usize)> = pairs(&items)
            .into_iter()
            .map(|(a, b)| (idx(a), idx(b)))
            .collect();
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
}
