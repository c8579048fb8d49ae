//! Reading a search of the public register: the words typed, the filters, the sort and
//! the page. Pure; the queries (`publication::queries`) turn it into SQL per backend.

use serde::{Deserialize, Serialize};

/// Results per page of the register.
pub const PAGE_SIZE: i64 = 20;
/// The register shows at most this many pages of one search: narrow it down with words or
/// filters. Bounded so that an `OFFSET` never walks far (see TRANSPARENCY.md).
pub const MAX_PAGE: i64 = 50;

/// A word search ranks at most this many matches: the newest that pass the filters. Ranking costs
/// a little per match (bm25 on SQLite, `ts_rank` on PostgreSQL), so a word found in a third of the
/// register made every search rank tens of thousands of rulings (7 searches a second with time-outs at
/// 62,500 matches; docs/PERFORMANCE.md). Bounded this way, a search costs the same whatever the word,
/// and it still ranks more than the [`MAX_PAGE`] pages can show. The page and the API say when the
/// bound cut the matches, so a visitor knows to add words or filters. Sorting by date needs no bound:
/// it walks the matches newest first and stops at the page.
pub const RANKED_MATCHES: i64 = 2_000;
const _: () = assert!(RANKED_MATCHES > MAX_PAGE * PAGE_SIZE);

/// The outcomes a ruling can have.
pub const OUTCOMES: [&str; 4] = ["upheld", "partly_upheld", "rejected", "not_admissible"];
/// The categories of complaints (the intake's list).
pub const CATEGORIES: [&str; 7] = [
    "billing",
    "contract_switching",
    "outage_speed",
    "delivered_product",
    "privacy",
    "customer_service",
    "other",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (only with words; otherwise the same as `Date`).
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

/// The query string of `/uitspraken` and `/api/v1/rulings`, as typed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct RawSearch {
    /// Words to find in the summary and the text (Dutch stemming on PostgreSQL, word starts on SQLite).
    pub q: String,
    /// Scheme code, e.g. `TEL`.
    pub scheme: String,
    /// Category code, e.g. `outage_speed`.
    pub category: String,
    /// Year of the ruling.
    pub year: String,
    /// `upheld`, `partly_upheld`, `rejected` or `not_admissible`.
    pub outcome: String,
    /// Provider id (as in `/aanbieders/{id}`).
    pub provider: String,
    /// `relevance` (default, with `q`) or `date` (newest first).
    pub sort: String,
    /// Page, 1 to 50, 20 rulings each.
    pub page: String,
}

/// A search read from [`RawSearch`]; what cannot be read is left out (a public page
/// answers a mistyped filter with all rulings, never an error).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    /// The words, each letters and digits only.
    pub words: Vec<String>,
    /// The text as typed, for PostgreSQL's `websearch_to_tsquery` (which reads any input).
    pub text: String,
    pub scheme: Option<String>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub outcome: Option<String>,
    pub provider_id: Option<i64>,
    pub sort: Sort,
    /// 1-based, at most [`MAX_PAGE`].
    pub page: i64,
}

impl Search {
    pub fn offset(&self) -> i64 {
        (self.page - 1) * PAGE_SIZE
    }

    pub fn has_words(&self) -> bool {
        !self.words.is_empty()
    }

    /// The FTS5 `MATCH` expression: every word must occur in the summary or the text, as a word or
    /// the start of one (FTS5 has no Dutch stemmer; a prefix finds "betaling" for "betaal"), and every
    /// filter as a word of the index's `facets` column (migration 000010 writes them), so that FTS5
    /// applies the filters while it walks. Words are quoted, so FTS5 operators typed by a visitor are
    /// plain text. The scheme is filtered by its id (`scheme_id`), which the caller looks up by code.
    pub fn fts5_match(&self, scheme_id: Option<i64>) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        let words: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"*")).collect();
        let mut facets = Vec::new();
        if let Some(id) = scheme_id {
            facets.push(format!("scheme{id}"));
        }
        let without_underscores = |code: &str| code.replace('_', "");
        if let Some(category) = &self.category {
            facets.push(format!("category{}", without_underscores(category)));
        }
        if let Some(year) = self.year {
            facets.push(format!("year{year}"));
        }
        if let Some(outcome) = &self.outcome {
            facets.push(format!("outcome{}", without_underscores(outcome)));
        }
        if let Some(provider) = self.provider_id {
            facets.push(format!("provider{provider}"));
        }
        let words = format!("{{summary body}} : ({})", words.join(" "));
        Some(if facets.is_empty() {
            words
        } else {
            format!("{words} AND facets : ({})", facets.join(" "))
        })
    }
}

