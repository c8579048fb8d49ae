//! Rulings (binding advice): the outcome, the award, the fee refund by the scheme's rule,
//! the deposit, the reasoning and a plain-language summary; the warning when the ruling
//! term runs out; the ruling as a document. Pure; rows in [`store`], pages in [`handlers`].

pub mod handlers;
pub mod store;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::i18n::{self, Language};
use crate::offers::parse_euros;
use crate::printable::{Block, Printable};
use crate::registry::rules::FeeRefundRule;
use crate::web::templates::format_euros;

/// The panel's verdict on the complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Upheld,
    PartlyUpheld,
    Rejected,
    NotAdmissible,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Upheld,
        Outcome::PartlyUpheld,
        Outcome::Rejected,
        Outcome::NotAdmissible,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::PartlyUpheld => "partly_upheld",
            Outcome::Rejected => "rejected",
            Outcome::NotAdmissible => "not_admissible",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == code)
    }

    /// Whether the consumer is (at least partly) right.
    pub const fn in_favour_of_consumer(self) -> bool {
        matches!(self, Outcome::Upheld | Outcome::PartlyUpheld)
    }
}

/// What happens to an invoice amount the consumer deposited with the commission.
pub const DEPOSIT_DECISIONS: [&str; 4] = ["none", "to_provider", "to_consumer", "split"];

/// The fee the consumer gets back under the scheme's rule. `paid_cents` is what was paid
/// (nothing when the fee was waived); `panel_part` is the panel's choice for a partial refund.
pub fn fee_refund(rule: FeeRefundRule, outcome: Outcome, paid_cents: i64, panel_part: Option<i64>) -> i64 {
    let paid = paid_cents.max(0);
    match (rule, outcome) {
        (FeeRefundRule::NoRefund, _) => 0,
        (_, Outcome::Rejected | Outcome::NotAdmissible) => 0,
        (FeeRefundRule::FullWhenUpheld, _) => paid,
        (FeeRefundRule::PartialWhenPartlyUpheld, Outcome::Upheld) => paid,
        (FeeRefundRule::PartialWhenPartlyUpheld, Outcome::PartlyUpheld) => panel_part.unwrap_or(0).clamp(0, paid),
    }
}

/// Whether the ruling obliges the provider to do something (so the compliance term starts).
pub fn provider_must_act(
    outcome: Outcome,
    award_cents: Option<i64>,
    award_actions: &str,
    fee_refund_cents: i64,
) -> bool {
    outcome.in_favour_of_consumer()
        && (award_cents.is_some_and(|c| c > 0) || !award_actions.trim().is_empty() || fee_refund_cents > 0)
}

/// Days left before the ruling term after the hearing ends, when it is a week or less (the warning).
pub fn term_warning(ruling_due: NaiveDate, today: NaiveDate) -> Option<i64> {
    let left = (ruling_due - today).num_days();
    (left <= 7).then_some(left)
}

/// A draft as the panel typed it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub outcome: Outcome,
    pub award_cents: Option<i64>,
    pub award_actions: String,
    pub panel_refund_cents: Option<i64>,
    pub deposit_decision: String,
    pub reasoning: String,
    pub summary: String,
}

pub const MAX_REASONING_CHARS: usize = 50_000;
pub const MAX_SUMMARY_CHARS: usize = 2_000;

/// The raw fields of the draft form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DraftFields {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub award: String,
    #[serde(default)]
    pub award_actions: String,
    #[serde(default)]
    pub refund: String,
    #[serde(default)]
    pub deposit_decision: String,
    #[serde(default)]
    pub reasoning: String,
    #[serde(default)]
    pub summary: String,
}

/// Checks a draft; errors are `(field, message key)`.
pub fn check_draft(fields: &DraftFields) -> Result<Draft, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let outcome = Outcome::parse(fields.outcome.trim());
    if outcome.is_none() {
        errors.push(("outcome", "ruling-error-outcome"));
    }
    let money = |text: &str, field: &'static str, errors: &mut Vec<(&'static str, &'static str)>| {
        if text.trim().is_empty() {
            return None;
        }
        match parse_euros(text) {
            Some(c) if c <= 100_000_000 => Some(c),
            _ => {
                errors.push((field, "ruling-error-amount"));
                None
            }
        }
    };
    let award_cents = money(&fields.award, "award", &mut errors);
    let panel_refund_cents = money(&fields.refund, "refund", &mut errors);
    let deposit = if fields.deposit_decision.trim().is_empty() {
        "none"
    } else {
        fields.deposit_decision.trim()
    };
    if !DEPOSIT_DECISIONS.contains(&deposit) {
        errors.push(("deposit_decision", "ruling-error-deposit"));
    }
    let reasoning = fields.reasoning.trim();
    if reasoning.is_empty() || reasoning.chars().count() > MAX_REASONING_CHARS {
        errors.push(("reasoning", "ruling-error-reasoning"));
    }
    let summary = fields.summary.trim();
    if summary.is_empty() || summary.chars().count() > MAX_SUMMARY_CHARS {
        errors.push(("summary", "ruling-error-summary"));
    }
    if fields.award_actions.chars().count() > MAX_SUMMARY_CHARS {
        errors.push(("award_actions", "ruling-error-actions"));
    }
    match outcome {
        Some(outcome) if errors.is_empty() => Ok(Draft {
            outcome,
            award_cents,
            award_actions: fields.award_actions.trim().to_owned(),
            panel_refund_cents,
            deposit_decision: deposit.to_owned(),
            reasoning: reasoning.to_owned(),
            summary: summary.to_owned(),
        }),
        _ => Err(errors),
    }
}

