//! Amounts in one currency. The European Central Bank's euro reference rates history
//! (`eurofxref-hist`) is committed as a snapshot in schema/snapshots/ecb-eurofxref-hist/ with
//! its metadata; the build checks its SHA-256, averages the daily rates of each year, and
//! converts amounts nominally at the annual average of the year they refer to.

use super::{schema_problem, spec_value};
use crate::diagnostic::{Code, Problem};
use crate::model::Value;
use crate::schema::{Field, Schema, TableSchema};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

pub const META_FILE: &str = "snapshots/ecb-eurofxref-hist/snapshot.json";
pub const CSV_FILE: &str = "snapshots/ecb-eurofxref-hist/eurofxref-hist.csv";

/// The snapshot's currencies, and one entry per year.
struct Daily {
    currencies: Vec<String>,
    years: BTreeMap<i32, Year>,
}

/// One year of daily rates: days with a USD rate, and per currency (sum, days).
#[derive(Default)]
struct Year {
    usd_days: usize,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
    sums: BTreeMap<String, (f64, usize)>,
}

impl Year {
    /// Currency `c`'s average over year `y`, when it was published on every day USD was
    /// (`usd`: the year's USD average); else no rate and why. `published`: the snapshot's
    /// currencies.
    fn annual(&self, c: &str, y: i32, usd: Option<f64>, published: &[String]) -> Annual {
        let (per_eur, days, note) = match (c, self.sums.get(c)) {
            ("EUR", _) => (Some(1.0), self.usd_days, None),
            (_, Some((s, n))) if *n == self.usd_days && *n > 0 => (Some(s / *n as f64), *n, None),
            (_, Some((_, n))) if *n > 0 => (
                None,
                0,
                Some(format!(
                    "the ECB published {c} on {n} of {} days of {y}, not the whole year",
                    self.usd_days
                )),
            ),
            _ if published.iter().any(|p| p == c) => (
                None,
                0,
                Some(format!("the ECB published no {c} rate in {y}")),
            ),
            _ => (None, 0, Some(format!("the ECB does not publish {c}"))),
        };
        let per_usd = match (c, per_eur, usd) {
            ("USD", Some(_), _) => Some(1.0),
            (_, Some(e), Some(u)) => Some(e / u),
            _ => None,
        };
        Annual {
            per_eur,
            per_usd,
            days,
            note,
        }
    }

    /// Adds one day's rates (`cells`, in `header`'s order after the date).
    fn add_day<'a>(
        &mut self,
        header: &[String],
        cells: impl Iterator<Item = &'a str>,
        line: usize,
        day: NaiveDate,
    ) -> Result<(), (usize, String)> {
        self.first = Some(self.first.map_or(day, |d| d.min(day)));
        self.last = Some(self.last.map_or(day, |d| d.max(day)));
        for (c, cell) in header.iter().zip(cells).skip(1) {
            let cell = cell.trim();
            if cell.is_empty() || cell == "N/A" {
                continue;
            }
            let x: f64 = cell
                .parse()
                .ok()
                .filter(|x: &f64| x.is_finite() && *x > 0.0)
                .ok_or_else(|| {
                    (
                        line,
                        format!("{c} rate `{cell}` on {day} is not a positive number"),
                    )
                })?;
            let e = match self.sums.get_mut(c.as_str()) {
                Some(e) => e,
                None => self.sums.entry(c.clone()).or_default(),
            };
            e.0 += x;
            e.1 += 1;
            if c == "USD" {
                self.usd_days += 1;
            }
        }
        Ok(())
    }
}

/// An annual rate, or why there is none.
#[derive(Clone, Debug, PartialEq)]
pub struct Annual {
    pub per_eur: Option<f64>,
    pub per_usd: Option<f64>,
    pub days: usize,
    pub note: Option<String>,
}

pub struct Rates {
    /// (year, currency) → rate, for every year of the snapshot and currency of the vocabulary.
    annual: BTreeMap<(i32, String), Annual>,
    first_year: i32,
    last_year: i32,
    source: BTreeMap<i32, String>,
}

