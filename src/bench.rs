//! `bench-data`: a large, realistic dataset for the load benchmark (docs/PERFORMANCE.md): providers
//! with memberships, consumers, one staff account per provider, cases spread over every state and
//! a thread of messages on each. Written straight into an empty database in batched multi-row
//! inserts inside transactions (the per-row library calls would take minutes); every account has
//! the same password, hashed once.

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;

use crate::accounts::password;
use crate::cases::lifecycle::CaseState;
use crate::db::schema::{
    case_events, case_reference_counters, cases, messages, providers, published_rulings, rulings, users,
};
use crate::db::{Database, DbConnection, StorageError, on_backend};
use crate::registry::{self, NewMembership, NewProvider, NewScheme, rules::SchemeRules};

/// The password of every generated account.
pub const BENCH_PASSWORD: &str = "bench-wachtzin-lang-2026";

/// Rows per multi-row insert: under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
const BATCH: usize = 1_000;

#[derive(Clone, Copy, Debug)]
pub struct BenchSize {
    pub providers: usize,
    pub consumers: usize,
    pub cases: usize,
    pub messages: usize,
    /// Words of each published ruling's text (and of its reasoning). Real binding advice runs to
    /// a few pages; texts of a sentence or two hid what long ones cost (docs/PERFORMANCE.md, item 31).
    pub ruling_words: usize,
}

/// What the load driver needs to know: who to sign in as and which pages to ask for.
#[derive(Debug)]
pub struct BenchReport {
    pub consumer_email: String,
    pub consumer_case_id: i64,
    pub staff_email: String,
    pub provider_kvk: String,
    /// A provider that is a member of the scheme: the one the filing scenario files against.
    pub provider_id: i64,
    pub consumers: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the database is not empty; bench-data needs a fresh one")]
    NotEmpty,
}

/// The big providers (a few telecom companies) get a fifth of all cases; the rest are spread evenly.
fn provider_of_case(case: usize, size: &BenchSize) -> usize {
    let big = 5.min(size.providers);
    if case.is_multiple_of(5) {
        case / 5 % big
    } else {
        case % size.providers
    }
}

