//! Links between records: `[[link]]` entries of an extraction file, each a claim of the
//! file's source. Parsed in extract (`parse`), checked after validate (`check`: targets exist,
//! the relation allows the two tables, no self-links, no cycles where the schema forbids
//! them, a reason where required, no contradicting claims) and turned into the `links` table
//! and its provenance rows after reconcile (`rows`). The relations, the tables each joins and
//! which are acyclic live in schema/tables/links.json (`x-relations`).

use crate::diagnostic::{Code, Problem};
use crate::extract::{Extraction, pos, suggest};
use crate::model::{Pos, Record, Value};
use crate::schema::{Schema, TableSchema};
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;
use toml::de::DeValue;

/// One `[[link]]` as written: `from`/`to` are `table:id` with the raw table name.
#[derive(Debug, Clone, Default)]
pub struct RawLink {
    pub from: (String, Pos),
    pub relation: (String, Pos),
    pub to: (String, Pos),
    pub reason: Option<String>,
    pub locator: String,
    /// Index into `Extraction::sources`.
    pub source: u32,
    pub pos: Pos,
}

const KEYS: [&str; 5] = ["from", "relation", "to", "reason", "locator"];
const SHAPE: &str = "[[link]] with from = \"deal:an-id\", relation = \"finances\", to = \"deal:another-id\", locator, and reason (required for distinct_from)";

/// Parses one `[[link]]` table; problems are located in the file.
pub fn parse(
    fi: u32,
    item: &Spanned<DeValue>,
    problems: &mut Vec<(Problem, Option<Pos>)>,
) -> Option<RawLink> {
    let DeValue::Table(t) = item.get_ref() else {
        return None;
    };
    let here = pos(fi, item.span());
    let mut link = RawLink {
        pos: here,
        ..Default::default()
    };
    let before = problems.len();
    for (k, v) in t.iter() {
        if let Err(p) = set_key(&mut link, fi, k, v) {
            problems.push(p);
        }
    }
    for (name, v) in [
        ("from", &link.from),
        ("relation", &link.relation),
        ("to", &link.to),
    ] {
        if v.0.is_empty() {
            problems.push((
                Problem::new(Code::LinkSyntax, format!("a [[link]] needs `{name}`"))
                    .field(name)
                    .expected(SHAPE),
                Some(here),
            ));
        }
    }
    (problems.len() == before).then_some(link)
}

/// One key of a `[[link]]`: a string, and one of [`KEYS`].
fn set_key(
    link: &mut RawLink,
    fi: u32,
    k: &Spanned<std::borrow::Cow<str>>,
    v: &Spanned<DeValue>,
) -> Result<(), (Problem, Option<Pos>)> {
    let key = k.get_ref().as_ref();
    let DeValue::String(s) = v.get_ref() else {
        let p = Problem::new(
            Code::LinkSyntax,
            format!("`{key}` of a [[link]] must be a string"),
        );
        return Err((p.field(key).expected(SHAPE), Some(pos(fi, v.span()))));
    };
    let val = (s.to_string(), pos(fi, v.span()));
    match key {
        "from" => link.from = val,
        "relation" => link.relation = val,
        "to" => link.to = val,
        "reason" => link.reason = Some(val.0),
        "locator" => link.locator = val.0,
        _ => {
            let p = Problem::new(
                Code::LinkSyntax,
                format!("unknown field `{key}` in [[link]]"),
            )
            .field(key)
            .expected(format!("{}{}", KEYS.join(", "), suggest(key, KEYS)));
            return Err((p, Some(pos(fi, k.span()))));
        }
    }
    Ok(())
}

/// What schema/ says about one relation.
#[derive(Debug, Clone)]
pub struct Relation {
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub acyclic: bool,
    pub reason_required: bool,
}

/// The relations of `x-relations` in the links table schema (empty when there is none).
pub fn relations(schema: &Schema) -> BTreeMap<String, Relation> {
    let Some(t) = schema.table("links") else {
        return BTreeMap::new();
    };
    let list = |j: &serde_json::Value| -> Vec<String> {
        j.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    };
    t.json["x-relations"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, r)| {
            (
                name.clone(),
                Relation {
                    from: list(&r["from"]),
                    to: list(&r["to"]),
                    acyclic: r["acyclic"].as_bool().unwrap_or(false),
                    reason_required: r["reason_required"].as_bool().unwrap_or(false),
                },
            )
        })
        .collect()
}