impl Rates {
    /// Loads the snapshot: metadata present, SHA-256 as recorded (E0220), CSV well formed
    /// (E0221), then the annual averages.
    /// The schema's rates, loaded on first use (see `Schema::rates`).
    pub fn of(schema: &Schema) -> Result<&Rates, Problem> {
        schema
            .rates
            .get_or_init(|| Rates::load(schema))
            .as_ref()
            .map_err(Problem::clone)
    }

    fn load(schema: &Schema) -> Result<Rates, Problem> {
        let file = |rel: &str| schema.file(rel);
        let fmt = |rel: &str, needle: &str, msg: String| {
            schema_problem(Code::SnapshotFormat, schema, rel, needle, msg)
        };
        let (Some(meta), Some(csv)) = (file(META_FILE), file(CSV_FILE)) else {
            return Err(fmt(
                META_FILE,
                "",
                "the exchange-rate snapshot is missing".into(),
            )
            .expected(format!(
                "schema/{CSV_FILE} and schema/{META_FILE} (see its refresh.py)"
            )));
        };
        let meta: serde_json::Value = serde_json::from_slice(meta)
            .map_err(|e| fmt(META_FILE, "", format!("invalid JSON: {e}")))?;
        let recorded = meta["sha256"].as_str().unwrap_or_default();
        let actual = crate::export::sha256(csv);
        if recorded != actual {
            return Err(schema_problem(
                Code::SnapshotHash,
                schema,
                META_FILE,
                "\"sha256\"",
                format!("the snapshot's SHA-256 is {actual}, but snapshot.json records `{recorded}`"),
            )
            .expected("a snapshot changed together with its metadata: run refresh.py, which records origin, date and hash"));
        }
        let daily = parse(csv).map_err(|(line, msg)| {
            let text = String::from_utf8_lossy(csv);
            let start: usize = text
                .split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum();
            let p = Problem::new(Code::SnapshotFormat, msg);
            p.at(crate::diagnostic::Loc::at(
                &format!("schema/{CSV_FILE}"),
                &text,
                start..start + 1,
            ))
            .expected(
                "Date,CUR,… then one line per day: YYYY-MM-DD and a number or N/A per currency",
            )
        })?;
        let short = &actual[..12];
        Ok(Self::annualise(daily, schema, short))
    }

    fn annualise(daily: Daily, schema: &Schema, short: &str) -> Rates {
        let years = daily.years;
        let currencies: Vec<String> = schema
            .vocabularies
            .get("currencies")
            .map(|v| v.values.keys().cloned().collect())
            .unwrap_or_default();
        let first_year = years.keys().next().copied().unwrap_or(0);
        let last_year = years.keys().last().copied().unwrap_or(-1);
        let mut annual = BTreeMap::new();
        let mut source = BTreeMap::new();
        for (&y, yr) in &years {
            let (first, last) = (yr.first.unwrap(), yr.last.unwrap());
            source.insert(y, format!("ECB euro reference rates, eurofxref-hist snapshot {short}, daily rates {first} to {last}"));
            let usd = yr
                .sums
                .get("USD")
                .filter(|(_, n)| *n == yr.usd_days && *n > 0)
                .map(|(s, n)| s / *n as f64);
            let partial = (y == last_year && last.month() < 12)
                .then(|| format!("year to date: the snapshot ends on {last}"));
            for c in &currencies {
                let mut a = yr.annual(c, y, usd, &daily.currencies);
                a.note = a.note.or_else(|| partial.clone());
                annual.insert((y, c.clone()), a);
            }
        }
        Rates {
            annual,
            first_year,
            last_year,
            source,
        }
    }

    /// The `exchange_rates` table rows, by year then currency.
    pub fn table(&self, ts: &TableSchema, schema: &Schema) -> Vec<Vec<Value>> {
        let num = |x: Option<f64>| x.map_or(Value::Null, Value::Num);
        self.annual
            .iter()
            .map(|((y, c), a)| {
                ts.row_of([
                    ("year", Value::Int(*y as i64)),
                    ("currency", Value::Str(c.as_str().into())),
                    ("per_eur", num(a.per_eur)),
                    ("per_usd", num(a.per_usd)),
                    ("days_averaged", Value::Int(a.days as i64)),
                    ("source", Value::Str(self.source[y].as_str().into())),
                    (
                        "note",
                        a.note
                            .as_deref()
                            .map_or(Value::Null, |n| Value::Str(n.into())),
                    ),
                    ("schema_version", Value::Str(schema.version.as_str().into())),
                ])
            })
            .collect()
    }

