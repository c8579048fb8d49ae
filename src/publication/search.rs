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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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

    /// Best match first: a word search sorted by relevance, whose pages are cut from one ranking.
    pub fn is_ranked(&self) -> bool {
        self.has_words() && self.sort == Sort::Relevance
    }

    /// The same search on its first page: what its ranking is kept under, one for all its pages.
    pub fn first_page(&self) -> Search {
        Search {
            page: 1,
            ..self.clone()
        }
    }

    /// How many whole words of the index each typed word may stand for: an equal share of
    /// [`WORDS_PER_SEARCH`], at least one.
    pub fn words_per_typed_word(&self) -> usize {
        (WORDS_PER_SEARCH / self.words.len().max(1)).max(1)
    }

    /// The FTS5 `MATCH` expression: every word must occur in the summary or the text, as a word or
    /// the start of one (FTS5 has no Dutch stemmer; a prefix finds "betaling" for "betaal"), and the
    /// filters as words of the index's `facets` column (migrations 000010 and 000015 write them), so
    /// that FTS5 applies the filters while it walks: the provider as a word of its own, the other
    /// filters together as the one word of their combination. Words are quoted, so FTS5 operators
    /// typed by a visitor are plain text. The scheme is filtered by its id (`scheme_id`), which the
    /// caller looks up by code.
    ///
    /// `whole_words` holds, for each of [`Search::words`], the words of the index it stands for
    /// ([`WholeWords`]): they are searched as `("internet" OR "internetaansluiting")`, which FTS5
    /// walks lazily, where a prefix query first merges the lists of all the words it stands for. A
    /// word without them is searched as a prefix, as FTS5 reads it.
    pub fn fts5_match(&self, scheme_id: Option<i64>, whole_words: &[WholeWords]) -> Option<String> {
        if self.words.is_empty() {
            return None;
        }
        let quoted = |word: &str| format!("\"{}\"", word.replace('"', "\"\""));
        let words: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, typed)| match whole_words.get(i) {
                Some(found) if !found.words.is_empty() => {
                    let words: Vec<String> = found.words.iter().map(|w| quoted(&w.word)).collect();
                    format!("({})", words.join(" OR "))
                }
                _ => format!("{}*", quoted(typed)),
            })
            .collect();
        // The scheme, category, year and outcome filtered by are one word of the index, their parts
        // in that order (migration 000015): FTS5 then intersects the words with one list that holds
        // just the rulings passing them all, instead of stepping through a list per filter.
        let without_underscores = |code: &str| code.replace('_', "");
        let combination: String = [
            scheme_id.map(|id| format!("scheme{id}")),
            self.category
                .as_ref()
                .map(|c| format!("category{}", without_underscores(c))),
            self.year.map(|year| format!("year{year}")),
            self.outcome
                .as_ref()
                .map(|o| format!("outcome{}", without_underscores(o))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut facets = Vec::new();
        if !combination.is_empty() {
            facets.push(combination);
        }
        if let Some(provider) = self.provider_id {
            facets.push(format!("provider{provider}"));
        }
        // FTS5 reads a space as AND only between phrases, not between parenthesised groups.
        let words = format!("{{summary body}} : ({})", words.join(" AND "));
        Some(if facets.is_empty() {
            words
        } else {
            format!("{words} AND facets : ({})", facets.join(" "))
        })
    }
}

/// A search looks for at most this many whole words of the register's index, shared among the
/// words typed (24 for one word, 12 each for two, ...; [`Search::words_per_typed_word`]): for each
/// typed word the word itself if the index has it, then its most frequent continuations. FTS5 seeks
/// each word searched in every segment of the index and compares their cursors at every match it
/// hands out (75–130 µs a word at 1,000,000 cases, docs/PERFORMANCE.md item 10), so the bound keeps a
/// short prefix ("ver") from costing more than the prefix query it replaces. What is left out are
/// the rarest continuations, which lose the fewest rulings, and the page says so.
pub const WORDS_PER_SEARCH: usize = 24;

