//! The codebook's section on meaning: what "derived" means, how amounts are converted, and
//! the CAMEO rule table (rendered from schema/cameo_rules.json, so it cannot drift).

use crate::schema::Schema;
use std::fmt::Write as _;

pub fn codebook_section(schema: &Schema) -> String {
    let mut s = String::from(
        "\n## Derived values, conversions and CAMEO codes\n\n\
         **Derived (inferred) values.** A value is *derived* when the source does not state it and \
         the annotator inferred it from the document (a year from \"two years ago\" in a 2020 \
         paper, a publication year used as the period, a sum of stated figures). The extraction \
         file marks it `derived = { field = \"reason\" }`. In the output, the claim's provenance \
         row carries the reason in `derived_reason`, and when that claim is the kept value the \
         field is listed in the row's `derived_fields`. Every other value is stated in its \
         source. (Computed columns such as `date_start`, `year`, `name_ascii`, `cameo_label` and \
         the conversions are not \"derived\" in this sense: they follow mechanically from other \
         columns.)\n\n\
         **Amounts in one currency.** `amount_usd`, `amount_eur` (deals) and `value_usd`, \
         `value_eur` (indicators in a currency) are nominal conversions at the annual average \
         euro reference rate of the European Central Bank for the year the amount refers to: \
         `amount_year` when given, otherwise the year of `date_start`; an indicator's period must \
         lie within one calendar year. The rates are in [`exchange_rates`](#exchange_rates) \
         (mean of the ECB's daily rates; per USD = per EUR ÷ the USD rate per EUR of the same \
         year), from the snapshot in `schema/snapshots/ecb-eurofxref-hist/`. A null conversion \
         has its reason in `conversion_note`. Amounts are rounded to whole units.\n\n\
         **CAMEO codes.** `cameo` is a code of the [`cameo_codes`](#vocabulary-cameo_codes) \
         vocabulary and must be one the event's `event_type` may take. A listed code allows \
         itself and every code under it (`06` allows `061` and `0611`). \
         The rules (`schema/cameo_rules.json`):\n\n\
         | event_type | allowed CAMEO codes | why |\n|---|---|---|\n",
    );
    let rules = schema
        .files
        .iter()
        .find(|(r, _)| r == super::cameo::RULES_FILE)
        .and_then(|(_, b)| serde_json::from_slice::<serde_json::Value>(b).ok());
    let rules = rules.as_ref().and_then(|j| j["rules"].as_object());
    for (ty, rule) in rules.into_iter().flatten() {
        let codes: Vec<String> = rule["allowed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(|c| format!("`{c}`")))
            .collect();
        let why = rule["why"].as_str().unwrap_or_default().replace('|', "\\|");
        let _ = writeln!(s, "| `{ty}` | {} | {why} |", codes.join(", "));
    }
    s
}