/// A record named by a link: (table name, id).
pub type Node = (String, String);

/// A valid link with every claim of it, claims in source order.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub from: Node,
    pub relation: String,
    pub to: Node,
    pub claims: Vec<&'a RawLink>,
}

impl Link<'_> {
    /// The link's key in provenance's `record_id`: `deals:a finances deals:b`.
    pub fn key(&self) -> String {
        format!(
            "{}:{} {} {}:{}",
            self.from.0, self.from.1, self.relation, self.to.0, self.to.1
        )
    }
}

/// Checks every link; returns the valid ones (grouped by from, relation, to, in that order)
/// and the problems.
pub fn resolve<'a>(
    ex: &'a Extraction,
    records: &[Record<Value>],
    schema: &Schema,
) -> (Vec<Link<'a>>, Vec<Problem>) {
    let rels = relations(schema);
    let ids: Ids = records
        .iter()
        .map(|r| (schema.tables[r.table].name.as_str(), r.id.as_str()))
        .collect();
    let mut problems = vec![];
    let mut groups: BTreeMap<(Node, String, Node), Vec<&RawLink>> = BTreeMap::new();
    for l in &ex.links {
        match check(ex, l, &rels, &ids, schema) {
            Ok((from, to)) => groups
                .entry((from, l.relation.0.clone(), to))
                .or_default()
                .push(l),
            Err(found) => problems.extend(found),
        }
    }
    let source_id = |l: &RawLink| ex.sources[l.source as usize].id.clone();
    let links: Vec<Link> = groups
        .into_iter()
        .map(|((from, relation, to), mut claims)| {
            claims.sort_by_key(|l| source_id(l));
            Link {
                from,
                relation,
                to,
                claims,
            }
        })
        .collect();
    problems.extend(contradictions(ex, &links));
    problems.extend(cycles(ex, &links, &rels));
    (links, problems)
}

/// Every (table, id) of the records.
type Ids<'r> = ahash::AHashSet<(&'r str, &'r str)>;

/// One link's two ends, or its problems: a known relation, ends that name records of the
/// tables it allows, two different records, a reason where the relation needs one.
fn check(
    ex: &Extraction,
    l: &RawLink,
    rels: &BTreeMap<String, Relation>,
    ids: &Ids,
    schema: &Schema,
) -> Result<(Node, Node), Vec<Problem>> {
    let key = format!("{} {} {}", l.from.0, l.relation.0, l.to.0);
    let problem =
        |code, msg: String, at: Pos| Problem::new(code, msg).at(ex.loc(at)).record("links", &key);
    let Some(rel) = rels.get(&l.relation.0) else {
        let names = rels.keys().map(String::as_str);
        return Err(vec![
            problem(
                Code::LinkRelation,
                format!("unknown relation `{}`", l.relation.0),
                l.relation.1,
            )
            .field("relation")
            .expected(format!(
                "one of: {}{}",
                rels.keys().cloned().collect::<Vec<_>>().join(", "),
                suggest(&l.relation.0, names)
            )),
        ]);
    };
    let [from, to] =
        [("from", &l.from), ("to", &l.to)].map(|which| end(which, l, rel, (ids, schema), &problem));
    let (from, to) = match (from, to) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => return Err([from.err(), to.err()].into_iter().flatten().collect()),
    };
    if from == to {
        return Err(vec![
            problem(
                Code::LinkToSelf,
                format!("`{}` links a record to itself", l.from.0),
                l.to.1,
            )
            .field("to")
            .expected("two different records"),
        ]);
    }
    if rel.reason_required && l.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(vec![
            problem(
                Code::LinkReason,
                format!("a `{}` link needs a reason", l.relation.0),
                l.pos,
            )
            .field("reason")
            .expected("reason = \"why the two records are different things\""),
        ]);
    }
    Ok((from, to))
}
/// One end of link `l` (`name` is "from" or "to"): a record of a table its relation allows.
fn end(
    (name, (text, at)): (&str, &(String, Pos)),
    l: &RawLink,
    rel: &Relation,
    (ids, schema): (&Ids, &Schema),
    problem: &dyn Fn(Code, String, Pos) -> Problem,
) -> Result<Node, Problem> {
    let allowed = if name == "from" { &rel.from } else { &rel.to };
    let node = endpoint(text, schema).map_err(|msg| {
        problem(Code::LinkTarget, msg, *at).field(name).expected(
            "table:id, e.g. deal:rzd-railway-contract (table = event, deal, visit or indicator)",
        )
    })?;
    if !ids.contains(&(node.0.as_str(), node.1.as_str())) {
        return Err(problem(
            Code::LinkTarget,
            format!(
                "`{text}` names no record: no file defines {} `{}`",
                node.0, node.1
            ),
            *at,
        )
        .field(name)
        .expected("the id of a record some file of raw/ defines"));
    }
    if !allowed.contains(&node.0) {
        return Err(problem(
            Code::LinkTables,
            format!("`{}` cannot link {name} {}", l.relation.0, node.0),
            *at,
        )
        .field(name)
        .expected(format!(
            "{}: from {} to {} (schema/tables/links.json)",
            l.relation.0,
            rel.from.join("/"),
            rel.to.join("/")
        )));
    }
    Ok(node)
}

