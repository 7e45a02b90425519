//! `pillars synth`: writes a synthetic raw/ directory in the real extraction format, for
//! benchmarks and scale tests. The same arguments always give byte-identical files.
//!
//! The mix imitates real annotation work: every table (actors, events, deals, visits,
//! indicators, one `[source]` per file), partial dates of every precision (year, month, day,
//! ranges), amounts with scale words (`46 million`, `1.26 billion`, `3,500`), list fields,
//! records shared across files (same id, merged by reconcile; some with a more precise date
//! that refines a less precise one), and a few real disagreements on structured values, each
//! settled by a `[[resolution]]` in `resolutions.toml`. Every reference resolves, so the
//! output validates and builds cleanly with the current schema.

use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug, Clone)]
pub struct SynthArgs {
    /// Number of record entries to write (actors, events, deals, visits, indicators; a record
    /// shared by k files counts k times). The [source] tables come on top.
    #[arg(long)]
    pub records: usize,
    /// Number of extraction files (source documents) to spread them over.
    #[arg(long, default_value_t = 10)]
    pub files: usize,
    /// Directory to write: created, or replaced when empty or written by an earlier
    /// `pillars synth` (its manifest.json lists every file); anything else is refused.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed of the pseudo-random generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// xorshift64*: small, fast, and good enough to vary synthetic data deterministically.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that seeds 0, 1, 2 give unrelated streams (never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.below(xs.len())]
    }
}

const PARTNERS: [&str; 10] = ["CN", "RU", "US", "EU", "DE", "FR", "IT", "HU", "TR", "AE"];
const ACTOR_TYPES: [&str; 8] = [
    "person",
    "company",
    "ministry",
    "government",
    "bank",
    "agency",
    "military",
    "international_org",
];
/// Event types with a CAMEO code each may take (schema/cameo_rules.json).
const EVENT_TYPES: [(&str, &str); 10] = [
    ("agreement", "057"),
    ("partnership_upgrade", "051"),
    ("military_exercise", "062"),
    ("delivery", "061"),
    ("donation", "073"),
    ("opening", "061"),
    ("joint_statement", "019"),
    ("un_vote", "051"),
    ("sanction", "163"),
    ("policy_decision", "010"),
];
const DEAL_TYPES: [&str; 9] = [
    "investment",
    "acquisition",
    "loan",
    "credit_line",
    "contract",
    "arms_purchase",
    "equipment_donation",
    "grant",
    "pledge",
];
const STATUSES: [&str; 6] = [
    "announced",
    "signed",
    "in_progress",
    "delivered",
    "completed",
    "cancelled",
];
const SECTORS: [&str; 10] = [
    "defence",
    "energy",
    "mining",
    "steel",
    "infrastructure",
    "transport",
    "telecom",
    "finance",
    "health",
    "diplomacy",
];
const CURRENCIES: [&str; 4] = ["EUR", "USD", "CNY", "RSD"];
const INDICATORS: [&str; 8] = [
    "trade_volume",
    "exports",
    "imports",
    "fdi_inflow",
    "fdi_stock",
    "loans_total",
    "trade_share",
    "public_opinion",
];
const DIRECTIONS: [&str; 3] = ["inbound", "outbound", "third_country"];
const VISIT_TYPES: [&str; 4] = ["state", "official", "working", "summit_meeting"];
const CITIES: [&str; 8] = [
    "Belgrade",
    "Novi Sad",
    "Niš",
    "Beijing",
    "Moscow",
    "Brussels",
    "Washington",
    "Smederevo",
];
const FIRST: [&str; 10] = [
    "Aleksandar",
    "Miloš",
    "Ana",
    "Ivica",
    "Jelena",
    "Zoran",
    "Li",
    "Wang",
    "Sergei",
    "Maria",
];
const LAST: [&str; 10] = [
    "Vučić",
    "Vučević",
    "Brnabić",
    "Dačić",
    "Đurić",
    "Popović",
    "Zhang",
    "Chen",
    "Lavrov",
    "Novak",
];
const WORDS: [&str; 24] = [
    "agreement",
    "strategic",
    "cooperation",
    "railway",
    "steel",
    "plant",
    "loan",
    "highway",
    "visit",
    "memorandum",
    "investment",
    "energy",
    "pipeline",
    "drones",
    "delivery",
    "exercise",
    "factory",
    "bridge",
    "copper",
    "mine",
    "vaccine",
    "credit",
    "partnership",
    "summit",
];

