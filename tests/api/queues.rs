//! The dashboards' order across pages: due first, cases without a deadline last, every case once.

use diesel::prelude::*;
use geschillenportaal::cases::queries::{CaseFilter, DueCursor, list_cases};
use geschillenportaal::db::schema::cases;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_provider_queue_pages_by_deadline_with_undated_cases_last_and_every_case_once() {
    let app = spawn_app().await;
    let first = app.seed_case().await.case_id;
    let (provider_id, expected, pages) = app
        .with_db(move |conn| {
            let template = crate::helpers::case_template(conn, first);
            let (scheme_id, rules_id, consumer_id, provider_id) = template;
            let now = chrono::Utc::now().naive_utc();
            let today = now.date();
            for i in 0..29i64 {
                // Some undated, several sharing a date, some overdue.
                let due = (i % 4 != 0).then(|| today + chrono::TimeDelta::days(i % 5 - 2));
                geschillenportaal::cases::import_case(
                    conn,
                    geschillenportaal::cases::ImportedCase {
                        scheme_id,
                        reference_prefix: "TEL",
                        rules_id,
                        consumer_id,
                        provider_id,
                        category: "billing",
                        language: "nl",
                        state: if due.is_some() { "awaiting_defence" } else { "settled" },
                        state_due_on: due,
                        contract_date: None,
                        written_complaint_date: today,
                        written_complaint_channel: "email",
                        claim_cents: None,
                        desired_outcome: "",
                        description: "",
                        fee_cents: 0,
                        fee_status: "waived",
                        complete_on: None,
                        outcome_due_on: None,
                        submitted_at: now,
                    },
                    None,
                    now,
                )
                .unwrap();
            }
            let mut all: Vec<(Option<chrono::NaiveDate>, i64)> = cases::table
                .filter(cases::provider_id.eq(provider_id))
                .select((cases::state_due_on, cases::id))
                .load(conn)
                .unwrap();
            all.sort_by_key(|(due, id)| (due.is_none(), *due, *id));
            let filter = CaseFilter {
                provider_id: Some(provider_id),
                ..CaseFilter::default()
            };
            let mut pages = Vec::new();
            let mut cursor = None;
            loop {
                let page = list_cases(conn, &filter, cursor, 7).unwrap();
                if page.is_empty() {
                    break;
                }
                let last = page.last().unwrap();
                cursor = Some(DueCursor {
                    due: last.state_due_on,
                    id: last.id,
                });
                pages.push(page.iter().map(|c| (c.state_due_on, c.id)).collect::<Vec<_>>());
            }
            (provider_id, all, pages)
        })
        .await;
    assert!(provider_id > 0);
    assert_eq!(expected.len(), 30);
    assert!(pages.iter().all(|p| p.len() <= 7));
    let seen: Vec<_> = pages.concat();
    assert_eq!(
        seen, expected,
        "dated cases by date and id, then undated by id, each once"
    );
    assert!(expected.iter().any(|(d, _)| d.is_none()) && expected.iter().any(|(d, _)| d.is_some()));
}