pub fn generate(db: &Database, size: BenchSize, progress: impl Fn(&str)) -> Result<BenchReport, BenchError> {
    let mut pooled = db.get()?;
    let conn: &mut DbConnection = &mut pooled;
    if !registry::all_schemes(conn)?.is_empty() {
        return Err(BenchError::NotEmpty);
    }
    let now = Utc::now().naive_utc();
    let today = now.date();
    let hash = password::hash_password(BENCH_PASSWORD);
    let since = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a date");

    progress(&format!("{} providers with memberships", size.providers));
    let (scheme_id, rules_id, provider_ids) = crate::db::write_transaction(conn, |conn| {
        let scheme_id = registry::create_scheme(
            conn,
            NewScheme {
                code: "TEL",
                name: "De Geschillencommissie Telecommunicatie",
                languages: "nl,en",
                reference_prefix: "TEL",
            },
            &SchemeRules::commission_defaults(),
            since,
            now,
        )?;
        let rules_id = registry::rules_in_force(conn, scheme_id, today)?
            .expect("rules in force")
            .id;
        let mut ids = Vec::with_capacity(size.providers);
        for p in 0..size.providers {
            let kvk = format!("{:08}", 30_000_000 + p);
            let name = format!(
                "{} {} B.V.",
                ["Glasvezel", "Kabel", "Mobiel", "Hosting", "Web"][p % 5],
                p + 1
            );
            let id = registry::create_provider(
                conn,
                NewProvider {
                    kvk_number: &kvk,
                    legal_name: &name,
                    trade_names: &format!("Net{}", p + 1),
                    street: "Stationsplein 1",
                    postcode: "3511 ED",
                    city: ["Utrecht", "Amsterdam", "Rotterdam", "Den Haag", "Zwolle"][p % 5],
                    website: "",
                    complaint_email: "",
                },
                now,
            )?;
            // One in ten has left the scheme: the check then says since when.
            registry::create_membership(
                conn,
                NewMembership {
                    provider_id: id,
                    scheme_id,
                    valid_from: since,
                    valid_until: (p % 10 == 9).then(|| today - TimeDelta::days(200)),
                    via: "direct",
                    guarantor_id: None,
                    status: "active",
                },
                now,
            )?;
            ids.push(id);
        }
        Ok::<_, diesel::result::Error>((scheme_id, rules_id, ids))
    })?;

    progress(&format!(
        "{} consumers, {} provider staff",
        size.consumers, size.providers
    ));
    crate::db::write_transaction(conn, |conn| {
        let user_row = |email: String, name: String, role: &'static str, provider: Option<i64>| {
            (
                users::email.eq(email),
                users::display_name.eq(name),
                users::password_hash.eq(hash.clone()),
                users::role.eq(role),
                users::provider_id.eq(provider),
                users::language.eq("nl"),
                users::email_confirmed_at.eq(Some(now)),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        };
        let mut rows: Vec<_> = (1..=size.consumers)
            .map(|c| {
                user_row(
                    format!("consument{c}@bench.example"),
                    format!("Consument {c}"),
                    "consumer",
                    None,
                )
            })
            .collect();
        rows.extend(provider_ids.iter().enumerate().map(|(p, id)| {
            user_row(
                format!("medewerker{}@bench.example", p + 1),
                format!("Medewerker {}", p + 1),
                "provider_staff",
                Some(*id),
            )
        }));
        rows.push(user_row(
            "secretariaat@bench.example".into(),
            "Secretariaat".into(),
            "secretariat",
            None,
        ));
        for chunk in rows.chunks(BATCH) {
            on_backend!(conn, |c| diesel::insert_into(users::table).values(chunk).execute(c))?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;
    let consumer_ids: Vec<i64> = users::table
        .filter(users::role.eq("consumer"))
        .order(users::id)
        .select(users::id)
        .load(conn)?;
    let staff_ids: Vec<i64> = users::table
        .filter(users::role.eq("provider_staff"))
        .order(users::id)
        .select(users::id)
        .load(conn)?;

    progress(&format!("{} cases in every state", size.cases));
    let year = 2026;
    for (start, end) in batches(size.cases, 20_000) {
        crate::db::write_transaction(conn, |conn| {
            let rows: Vec<_> = (start..end)
                .map(|i| {
                    let state = state_of_case(i);
                    let submitted = now - TimeDelta::days((i % 400) as i64) - TimeDelta::minutes(i as i64 % 1440);
                    // Deadlines 10 to 69 days ahead: nothing overdue or due for a reminder, so the
                    // in-process worker stays idle (a live portal's worker keeps up day by day; a
                    // quarter of a million overdue cases at once measures the sweep, not the pages).
                    let due = state
                        .is_open()
                        .then(|| now.date() + TimeDelta::days(10 + (i % 60) as i64));
                    (
                        cases::reference.eq(format!("TEL-{year}-{:06}", i + 1)),
                        cases::scheme_id.eq(scheme_id),
                        cases::rules_id.eq(rules_id),
                        cases::consumer_id.eq(consumer_ids[i % consumer_ids.len()]),
                        cases::provider_id.eq(provider_ids[provider_of_case(i, &size)]),
                        cases::category.eq(["outage_speed", "billing", "contract", "moving", "equipment"][i % 5]),
                        cases::language.eq("nl"),
                        cases::state.eq(state.as_str()),
                        cases::state_entered_at.eq(submitted),
                        cases::state_due_on.eq(due),
                        cases::contract_date.eq(Some(submitted.date() - TimeDelta::days(700))),
                        cases::written_complaint_date.eq(submitted.date() - TimeDelta::days(45)),
                        cases::written_complaint_channel.eq("email"),
                        cases::claim_cents.eq(Some((i % 200 + 1) as i64 * 1_000)),
                        cases::desired_outcome.eq("Terugbetaling van de maanden zonder werkende verbinding."),
                        cases::description
                            .eq("Sinds de overstap valt het internet elke avond tussen 19 en 23 uur weg."),
                        cases::fee_cents.eq(5_000_i64),
                        cases::fee_status.eq(if i % 3 == 0 { "due" } else { "paid" }),
                        cases::complete_on.eq(Some(submitted.date() + TimeDelta::days(10))),
                        cases::outcome_due_on.eq(Some(submitted.date() + TimeDelta::days(100))),
                        cases::submitted_at.eq(submitted),
                        cases::updated_at.eq(now),
                    )
                })
                .collect();
            for chunk in rows.chunks(BATCH / 2) {
                on_backend!(conn, |c| diesel::insert_into(cases::table).values(chunk).execute(c))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        progress(&format!("  {end} cases"));
    }
    diesel::insert_into(case_reference_counters::table)
        .values((
            case_reference_counters::scheme_id.eq(scheme_id),
            case_reference_counters::year.eq(year),
            case_reference_counters::last_number.eq(size.cases as i64),
        ))
        .execute(conn)?;
    let case_ids: Vec<i64> = cases::table.order(cases::id).select(cases::id).load(conn)?;

    progress("one event per case");
    crate::db::write_transaction(conn, |conn| {
        let rows: Vec<_> = case_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                (
                    case_events::case_id.eq(*id),
                    case_events::at.eq(now),
                    case_events::actor_role.eq("system"),
                    case_events::kind.eq("imported"),
                    case_events::to_state.eq(Some(state_of_case(i).as_str())),
                    case_events::detail.eq(""),
                )
            })
            .collect();
        for chunk in rows.chunks(BATCH) {
            on_backend!(conn, |c| diesel::insert_into(case_events::table)
                .values(chunk)
                .execute(c))?;
        }
        Ok::<_, diesel::result::Error>(())
    })?;

    progress(&format!("{} messages", size.messages));
    for (start, end) in batches(size.messages, 50_000) {
        crate::db::write_transaction(conn, |conn| {
            let rows: Vec<_> = (start..end)
                .map(|m| {
                    let case = m % case_ids.len();
                    let consumer = consumer_ids[case % consumer_ids.len()];
                    let staff = staff_ids[provider_of_case(case, &size)];
                    let by_consumer = (m / case_ids.len()).is_multiple_of(2);
                    (
                        messages::case_id.eq(case_ids[case]),
                        messages::author_id.eq(if by_consumer { consumer } else { staff }),
                        messages::body.eq(if by_consumer {
                            "De verbinding valt nog steeds elke avond weg; ik heb de storingsmeldingen bijgevoegd."
                        } else {
                            "Wij hebben de lijn doorgemeten en zien geen storing aan onze kant."
                        }),
                        messages::visibility.eq("everyone"),
                        messages::moderation.eq("visible"),
                        messages::created_at.eq(now - TimeDelta::minutes((size.messages - m) as i64 % 500_000)),
                    )
                })
                .collect();
            for chunk in rows.chunks(BATCH) {
                on_backend!(conn, |c| diesel::insert_into(messages::table).values(chunk).execute(c))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        progress(&format!("  {end} messages"));
    }
    let published = publish_rulings(conn, &case_ids, &provider_ids, &size, scheme_id, now)?;
    progress(&format!("{published} published rulings"));
    // The histories were written directly: every case's statistics are derived as the worker would.
    crate::statistics::aggregates::mark_all(conn, now)?;
    loop {
        let derived = crate::statistics::aggregates::catch_up(conn, std::time::Duration::from_secs(5), now)?;
        if derived == 0 {
            break;
        }
        progress(&format!("  statistics of {derived} cases derived"));
    }

    if matches!(conn, DbConnection::Postgres(_)) {
        // A live database's autovacuum would long have vacuumed rows this old (visibility map, hint
        // bits) and its checkpoints written the load out. Without both, the first minutes of a
        // benchmark measured the load's after-effects: a checkpoint of the whole load running
        // through every scenario, and reads setting hint bits (docs/PERFORMANCE.md, session 12).
        diesel::sql_query("VACUUM (ANALYZE)").execute(conn)?;
        diesel::sql_query("CHECKPOINT").execute(conn)?;
    } else {
        diesel::sql_query("ANALYZE").execute(conn)?;
        // The worker merges the register's word index once the register has been quiet for an hour
        // (`publication::index_upkeep`): a live register is in that state most of the time.
        let merge = crate::publication::index_upkeep::merge_index(conn, std::time::Duration::MAX)?;
        progress(&format!(
            "  the register's word index merged into one piece ({} slices)",
            merge.slices
        ));
    }

    // The consumer of case 0 and the staff of the biggest provider; case 0's page is benchmarked.
    let kvk: String = providers::table
        .find(provider_ids[0])
        .select(providers::kvk_number)
        .first(conn)?;
    Ok(BenchReport {
        consumer_email: "consument1@bench.example".into(),
        consumer_case_id: case_ids[0],
        staff_email: "medewerker1@bench.example".into(),
        provider_kvk: kvk,
        provider_id: provider_ids[0],
        consumers: size.consumers,
    })
}

/// What the public register holds: half of the cases that ended in a ruling (the other half settled),
/// each with an issued ruling and its published, anonymised text. The topics vary so a word search
/// finds a part of the register, as a real one would.
fn publish_rulings(
    conn: &mut DbConnection,
    case_ids: &[i64],
    provider_ids: &[i64],
    size: &BenchSize,
    scheme_id: i64,
    now: chrono::NaiveDateTime,
) -> Result<usize, BenchError> {
    const TOPICS: [(&str, &str); 6] = [
        (
            "een storing van het internet",
            "De verbinding viel maandenlang elke avond weg.",
        ),
        (
            "een te hoge rekening",
            "De aanbieder bracht roamingkosten en een boete in rekening.",
        ),
        (
            "de opzegging bij een verhuizing",
            "Op het nieuwe adres was geen glasvezel beschikbaar.",
        ),
        (
            "een defecte modem",
            "Het geleverde modem werkte niet en werd niet vervangen.",
        ),
        (
            "een overstap naar een andere aanbieder",
            "Het nummer werd niet op tijd overgezet.",
        ),
        (
            "trage mobiele data",
            "De beloofde snelheid werd op geen enkel moment gehaald.",
        ),
    ];
    let drafted_by: i64 = users::table
        .filter(users::role.eq("secretariat"))
        .select(users::id)
        .first(conn)?;
    let ruled: Vec<usize> = (0..case_ids.len())
        .filter(|i| {
            matches!(
                state_of_case(*i),
                CaseState::Ruled | CaseState::InCompliance | CaseState::GuaranteeClaim | CaseState::Closed
            ) && i.is_multiple_of(2)
        })
        .collect();
    let outcome = |i: usize| ["upheld", "partly_upheld", "rejected"][i % 3];
    let prose = RulingProse::new();
    let text = |i: usize| {
        let (summary, facts) = TOPICS[i % TOPICS.len()];
        ruling_text(&prose, i, summary, facts, size.ruling_words)
    };
    // Long texts make big statements: fewer rows per insert keeps each to a few MB.
    let rows_per_insert = if size.ruling_words > 100 { 100 } else { BATCH };
    for chunk in ruled.chunks(BATCH) {
        crate::db::write_transaction(conn, |conn| {
            let rows: Vec<_> = chunk
                .iter()
                .map(|i| {
                    let issued = now - TimeDelta::days((i % 700) as i64);
                    (
                        rulings::case_id.eq(case_ids[*i]),
                        rulings::status.eq("issued"),
                        rulings::outcome.eq(outcome(*i)),
                        rulings::reasoning.eq(text(*i)),
                        rulings::summary.eq(TOPICS[i % TOPICS.len()].0),
                        rulings::language.eq("nl"),
                        rulings::drafted_by.eq(drafted_by),
                        rulings::issued_by.eq(Some(drafted_by)),
                        rulings::issued_at.eq(Some(issued)),
                        rulings::created_at.eq(issued),
                        rulings::updated_at.eq(issued),
                    )
                })
                .collect();
            for rows in rows.chunks(rows_per_insert) {
                on_backend!(&mut *conn, |c| diesel::insert_into(rulings::table)
                    .values(rows)
                    .execute(c))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    let ruling_ids: Vec<i64> = rulings::table.order(rulings::case_id).select(rulings::id).load(conn)?;
    for (chunk, ids) in ruled.chunks(BATCH).zip(ruling_ids.chunks(BATCH)) {
        crate::db::write_transaction(conn, |conn| {
            let rows: Vec<_> = chunk
                .iter()
                .zip(ids)
                .map(|(i, ruling_id)| {
                    let summary = TOPICS[i % TOPICS.len()].0;
                    let published = now - TimeDelta::days((i % 700) as i64) + TimeDelta::days(14);
                    (
                        published_rulings::ruling_id.eq(*ruling_id),
                        published_rulings::scheme_id.eq(scheme_id),
                        published_rulings::provider_id.eq(Some(provider_ids[provider_of_case(*i, size)])),
                        published_rulings::reference.eq(format!("TEL-2026-{:06}", i + 1)),
                        published_rulings::category
                            .eq(["outage_speed", "billing", "contract", "moving", "equipment"][i % 5]),
                        published_rulings::year.eq(published.date().year()),
                        published_rulings::outcome.eq(outcome(*i)),
                        published_rulings::summary.eq(format!("Uitspraak over {summary}")),
                        published_rulings::body.eq(text(*i)),
                        published_rulings::status.eq("published"),
                        published_rulings::published_at.eq(Some(published)),
                    )
                })
                .collect();
            for rows in rows.chunks(rows_per_insert) {
                on_backend!(&mut *conn, |c| diesel::insert_into(published_rulings::table)
                    .values(rows)
                    .execute(c))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(ruled.len())
}

/// A published ruling's text: the complaint in its topic's words, then `words` words of a ruling's
/// prose, then its decision. With `words` 0 it is the two sentences of the register before session 15.
fn ruling_text(prose: &RulingProse, ruling: usize, summary: &str, facts: &str, words: usize) -> String {
    let mut text = format!("De consument klaagt over {summary}. {facts} De aanbieder betwist dat.");
    if words > 0 {
        text.push_str("\n\n");
        prose.write(&mut text, ruling as u64, words);
        text.push_str("\n\n");
    } else {
        text.push(' ');
    }
    text.push_str("De commissie overweegt de feiten en beslist zoals hieronder staat.");
    text
}

/// Words of rulings on telecom disputes, most used first. Drawn by Zipf's law (a word's share of a
/// text falls with its rank), a long text holds the first words in every ruling and the compounds of
/// the tail in few, as real texts do. Of the register scenarios' words (bench/register_search.lua), the
/// general ones are among them ("consument", "internet", "rekening": in nearly every ruling); the
/// topics' own ("storing", "opzegging", "modem") are in the opening of the sixth of the rulings on
/// their topic, and some begin compounds of the tail ("modemkosten"), which SQLite's search by the
/// start of a word finds too.
#[rustfmt::skip]
const COMMON_WORDS: &[&str] = &[
    "de", "het", "een", "van", "en", "in", "dat", "is", "op", "te", "niet", "voor", "met", "die", "aan", "zijn",
    "door", "zoals", "er", "als", "om", "ook", "bij", "heeft", "naar", "dan", "wordt", "werd", "of", "deze", "dit",
    "tot", "uit", "nog", "over", "kan", "geen", "zij", "worden", "moet", "daarom", "consument", "aanbieder",
    "commissie", "overeenkomst", "klacht", "partijen", "artikel", "voorwaarden", "internet", "abonnement",
    "verbinding", "kosten", "bedrag", "rekening", "termijn", "schade", "vergoeding", "geschil", "verweer",
    "standpunt", "zitting", "dienst", "levering", "beslissing", "maand", "euro", "factuur", "gebruik", "snelheid",
    "feiten", "reglement", "schriftelijk", "redelijk", "onvoldoende", "aangetoond", "gesteld", "gebleken",
    "verplichting", "tekortkoming", "nakoming", "ontbinding", "compensatie", "betaling", "uitspraak", "nummer",
    "adres", "aansluiting", "monteur", "klantenservice", "onderzoek", "deskundige", "rapport", "bewijs",
    "verklaring", "bindend", "advies", "betwist", "overweegt", "beslist", "klaagt", "bundel", "mobiele",
    "telefonie", "televisie", "incasso", "periode", "datum", "gemotiveerd", "ingebreke", "verzuim", "toerekenbaar",
    "tekortgeschoten", "aannemelijk", "weerlegd", "billijk", "matigen", "verzoek", "toegewezen", "afgewezen",
    "gedeeltelijk", "gegrond", "ongegrond", "kosteloos", "herstel",
];
/// The parts of the vocabulary's compounds, written as one word as Dutch does: head and tail, or
/// head, middle and tail.
#[rustfmt::skip]
const COMPOUND_HEADS: [&str; 24] = [
    "glasvezel", "internet", "abonnements", "klant", "storings", "factuur", "contract", "modem", "router",
    "telefoon", "nummer", "data", "bundel", "kabel", "netwerk", "mobiel", "prijs", "opzeg", "verhuis",
    "installatie", "aansluit", "service", "betaal", "wifi",
];
#[rustfmt::skip]
const COMPOUND_MIDDLES: [&str; 12] = [
    "dienst", "wijzigings", "meld", "contact", "beheer", "proef", "herstel", "lever", "controle", "klacht", "wacht",
    "keuze",
];
#[rustfmt::skip]
const COMPOUND_TAILS: [&str; 24] = [
    "kosten", "termijn", "melding", "gesprek", "pakket", "verbinding", "wijziging", "tarief", "overzicht", "kaart",
    "adres", "afspraak", "verzoek", "brief", "bevestiging", "regeling", "vergoeding", "datum", "periode", "bedrag",
    "snelheid", "tijd", "code", "status",
];

/// The vocabulary of the generated rulings, with Zipf weights: [`COMMON_WORDS`], then two-part and
/// three-part compounds (7,613 words in all), so that the rarest are in about one 1,500-word ruling
/// in fifty.
pub(crate) struct RulingProse {
    vocabulary: Vec<String>,
    by_rank: rand::distr::weighted::WeightedIndex<f64>,
}

impl RulingProse {
    pub(crate) fn new() -> Self {
        let mut vocabulary: Vec<String> = COMMON_WORDS.iter().map(|word| (*word).to_owned()).collect();
        for head in COMPOUND_HEADS {
            vocabulary.extend(COMPOUND_TAILS.iter().map(|tail| format!("{head}{tail}")));
        }
        for middle in COMPOUND_MIDDLES {
            for head in COMPOUND_HEADS {
                vocabulary.extend(COMPOUND_TAILS.iter().map(|tail| format!("{head}{middle}{tail}")));
            }
        }
        let weights = (1..=vocabulary.len()).map(|rank| 1.0 / rank as f64);
        let by_rank = rand::distr::weighted::WeightedIndex::new(weights).expect("positive weights");
        RulingProse { vocabulary, by_rank }
    }

    /// `words` words in sentences and paragraphs, the same for the same seed; now and then a date or
    /// an amount, whose numbers are the rarest words of an index.
    pub(crate) fn write(&self, text: &mut String, seed: u64, words: usize) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        let (mut written, mut in_sentence, mut sentences) = (0, 0, 0);
        let mut sentence_length = rng.random_range(6..=18);
        while written < words {
            let word = &self.vocabulary[rng.sample(&self.by_rank)];
            if in_sentence == 0 {
                let mut letters = word.chars();
                text.extend(letters.next().map(|first| first.to_ascii_uppercase()));
                text.extend(letters);
            } else {
                text.push(' ');
                if rng.random_ratio(1, 60) {
                    let (day, month, cents) = (
                        rng.random_range(1..=28),
                        rng.random_range(1..=12),
                        rng.random_range(500..50_000),
                    );
                    text.push_str(&format!(
                        "op {day:02}-{month:02}-2025 € {},{:02} ",
                        cents / 100,
                        cents % 100
                    ));
                    written += 3;
                }
                text.push_str(word);
            }
            written += 1;
            in_sentence += 1;
            if in_sentence == sentence_length || written >= words {
                text.push('.');
                (in_sentence, sentence_length) = (0, rng.random_range(6..=18));
                sentences += 1;
                text.push_str(if sentences % 7 == 0 { "\n\n" } else { " " });
            }
        }
        text.truncate(text.trim_end().len());
    }
}

fn batches(total: usize, size: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..total.div_ceil(size)).map(move |b| (b * size, ((b + 1) * size).min(total)))
}

/// Every state in turn, starting with mediation (so case 0, whose page is measured, is open with
/// a thread and actions).
fn state_of_case(i: usize) -> CaseState {
    let all = CaseState::ALL;
    let start = all.iter().position(|s| *s == CaseState::Mediation).unwrap_or(0);
    all[(start + i) % all.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    #[test]
    fn a_ruling_without_prose_is_the_two_sentences_of_the_short_register() {
        let prose = RulingProse::new();
        assert_eq!(
            ruling_text(&prose, 7, "een defecte modem", "Het modem werkte niet.", 0),
            "De consument klaagt over een defecte modem. Het modem werkte niet. De aanbieder betwist dat. \
             De commissie overweegt de feiten en beslist zoals hieronder staat."
        );
    }

    #[test]
    fn the_prose_has_the_words_asked_in_sentences_and_is_the_same_for_the_same_ruling() {
        let prose = RulingProse::new();
        let mut text = String::new();
        prose.write(&mut text, 42, 1_500);
        let words = words_of(&text);
        // Dates and amounts count as three words but are four or five tokens.
        assert!((1_500..1_600).contains(&words.len()), "{} words", words.len());
        assert!(text.ends_with('.'), "{text}");
        assert!(text.contains("\n\n"), "paragraphs");
        assert!(text.chars().next().is_some_and(char::is_uppercase));

        let mut again = String::new();
        prose.write(&mut again, 42, 1_500);
        assert_eq!(text, again);
        let mut other = String::new();
        prose.write(&mut other, 43, 1_500);
        assert_ne!(text, other);
    }

    #[test]
    fn common_words_are_in_every_long_ruling_and_the_tail_in_few() {
        let prose = RulingProse::new();
        let texts: Vec<std::collections::HashSet<String>> = (0..200)
            .map(|seed| {
                let mut text = String::new();
                prose.write(&mut text, seed, 1_500);
                words_of(&text).into_iter().collect()
            })
            .collect();
        let share = |word: &str| texts.iter().filter(|words| words.contains(word)).count();
        assert_eq!(share("de"), 200);
        assert!(share("consument") > 180, "consument in {} of 200", share("consument"));
        let tail = prose.vocabulary.last().expect("a vocabulary");
        assert!(share(tail) < 20, "{tail} in {} of 200", share(tail));
        let distinct: std::collections::HashSet<&String> = texts.iter().flatten().collect();
        assert!(distinct.len() > 5_000, "{} different words", distinct.len());
        let per_text = texts.iter().map(|words| words.len()).sum::<usize>() / texts.len();
        assert!((300..900).contains(&per_text), "{per_text} different words a ruling");
    }
}