/// `deal:an-id` → ("deals", "an-id").
fn endpoint(text: &str, schema: &Schema) -> Result<Node, String> {
    let (table, id) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not table:id"))?;
    let t = schema
        .raw_table(table)
        .ok_or_else(|| format!("`{table}` in `{text}` is not a table of raw/"))?;
    Ok((t.name.clone(), id.to_string()))
}

/// One relation per pair of records: two claims (of one source or of two) that give a pair
/// different relations — distinct by one and related by another, or related in two ways —
/// are a conflict, like two values for one field.
fn contradictions(ex: &Extraction, links: &[Link]) -> Vec<Problem> {
    let pair = |l: &Link| {
        let (a, b) = (l.from.clone(), l.to.clone());
        if a <= b { (a, b) } else { (b, a) }
    };
    let mut first: HashMap<(Node, Node), &Link> = HashMap::new();
    let mut problems = vec![];
    // `links` is sorted by (from, relation, to): the first relation seen for a pair is kept
    // as the reference, so the report is stable.
    for l in links {
        let Some(other) = first.get(&pair(l)).copied() else {
            first.insert(pair(l), l);
            continue;
        };
        if other.relation == l.relation {
            continue; // the same relation both ways: a cycle, reported by `cycles`
        }
        let (d, o) = if other.relation == "distinct_from" {
            (other, l)
        } else {
            (l, other)
        };
        let what = if d.relation == "distinct_from" {
            "declared distinct here".to_string()
        } else {
            format!("linked by `{}` here", d.relation)
        };
        problems.push(
            Problem::new(
                Code::LinkConflict,
                format!(
                    "{}:{} and {}:{} are {what} but linked by `{}` elsewhere",
                    d.from.0, d.from.1, d.to.0, d.to.1, o.relation
                ),
            )
            .at(ex.loc(d.claims[0].pos))
            .record("links", &d.key())
            .note(
                ex.loc(o.claims[0].pos),
                format!("`{}` claimed here", o.relation),
            )
            .expected("one relation for the pair: remove the claim that is wrong"),
        );
    }
    problems
}