/// What the generator wrote, so callers (and tests) know what a build must produce.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub entries: usize,
    /// Distinct records per table, after merging shared ids.
    pub actors: usize,
    pub events: usize,
    pub deals: usize,
    pub visits: usize,
    pub indicators: usize,
    /// Disagreements settled by a [[resolution]].
    pub resolutions: usize,
    /// Record entries that repeat an id another file already uses.
    pub shared_entries: usize,
}

/// The five record tables, in the order their records are generated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Actor,
    Event,
    Deal,
    Visit,
    Indicator,
}

impl Kind {
    fn raw(self) -> &'static str {
        match self {
            Kind::Actor => "actor",
            Kind::Event => "event",
            Kind::Deal => "deal",
            Kind::Visit => "visit",
            Kind::Indicator => "indicator",
        }
    }
    /// Share of all entries, in percent.
    fn share(self) -> usize {
        match self {
            Kind::Actor => 10,
            Kind::Event => 35,
            Kind::Deal => 20,
            Kind::Visit => 15,
            Kind::Indicator => 20,
        }
    }
}

/// A date for one copy of a record. `refine` gives copies after the first a more precise
/// date inside the first one's (a refinement, not a conflict).
fn date_text(year: u32, month: u32, day: u32, precision: usize) -> String {
    match precision {
        0 => format!("{year}"),
        1 => format!("{year}-{month:02}"),
        2 => format!("{year}-{month:02}-{day:02}"),
        _ => format!("{year}-{month:02}/{year}-{:02}", (month + 2).min(12)),
    }
}

fn amount_text(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("{} million", 1 + rng.below(900)),
        1 => format!("{}.{} billion", 1 + rng.below(9), 1 + rng.below(99)),
        2 => format!("{},{:03}", 1 + rng.below(999), rng.below(1000)),
        3 => format!("{}", 1000 + rng.below(1_000_000)),
        _ => format!("{}.5 million", rng.below(100)),
    }
}

/// A title: one vocabulary word and two words unique to the record.
fn title(rng: &mut Rng, logical: usize) -> String {
    format!("{} s{logical} t{logical}", words(rng, 1))
}

fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(&WORDS));
    }
    s
}

/// Escapes a string for a TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(ids: &[String]) -> String {
    let items: Vec<String> = ids.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

/// Generates the files in memory: (file name, contents), in name order, plus the summary.
pub fn generate(records: usize, files: usize, seed: u64) -> (Vec<(String, String)>, Summary) {
    let files = files.max(1);
    let mut rng = Rng::new(seed ^ (records as u64).rotate_left(17) ^ (files as u64));
    let width = files.to_string().len().max(4);
    let names: Vec<String> = (0..files).map(|i| format!("synth-{i:0width$}")).collect();
    let mut g = Generator {
        bodies: names
            .iter()
            .enumerate()
            .map(|(i, n)| source(i, n))
            .collect(),
        resolutions: String::from(
            "# Synthetic resolutions: which value is kept where synthetic sources disagree.\n",
        ),
        sum: Summary {
            files,
            ..Default::default()
        },
    };
    for kind in [
        Kind::Actor,
        Kind::Event,
        Kind::Deal,
        Kind::Visit,
        Kind::Indicator,
    ] {
        // Entries for this table: its share of `records`; indicators take the remainder.
        let target = if kind == Kind::Indicator {
            records - g.sum.entries
        } else {
            records * kind.share() / 100
        };
        g.table(kind, target, &mut rng);
    }
    let mut out: Vec<(String, String)> = names
        .into_iter()
        .zip(g.bodies)
        .map(|(n, b)| (format!("{n}.toml"), b))
        .collect();
    // A file of only comments would be a file without a [source]: write it only when needed.
    if g.sum.resolutions > 0 {
        out.push(("resolutions.toml".into(), g.resolutions));
    }
    out.sort();
    (out, g.sum)
}