/// The words of the register's index that a typed word stands for (SQLite).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WholeWords {
    /// The typed word itself if the index has it, then the others from most to least frequent.
    pub words: Vec<IndexWord>,
    /// The index has more words that start with the typed one than were kept.
    pub cut: bool,
}

/// A word of the register's index and the number of published rulings that have it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexWord {
    pub word: String,
    pub rulings: i64,
}

/// For the ranking (`register_rank`, SQLite): the number of rulings that have each phrase of
/// [`Search::fts5_match`]'s expression, in its order, comma-separated; the filters' phrases come last
/// and weigh nothing, so they are left out. `None` when a word is searched as a prefix (none of its
/// whole words is known), whose rulings only FTS5's `bm25` can count.
pub fn phrase_rulings(whole_words: &[WholeWords]) -> Option<String> {
    if whole_words.iter().any(|found| found.words.is_empty()) {
        return None;
    }
    let counts: Vec<String> = whole_words
        .iter()
        .flat_map(|found| found.words.iter().map(|w| w.rulings.to_string()))
        .collect();
    Some(counts.join(","))
}

/// The most words of a search that PostgreSQL looks up through the register's postings
/// ([`conjoined_lexemes`]); a search of more distinct words is matched through the rulings' vectors.
/// Each word is a join of the postings twice (matching, then its entry for the rank).
pub const POSTED_WORDS_PER_SEARCH: usize = 6;

/// The words (lexemes) of a PostgreSQL text-search query as it prints (`websearch_to_tsquery(…)::text`),
/// when the query is only words joined by AND: `'storing' & 'internet'` gives both, each once, in
/// order; an empty query gives none (it matches nothing). `None` for any other shape (OR, NOT, a
/// phrase, a prefix, a weight, a quote or backslash inside a word, or more than
/// [`POSTED_WORDS_PER_SEARCH`] words): those searches are matched through the rulings' vectors.
pub fn conjoined_lexemes(query: &str) -> Option<Vec<String>> {
    let mut lexemes: Vec<String> = Vec::new();
    let query = query.trim();
    if query.is_empty() {
        return Some(lexemes);
    }
    for operand in query.split(" & ") {
        let word = operand.strip_prefix('\'')?.strip_suffix('\'')?;
        if word.is_empty() || word.contains(['\'', '\\']) {
            return None;
        }
        if !lexemes.iter().any(|known| known == word) {
            lexemes.push(word.to_owned());
        }
    }
    (lexemes.len() <= POSTED_WORDS_PER_SEARCH).then_some(lexemes)
}