/// A cycle of links of one acyclic relation (a part_of b part_of a).
fn cycles(ex: &Extraction, links: &[Link], rels: &BTreeMap<String, Relation>) -> Vec<Problem> {
    let mut problems = vec![];
    for (name, _) in rels.iter().filter(|(_, r)| r.acyclic) {
        let edges: Vec<&Link> = links.iter().filter(|l| &l.relation == name).collect();
        let mut next: BTreeMap<&Node, Vec<&Link>> = BTreeMap::new();
        for l in &edges {
            next.entry(&l.from).or_default().push(l);
        }
        // Iterative depth-first search; 0 = new, 1 = on the path, 2 = done.
        let mut state: HashMap<&Node, u8> = HashMap::new();
        for start in next.keys().copied().collect::<Vec<_>>() {
            if state.contains_key(start) {
                continue;
            }
            let mut stack: Vec<(&Node, usize)> = vec![(start, 0)];
            state.insert(start, 1);
            while let Some((node, i)) = stack.pop() {
                let out = next.get(node).map_or(&[][..], |v| &v[..]);
                if let Some(l) = out.get(i) {
                    stack.push((node, i + 1));
                    match state.get(&l.to).copied().unwrap_or(0) {
                        0 => {
                            state.insert(&l.to, 1);
                            stack.push((&l.to, 0));
                        }
                        1 => problems.push(
                            Problem::new(
                                Code::LinkCycle,
                                format!(
                                    "`{name}` links form a cycle through {}:{}",
                                    l.to.0, l.to.1
                                ),
                            )
                            .at(ex.loc(l.claims[0].pos))
                            .record("links", &l.key())
                            .expected(format!(
                                "`{name}` links that never lead back to where they start"
                            )),
                        ),
                        _ => {}
                    }
                } else {
                    state.insert(node, 2);
                }
            }
        }
    }
    problems
}

/// The rows of the links table and their provenance rows (one per claim: field `relation`,
/// plus `reason` when the claim gives one), in the two tables' column orders.
pub fn rows(
    ex: &Extraction,
    links: &[Link],
    schema: &Schema,
) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let (Some(lt), Some(pt)) = (schema.table("links"), schema.table("provenance")) else {
        return (vec![], vec![]);
    };
    let source_id = |l: &RawLink| ex.sources[l.source as usize].id.clone();
    let out = links.iter().map(|l| link_row(l, lt, schema, &source_id));
    let prov = links
        .iter()
        .flat_map(|l| claim_rows(l, pt, schema, &source_id));
    (out.collect(), prov.collect())
}

fn str_(s: &str) -> Value {
    Value::Str(s.to_string().into())
}

/// The links table's row of one link.
fn link_row(
    l: &Link,
    lt: &TableSchema,
    schema: &Schema,
    source_id: &dyn Fn(&RawLink) -> String,
) -> Vec<Value> {
    let mut sources: Vec<String> = l.claims.iter().map(|c| source_id(c)).collect();
    sources.dedup();
    // `events` → `from_event_id`: the per-table column the foreign key checks.
    let (from_col, to_col) = (
        format!("from_{}_id", l.from.0.trim_end_matches('s')),
        format!("to_{}_id", l.to.0.trim_end_matches('s')),
    );
    let reason = l.claims.iter().find_map(|c| c.reason.as_deref());
    lt.row_of(
        [
            ("from_table", str_(&l.from.0)),
            ("from_id", str_(&l.from.1)),
            ("relation", str_(&l.relation)),
            ("to_table", str_(&l.to.0)),
            ("to_id", str_(&l.to.1)),
            (from_col.as_str(), str_(&l.from.1)),
            (to_col.as_str(), str_(&l.to.1)),
        ]
        .into_iter()
        .chain(reason.map(|r| ("reason", str_(r))))
        .chain([
            ("source_ids", Value::List(sources.into())),
            ("schema_version", str_(&schema.version)),
        ]),
    )
}

/// The provenance rows of one link's claims, sorted by field, then source id.
fn claim_rows(
    l: &Link,
    pt: &TableSchema,
    schema: &Schema,
    source_id: &dyn Fn(&RawLink) -> String,
) -> Vec<Vec<Value>> {
    let key = l.key();
    let mut claims: Vec<(&str, String, Value, &RawLink)> = vec![];
    for c in &l.claims {
        claims.push(("relation", source_id(c), str_(&l.relation), c));
        if let Some(r) = &c.reason {
            claims.push(("reason", source_id(c), str_(r), c));
        }
    }
    claims.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    (claims.into_iter())
        .map(|(field, source, value, c)| {
            pt.row_of([
                ("table", str_("links")),
                ("record_id", str_(&key)),
                ("field", str_(field)),
                ("value", value),
                ("source_id", Value::Str(source.into())),
                ("locator", str_(&c.locator)),
                ("kept", Value::Bool(true)),
                ("schema_version", str_(&schema.version)),
            ])
        })
        .collect()
}
