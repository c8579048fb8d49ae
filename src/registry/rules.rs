//! One version of a scheme's rules as a plain snapshot. A case keeps the snapshot that was in force when it
//! was filed, so nothing in the domain reads a number from a constant: every term and amount comes from here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::registry::period::Period;

/// A stored code that matches no variant of the enum it was read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// Which enum was being read, e.g. "scheme_kind".
    pub kind: &'static str,
    /// The text that did not match.
    pub code: String,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} code {:?}", self.kind, self.code)
    }
}

impl std::error::Error for UnknownCode {}

/// Finds the variant of `all` whose code is `code`; the shared body of every `FromStr` for stored codes, so
/// each enum states its codes once (in `as_str`) and parsing cannot drift from formatting.
pub fn parse_code<T: Copy>(
    kind: &'static str,
    all: &[T],
    as_str: fn(T) -> &'static str,
    code: &str,
) -> Result<T, UnknownCode> {
    all.iter()
        .copied()
        .find(|v| as_str(*v) == code)
        .ok_or_else(|| UnknownCode {
            kind,
            code: code.to_owned(),
        })
}

/// How a scheme resolves disputes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    /// A commission of De Geschillencommissie: written rounds, hearing, binding advice by a panel.
    BindingAdvice,
    /// Mediation such as ICTWaarborg's: free, no hearing, ends settled or closed.
    Mediation,
}

impl SchemeKind {
    /// Every variant, in a stable order.
    pub const ALL: [SchemeKind; 2] = [SchemeKind::BindingAdvice, SchemeKind::Mediation];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            SchemeKind::BindingAdvice => "binding_advice",
            SchemeKind::Mediation => "mediation",
        }
    }
}

impl FromStr for SchemeKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("scheme_kind", &Self::ALL, Self::as_str, s)
    }
}

/// What a scheme takes complaints about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Services and the contracts for them (the sector commissions).
    Services,
    /// Products delivered (ICTWaarborg).
    Products,
}

impl Coverage {
    /// Every variant, in a stable order.
    pub const ALL: [Coverage; 2] = [Coverage::Services, Coverage::Products];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Coverage::Services => "services",
            Coverage::Products => "products",
        }
    }
}

impl FromStr for Coverage {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("coverage", &Self::ALL, Self::as_str, s)
    }
}

/// Whether the consumer gets the complaint fee back, depending on the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeRefundRule {
    /// The whole fee comes back when the complaint is upheld in whole or in part.
    FullWhenUpheld,
    /// The whole fee comes back when fully upheld; a part, set by the panel, when partly upheld.
    PartialWhenPartlyUpheld,
    /// The fee is never refunded (or there is none).
    NoRefund,
}

impl FeeRefundRule {
    /// Every variant, in a stable order.
    pub const ALL: [FeeRefundRule; 3] = [
        FeeRefundRule::FullWhenUpheld,
        FeeRefundRule::PartialWhenPartlyUpheld,
        FeeRefundRule::NoRefund,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            FeeRefundRule::FullWhenUpheld => "full_when_upheld",
            FeeRefundRule::PartialWhenPartlyUpheld => "partial_when_partly_upheld",
            FeeRefundRule::NoRefund => "no_refund",
        }
    }
}

impl FromStr for FeeRefundRule {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("fee_refund_rule", &Self::ALL, Self::as_str, s)
    }
}

/// Which day the provider must have been a member on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipDateBasis {
    /// The day the contract was concluded (the commissions: a provider that left later stays bound).
    ContractDate,
    /// The day of the request, i.e. today (ICTWaarborg: certified now).
    RequestDate,
}

impl MembershipDateBasis {
    /// Every variant, in a stable order.
    pub const ALL: [MembershipDateBasis; 2] = [MembershipDateBasis::ContractDate, MembershipDateBasis::RequestDate];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            MembershipDateBasis::ContractDate => "contract_date",
            MembershipDateBasis::RequestDate => "request_date",
        }
    }
}

impl FromStr for MembershipDateBasis {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("membership_date_basis", &Self::ALL, Self::as_str, s)
    }
}