/// A file's `[source]` table.
fn source(i: usize, n: &str) -> String {
    format!(
        "[source]\nsource_id = {}\nfile = {}\ntitle = {}\nauthors = [{}]\npublisher = \"Synthetic Press\"\nyear = {}\nkind = {}\n",
        q(n),
        q(&format!("{n}.txt")),
        q(&format!("Synthetic document {i} on Serbia's relations")),
        if i.is_multiple_of(3) {
            String::new()
        } else {
            q(&format!("Author {i}"))
        },
        2000 + i % 25,
        q(["news", "report", "policy_paper", "journal_article", "book"][i % 5]),
    )
}

/// The files being written, the resolutions file and the counts.
struct Generator {
    bodies: Vec<String>,
    resolutions: String,
    sum: Summary,
}

/// What every copy of one record shares.
struct Shared {
    kind: Kind,
    logical: usize,
    year: u32,
    month: u32,
    day: u32,
    precision: usize,
    partner: &'static str,
    sector: &'static str,
    /// Later copies disagree on one structured field (a resolution settles it).
    conflict: bool,
}

impl Generator {
    /// `target` entries of one table, each record in 1 to 3 files.
    fn table(&mut self, kind: Kind, target: usize, rng: &mut Rng) {
        let files = self.bodies.len();
        let (mut written, mut logical) = (0, 0usize);
        while written < target {
            let id = format!("{}-{logical:07}", kind.raw());
            logical += 1;
            // How many files report this record: 1 (80%), 2 (15%) or 3 (5%).
            let roll = rng.below(100);
            let copies = (if roll < 80 {
                1
            } else if roll < 95 {
                2
            } else {
                3
            })
            .min(files)
            .min(target - written);
            let first_file = rng.below(files);
            let stride = (files / copies).max(1);
            let shared = Shared {
                kind,
                logical,
                year: 1995 + rng.below(30) as u32,
                month: 1 + rng.below(12) as u32,
                day: 1 + rng.below(28) as u32,
                precision: rng.below(4),
                partner: rng.pick(&PARTNERS),
                sector: rng.pick(&SECTORS),
                conflict: copies > 1 && rng.chance(10),
            };
            for c in 0..copies {
                let file = (first_file + c * stride) % files;
                self.entry(file, &id, &shared, c, rng);
            }
            if shared.conflict && matches!(kind, Kind::Deal | Kind::Indicator) {
                self.resolution(kind, &id, logical);
            }
            written += copies;
            self.sum.shared_entries += copies - 1;
        }
        self.sum.entries += written;
        match kind {
            Kind::Actor => self.sum.actors = logical,
            Kind::Event => self.sum.events = logical,
            Kind::Deal => self.sum.deals = logical,
            Kind::Visit => self.sum.visits = logical,
            Kind::Indicator => self.sum.indicators = logical,
        }
    }

    /// Copy `c` of a record, in file `file`.
    fn entry(&mut self, file: usize, id: &str, r: &Shared, c: usize, rng: &mut Rng) {
        // The actors written so far (the actors table comes first): the other tables name them.
        let n_actors = self.sum.actors;
        let b = &mut self.bodies[file];
        let text_date = if c > 0 && r.precision < 2 && r.kind != Kind::Indicator {
            // Later copies may refine a year to a month or a month to a day.
            date_text(r.year, r.month, r.day, r.precision + 1)
        } else {
            date_text(r.year, r.month, r.day, r.precision)
        };
        let locator = format!("Section {}, para {}", 1 + rng.below(9), 1 + rng.below(20));
        let _ = write!(b, "\n[[{}]]\nid = {}\n", r.kind.raw(), q(id));
        match r.kind {
            Kind::Actor => actor_fields(b, r, c, rng),
            Kind::Event => event_fields(b, r, &text_date, n_actors, rng),
            Kind::Deal => deal_fields(b, r, c, &text_date, n_actors, rng),
            Kind::Visit => visit_fields(b, r, &text_date, n_actors, rng),
            Kind::Indicator => indicator_fields(b, r, c, &text_date, n_actors, rng),
        }
        let _ = writeln!(b, "locator = {}", q(&locator));
    }

    /// Keeps the first source's value; the later copies claim another one.
    fn resolution(&mut self, kind: Kind, id: &str, logical: usize) {
        let (field, value) = if kind == Kind::Deal {
            ("status", q(STATUSES[logical % STATUSES.len()]))
        } else {
            ("value", q(&indicator_value(logical, false)))
        };
        let _ = write!(
            self.resolutions,
            "\n[[resolution]]\ntable = {}\nid = {}\nfield = {}\nvalue = {}\nreason = {}\n",
            q(kind.raw()),
            q(id),
            q(field),
            value,
            q("The first synthetic source is the more reliable one.")
        );
        self.sum.resolutions += 1;
    }
}

