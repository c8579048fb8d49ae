//! Intake: filing a case. Pure: `eligibility` (every admissibility check with its reason and next step,
//! and the routing), `wizard` (the steps, the draft, reading each step's answers), `letter` (the written
//! complaint the portal prepares), `completeness` (refusal grounds, the refusal-term warning). Queries:
//! `drafts` (drafts, evidence, the filing transaction, the waiting-period reminder). Edges: `handlers`
//! (the wizard at `/zaak-indienen`), `case_page` (the secretariat's completeness check on the case page),
//! `api` (the same filing as JSON).
pub mod api;
pub mod case_page;
pub mod completeness;
pub mod drafts;
pub mod eligibility;
pub mod handlers;
pub mod letter;
pub mod presentation;
pub mod wizard;
