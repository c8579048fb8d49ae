//! Public statistics: a page per provider (`/aanbieders/{id}`) with its figures against
//! its sector, a comparison per scheme (`/statistieken?scheme=CODE`), and the block on a
//! provider's dashboard ([`dashboard_block`]). Charts are inline SVG (`super::svg`).

use std::sync::Arc;

use actix_web::{HttpResponse, get, web};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::aggregates;
use super::cache::{Comparison, FiguresCache, SchemeFigures};
use super::queries::{self, Filter, HISTORY_CHUNK};
use super::svg::{Bar, bar_chart};
use super::{Figures, Tally, tenths_text};
use crate::accounts::Role;
use crate::db::schema::{cases, providers};
use crate::db::{self, DbConnection};
use crate::policy::Actor;
use crate::registry::scheme_list::SchemeName;
use crate::web::error::{AppError, AppResult};
use crate::web::page::PageContext;
use crate::web::public_limit::PublicVisit;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(provider_page).service(scheme_page);
}

/// The last 12 months up to `now`.
fn window(now: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    (now - TimeDelta::days(365), now)
}

/// A provider's figures against its sector's, kept for the hour (`FiguresCache`). With all its
/// cases of the period in one scheme (the usual case), both come from that scheme's figures, which
/// every provider of the scheme shares; otherwise the sector is the schemes together.
pub fn compare(
    conn: &mut DbConnection,
    figures_cache: &FiguresCache,
    provider_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Arc<Comparison>> {
    figures_cache.comparison(provider_id, now, || {
        let (from, until) = window(now);
        let (from_day, until_day) = days(from, until);
        let scheme_ids: Vec<i64> = cases::table
            .filter(cases::provider_id.eq(provider_id))
            .filter(cases::submitted_at.ge(from))
            .select(cases::scheme_id)
            .distinct()
            .load(conn)?;
        if let [scheme_id] = scheme_ids[..] {
            let scheme = figures_cache.scheme(scheme_id, now, || scheme_figures(conn, scheme_id, now))?;
            let provider = scheme
                .providers
                .get(&provider_id)
                .map(|(_, f)| f.clone())
                .unwrap_or_else(|| Tally::new(from_day, until_day).finish());
            return Ok(Comparison {
                provider,
                sector: scheme.total.clone(),
            });
        }
        // The sector's cases hold the provider's own.
        let mut own = Tally::new(from_day, until_day);
        let mut sector = Tally::new(from_day, until_day);
        for scheme_id in scheme_ids {
            let filter = Filter {
                provider_id: None,
                scheme_id: Some(scheme_id),
                from,
                until,
            };
            let scheme = db::snapshot(conn, |conn| {
                aggregates::scheme_tallies(conn, scheme_id, (from, until), (from_day, until_day), HISTORY_CHUNK)
            })?;
            if let Some(tally) = scheme.providers.get(&provider_id) {
                own.merge(tally);
            }
            sector.merge(&scheme.total);
            for (provider, count, sum) in queries::rating_totals(conn, filter)? {
                if provider == provider_id {
                    own.add_ratings(count, sum);
                }
                sector.add_ratings(count, sum);
            }
        }
        Ok(Comparison {
            provider: own.finish(),
            sector: sector.finish(),
        })
    })
}

/// A scheme's figures over the last 12 months: the whole and each provider in it.
pub fn scheme_figures(conn: &mut DbConnection, scheme_id: i64, now: NaiveDateTime) -> QueryResult<SchemeFigures> {
    scheme_figures_in_chunks(conn, scheme_id, now, HISTORY_CHUNK)
}

/// [`scheme_figures`], reading the histories of cases whose aggregates are not current `chunk` at a
/// time (a test reads a few at a time).
pub fn scheme_figures_in_chunks(
    conn: &mut DbConnection,
    scheme_id: i64,
    now: NaiveDateTime,
    chunk: usize,
) -> QueryResult<SchemeFigures> {
    let (from, until) = window(now);
    let filter = Filter {
        provider_id: None,
        scheme_id: Some(scheme_id),
        from,
        until,
    };
    let (from_day, until_day) = days(from, until);
    let (tallies, ratings) = db::snapshot(conn, |conn| {
        let tallies = aggregates::scheme_tallies(conn, scheme_id, (from, until), (from_day, until_day), chunk)?;
        Ok::<_, diesel::result::Error>((tallies, queries::rating_totals(conn, filter)?))
    })?;
    let aggregates::SchemeTallies {
        mut total,
        providers: mut by_provider,
    } = tallies;
    // Every provider with a case or a rating in the window has its figures.
    for (provider, count, sum) in ratings {
        total.add_ratings(count, sum);
        by_provider
            .entry(provider)
            .or_insert_with(|| Tally::new(from_day, until_day))
            .add_ratings(count, sum);
    }
    let ids: Vec<i64> = by_provider.keys().copied().collect();
    let names = queries::provider_names(conn, &ids)?;
    let providers = by_provider
        .into_iter()
        .map(|(id, tally)| {
            let name = names.get(&id).cloned().unwrap_or_default();
            (id, (name, tally.finish()))
        })
        .collect();
    Ok(SchemeFigures {
        total: total.finish(),
        providers,
    })
}

/// The window as days for the figures: from its first day up to and including today.
fn days(from: NaiveDateTime, until: NaiveDateTime) -> (chrono::NaiveDate, chrono::NaiveDate) {
    (from.date(), until.date() + TimeDelta::days(1))
}

fn figures_view(f: &Figures) -> Value {
    json!({
        "cases": f.cases,
        "settled": f.settled.percent_text(),
        "settled_of": f.settled.of,
        "upheld": f.upheld.percent_text(),
        "upheld_of": f.upheld.of,
        "median_days": f.median_days_to_answer.map_or_else(|| "–".to_owned(), |d| d.to_string()),
        "complied": f.complied.percent_text(),
        "complied_of": f.complied.of,
        "rating": tenths_text(f.rating_tenths),
        "ratings": f.ratings,
    })
}

fn percent(share: super::Share) -> f64 {
    share.per_mille().map_or(0.0, |pm| pm as f64 / 10.0)
}

/// The charts of a comparison, with translated labels.
fn comparison_charts(page: &PageContext, c: &Comparison, id: &str) -> Value {
    let own = page.t("statistics-this-provider");
    let sector = page.t("statistics-sector");
    let pair = |label_key: &str, a: super::Share, b: super::Share| {
        let label = page.t(label_key);
        [
            Bar {
                label: format!("{label}: {own}"),
                value: percent(a),
                text: a.percent_text(),
                highlight: true,
            },
            Bar {
                label: format!("{label}: {sector}"),
                value: percent(b),
                text: b.percent_text(),
                highlight: false,
            },
        ]
    };
    let mut shares = Vec::new();
    shares.extend(pair("statistics-settled", c.provider.settled, c.sector.settled));
    shares.extend(pair("statistics-upheld", c.provider.upheld, c.sector.upheld));
    shares.extend(pair("statistics-complied", c.provider.complied, c.sector.complied));
    let days = |f: &Figures, label: &str, highlight: bool| Bar {
        label: label.to_owned(),
        value: f.median_days_to_answer.unwrap_or(0) as f64,
        text: f
            .median_days_to_answer
            .map_or_else(|| "–".to_owned(), |d| format!("{d} {}", page.t("statistics-days"))),
        highlight,
    };
    let rating = |f: &Figures, label: &str, highlight: bool| Bar {
        label: label.to_owned(),
        value: f.rating_tenths.unwrap_or(0) as f64 / 10.0,
        text: tenths_text(f.rating_tenths),
        highlight,
    };
    json!({
        "shares": bar_chart(&format!("{id}-shares"), &page.t("statistics-chart-shares"), &shares, Some(100.0)),
        "days": bar_chart(
            &format!("{id}-days"),
            &page.t("statistics-median-answer"),
            &[days(&c.provider, &own, true), days(&c.sector, &sector, false)],
            None,
        ),
        "rating": bar_chart(
            &format!("{id}-rating"),
            &page.t("statistics-rating"),
            &[rating(&c.provider, &own, true), rating(&c.sector, &sector, false)],
            Some(5.0),
        ),
    })
}

#[get("/aanbieders/{id}")]
async fn provider_page(_: PublicVisit, page: PageContext, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let provider_id = path.into_inner();
    let now = Utc::now().naive_utc();
    let figures_cache = page.data().figures.clone();
    let (name, comparison) = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> {
            let name: String = providers::table
                .find(provider_id)
                .select(providers::legal_name)
                .first(conn)
                .optional()?
                .ok_or(AppError::NotFound)?;
            Ok((name, compare(conn, &figures_cache, provider_id, now)?))
        })
        .await?;
    page.render(
        "pages/statistics/provider",
        json!({
            "provider_id": provider_id,
            "name": name,
            "own": figures_view(&comparison.provider),
            "sector": figures_view(&comparison.sector),
            "charts": comparison_charts(&page, &comparison, "provider"),
        }),
    )
}