/// An actor id. Persons have even numbers, companies odd: events name companies, visits and
/// deal counterparties persons, so no event shares an actor with a visit or a deal and the
/// duplicate check (src/meaning/duplicates.rs) sees distinct records.
fn actor(rng: &mut Rng, n_actors: usize, odd: usize) -> String {
    let k = if n_actors < 2 {
        0
    } else {
        rng.below(n_actors / 2) * 2 + odd
    };
    format!("actor-{k:07}")
}

fn actor_fields(b: &mut String, r: &Shared, c: usize, rng: &mut Rng) {
    let i = r.logical - 1;
    let person = i.is_multiple_of(2);
    let name = if person {
        format!("{} {} {i}", FIRST[i % 10], LAST[(i / 10) % 10])
    } else {
        format!("{} Company {i}", LAST[i % 10])
    };
    let _ = writeln!(b, "name = {}", q(&name));
    let _ = writeln!(b, "aliases = {}", list(&[format!("Alias {i}-{c}")]));
    let actor_type = if person {
        "person"
    } else {
        ACTOR_TYPES[1 + i % 7]
    };
    let _ = writeln!(b, "actor_type = {}", q(actor_type));
    let _ = writeln!(b, "country = {}", q(r.partner));
    let _ = writeln!(b, "role = {}", q(&words(rng, 3)));
}

fn event_fields(b: &mut String, r: &Shared, date: &str, n_actors: usize, rng: &mut Rng) {
    let _ = writeln!(b, "date = {}", q(date));
    let _ = writeln!(b, "partner = {}", q(r.partner));
    let (event_type, cameo) = EVENT_TYPES[r.logical % EVENT_TYPES.len()];
    let _ = writeln!(b, "event_type = {}", q(event_type));
    let _ = writeln!(b, "cameo = {}", q(cameo));
    let _ = writeln!(b, "sector = {}", q(r.sector));
    let _ = writeln!(b, "title = {}", q(&title(rng, r.logical)));
    let _ = writeln!(b, "description = {}", q(&words(rng, 14)));
    let _ = writeln!(b, "location = {}", q(rng.pick(&CITIES)));
    let n = if n_actors > 0 { rng.below(3) } else { 0 };
    let ids: Vec<String> = (0..n).map(|_| actor(rng, n_actors, 1)).collect();
    let _ = writeln!(b, "actor_ids = {}", list(&ids));
}

fn deal_fields(b: &mut String, r: &Shared, c: usize, date: &str, n_actors: usize, rng: &mut Rng) {
    let logical = r.logical;
    let _ = writeln!(b, "date = {}", q(date));
    let _ = writeln!(b, "partner = {}", q(r.partner));
    let _ = writeln!(
        b,
        "deal_type = {}",
        q(DEAL_TYPES[logical % DEAL_TYPES.len()])
    );
    let _ = writeln!(b, "sector = {}", q(r.sector));
    let _ = writeln!(b, "title = {}", q(&title(rng, logical)));
    let _ = writeln!(b, "description = {}", q(&words(rng, 12)));
    if n_actors > 0 {
        let cp = format!(
            "actor-{:07}",
            (logical * 2) % (n_actors - n_actors % 2).max(2)
        );
        let _ = writeln!(b, "counterparty = {}", q(&cp));
    }
    let _ = writeln!(b, "item = {}", q(&words(rng, 2)));
    let _ = writeln!(b, "quantity_ordered = {}", 1 + logical % 40);
    // Amounts use the same seed for every copy, so copies agree.
    let mut arng = Rng::new(logical as u64 ^ 0xA11);
    let _ = writeln!(b, "amount = {}", q(&amount_text(&mut arng)));
    let _ = writeln!(b, "currency = {}", q(CURRENCIES[logical % 4]));
    if logical % 4 == 1 {
        let _ = writeln!(b, "stake_pct = {}", logical % 101);
    }
    let status = if r.conflict && c > 0 {
        STATUSES[(logical + 1) % STATUSES.len()]
    } else {
        STATUSES[logical % STATUSES.len()]
    };
    let _ = writeln!(b, "status = {}", q(status));
}

