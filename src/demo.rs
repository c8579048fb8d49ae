//! Demo data for trying the portal: the three schemes with their default rules,
//! twenty fictional providers with memberships (some lapsed, some not yet valid), one
//! account per role, and cases spread over the states. All names are invented.

use chrono::{NaiveDate, TimeDelta, Utc};

use crate::accounts::{self, Role, password};
use crate::cases::{self, ImportedCase};
use crate::db::{Database, StorageError};
use crate::registry::{self, NewMembership, NewProvider, NewScheme, rules::SchemeRules};

pub struct DemoAccount {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
}

pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub providers: usize,
    pub cases: usize,
}

/// (legal name, trade names, KvK, city, telecom membership, ICT membership, ICTWaarborg membership)
/// Membership tuples: (from, until, status), dates as (year, month, day).
type Period = Option<((i32, u32, u32), Option<(i32, u32, u32)>, &'static str)>;
const PROVIDERS: [(&str, &str, &str, &str, Period, Period, Period); 20] = [
    (
        "Glasvezel Noord B.V.",
        "NoordNet",
        "60000011",
        "Groningen",
        Some(((2015, 1, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Kabelnet Delta B.V.",
        "DeltaKabel; Delta TV",
        "60000022",
        "Middelburg",
        Some(((2012, 6, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Snelweb Internet B.V.",
        "Snelweb",
        "60000033",
        "Utrecht",
        Some(((2025, 4, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Zoëtel Mobiel B.V.",
        "Zoëtel",
        "60000044",
        "Amsterdam",
        Some(((2010, 1, 1), Some((2024, 12, 31)), "ended")),
        None,
        None,
    ),
    (
        "Polder Telecom N.V.",
        "PolderTel",
        "60000055",
        "Lelystad",
        Some(((2018, 3, 1), None, "certified")),
        Some(((2018, 3, 1), None, "certified")),
        None,
    ),
    (
        "Webhosting Veluwe B.V.",
        "VeluweHost",
        "60000066",
        "Apeldoorn",
        None,
        Some(((2019, 1, 1), None, "certified")),
        None,
    ),
    (
        "Act Webdiensten B.V.",
        "ActWeb",
        "60000077",
        "Den Haag",
        None,
        Some(((2016, 9, 1), None, "certified")),
        Some(((2016, 9, 1), None, "certified")),
    ),
    (
        "PC Hulp aan Huis B.V.",
        "PC Hulp",
        "60000088",
        "Eindhoven",
        None,
        None,
        Some(((2020, 1, 1), None, "certified")),
    ),
    (
        "Computerwinkel Brabant B.V.",
        "CompuBrabant",
        "60000099",
        "Tilburg",
        None,
        None,
        Some(((2017, 5, 1), None, "on_hold")),
    ),
    (
        "Laptopdokter Zuid B.V.",
        "Laptopdokter",
        "60000101",
        "Maastricht",
        None,
        None,
        Some(((2027, 1, 1), None, "certified")),
    ),
    (
        "Mobiel Voordeel B.V.",
        "BelVoordeel",
        "60000112",
        "Rotterdam",
        Some(((2014, 2, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Dorpsnet Coöperatie U.A.",
        "Dorpsnet",
        "60000123",
        "Winterswijk",
        Some(((2021, 7, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Stadsglas B.V.",
        "Stadsglas",
        "60000134",
        "Leiden",
        Some(((2026, 12, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Netwerkbeheer Oost B.V.",
        "NetOost",
        "60000145",
        "Enschede",
        None,
        Some(((2015, 1, 1), Some((2023, 6, 30)), "ended")),
        None,
    ),
    (
        "Satelliet Thuis B.V.",
        "SatThuis",
        "60000156",
        "Zwolle",
        Some(((2013, 1, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Fiberplus Nederland B.V.",
        "Fiberplus",
        "60000167",
        "Amersfoort",
        Some(((2019, 10, 1), None, "certified")),
        None,
        None,
    ),
    (
        "Printer & Pixel B.V.",
        "PrintPixel",
        "60000178",
        "Haarlem",
        None,
        None,
        Some(((2022, 3, 1), None, "certified")),
    ),
    (
        "Cloudopslag Holland B.V.",
        "CloudHolland",
        "60000189",
        "Almere",
        None,
        Some(((2020, 2, 1), None, "certified")),
        None,
    ),
    (
        "Telefonie Friesland B.V.",
        "FryskBel",
        "60000190",
        "Leeuwarden",
        Some(((2016, 1, 1), Some((2025, 8, 31)), "ended")),
        None,
        None,
    ),
    (
        "Smart Home Service B.V.",
        "SmartThuis",
        "60000201",
        "Nijmegen",
        None,
        Some(((2023, 1, 1), None, "certified")),
        Some(((2023, 1, 1), None, "certified")),
    ),
];

const ACCOUNTS: [(Role, &str, &str, &str); 6] = [
    (
        Role::Consumer,
        "consument@demo.geschillenportaal.nl",
        "Demo Consument",
        "demo-consument-2026",
    ),
    (
        Role::ProviderStaff,
        "medewerker@noordnet.demo.geschillenportaal.nl",
        "Demo Medewerker NoordNet",
        "demo-aanbieder-2026",
    ),
    (
        Role::Mediator,
        "bemiddelaar@demo.geschillenportaal.nl",
        "Demo Bemiddelaar",
        "demo-bemiddelaar-2026",
    ),
    (
        Role::Secretariat,
        "secretariaat@demo.geschillenportaal.nl",
        "Demo Secretariaat",
        "demo-secretariaat-2026",
    ),
    (
        Role::Admin,
        "beheer@demo.geschillenportaal.nl",
        "Demo Beheerder",
        "demo-beheerder-2026",
    ),
    (
        Role::Consumer,
        "tweede.consument@demo.geschillenportaal.nl",
        "Tweede Consument",
        "demo-consument-twee-2026",
    ),
];

/// (state, category, days since submission, claim cents)
const CASES: [(&str, &str, i64, Option<i64>); 12] = [
    ("submitted", "billing", 2, Some(12_550)),
    ("information_requested", "contract_switching", 10, Some(30_000)),
    ("awaiting_fee", "outage_speed", 12, Some(45_000)),
    ("awaiting_defence", "outage_speed", 20, Some(24_000)),
    ("awaiting_reply", "billing", 45, Some(8_999)),
    ("mediation", "customer_service", 60, None),
    ("hearing_scheduled", "contract_switching", 80, Some(150_000)),
    ("ruled", "billing", 100, Some(36_000)),
    ("settled", "outage_speed", 70, Some(10_000)),
    ("in_compliance", "billing", 110, Some(20_000)),
    ("closed", "privacy", 200, None),
    ("withdrawn", "billing", 30, Some(5_000)),
];

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid demo date")
}

/// Loads the demo data if there are no schemes yet; `None` when the database had data.
pub fn load_if_empty(db: &Database) -> Result<Option<DemoReport>, StorageError> {
    let mut conn = db.get()?;
    if !registry::all_schemes(&mut conn)?.is_empty() {
        return Ok(None);
    }
    let now = Utc::now().naive_utc();
    let today = now.date();
    // Hash outside the transaction: argon2 is slow on purpose.
    let hashes: Vec<String> = ACCOUNTS
        .iter()
        .map(|(_, _, _, pw)| password::hash_password(pw))
        .collect();
    let report = crate::db::write_transaction(&mut conn, |conn| -> Result<DemoReport, StorageError> {
        let since = date((2000, 1, 1));
        let telecom = registry::create_scheme(
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
        let ict = registry::create_scheme(
            conn,
            NewScheme {
                code: "ICT",
                name: "De Geschillencommissie ICT",
                languages: "nl,en",
                reference_prefix: "ICT",
            },
            &SchemeRules::commission_defaults(),
            since,
            now,
        )?;
        let waarborg = registry::create_scheme(
            conn,
            NewScheme {
                code: "ICTW",
                name: "ICTWaarborg bemiddeling",
                languages: "nl",
                reference_prefix: "ICTW",
            },
            &SchemeRules::mediation_defaults(),
            since,
            now,
        )?;
        let telecom_guarantor = registry::create_guarantor(
            conn,
            "Stichting Garantiefonds Telecom (fictief)",
            "trade_association",
            "garantie@telecomfonds.demo.geschillenportaal.nl",
            now,
        )?;
        let ict_guarantor = registry::create_guarantor(
            conn,
            "Vereniging ICT-Ondernemers (fictief)",
            "trade_association",
            "garantie@ict-ondernemers.demo.geschillenportaal.nl",
            now,
        )?;

        let mut provider_ids = Vec::new();
        for (legal_name, trade_names, kvk, city, tel, ict_membership, waarborg_membership) in PROVIDERS {
            let provider_id = registry::create_provider(
                conn,
                NewProvider {
                    kvk_number: kvk,
                    legal_name,
                    trade_names,
                    street: "Voorbeeldstraat 1",
                    postcode: "1234 AB",
                    city,
                    website: "",
                    complaint_email: "klachten@aanbieder.demo.geschillenportaal.nl",
                },
                now,
            )?;
            provider_ids.push(provider_id);
            for (scheme_id, guarantor, membership) in [
                (telecom, Some(telecom_guarantor), tel),
                (ict, Some(ict_guarantor), ict_membership),
                (waarborg, None, waarborg_membership),
            ] {
                if let Some((from, until, status)) = membership {
                    registry::create_membership(
                        conn,
                        NewMembership {
                            provider_id,
                            scheme_id,
                            valid_from: date(from),
                            valid_until: until.map(date),
                            via: if guarantor.is_some() {
                                "trade_association"
                            } else {
                                "direct"
                            },
                            guarantor_id: guarantor,
                            status,
                        },
                        now,
                    )?;
                }
            }
        }

        let mut account_ids = Vec::new();
        for ((role, email, name, _), hash) in ACCOUNTS.iter().zip(&hashes) {
            let provider = (*role == Role::ProviderStaff).then_some(provider_ids[0]);
            account_ids.push(
                accounts::insert_user(conn, email, name, hash, *role, provider, "nl", Some(now), now).map_err(|e| {
                    match e {
                        accounts::AccountError::Storage(s) => s,
                        other => StorageError::Migration(other.to_string()),
                    }
                })?,
            );
        }

        let rules = registry::rules_in_force(conn, telecom, today)?.expect("rules were just created");
        let consumers = [account_ids[0], account_ids[5]];
        let telecom_members = [provider_ids[0], provider_ids[1], provider_ids[4], provider_ids[10]];
        for (i, (state, category, days_ago, claim)) in CASES.iter().enumerate() {
            let submitted = now - TimeDelta::days(*days_ago);
            let complete = !matches!(*state, "submitted" | "information_requested" | "awaiting_fee");
            let complete_on = complete.then(|| submitted.date() + TimeDelta::days(7));
            cases::import_case(
                conn,
                ImportedCase {
                    scheme_id: telecom,
                    reference_prefix: "TEL",
                    rules_id: rules.id,
                    consumer_id: consumers[i % 2],
                    provider_id: telecom_members[i % telecom_members.len()],
                    category,
                    language: "nl",
                    state,
                    state_due_on: matches!(
                        *state,
                        "awaiting_defence"
                            | "awaiting_reply"
                            | "information_requested"
                            | "awaiting_fee"
                            | "in_compliance"
                    )
                    .then(|| today + TimeDelta::days(10 + i as i64)),
                    contract_date: Some(date((2023, 1 + (i as u32 % 12), 15))),
                    written_complaint_date: submitted.date() - TimeDelta::days(40),
                    written_complaint_channel: "registered_letter",
                    claim_cents: *claim,
                    desired_outcome: "Terugbetaling van de te veel betaalde maanden en kosteloze beëindiging.",
                    description: "De internetverbinding valt al maanden 's avonds weg. Na telefoontjes en een aangetekende brief kwam er geen oplossing.",
                    fee_cents: rules.complaint_fee_cents,
                    fee_status: if *state == "awaiting_fee"
                        || *state == "submitted"
                        || *state == "information_requested"
                    {
                        "due"
                    } else {
                        "paid"
                    },
                    complete_on,
                    outcome_due_on: complete_on.map(|d| d + TimeDelta::days(90)),
                    submitted_at: submitted,
                },
                account_ids.get(3).copied(),
                now,
            )?;
        }
        Ok(DemoReport {
            accounts: ACCOUNTS
                .iter()
                .map(|(role, email, _, password)| DemoAccount {
                    role: *role,
                    email,
                    password,
                })
                .collect(),
            providers: PROVIDERS.len(),
            cases: CASES.len(),
        })
    })?;
    Ok(Some(report))
}

/// Prints the demo accounts so a newcomer can sign in straight away.
pub fn print_report(report: Option<&DemoReport>) {
    let Some(report) = report else { return };
    println!(
        "Demo data loaded: {} providers, {} cases. Demo accounts (only for trying the portal):",
        report.providers, report.cases
    );
    for account in &report.accounts {
        println!(
            "  {:<15} {:<48} {}",
            account.role.as_str(),
            account.email,
            account.password
        );
    }
}