/// One version of a scheme's rules: every amount in integer cents, every term a [`Period`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeRules {
    /// Binding advice or mediation; decides the procedure a case follows.
    pub scheme_kind: SchemeKind,
    /// Services or delivered products; decides which complaints are routed here.
    pub covers: Coverage,
    /// The complaint fee (klachtgeld) in cents; 0 means no fee step.
    pub complaint_fee_cents: i64,
    /// When the fee is refunded.
    pub fee_refund: FeeRefundRule,
    /// Smallest claim taken, inclusive; `None` means not checked.
    pub min_claim_cents: Option<i64>,
    /// Largest claim taken, inclusive; `None` means not checked.
    pub max_claim_cents: Option<i64>,
    /// How long the provider gets to answer the written complaint before the consumer may file.
    pub provider_answer_period: Period,
    /// How long after the written complaint the consumer may still file (last day inclusive).
    pub filing_limit: Period,
    /// Which day the provider must have been a member on.
    pub membership_date_basis: MembershipDateBasis,
    /// The provider's term for its defence.
    pub defence_term: Period,
    /// The consumer's term for the reply to the defence.
    pub reply_term: Period,
    /// The term for supplying missing information.
    pub information_term: Period,
    /// The term for paying the complaint fee.
    pub fee_term: Period,
    /// The term for a reaction in the case thread.
    pub reaction_term: Period,
    /// The secretariat's term to refuse a complete file, with reasons (EU ADR Directive).
    pub refusal_term: Period,
    /// The target for the outcome, counted from the complete file (EU ADR Directive).
    pub outcome_target: Period,
    /// The term for the ruling, counted from the hearing.
    pub ruling_term_after_hearing: Period,
    /// The provider's term to carry out a ruling.
    pub compliance_term: Period,
    /// The term to carry out an accepted settlement.
    pub settlement_compliance_term: Period,
    /// How many members decide a case: 3 for a commission panel, 1 for a mediator.
    pub panel_size: u8,
    /// Most the guarantor pays per ruling, in cents; `None` means uncapped or no guarantee.
    pub guarantee_cap_cents: Option<i64>,
}

/// Why a set of rules cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulesProblem {
    /// The complaint fee is negative.
    NegativeFee,
    /// A claim limit or the guarantee cap is negative.
    NegativeAmount,
    /// The minimum claim is above the maximum.
    MinimumAboveMaximum,
    /// The panel size is neither 1 nor 3 (the only compositions assignment knows).
    UnsupportedPanelSize,
}

impl RulesProblem {
    /// The stable code of the problem, for the translation layer.
    pub const fn as_str(self) -> &'static str {
        match self {
            RulesProblem::NegativeFee => "negative_fee",
            RulesProblem::NegativeAmount => "negative_amount",
            RulesProblem::MinimumAboveMaximum => "minimum_above_maximum",
            RulesProblem::UnsupportedPanelSize => "unsupported_panel_size",
        }
    }
}

impl SchemeRules {
    /// The defaults of a sector commission of De Geschillencommissie (e.g. Telecommunicatie): binding
    /// advice on services, EUR 50 fee refunded when upheld, membership on the contract date, panel of 3,
    /// guarantee capped at EUR 10,000.
    pub fn commission_defaults() -> SchemeRules {
        SchemeRules {
            scheme_kind: SchemeKind::BindingAdvice,
            covers: Coverage::Services,
            complaint_fee_cents: 5000,
            fee_refund: FeeRefundRule::FullWhenUpheld,
            min_claim_cents: None,
            max_claim_cents: None,
            provider_answer_period: Period::weeks(4),
            filing_limit: Period::months(12),
            membership_date_basis: MembershipDateBasis::ContractDate,
            defence_term: Period::months(1),
            reply_term: Period::months(1),
            information_term: Period::weeks(2),
            fee_term: Period::weeks(2),
            reaction_term: Period::weeks(2),
            refusal_term: Period::weeks(3),
            outcome_target: Period::days(90),
            ruling_term_after_hearing: Period::months(1),
            compliance_term: Period::months(1),
            settlement_compliance_term: Period::days(28),
            panel_size: 3,
            guarantee_cap_cents: Some(1_000_000),
        }
    }

    /// The defaults of ICTWaarborg mediation: free, about delivered products, the member must be certified on
    /// the day of the request, one mediator, no guarantee cap configured.
    pub fn mediation_defaults() -> SchemeRules {
        SchemeRules {
            scheme_kind: SchemeKind::Mediation,
            covers: Coverage::Products,
            complaint_fee_cents: 0,
            fee_refund: FeeRefundRule::NoRefund,
            membership_date_basis: MembershipDateBasis::RequestDate,
            panel_size: 1,
            guarantee_cap_cents: None,
            ..SchemeRules::commission_defaults()
        }
    }

    /// Whether a case under these rules has a fee step; mediation never has one, whatever the amount says.
    pub fn fee_due(&self) -> bool {
        self.scheme_kind == SchemeKind::BindingAdvice && self.complaint_fee_cents > 0
    }