    /// `amount` (in `unit`) in `to` for year `year`, or why it cannot be converted.
    pub fn rate_convert(
        &self,
        amount: f64,
        unit: &str,
        to: &str,
        year: Option<i32>,
    ) -> Result<f64, String> {
        if unit == to {
            return Ok(amount);
        }
        let y = year.ok_or("no date: the year the amount refers to is unknown")?;
        if y < self.first_year || y > self.last_year {
            return Err(format!(
                "no ECB reference rate for {y}: the snapshot covers {}–{}",
                self.first_year, self.last_year
            ));
        }
        let a = &self.annual[&(y, unit.to_string())];
        let rate = if to == "EUR" { a.per_eur } else { a.per_usd };
        let why = || {
            format!(
                "no ECB reference rate for {unit} in {y}: {}",
                a.note.as_deref().unwrap_or("none published")
            )
        };
        Ok((amount / rate.ok_or_else(why)?).round())
    }

    /// A `convert` or `conversion_note` cell of a row.
    pub fn convert(&self, ts: &TableSchema, f: &Field, part: &str, row: &[Value]) -> Value {
        let spec = &f.json["x-derive"];
        let result = |to: &str| -> Result<f64, String> {
            let amount = match spec_value(ts, f, "from", row) {
                Value::Num(n) => *n,
                Value::Int(i) => *i as f64,
                _ => return Err(format!("no {}", spec["from"].as_str().unwrap_or("amount"))),
            };
            let unit = spec_value(ts, f, "unit", row)
                .as_str()
                .ok_or("no currency")?;
            if !matches!(unit, "EUR" | "USD")
                && !self
                    .annual
                    .contains_key(&(self.last_year, unit.to_string()))
            {
                return Err(format!("unit `{unit}` is not a currency"));
            }
            let year = match (
                spec_value(ts, f, "year", row),
                spec_value(ts, f, "date", row),
            ) {
                (Value::Int(y), _) => Some(*y as i32),
                (_, Value::PDate(d))
                    if spec["single_year"].as_bool() == Some(true)
                        && d.start.year() != d.end.year() =>
                {
                    return Err(format!(
                        "the period {} spans several years: no single annual rate",
                        d.text
                    ));
                }
                (_, Value::PDate(d)) => Some(d.start.year()),
                _ => None,
            };
            self.rate_convert(amount, unit, to, year)
        };
        match part {
            "convert" => {
                result(spec["to"].as_str().unwrap_or_default()).map_or(Value::Null, Value::Num)
            }
            _ => match result("USD").and(result("EUR")) {
                Ok(_) => Value::Null,
                Err(why) => Value::Str(why.into()),
            },
        }
    }
}

/// The snapshot as a `sources` entry of datapackage.json (the ECB asks to be acknowledged).
pub fn datapackage_source(schema: &Schema) -> Option<serde_json::Value> {
    let meta = schema.file(META_FILE)?;
    let meta: serde_json::Value = serde_json::from_slice(meta).ok()?;
    Some(serde_json::json!({
        "title": format!(
            "{} ({}; exchange_rates and the conversions to USD and EUR)",
            meta["title"].as_str()?,
            meta["attribution"].as_str()?
        )
    }))
}

