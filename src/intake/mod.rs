//! Intake: the eligibility check (pure, `eligibility`), routing and filing.
pub mod eligibility;