    /// Every problem with these rules; empty when they may be saved.
    pub fn problems(&self) -> Vec<RulesProblem> {
        let mut problems = Vec::new();
        if self.complaint_fee_cents < 0 {
            problems.push(RulesProblem::NegativeFee);
        }
        let amounts = [self.min_claim_cents, self.max_claim_cents, self.guarantee_cap_cents];
        if amounts.iter().flatten().any(|a| *a < 0) {
            problems.push(RulesProblem::NegativeAmount);
        }
        if let (Some(min), Some(max)) = (self.min_claim_cents, self.max_claim_cents)
            && min > max
        {
            problems.push(RulesProblem::MinimumAboveMaximum);
        }
        if !matches!(self.panel_size, 1 | 3) {
            problems.push(RulesProblem::UnsupportedPanelSize);
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_variant() {
        for v in SchemeKind::ALL {
            assert_eq!(v.as_str().parse::<SchemeKind>(), Ok(v));
        }
        for v in Coverage::ALL {
            assert_eq!(v.as_str().parse::<Coverage>(), Ok(v));
        }
        for v in FeeRefundRule::ALL {
            assert_eq!(v.as_str().parse::<FeeRefundRule>(), Ok(v));
        }
        for v in MembershipDateBasis::ALL {
            assert_eq!(v.as_str().parse::<MembershipDateBasis>(), Ok(v));
        }
    }

    #[test]
    fn an_unknown_code_names_the_enum_and_the_text() {
        let err = "Mediation".parse::<SchemeKind>().unwrap_err();
        assert_eq!(
            err,
            UnknownCode {
                kind: "scheme_kind",
                code: "Mediation".into()
            }
        );
        assert_eq!(err.to_string(), "unknown scheme_kind code \"Mediation\"");
    }

    #[test]
    fn commission_defaults_follow_the_domain_rules() {
        let r = SchemeRules::commission_defaults();
        assert_eq!(r.scheme_kind, SchemeKind::BindingAdvice);
        assert_eq!(r.covers, Coverage::Services);
        assert_eq!(r.complaint_fee_cents, 5000);
        assert_eq!(r.membership_date_basis, MembershipDateBasis::ContractDate);
        assert_eq!(r.provider_answer_period.to_string(), "P4W");
        assert_eq!(r.filing_limit.to_string(), "P12M");
        assert_eq!(r.defence_term.to_string(), "P1M");
        assert_eq!(r.reply_term.to_string(), "P1M");
        assert_eq!(r.information_term.to_string(), "P2W");
        assert_eq!(r.fee_term.to_string(), "P2W");
        assert_eq!(r.reaction_term.to_string(), "P2W");
        assert_eq!(r.refusal_term.to_string(), "P3W");
        assert_eq!(r.outcome_target.to_string(), "P90D");
        assert_eq!(r.ruling_term_after_hearing.to_string(), "P1M");
        assert_eq!(r.compliance_term.to_string(), "P1M");
        assert_eq!(r.settlement_compliance_term.to_string(), "P28D");
        assert_eq!(r.panel_size, 3);
        assert_eq!(r.guarantee_cap_cents, Some(1_000_000));
        assert_eq!((r.min_claim_cents, r.max_claim_cents), (None, None));
        assert!(r.fee_due());
        assert!(r.problems().is_empty());
    }

    #[test]
    fn ictwaarborg_mediation_is_free_on_products_with_one_mediator_and_request_date_membership() {
        let r = SchemeRules::mediation_defaults();
        assert_eq!(r.scheme_kind, SchemeKind::Mediation);
        assert_eq!(r.covers, Coverage::Products);
        assert_eq!(r.complaint_fee_cents, 0);
        assert_eq!(r.membership_date_basis, MembershipDateBasis::RequestDate);
        assert_eq!(r.panel_size, 1);
        assert!(!r.fee_due());
        assert!(r.problems().is_empty());
    }

    #[test]
    fn a_mediation_scheme_has_no_fee_step_even_with_a_fee_configured() {
        let r = SchemeRules {
            complaint_fee_cents: 2500,
            ..SchemeRules::mediation_defaults()
        };
        assert!(!r.fee_due());
        let free = SchemeRules {
            complaint_fee_cents: 0,
            ..SchemeRules::commission_defaults()
        };
        assert!(!free.fee_due());
    }

    #[test]
    fn inconsistent_rules_report_every_problem() {
        let r = SchemeRules {
            complaint_fee_cents: -1,
            min_claim_cents: Some(10_000),
            max_claim_cents: Some(9_999),
            guarantee_cap_cents: Some(-5),
            panel_size: 2,
            ..SchemeRules::commission_defaults()
        };
        assert_eq!(
            r.problems(),
            vec![
                RulesProblem::NegativeFee,
                RulesProblem::NegativeAmount,
                RulesProblem::MinimumAboveMaximum,
                RulesProblem::UnsupportedPanelSize,
            ]
        );
        let equal = SchemeRules {
            min_claim_cents: Some(10_000),
            max_claim_cents: Some(10_000),
            ..SchemeRules::commission_defaults()
        };
        assert!(equal.problems().is_empty());
    }
}
