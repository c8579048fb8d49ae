//! After a ruling or settlement: the provider reports compliance (with evidence), the
//! consumer confirms or disputes it; silence past the term or a dispute opens a claim on
//! the guarantee (nakomingsgarantie) of the provider's membership, up to the scheme's cap,
//! which the secretariat tracks to payment. On closing the consumer may rate the provider
//! once. Pure rules here; rows in [`store`], pages and the API in [`handlers`].

pub mod handlers;
pub mod store;

/// Kinds of compliance reports.
pub const REPORT_COMPLIED: &str = "complied";
pub const REPORT_CONFIRMED: &str = "confirmed";
pub const REPORT_DISPUTED: &str = "disputed";

/// What the guarantor is asked to pay: the money awarded, up to the scheme's cap.
/// Actions (a repair) have no amount: the claim is then for nothing more than the cap
/// allows, and the secretariat records what was actually paid.
pub fn guarantee_amount(awarded_cents: Option<i64>, cap_cents: Option<i64>) -> i64 {
    let awarded = awarded_cents.unwrap_or(0).max(0);
    match cap_cents {
        Some(cap) => awarded.min(cap.max(0)),
        None => awarded,
    }
}

/// A rating: a score from 1 to 5 and an optional comment of at most 2,000 characters.
pub fn check_rating(score: &str, comment: &str) -> Result<(i32, String), &'static str> {
    let score: i32 = score.trim().parse().map_err(|_| "rating-error-score")?;
    if !(1..=5).contains(&score) {
        return Err("rating-error-score");
    }
    let comment = comment.trim();
    if comment.chars().count() > 2000 {
        return Err("rating-error-comment");
    }
    Ok((score, comment.to_owned()))
}

/// A compliance note is required and at most 5,000 characters.
pub fn check_note(note: &str) -> Result<String, &'static str> {
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 5000 {
        Err("compliance-error-note")
    } else {
        Ok(note.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guarantee_pays_the_award_up_to_the_cap() {
        assert_eq!(guarantee_amount(Some(24_000), Some(1_000_000)), 24_000);
        assert_eq!(guarantee_amount(Some(2_000_000), Some(1_000_000)), 1_000_000);
        assert_eq!(guarantee_amount(None, Some(1_000_000)), 0);
        assert_eq!(guarantee_amount(Some(500), None), 500);
        assert_eq!(guarantee_amount(Some(-5), Some(100)), 0);
    }

    #[test]
    fn a_rating_is_one_to_five_with_an_optional_comment() {
        assert_eq!(check_rating("5", " Snel opgelost "), Ok((5, "Snel opgelost".into())));
        assert_eq!(check_rating("1", ""), Ok((1, String::new())));
        assert!(check_rating("0", "").is_err());
        assert!(check_rating("6", "").is_err());
        assert!(check_rating("vijf", "").is_err());
        assert!(check_rating("3", &"x".repeat(2001)).is_err());
    }

    #[test]
    fn a_compliance_note_is_required() {
        assert!(check_note("  ").is_err());
        assert_eq!(check_note(" Creditnota verstuurd "), Ok("Creditnota verstuurd".into()));
    }
}