/// The facts printed on a ruling.
pub struct RulingFacts<'a> {
    pub reference: &'a str,
    pub scheme_name: &'a str,
    pub consumer_name: &'a str,
    pub provider_name: &'a str,
    pub panel: &'a [String],
    pub outcome: Outcome,
    pub award_cents: Option<i64>,
    pub award_actions: &'a str,
    pub fee_refund_cents: i64,
    pub deposit_decision: &'a str,
    pub summary: &'a str,
    pub reasoning: &'a str,
    pub issued_on: Option<NaiveDate>,
    pub compliance_due_on: Option<NaiveDate>,
    /// The reference of the ruling this one corrects.
    pub corrects: Option<i64>,
}

/// The ruling as a document in the language of the procedure.
pub fn ruling_document(language: Language, r: &RulingFacts<'_>) -> Printable {
    let t = |key: &str| i18n::translate(language, key);
    let field = |label: &str, value: String| Block::Field { label: t(label), value };
    let mut blocks = vec![
        field("doc-reference", r.reference.to_owned()),
        field("doc-scheme", r.scheme_name.to_owned()),
        field("doc-consumer", r.consumer_name.to_owned()),
        field("doc-provider", r.provider_name.to_owned()),
    ];
    if !r.panel.is_empty() {
        blocks.push(field("ruling-panel", r.panel.join(", ")));
    }
    if let Some(day) = r.issued_on {
        blocks.push(field("ruling-issued-on", day.format("%d-%m-%Y").to_string()));
    }
    if let Some(id) = r.corrects {
        blocks.push(Block::Paragraph(format!("{} {id}", t("ruling-corrects"))));
    }
    blocks.push(Block::Heading(t("ruling-summary")));
    blocks.push(Block::Paragraph(r.summary.to_owned()));
    blocks.push(Block::Heading(t("ruling-decision")));
    blocks.push(field("ruling-outcome", t(&format!("outcome-{}", r.outcome.as_str()))));
    if let Some(cents) = r.award_cents {
        blocks.push(field("ruling-award", format_euros(cents)));
    }
    if !r.award_actions.is_empty() {
        blocks.push(field("ruling-award-actions", r.award_actions.to_owned()));
    }
    blocks.push(field("ruling-fee-refund", format_euros(r.fee_refund_cents)));
    blocks.push(field("ruling-deposit", t(&format!("deposit-{}", r.deposit_decision))));
    if let Some(due) = r.compliance_due_on {
        blocks.push(field("doc-compliance-due", due.format("%d-%m-%Y").to_string()));
    }
    blocks.push(Block::Heading(t("ruling-reasoning")));
    blocks.push(Block::Paragraph(r.reasoning.to_owned()));
    blocks.push(Block::Paragraph(t("ruling-binding")));
    Printable {
        language: language.code().to_owned(),
        title: format!("{} {}", t("ruling-title"), r.reference),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_comes_back_as_the_scheme_rule_says() {
        use FeeRefundRule::*;
        use Outcome::*;
        assert_eq!(fee_refund(FullWhenUpheld, Upheld, 5000, None), 5000);
        assert_eq!(fee_refund(FullWhenUpheld, PartlyUpheld, 5000, Some(100)), 5000);
        assert_eq!(fee_refund(FullWhenUpheld, Rejected, 5000, None), 0);
        assert_eq!(fee_refund(PartialWhenPartlyUpheld, Upheld, 5000, None), 5000);
        assert_eq!(
            fee_refund(PartialWhenPartlyUpheld, PartlyUpheld, 5000, Some(2500)),
            2500
        );
        assert_eq!(
            fee_refund(PartialWhenPartlyUpheld, PartlyUpheld, 5000, Some(9000)),
            5000
        );
        assert_eq!(fee_refund(PartialWhenPartlyUpheld, PartlyUpheld, 5000, None), 0);
        assert_eq!(fee_refund(PartialWhenPartlyUpheld, NotAdmissible, 5000, None), 0);
        assert_eq!(fee_refund(NoRefund, Upheld, 5000, None), 0);
        assert_eq!(
            fee_refund(FullWhenUpheld, Upheld, 0, None),
            0,
            "a waived fee is not refunded"
        );
    }

    #[test]
    fn only_a_ruling_for_the_consumer_with_something_to_do_starts_compliance() {
        assert!(provider_must_act(Outcome::Upheld, Some(100), "", 0));
        assert!(provider_must_act(Outcome::PartlyUpheld, None, "Repareren", 0));
        assert!(provider_must_act(Outcome::Upheld, None, "", 5000));
        assert!(!provider_must_act(Outcome::Upheld, None, " ", 0));
        assert!(!provider_must_act(Outcome::Rejected, Some(100), "x", 100));
    }

    #[test]
    fn the_panel_is_warned_in_the_last_week_of_the_ruling_term() {
        let due = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        assert_eq!(term_warning(due, NaiveDate::from_ymd_opt(2026, 12, 12).unwrap()), None);
        assert_eq!(
            term_warning(due, NaiveDate::from_ymd_opt(2026, 12, 13).unwrap()),
            Some(7)
        );
        assert_eq!(
            term_warning(due, NaiveDate::from_ymd_opt(2026, 12, 22).unwrap()),
            Some(-2)
        );
    }

    #[test]
    fn a_draft_needs_an_outcome_reasoning_and_a_summary() {
        let ok = check_draft(&DraftFields {
            outcome: "upheld".into(),
            award: "240,00".into(),
            reasoning: "Omdat.".into(),
            summary: "U krijgt gelijk.".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.award_cents, Some(24_000));
        assert_eq!(ok.deposit_decision, "none");
        let errors = check_draft(&DraftFields {
            outcome: "maybe".into(),
            award: "veel".into(),
            deposit_decision: "to_me".into(),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec!["outcome", "award", "deposit_decision", "reasoning", "summary"]
        );
    }
}
