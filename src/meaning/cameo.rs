//! CAMEO codes that mean what they say: the rule table `schema/cameo_rules.json` says which
//! codes each `event_type` may take (an agreement is 057 or 06x, never 0831), and every
//! event's code is checked against it. `cameo_label` is the code's label in the vocabulary.

use super::schema_problem;
use crate::diagnostic::{Code, Problem};
use crate::extract::Extraction;
use crate::model::{Record, Value};
use crate::schema::{Field, Schema, TableSchema};
use std::collections::BTreeMap;

pub const RULES_FILE: &str = "cameo_rules.json";
const CODES: &str = "cameo_codes";
const TYPES: &str = "event_types";

fn err(schema: &Schema, needle: &str, msg: String) -> Problem {
    schema_problem(Code::CameoRules, schema, RULES_FILE, needle, msg)
}

/// schema/cameo_rules.json, parsed.
fn rule_table(schema: &Schema) -> Result<serde_json::Value, Problem> {
    let Some(bytes) = schema.file(RULES_FILE) else {
        return Err(err(schema, "", "the CAMEO rule table is missing".into())
            .expected("schema/cameo_rules.json: {\"rules\": {event_type: {\"allowed\": [codes], \"why\": …}}}"));
    };
    serde_json::from_slice(bytes).map_err(|e| err(schema, "", format!("invalid JSON: {e}")))
}

/// The rule for event type `ty`: its allowed prefixes and why. Problems: an unknown type, no
/// prefix, a prefix that is not a CAMEO code.
fn checked_rule(
    schema: &Schema,
    ty: &str,
    rule: &serde_json::Value,
    problems: &mut Vec<Problem>,
) -> (Vec<String>, String) {
    let key = format!("\"{ty}\"");
    if !schema.vocab_contains(TYPES, ty) {
        problems.push(
            err(schema, &key, format!("rule for unknown event_type `{ty}`"))
                .expected("a value of the event_types vocabulary"),
        );
    }
    let prefixes: Vec<String> = rule["allowed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    if prefixes.is_empty() {
        problems.push(
            err(schema, &key, format!("the rule for `{ty}` allows no code"))
                .expected("\"allowed\": a non-empty list of CAMEO codes"),
        );
    }
    for p in prefixes.iter().filter(|p| !schema.vocab_contains(CODES, p)) {
        problems.push(
            err(
                schema,
                &key,
                format!("the rule for `{ty}` allows `{p}`, which is not a CAMEO code"),
            )
            .expected("a code of the cameo_codes vocabulary"),
        );
    }
    let why = rule["why"].as_str().unwrap_or_default().to_string();
    (prefixes, why)
}

/// Allowed code prefixes (and the reason) per event type.
pub struct Rules {
    allowed: BTreeMap<String, (Vec<String>, String)>,
}

impl Rules {
    /// Reads and checks the rule table: a rule for every event type of the vocabulary, no
    /// rule for an unknown type, every prefix a CAMEO code.
    pub fn load(schema: &Schema) -> Result<Rules, Vec<Problem>> {
        let json = rule_table(schema).map_err(|p| vec![p])?;
        let Some(rules) = json["rules"].as_object() else {
            return Err(vec![
                err(schema, "", "no `rules` object".into()).expected("{\"rules\": {…}}"),
            ]);
        };
        let mut problems = vec![];
        let allowed: BTreeMap<String, (Vec<String>, String)> = rules
            .iter()
            .map(|(ty, rule)| (ty.clone(), checked_rule(schema, ty, rule, &mut problems)))
            .collect();
        let types = schema.vocabularies.get(TYPES).map(|v| v.values.keys());
        for ty in types
            .into_iter()
            .flatten()
            .filter(|t| !allowed.contains_key(*t))
        {
            problems.push(
                err(
                    schema,
                    "\"rules\"",
                    format!("no rule for event_type `{ty}`"),
                )
                .expected("a rule for every value of the event_types vocabulary"),
            );
        }
        if problems.is_empty() {
            Ok(Rules { allowed })
        } else {
            Err(problems)
        }
    }

    /// Whether `code` may be used for an event of type `ty`.
    pub fn allows(&self, ty: &str, code: &str) -> bool {
        self.allowed
            .get(ty)
            .is_some_and(|(ps, _)| ps.iter().any(|p| code.starts_with(p.as_str())))
    }

    /// E0330 for every event record whose code its event_type may not take.
    pub fn check(
        &self,
        ex: &Extraction,
        records: &[Record<Value>],
        schema: &Schema,
    ) -> Vec<Problem> {
        let Some(events) = schema.tables.iter().position(|t| t.name == "events") else {
            return vec![];
        };
        let ts = &schema.tables[events];
        let (Some(ti), Some(ci)) = (ts.field_index("event_type"), ts.field_index("cameo")) else {
            return vec![];
        };
        fn get(r: &Record<Value>, i: usize) -> Option<(&str, crate::model::Pos)> {
            r.fields
                .iter()
                .find(|(f, _, _)| *f == i)
                .and_then(|(_, v, p)| v.as_str().map(|s| (s, *p)))
        }
        let mut problems = vec![];
        for r in records.iter().filter(|r| r.table == events) {
            let (Some((ty, ty_pos)), Some((code, pos))) = (get(r, ti), get(r, ci)) else {
                continue; // a missing value is E0301; an unknown one E0205
            };
            if !schema.vocab_contains(CODES, code) || self.allows(ty, code) {
                continue;
            }
            let (prefixes, why) = &self.allowed[ty];
            problems.push(
                Problem::new(
                    Code::CameoNotAllowed,
                    format!(
                        "CAMEO `{code}` ({}) does not fit event_type `{ty}`",
                        schema.vocabularies[CODES].values[code]
                    ),
                )
                .at(ex.loc(pos))
                .record(&ts.name, &r.id)
                .field("cameo")
                .expected(format!(
                    "a code under {} ({}; schema/{RULES_FILE})",
                    prefixes.join(", "),
                    why.trim_end_matches('.')
                ))
                .note(ex.loc(ty_pos), format!("event_type is `{ty}` here")),
            );
        }
        problems
    }
}

/// The vocabulary label of the row's CAMEO code.
pub fn label(ts: &TableSchema, f: &Field, row: &[Value], schema: &Schema) -> Value {
    match super::spec_value(ts, f, "from", row) {
        Value::Str(code) => schema
            .vocabularies
            .get(CODES)
            .and_then(|v| v.values.get(&**code))
            .map_or(Value::Null, |l| Value::Str(l.as_str().into())),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_allow_themselves_and_the_codes_under_them() {
        let schema = Schema::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema"
        )))
        .unwrap();
        let rules = Rules::load(&schema).unwrap();
        for ok in ["057", "061", "0611", "062"] {
            assert!(rules.allows("agreement", ok), "{ok}");
        }
        for no in ["0831", "05", "051", "111"] {
            assert!(!rules.allows("agreement", no), "{no}");
        }
        assert!(!rules.allows("statement", "062"));
        assert!(rules.allows("statement", "1312"));
        assert!(!rules.allows("unknown_type", "010"));
    }
}
