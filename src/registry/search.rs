//! Search normalisation, pure: the terms stored for a provider in `provider_search_terms` and the reading of
//! what someone typed into the search field. Both go through the same [`words`], so "Zoëtel", "ZOETEL" and
//! "zoetel" meet, and "B.V." and "bv" are the same word.
//!
//! The search is a prefix match on word starts, with one indexed range query per word (see
//! docs/REGISTRY.md): every typed word must start a word of the name. Besides the words, each name is also
//! stored without any spaces, so "Noord Net" finds "NoordNet" and "noordnet" finds "Noord Net".

use crate::registry::membership::KvkNumber;

/// Longest query that is looked at; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 200;
/// At most this many words of a query take part; more only narrow what is already narrow.
pub const MAX_QUERY_WORDS: usize = 6;
/// Longest stored term; longer words are cut (a prefix search still finds them).
pub const MAX_TERM_CHARS: usize = 64;

/// The words of a text: accents removed (deunicode), lower-cased, dots and apostrophes dropped inside
/// words ("B.V." → "bv", "Hoek's" → "hoeks"), anything else that is not a letter or digit separates words.
pub fn words(text: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(text).to_lowercase();
    ascii
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '\''))
        .map(|w| w.chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// Every term stored for a provider: the words of the legal name and of each trade name (trade names are
/// separated by `;` or `|`), each name without spaces, and the KvK number. Sorted, without duplicates.
pub fn provider_terms(legal_name: &str, trade_names: &str, kvk_number: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let names = std::iter::once(legal_name).chain(split_trade_names(trade_names));
    for name in names {
        let name_words = words(name);
        if name_words.len() > 1 {
            let compact: String = name_words.concat().chars().take(MAX_TERM_CHARS).collect();
            terms.push(compact);
        }
        terms.extend(name_words);
    }
    terms.push(kvk_number.to_owned());
    terms.sort();
    terms.dedup();
    terms
}

/// The trade names of the stored, `;`-separated list (a `|` also separates, as people type it).
pub fn split_trade_names(trade_names: &str) -> impl Iterator<Item = &str> {
    trade_names.split([';', '|']).map(str::trim).filter(|n| !n.is_empty())
}

/// What a typed query asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchQuery {
    /// Nothing to search for.
    Empty,
    /// A full KvK number: one exact lookup.
    Kvk(KvkNumber),
    /// Words that must all start a word of the provider's names (or, joined, start a name written without
    /// spaces).
    Words { words: Vec<String>, compact: String },
}

/// Reads a query: eight digits (spaces and dots allowed) are a KvK number, anything else is words.
pub fn parse_query(raw: &str) -> SearchQuery {
    let raw: String = raw.chars().take(MAX_QUERY_CHARS).collect();
    let looks_numeric = raw.chars().any(|c| c.is_ascii_digit())
        && raw.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-'));
    if looks_numeric && let Ok(kvk) = KvkNumber::parse(&raw) {
        return SearchQuery::Kvk(kvk);
    }
    let mut all = words(&raw);
    if all.is_empty() {
        return SearchQuery::Empty;
    }
    let compact: String = all.concat().chars().take(MAX_TERM_CHARS).collect();
    // The longest words are the most selective: they drive the query and survive the cap.
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
    // A word that is a prefix of another typed word adds nothing ("net netwerk").
    let kept: Vec<String> = all
        .iter()
        .filter(|w| {
            !all.iter()
                .any(|other| other.len() > w.len() && other.starts_with(w.as_str()))
        })
        .take(MAX_QUERY_WORDS)
        .cloned()
        .collect();
    SearchQuery::Words { words: kept, compact }
}