/// The block on a provider's dashboard (`null` for everyone else): its figures against the sector.
pub async fn dashboard_block(page: &PageContext, actor: &Actor) -> AppResult<Value> {
    let Some(provider_id) = actor.provider_id.filter(|_| actor.role == Role::ProviderStaff) else {
        return Ok(Value::Null);
    };
    let now = Utc::now().naive_utc();
    let figures_cache = page.data().figures.clone();
    let comparison = match figures_cache.cached_comparison(provider_id, now) {
        Some(comparison) => comparison,
        None => {
            page.data()
                .db
                .run(move |conn| -> AppResult<_> { Ok(compare(conn, &figures_cache, provider_id, now)?) })
                .await?
        }
    };
    Ok(json!({
        "provider_id": provider_id,
        "own": figures_view(&comparison.provider),
        "sector": figures_view(&comparison.sector),
        "charts": comparison_charts(page, &comparison, "dashboard"),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SchemeQuery {
    scheme: String,
}

#[get("/statistieken")]
async fn scheme_page(_: PublicVisit, page: PageContext, query: web::Query<SchemeQuery>) -> AppResult<HttpResponse> {
    let code = query.into_inner().scheme.trim().to_ascii_uppercase();
    let now = Utc::now().naive_utc();
    let figures_cache = page.data().figures.clone();
    let scheme_list = page.data().schemes.clone();
    let (all_schemes, chosen) = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> {
            let (all, found) = scheme_list.with_code(conn, &code, now)?;
            let Some(SchemeName { id: scheme_id, .. }) = found else {
                return Ok((all, None));
            };
            let scheme = figures_cache.scheme(scheme_id, now, || scheme_figures(conn, scheme_id, now))?;
            let mut rows: Vec<(i64, String, Figures)> = scheme
                .providers
                .iter()
                .filter(|(_, (_, f))| f.cases > 0 || f.ratings > 0)
                .map(|(id, (name, f))| (*id, name.clone(), f.clone()))
                .collect();
            rows.sort_by(|a, b| b.2.cases.cmp(&a.2.cases).then_with(|| a.1.cmp(&b.1)));
            let total = scheme.total.clone();
            Ok((all, Some((code.clone(), rows, total))))
        })
        .await?;
    let schemes_view: Vec<Value> = all_schemes
        .iter()
        .map(|s| json!({ "code": s.code, "name": s.name, "selected": chosen.as_ref().is_some_and(|(code, _, _)| *code == s.code) }))
        .collect();
    let Some((code, rows, total)) = chosen else {
        return page.render(
            "pages/statistics/scheme",
            json!({ "schemes": schemes_view, "chosen": false, "rows": [], "total": null, "charts": null, "code": "" }),
        );
    };
    let top: Vec<&(i64, String, Figures)> = rows.iter().take(15).collect();
    let cases_chart = bar_chart(
        "scheme-cases",
        &page.t("statistics-cases"),
        &top.iter()
            .map(|(_, name, f)| Bar {
                label: name.clone(),
                value: f.cases as f64,
                text: f.cases.to_string(),
                highlight: false,
            })
            .collect::<Vec<_>>(),
        None,
    );
    let upheld_chart = bar_chart(
        "scheme-upheld",
        &page.t("statistics-upheld"),
        &top.iter()
            .map(|(_, name, f)| Bar {
                label: name.clone(),
                value: percent(f.upheld),
                text: f.upheld.percent_text(),
                highlight: false,
            })
            .collect::<Vec<_>>(),
        Some(100.0),
    );
    page.render(
        "pages/statistics/scheme",
        json!({
            "schemes": schemes_view,
            "chosen": true,
            "code": code,
            "rows": rows.iter().map(|(id, name, f)| json!({ "id": id, "name": name, "figures": figures_view(f) })).collect::<Vec<_>>(),
            "total": figures_view(&total),
            "charts": { "cases": cases_chart, "upheld": upheld_chart },
        }),
    )
}