pub fn parse(raw: &RawSearch) -> Search {
    let words: Vec<String> = raw
        .q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(12)
        .collect();
    let known = |value: &str, list: &[&str]| {
        let value = value.trim();
        list.contains(&value).then(|| value.to_owned())
    };
    let scheme = raw.scheme.trim();
    let scheme = (!scheme.is_empty() && scheme.len() <= 16 && scheme.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| scheme.to_ascii_uppercase());
    Search {
        text: words.join(" "),
        words,
        scheme,
        category: known(&raw.category, &CATEGORIES),
        year: raw.year.trim().parse().ok().filter(|y| (1990..=2200).contains(y)),
        outcome: known(&raw.outcome, &OUTCOMES),
        provider_id: raw.provider.trim().parse().ok().filter(|id| *id > 0),
        sort: if raw.sort.trim() == "date" {
            Sort::Date
        } else {
            Sort::Relevance
        },
        page: raw.page.trim().parse().unwrap_or(1).clamp(1, MAX_PAGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_stripped_of_search_syntax() {
        let search = parse(&RawSearch {
            q: "Storing \"OR\" NEAR(glasvezel*) -kosten".into(),
            ..RawSearch::default()
        });
        assert_eq!(search.words, ["storing", "or", "near", "glasvezel", "kosten"]);
        assert_eq!(
            search.fts5_match(None).unwrap(),
            "{summary body} : (\"storing\"* \"or\"* \"near\"* \"glasvezel\"* \"kosten\"*)"
        );
    }

    #[test]
    fn the_filters_are_words_of_the_facets_column() {
        let search = parse(&RawSearch {
            q: "storing".into(),
            scheme: "TEL".into(),
            category: "outage_speed".into(),
            year: "2026".into(),
            outcome: "partly_upheld".into(),
            provider: "12".into(),
            ..RawSearch::default()
        });
        assert_eq!(
            search.fts5_match(Some(3)).unwrap(),
            "{summary body} : (\"storing\"*) AND facets : (scheme3 categoryoutagespeed year2026 outcomepartlyupheld provider12)"
        );
    }

    #[test]
    fn an_empty_query_has_no_match_expression_and_sorts_by_date() {
        let search = parse(&RawSearch::default());
        assert!(search.fts5_match(None).is_none());
        assert_eq!(search.page, 1);
    }

    #[test]
    fn unknown_filters_are_ignored_and_pages_are_bounded() {
        let search = parse(&RawSearch {
            scheme: "tel".into(),
            category: "'; DROP TABLE".into(),
            year: "20x5".into(),
            outcome: "upheld".into(),
            provider: "-3".into(),
            sort: "date".into(),
            page: "9999".into(),
            ..RawSearch::default()
        });
        assert_eq!(search.scheme.as_deref(), Some("TEL"));
        assert_eq!(search.category, None);
        assert_eq!(search.year, None);
        assert_eq!(search.outcome.as_deref(), Some("upheld"));
        assert_eq!(search.provider_id, None);
        assert_eq!(search.sort, Sort::Date);
        assert_eq!(search.page, MAX_PAGE);
        assert_eq!(search.offset(), (MAX_PAGE - 1) * PAGE_SIZE);
    }

    #[test]
    fn letters_with_accents_stay_part_of_a_word() {
        let search = parse(&RawSearch {
            q: "Zoëtel café".into(),
            ..RawSearch::default()
        });
        assert_eq!(search.words, ["zoëtel", "café"]);
    }
}