fn visit_fields(b: &mut String, r: &Shared, date: &str, n_actors: usize, rng: &mut Rng) {
    let _ = writeln!(b, "date = {}", q(date));
    let _ = writeln!(b, "partner = {}", q(r.partner));
    let _ = writeln!(b, "direction = {}", q(DIRECTIONS[r.logical % 3]));
    let _ = writeln!(b, "visit_type = {}", q(VISIT_TYPES[r.logical % 4]));
    if n_actors > 0 {
        let v = actor(rng, n_actors, 0);
        let h = actor(rng, n_actors, 0);
        let _ = writeln!(b, "visitor_ids = {}", list(&[v]));
        let _ = writeln!(b, "host_ids = {}", list(&[h]));
    }
    let _ = writeln!(b, "location = {}", q(rng.pick(&CITIES)));
    let _ = writeln!(b, "description = {}", q(&words(rng, 10)));
}

fn indicator_fields(
    b: &mut String,
    r: &Shared,
    c: usize,
    date: &str,
    n_actors: usize,
    rng: &mut Rng,
) {
    let logical = r.logical;
    let code = INDICATORS[logical % INDICATORS.len()];
    let percent = is_share(logical);
    let _ = writeln!(b, "indicator = {}", q(code));
    let _ = writeln!(b, "partner = {}", q(r.partner));
    let _ = writeln!(b, "period = {}", q(date));
    let value = indicator_value(logical, r.conflict && c > 0);
    let _ = writeln!(b, "value = {}", q(&value));
    let _ = writeln!(b, "unit = {}", q(if percent { "percent" } else { "EUR" }));
    if logical.is_multiple_of(5) && n_actors > 0 {
        // Structured: the same actor in every copy.
        let by = format!("actor-{:07}", (logical * 7) % n_actors.max(1));
        let _ = writeln!(b, "claimed_by = {}", q(&by));
    }
    let _ = writeln!(b, "description = {}", q(&words(rng, 8)));
}

fn is_share(logical: usize) -> bool {
    let code = INDICATORS[logical % INDICATORS.len()];
    code.ends_with("_share") || code == "public_opinion"
}

/// An indicator's value as one source writes it. `other` is the value of a disagreeing
/// source: always numerically different from the first (percent: another whole part;
/// amounts: under 100, while first values are at least 1000).
fn indicator_value(logical: usize, other: bool) -> String {
    match (is_share(logical), other) {
        (true, false) => format!("{}.{}", logical % 100, logical % 10),
        (true, true) => format!("{}.{}", (logical + 1) % 100, logical % 10),
        (false, false) => amount_text(&mut Rng::new(logical as u64 ^ 0x1D)),
        (false, true) => format!("{}", 1 + logical % 99),
    }
}

/// The writer named in a synthetic directory's manifest.json.
pub const GENERATOR: &str = "pillars synth";

pub fn run(a: &SynthArgs) -> Result<ExitCode, ExitCode> {
    let fail = |what: String| {
        eprintln!("error: {what}");
        ExitCode::from(1)
    };
    if a.records == 0 {
        return Err(fail("--records must be at least 1".into()));
    }
    let (files, sum) = generate(a.records, a.files, a.seed);
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let n = files.len();
    let mut tree: crate::export::Files = files
        .into_iter()
        .map(|(name, text)| (name, text.into_bytes()))
        .collect();
    // The manifest lets a later `synth --out` recognise (and replace) this directory.
    let manifest = crate::output_guard::manifest(&tree, GENERATOR);
    tree.insert("manifest.json".into(), manifest);
    // A synthetic raw/ never belongs in the schema directory of the current project.
    let inputs = [std::path::Path::new("schema")];
    let notes = crate::output::write_dir(&a.out, &tree, GENERATOR, &inputs).map_err(|p| {
        eprint!(
            "{}",
            crate::diagnostic::report(&[p], crate::diagnostic::Format::Text)
        );
        ExitCode::from(1)
    })?;
    for note in notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "synth      {} files ({} bytes) → {} entries ({} shared across files): actors {}, events {}, deals {}, visits {}, indicators {}; {} resolutions",
        n,
        bytes,
        sum.entries,
        sum.shared_entries,
        sum.actors,
        sum.events,
        sum.deals,
        sum.visits,
        sum.indicators,
        sum.resolutions
    );
    Ok(ExitCode::SUCCESS)
}
