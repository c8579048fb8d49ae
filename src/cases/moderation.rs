//! Holding back abusive or discriminatory messages for the secretariat: a word list per
//! language (configurable), matched on whole words, ignoring case and accents.

use std::collections::HashSet;

/// The words that hold a message for moderation.
#[derive(Debug, Clone, Default)]
pub struct WordList {
    words: HashSet<String>,
}

impl WordList {
    /// One word per line; empty lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Self {
        let words = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(normalise)
            .collect();
        Self { words }
    }

    pub fn merge(mut self, other: WordList) -> Self {
        self.words.extend(other.words);
        self
    }

    /// Whether `text` contains a listed word (as a whole word, in any case, with or without accents).
    pub fn needs_review(&self, text: &str) -> bool {
        normalise(text)
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| !word.is_empty() && self.words.contains(word))
    }
}

fn normalise(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The built-in lists (nl, en, pl), used unless a file is configured.
pub fn default_list() -> WordList {
    WordList::parse(include_str!("moderation-words.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_words_are_found_as_whole_words_in_any_case_or_accent() {
        let list = WordList::parse("# comment\nklootzak\n\nidiot\n");
        assert!(list.needs_review("U bent een KLOOTZAK!"));
        assert!(list.needs_review("wat een ídiot."));
        assert!(
            !list.needs_review("idiotisch hoge rekening"),
            "part of a longer word is fine"
        );
        assert!(!list.needs_review("Mijn internet valt steeds weg."));
    }
}