/// A typed word as the index's tokenizer writes its words (`unicode61 remove_diacritics 2`): lower
/// case, without diacritics ("Zoë" → "zoe", "Łódź" → "łodz"), to look it up among them.
pub fn as_indexed(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    word.to_lowercase().nfd().filter(|c| !is_combining_mark(*c)).collect()
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
    fn a_query_of_words_joined_by_and_gives_its_words_once_each() {
        assert_eq!(conjoined_lexemes("'internet'"), Some(vec!["internet".to_owned()]));
        assert_eq!(
            conjoined_lexemes("'storing' & 'internet' & 'storing'"),
            Some(vec!["storing".to_owned(), "internet".to_owned()])
        );
        assert_eq!(conjoined_lexemes("'abc123' & 'x2y'").map(|words| words.len()), Some(2));
        // Only stop words: a query without words, which matches nothing.
        assert_eq!(conjoined_lexemes(""), Some(Vec::new()));
    }

    #[test]
    fn any_other_query_shape_is_left_to_the_vectors() {
        for query in [
            "'storing' & 'internet' | 'factur'",
            "'storing' & !'internet'",
            "'wifi' <-> 'router'",
            "'factur':*",
            "'factur':AB",
            "'it''s'",
            "'a\\b'",
            "''",
            "storing",
            "'storing' &  'internet'",
        ] {
            assert_eq!(conjoined_lexemes(query), None, "{query}");
        }
    }

    #[test]
    fn more_words_than_are_looked_up_through_the_postings_are_left_to_the_vectors() {
        let words = |n: usize| (0..n).map(|i| format!("'w{i}'")).collect::<Vec<_>>().join(" & ");
        assert_eq!(
            conjoined_lexemes(&words(POSTED_WORDS_PER_SEARCH)).map(|words| words.len()),
            Some(POSTED_WORDS_PER_SEARCH)
        );
        assert_eq!(conjoined_lexemes(&words(POSTED_WORDS_PER_SEARCH + 1)), None);
    }

    #[test]
    fn words_are_lowercased_and_stripped_of_search_syntax() {
        let search = parse(&RawSearch {
            q: "Storing \"OR\" NEAR(glasvezel*) -kosten".into(),
            ..RawSearch::default()
        });
        assert_eq!(search.words, ["storing", "or", "near", "glasvezel", "kosten"]);
        assert_eq!(search.words_per_typed_word(), 4);
        assert_eq!(
            search.fts5_match(None, &[]).unwrap(),
            "{summary body} : (\"storing\"* AND \"or\"* AND \"near\"* AND \"glasvezel\"* AND \"kosten\"*)"
        );
    }

    #[test]
    fn the_filters_are_one_word_of_the_facets_column_and_the_provider_another() {
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
            search.fts5_match(Some(3), &[]).unwrap(),
            "{summary body} : (\"storing\"*) AND facets : (scheme3categoryoutagespeedyear2026outcomepartlyupheld provider12)"
        );
        let two = parse(&RawSearch {
            q: "storing".into(),
            category: "billing".into(),
            outcome: "not_admissible".into(),
            ..RawSearch::default()
        });
        assert_eq!(
            two.fts5_match(None, &[]).unwrap(),
            "{summary body} : (\"storing\"*) AND facets : (categorybillingoutcomenotadmissible)"
        );
    }

    #[test]
    fn an_empty_query_has_no_match_expression_and_sorts_by_date() {
        let search = parse(&RawSearch::default());
        assert!(search.fts5_match(None, &[]).is_none());
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

    #[test]
    fn each_word_is_searched_as_the_whole_words_it_stands_for() {
        let search = parse(&RawSearch {
            q: "internet storing zoë".into(),
            year: "2026".into(),
            ..RawSearch::default()
        });
        let found = |words: &[(&str, i64)]| WholeWords {
            words: words
                .iter()
                .map(|(word, rulings)| IndexWord {
                    word: word.to_string(),
                    rulings: *rulings,
                })
                .collect(),
            cut: false,
        };
        let internet = found(&[("internet", 40), ("internetaansluiting", 3)]);
        let storing = found(&[("storing", 12)]);
        assert_eq!(
            search
                .fts5_match(None, &[internet.clone(), storing.clone(), found(&[])])
                .unwrap(),
            "{summary body} : ((\"internet\" OR \"internetaansluiting\") AND (\"storing\") AND \"zoë\"*) AND facets : (year2026)"
        );
        // The ranking is told how many rulings have each phrase, in the expression's order; not
        // when a word is searched as a prefix.
        assert_eq!(
            phrase_rulings(&[internet.clone(), storing.clone()]).as_deref(),
            Some("40,3,12")
        );
        assert_eq!(phrase_rulings(&[internet, storing, found(&[])]), None);
    }

    #[test]
    fn a_typed_word_is_looked_up_as_the_tokenizer_writes_it() {
        assert_eq!(as_indexed("Zoëtel"), "zoetel");
        assert_eq!(as_indexed("CAFÉ"), "cafe");
        assert_eq!(as_indexed("Łódź"), "łodz");
        assert_eq!(as_indexed("zażółć"), "zazołc");
        assert_eq!(as_indexed("straße"), "straße");
    }
}
