//! The secretariat's yearly ADR report: `/secretariaat/jaarverslag?scheme=TEL&year=2025`
//! (a page with charts) and `/secretariaat/jaarverslag.csv` (the same figures). A period
//! other than a calendar year may be given with `from` and `until` (the first day after).

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdrReport, ReportTally, to_csv};
use crate::accounts::identity::CurrentUser;
use crate::policy::{self, Actor};
use crate::registry::scheme_list::SchemeName;
use crate::statistics::queries::{self, Filter, HISTORY_CHUNK};
use crate::statistics::svg::{Bar, bar_chart};
use crate::statistics::{Share, tenths_text};
use crate::web::error::{AppError, AppResult};
use crate::web::page::PageContext;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(report_page).service(report_csv);
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportQuery {
    scheme: String,
    year: String,
    from: String,
    until: String,
}

/// The period asked for: `from`/`until` when both are dates, else the year (default: last year).
fn period(query: &ReportQuery, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    if let (Some(from), Some(until)) = (date(&query.from), date(&query.until)) {
        return (from < until && (until - from).num_days() <= 3660).then_some((from, until));
    }
    let year: i32 = if query.year.trim().is_empty() {
        today.year() - 1
    } else {
        query.year.trim().parse().ok().filter(|y| (2000..=2200).contains(y))?
    };
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
    ))
}

async fn load(
    page: &PageContext,
    query: &ReportQuery,
) -> AppResult<(Vec<(String, String)>, Option<(String, String, AdrReport)>)> {
    let (from, until) = period(query, Utc::now().date_naive())
        .ok_or_else(|| AppError::BadRequest("year, or from and until (YYYY-MM-DD), must be a period".into()))?;
    let code = query.scheme.trim().to_ascii_uppercase();
    let scheme_list = page.data().schemes.clone();
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> AppResult<_> {
            let (all, found) = scheme_list.with_code(conn, &code, now)?;
            let list = all.iter().map(|s| (s.code.clone(), s.name.clone())).collect();
            let Some(SchemeName {
                id: scheme_id,
                code,
                name,
            }) = found
            else {
                return Ok((list, None));
            };
            let mut tally = ReportTally::new(from, until);
            queries::for_each_history(
                conn,
                Filter {
                    provider_id: None,
                    scheme_id: Some(scheme_id),
                    from: from.and_hms_opt(0, 0, 0).expect("midnight"),
                    until: until.and_hms_opt(0, 0, 0).expect("midnight"),
                },
                HISTORY_CHUNK,
                |case| tally.add_case(&case),
            )?;
            Ok((list, Some((code, name, tally.finish()))))
        })
        .await
}

fn share_view(page: &PageContext, prefix: &str, rows: &[(String, Share)]) -> Vec<Value> {
    rows.iter()
        .map(|(key, share)| {
            json!({ "label": label(page, prefix, key), "count": share.count, "share": share.percent_text() })
        })
        .collect()
}

/// The translation of a code when there is one (`refusal-ground-filing_limit`), else the code.
fn label(page: &PageContext, prefix: &str, key: &str) -> String {
    let translated = page.t(&format!("{prefix}{key}"));
    if translated.is_empty() || translated.starts_with(prefix) {
        key.to_owned()
    } else {
        translated
    }
}

fn chart(
    page: &PageContext,
    id: &str,
    title_key: &str,
    prefix: &str,
    rows: &[(String, u64)],
    total: Option<u64>,
) -> String {
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(key, count)| Bar {
            label: label(page, prefix, key),
            value: *count as f64,
            text: match total {
                Some(of) => format!("{count} ({})", Share { count: *count, of }.percent_text()),
                None => count.to_string(),
            },
            highlight: false,
        })
        .collect();
    bar_chart(id, &page.t(title_key), &bars, None)
}