/// A `YYYY-MM-DD` date. Performance: the common exact form is read directly; anything else
/// goes to chrono's parser, which decides (the snapshot has ~7,000 lines, read every run).
fn iso_date(s: &str) -> chrono::ParseResult<NaiveDate> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
    {
        let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
        if let Some(d) = NaiveDate::from_ymd_opt(n(0..4) as i32, n(5..7), n(8..10)) {
            return Ok(d);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
}

/// Daily rates by year; Err((line, message)) for a malformed snapshot.
fn parse(csv: &[u8]) -> Result<Daily, (usize, String)> {
    let mut rd = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let header: Vec<String> = rd
        .headers()
        .map_err(|e| (1, format!("unreadable header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.first().map(String::as_str) != Some("Date") || !header.iter().any(|h| h == "USD") {
        return Err((1, "the header must start with `Date` and name USD".into()));
    }
    let mut years: BTreeMap<i32, Year> = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| {
            (
                e.position().map_or(1, |p| p.line() as usize),
                format!("unreadable line: {e}"),
            )
        })?;
        let line = rec.position().map_or(1, |p| p.line() as usize);
        let day = iso_date(rec.get(0).unwrap_or_default().trim()).map_err(|_| {
            (
                line,
                format!("`{}` is not a date", rec.get(0).unwrap_or_default()),
            )
        })?;
        years
            .entry(day.year())
            .or_default()
            .add_day(&header, rec.iter(), line, day)?;
    }
    if years.is_empty() {
        return Err((1, "the snapshot has no daily rates".into()));
    }
    let currencies = header.into_iter().skip(1).collect();
    Ok(Daily { currencies, years })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schema"
        )))
        .unwrap()
    }

    fn rates(csv: &str) -> Rates {
        Rates::annualise(parse(csv.as_bytes()).unwrap(), &schema(), "test")
    }

    const CSV: &str = "Date,USD,CNY,RUB\n\
        2021-01-04,1.2,8.0,90\n2021-12-31,1.0,7.0,N/A\n\
        2022-01-03,1.1,7.0,80\n2022-03-01,1.1,7.0,N/A\n";

    #[test]
    fn annual_means_and_cross_rates() {
        let r = rates(CSV);
        let a = &r.annual[&(2021, "CNY".to_string())];
        assert_eq!((a.per_eur, a.days), (Some(7.5), 2));
        assert!((a.per_usd.unwrap() - 7.5 / 1.1).abs() < 1e-12);
        let eur = &r.annual[&(2021, "EUR".to_string())];
        assert!((eur.per_usd.unwrap() - 1.0 / 1.1).abs() < 1e-12);
        // RUB is missing on one of two days of 2021: no annual rate, and the reason.
        let rub = &r.annual[&(2021, "RUB".to_string())];
        assert_eq!(rub.per_eur, None);
        assert!(rub.note.as_deref().unwrap().contains("1 of 2 days"));
        // RSD is not in the file at all.
        let rsd = &r.annual[&(2021, "RSD".to_string())];
        assert_eq!(rsd.note.as_deref(), Some("the ECB does not publish RSD"));
        // 2022 ends in March: a year-to-date average, said in the note.
        let usd = &r.annual[&(2022, "USD".to_string())];
        assert!(usd.note.as_deref().unwrap().starts_with("year to date"));
    }

    #[test]
    fn conversions_and_their_reasons() {
        let r = rates(CSV);
        assert_eq!(r.rate_convert(750.0, "CNY", "EUR", Some(2021)), Ok(100.0));
        assert_eq!(r.rate_convert(100.0, "EUR", "USD", Some(2021)), Ok(110.0));
        assert_eq!(r.rate_convert(5.0, "USD", "USD", None), Ok(5.0));
        assert!(
            r.rate_convert(5.0, "EUR", "USD", None)
                .unwrap_err()
                .starts_with("no date")
        );
        assert!(
            r.rate_convert(5.0, "EUR", "USD", Some(2020))
                .unwrap_err()
                .contains("covers 2021–2022")
        );
        assert!(
            r.rate_convert(5.0, "RSD", "EUR", Some(2021))
                .unwrap_err()
                .contains("does not publish RSD")
        );
    }

    #[test]
    fn malformed_lines_are_located() {
        let bad = |csv: &str| parse(csv.as_bytes()).err().unwrap();
        assert_eq!(bad("Day,USD\n2021-01-04,1.2\n").0, 1);
        assert_eq!(bad("Date,USD\n2021-01-04,1.2\n2021-13-01,1.2\n").0, 3);
        let (line, msg) = bad("Date,USD\n2021-01-04,-1\n");
        assert_eq!(line, 2);
        assert!(msg.contains("not a positive number"), "{msg}");
        assert_eq!(bad("Date,USD\n").1, "the snapshot has no daily rates");
    }
}