/// The exclusive upper bound of the terms that start with `prefix`, for `term >= prefix AND term < bound`.
/// Terms are ASCII letters and digits compared bytewise, so the bound is the prefix with its last character
/// raised by one (`"abc"` → `"abd"`, `"ab9"` → `"ab:"`).
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    match bytes.last_mut() {
        // Terms hold only [a-z0-9]; the last byte is never 0x7F, so this stays ASCII.
        Some(last) => *last += 1,
        None => return "\u{7f}".to_owned(),
    }
    String::from_utf8(bytes).expect("ASCII stays UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn words_ignore_case_accents_dots_and_extra_spaces() {
        assert_eq!(words("  Zoëtel   Mobiel B.V. "), w(&["zoetel", "mobiel", "bv"]));
        assert_eq!(words("Dorpsnet Coöperatie U.A."), w(&["dorpsnet", "cooperatie", "ua"]));
        assert_eq!(words("Printer & Pixel"), w(&["printer", "pixel"]));
        assert_eq!(words("PC-Hulp aan Huis"), w(&["pc", "hulp", "aan", "huis"]));
        assert_eq!(words("Hoek's Telecom"), w(&["hoeks", "telecom"]));
        assert_eq!(words("ŁÓDŹ Sp. z o.o."), w(&["lodz", "sp", "z", "oo"]));
        assert!(
            words("%_'\"; DROP TABLE --")
                .iter()
                .all(|t| t.chars().all(|c| c.is_ascii_alphanumeric()))
        );
    }

    #[test]
    fn emoji_and_symbols_never_become_anything_but_ascii_terms() {
        for t in words("🙂 Café ☎ 北京 — ∑") {
            assert!(!t.is_empty());
            assert!(t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{t}");
        }
    }

    #[test]
    fn a_provider_is_found_by_each_name_word_the_compact_names_and_its_kvk() {
        let terms = provider_terms("Glasvezel Noord B.V.", "NoordNet; Noord TV", "60000011");
        assert_eq!(
            terms,
            w(&[
                "60000011",
                "bv",
                "glasvezel",
                "glasvezelnoordbv",
                "noord",
                "noordnet",
                "noordtv",
                "tv"
            ])
        );
    }

    #[test]
    fn eight_digits_with_spaces_or_dots_are_a_kvk_number() {
        assert_eq!(
            parse_query(" 6000 0011 "),
            SearchQuery::Kvk(KvkNumber::parse("60000011").unwrap())
        );
        assert_eq!(
            parse_query("60.00.00.11"),
            SearchQuery::Kvk(KvkNumber::parse("60000011").unwrap())
        );
        assert_eq!(
            parse_query("6000"),
            SearchQuery::Words {
                words: w(&["6000"]),
                compact: "6000".into()
            },
            "a partial KvK number is a prefix search"
        );
    }

    #[test]
    fn longer_words_come_first_and_prefixes_of_other_words_are_dropped() {
        assert_eq!(
            parse_query("Net  NETWERK oost"),
            SearchQuery::Words {
                words: w(&["netwerk", "oost"]),
                compact: "netnetwerkoost".into()
            }
        );
    }

    #[test]
    fn a_query_of_only_symbols_is_empty() {
        assert_eq!(parse_query(""), SearchQuery::Empty);
        assert_eq!(parse_query("   "), SearchQuery::Empty);
        assert_eq!(parse_query("%_%"), SearchQuery::Empty);
    }

    #[test]
    fn a_very_long_query_is_cut_to_a_few_short_words() {
        let long = "a".repeat(1000);
        let SearchQuery::Words { words, compact } = parse_query(&long) else {
            panic!("words expected")
        };
        assert_eq!(words.len(), 1);
        assert_eq!(words[0].len(), MAX_TERM_CHARS);
        assert_eq!(compact.len(), MAX_TERM_CHARS);
        let many = "een twee drie vier vijf zes zeven acht negen tien".to_owned();
        let SearchQuery::Words { words, .. } = parse_query(&many) else {
            panic!("words expected")
        };
        assert_eq!(words.len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn the_prefix_bound_is_the_next_string_after_every_term_with_that_prefix() {
        assert_eq!(prefix_upper_bound("abc"), "abd");
        assert_eq!(prefix_upper_bound("ab9"), "ab:");
        assert_eq!(prefix_upper_bound("z"), "{");
        for term in ["abc", "abc0", "abczzzz", "abc999"] {
            assert!(term >= "abc" && term < prefix_upper_bound("abc").as_str());
        }
        for term in ["abb", "abd", "ab", "b"] {
            assert!(!(term >= "abc" && term < prefix_upper_bound("abc").as_str()));
        }
    }
}