#[get("/secretariaat/jaarverslag")]
async fn report_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_see_all_cases(&Actor::from(&signed_in)))?;
    let query = query.into_inner();
    let (schemes, found) = load(&page, &query).await?;
    let schemes: Vec<Value> = schemes
        .iter()
        .map(|(c, n)| json!({ "code": c, "name": n, "selected": found.as_ref().is_some_and(|(code, _, _)| code == c) }))
        .collect();
    let Some((code, name, r)) = found else {
        return page.render(
            "pages/report",
            json!({ "schemes": schemes, "report": null, "values": { "year": query.year, "from": query.from, "until": query.until } }),
        );
    };
    let grounds: Vec<(String, u64)> = r.refusal_grounds.iter().map(|(k, s)| (k.clone(), s.count)).collect();
    let reasons: Vec<(String, u64)> = r
        .discontinued_reasons
        .iter()
        .map(|(k, s)| (k.clone(), s.count))
        .collect();
    let csv_href = format!(
        "/secretariaat/jaarverslag.csv?scheme={code}&from={}&until={}",
        r.from, r.until
    );
    page.render(
        "pages/report",
        json!({
            "schemes": schemes,
            "values": { "year": query.year, "from": query.from, "until": query.until },
            "report": {
                "scheme": name,
                "from": r.from.format("%d-%m-%Y").to_string(),
                "until": (r.until - chrono::TimeDelta::days(1)).format("%d-%m-%Y").to_string(),
                "received": r.received,
                "by_category": r.by_category.iter().map(|(k, n)| json!({ "label": label(&page, "category-", k), "count": n })).collect::<Vec<_>>(),
                "refused": r.refused.count,
                "refused_share": r.refused.percent_text(),
                "grounds": share_view(&page, "report-ground-", &r.refusal_grounds),
                "ended": r.ended,
                "discontinued": r.discontinued.count,
                "discontinued_share": r.discontinued.percent_text(),
                "reasons": share_view(&page, "report-reason-", &r.discontinued_reasons),
                "outcomes": r.outcomes.iter().map(|(k, n)| json!({ "label": label(&page, "report-outcome-", k), "count": n })).collect::<Vec<_>>(),
                "duration_cases": r.duration_cases,
                "average_days": tenths_text(r.average_days_tenths),
                "median_days": r.median_days.map_or_else(|| "–".to_owned(), |d| d.to_string()),
                "complied": r.complied.count,
                "complied_of": r.complied.of,
                "complied_share": r.complied.percent_text(),
                "csv_href": csv_href,
                "charts": {
                    "categories": chart(&page, "report-categories", "report-received-types", "category-", &r.by_category, Some(r.received)),
                    "grounds": chart(&page, "report-grounds", "report-refusals-per-ground", "report-ground-", &grounds, Some(r.refused.count)),
                    "reasons": chart(&page, "report-reasons", "report-discontinued-why", "report-reason-", &reasons, Some(r.discontinued.count)),
                    "outcomes": chart(&page, "report-outcomes", "report-outcomes", "report-outcome-", &r.outcomes, None),
                },
            },
        }),
    )
}

#[get("/secretariaat/jaarverslag.csv")]
async fn report_csv(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_see_all_cases(&Actor::from(&signed_in)))?;
    let query = query.into_inner();
    let (_, found) = load(&page, &query).await?;
    let (code, _, report) = found.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"adr-{code}-{}-{}.csv\"",
                report.from, report.until
            ),
        ))
        .body(to_csv(&report, &code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_a_year_or_two_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let q = |year: &str, from: &str, until: &str| ReportQuery {
            scheme: String::new(),
            year: year.into(),
            from: from.into(),
            until: until.into(),
        };
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(period(&q("", "", ""), today), Some((d(2025, 1, 1), d(2026, 1, 1))));
        assert_eq!(period(&q("2024", "", ""), today), Some((d(2024, 1, 1), d(2025, 1, 1))));
        assert_eq!(
            period(&q("", "2026-01-01", "2026-07-01"), today),
            Some((d(2026, 1, 1), d(2026, 7, 1)))
        );
        assert_eq!(period(&q("", "2026-07-01", "2026-01-01"), today), None);
        assert_eq!(period(&q("20x4", "", ""), today), None);
    }
}
