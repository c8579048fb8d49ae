//! The case state machine: one table of transitions (from, action, roles, to, when) drives the check of an
//! action ([`next_state`]), the buttons on the case page ([`allowed_actions`]) and the diagram in the docs
//! ([`mermaid_diagram`]), so the three cannot disagree. Terms and deadlines come from the scheme's rules.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::registry::period::Period;
use crate::registry::rules::{SchemeKind, SchemeRules, UnknownCode, parse_code};

// Short names keep the transition table one row per line.
use Action as A;
use CaseState as S;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Filed; the secretariat checks completeness.
    Submitted,
    /// The consumer must supply missing information.
    InformationRequested,
    /// Accepted; the complaint fee is due.
    AwaitingFee,
    /// Refused at intake, with reasons (terminal).
    Refused,
    /// Complete; the provider's defence is due (the 90-day clock runs).
    AwaitingDefence,
    /// The consumer's reply to the defence is due (binding advice only).
    AwaitingReply,
    /// An expert investigates (binding advice only).
    ExpertInvestigation,
    /// Offers and talks between the parties.
    Mediation,
    /// A hearing with the panel is planned (binding advice only).
    HearingScheduled,
    /// The panel gave its binding advice (binding advice only).
    Ruled,
    /// The parties accepted a settlement.
    Settled,
    /// The provider must carry out the ruling or settlement.
    InCompliance,
    /// The provider did not comply; the guarantor is asked to pay.
    GuaranteeClaim,
    /// Finished (terminal).
    Closed,
    /// Withdrawn by the consumer (terminal).
    Withdrawn,
    /// Declared not admissible after acceptance (terminal).
    NotAdmissible,
}

impl CaseState {
    /// Every variant, in procedural order.
    pub const ALL: [CaseState; 16] = [
        CaseState::Submitted,
        CaseState::InformationRequested,
        CaseState::AwaitingFee,
        CaseState::Refused,
        CaseState::AwaitingDefence,
        CaseState::AwaitingReply,
        CaseState::ExpertInvestigation,
        CaseState::Mediation,
        CaseState::HearingScheduled,
        CaseState::Ruled,
        CaseState::Settled,
        CaseState::InCompliance,
        CaseState::GuaranteeClaim,
        CaseState::Closed,
        CaseState::Withdrawn,
        CaseState::NotAdmissible,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::InformationRequested => "information_requested",
            CaseState::AwaitingFee => "awaiting_fee",
            CaseState::Refused => "refused",
            CaseState::AwaitingDefence => "awaiting_defence",
            CaseState::AwaitingReply => "awaiting_reply",
            CaseState::ExpertInvestigation => "expert_investigation",
            CaseState::Mediation => "mediation",
            CaseState::HearingScheduled => "hearing_scheduled",
            CaseState::Ruled => "ruled",
            CaseState::Settled => "settled",
            CaseState::InCompliance => "in_compliance",
            CaseState::GuaranteeClaim => "guarantee_claim",
            CaseState::Closed => "closed",
            CaseState::Withdrawn => "withdrawn",
            CaseState::NotAdmissible => "not_admissible",
        }
    }

    /// Whether nothing can happen to the case any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            CaseState::Refused | CaseState::Closed | CaseState::Withdrawn | CaseState::NotAdmissible
        )
    }

    /// Whether the case is still running (the opposite of terminal).
    pub const fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// Whether the case can hold compliance records (reports, a guarantee claim, a rating):
    /// only in compliance and the states after it, so pages skip those look-ups before.
    pub const fn may_have_compliance_records(self) -> bool {
        matches!(
            self,
            CaseState::InCompliance | CaseState::GuaranteeClaim | CaseState::Closed
        )
    }

    /// Whether the case can have a hearing or a ruling: only once it has been in `HearingScheduled`
    /// (a hearing is planned with the move there, the panel drafts its ruling there), so in a state
    /// the transition table reaches from it. Pages skip those look-ups in the states before.
    pub const fn may_have_hearing_or_ruling(self) -> bool {
        AFTER_A_HEARING[self as usize]
    }
}

/// The states the transition table reaches from `start` (itself included), by discriminant; computed
/// when compiling, so it follows the table.
const fn reachable_from(start: CaseState) -> [bool; CaseState::ALL.len()] {
    let mut reached = [false; CaseState::ALL.len()];
    reached[start as usize] = true;
    let mut changed = true;
    while changed {
        changed = false;
        let mut i = 0;
        while i < TRANSITIONS.len() {
            let t = &TRANSITIONS[i];
            if reached[t.from as usize] && !reached[t.to as usize] {
                reached[t.to as usize] = true;
                changed = true;
            }
            i += 1;
        }
    }
    reached
}

const AFTER_A_HEARING: [bool; CaseState::ALL.len()] = reachable_from(CaseState::HearingScheduled);

impl FromStr for CaseState {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("case_state", &Self::ALL, Self::as_str, s)
    }
}

/// Who performs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The consumer who filed.
    Consumer,
    /// Staff answering for the provider.
    ProviderStaff,
    /// A mediator or commission member on the case.
    Mediator,
    /// The secretariat.
    Secretariat,
    /// An administrator; may do what the secretariat does.
    Admin,
    /// The background worker (expired terms, payment notices).
    System,
}

impl Role {
    /// Every variant, in a stable order.
    pub const ALL: [Role; 6] = [
        Role::Consumer,
        Role::ProviderStaff,
        Role::Mediator,
        Role::Secretariat,
        Role::Admin,
        Role::System,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Consumer => "consumer",
            Role::ProviderStaff => "provider_staff",
            Role::Mediator => "mediator",
            Role::Secretariat => "secretariat",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }
}

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("role", &Self::ALL, Self::as_str, s)
    }
}

/// Something that happens to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The secretariat finds the file complete.
    AcceptComplete,
    /// The secretariat asks for missing information.
    RequestInformation,
    /// The consumer supplies it.
    ProvideInformation,
    /// The secretariat refuses the file, with reasons.
    Refuse,
    /// The fee was paid (recorded by the secretariat or a payment notice).
    RecordFeePaid,
    /// The secretariat waives the fee.
    WaiveFee,
    /// The provider submits its defence.
    SubmitDefence,
    /// The provider contests admissibility (as or with its defence).
    ContestAdmissibility,
    /// The defence term passed without a defence.
    DefenceTermExpired,
    /// The consumer replies to the defence.
    SubmitReply,
    /// The reply term passed without a reply.
    ReplyTermExpired,
    /// The panel orders an expert investigation.
    OrderExpertInvestigation,
    /// The expert's report and the parties' comments are in.
    ExpertInvestigationDone,
    /// The secretariat plans the hearing.
    ScheduleHearing,
    /// The panel gives its binding advice.
    IssueRuling,
    /// A party accepts the other's settlement offer.
    AcceptSettlement,
    /// The outcome obliges the provider to act: the compliance term starts.
    StartCompliance,
    /// The provider reports it has complied; the case waits for the consumer's confirmation.
    ReportCompliance,
    /// The consumer (or secretariat) confirms compliance.
    ConfirmCompliance,
    /// The consumer reports that the provider did not comply.
    ReportNonCompliance,
    /// The compliance term passed without confirmation.
    ComplianceTermExpired,
    /// The guarantor paid.
    GuaranteePaid,
    /// Ends the case: failed mediation, an outcome with nothing to carry out, or a settled guarantee claim.
    Close,
    /// The consumer withdraws before a ruling.
    Withdraw,
    /// The secretariat or panel declares the case not admissible.
    DeclareNotAdmissible,
    /// The information term passed without the information.
    InformationTermExpired,
    /// The fee term passed without payment.
    FeeTermExpired,
}

impl Action {
    /// Every variant, in a stable order.
    pub const ALL: [Action; 27] = [
        Action::AcceptComplete,
        Action::RequestInformation,
        Action::ProvideInformation,
        Action::Refuse,
        Action::RecordFeePaid,
        Action::WaiveFee,
        Action::SubmitDefence,
        Action::ContestAdmissibility,
        Action::DefenceTermExpired,
        Action::SubmitReply,
        Action::ReplyTermExpired,
        Action::OrderExpertInvestigation,
        Action::ExpertInvestigationDone,
        Action::ScheduleHearing,
        Action::IssueRuling,
        Action::AcceptSettlement,
        Action::StartCompliance,
        Action::ReportCompliance,
        Action::ConfirmCompliance,
        Action::ReportNonCompliance,
        Action::ComplianceTermExpired,
        Action::GuaranteePaid,
        Action::Close,
        Action::Withdraw,
        Action::DeclareNotAdmissible,
        Action::InformationTermExpired,
        Action::FeeTermExpired,
    ];

    /// The stable code stored in the case history.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::AcceptComplete => "accept_complete",
            Action::RequestInformation => "request_information",
            Action::ProvideInformation => "provide_information",
            Action::Refuse => "refuse",
            Action::RecordFeePaid => "record_fee_paid",
            Action::WaiveFee => "waive_fee",
            Action::SubmitDefence => "submit_defence",
            Action::ContestAdmissibility => "contest_admissibility",
            Action::DefenceTermExpired => "defence_term_expired",
            Action::SubmitReply => "submit_reply",
            Action::ReplyTermExpired => "reply_term_expired",
            Action::OrderExpertInvestigation => "order_expert_investigation",
            Action::ExpertInvestigationDone => "expert_investigation_done",
            Action::ScheduleHearing => "schedule_hearing",
            Action::IssueRuling => "issue_ruling",
            Action::AcceptSettlement => "accept_settlement",
            Action::StartCompliance => "start_compliance",
            Action::ReportCompliance => "report_compliance",
            Action::ConfirmCompliance => "confirm_compliance",
            Action::ReportNonCompliance => "report_non_compliance",
            Action::ComplianceTermExpired => "compliance_term_expired",
            Action::GuaranteePaid => "guarantee_paid",
            Action::Close => "close",
            Action::Withdraw => "withdraw",
            Action::DeclareNotAdmissible => "declare_not_admissible",
            Action::InformationTermExpired => "information_term_expired",
            Action::FeeTermExpired => "fee_term_expired",
        }
    }
}

impl FromStr for Action {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("action", &Self::ALL, Self::as_str, s)
    }
}

/// For which cases a transition exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applies {
    /// Every case.
    Always,
    /// Cases under a scheme of this kind.
    Kind(SchemeKind),
    /// Cases with (true) or without (false) a fee step; mediation never has one.
    FeeDue(bool),
}

impl Applies {
    /// Whether the transition exists for a case of this kind and fee.
    pub fn matches(self, kind: SchemeKind, fee_due: bool) -> bool {
        match self {
            Applies::Always => true,
            Applies::Kind(k) => k == kind,
            Applies::FeeDue(due) => due == effective_fee_due(kind, fee_due),
        }
    }

    /// A short label for the diagram, empty when the transition always applies.
    fn label(self) -> &'static str {
        match self {
            Applies::Always => "",
            Applies::Kind(SchemeKind::BindingAdvice) => " (binding advice)",
            Applies::Kind(SchemeKind::Mediation) => " (mediation)",
            Applies::FeeDue(true) => " (fee due)",
            Applies::FeeDue(false) => " (no fee)",
        }
    }
}

/// Mediation (ICTWaarborg) is free, so it never has a fee step whatever the caller says.
fn effective_fee_due(kind: SchemeKind, fee_due: bool) -> bool {
    kind == SchemeKind::BindingAdvice && fee_due
}

/// One row of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state the case is in.
    pub from: CaseState,
    /// What happens.
    pub action: Action,
    /// Who may do it.
    pub roles: &'static [Role],
    /// The state the case goes to; equal to `from` when the action only records an event.
    pub to: CaseState,
    /// For which cases the row exists.
    pub applies: Applies,
}

const SEC: &[Role] = &[Role::Secretariat, Role::Admin];
const SEC_OR_SYSTEM: &[Role] = &[Role::Secretariat, Role::Admin, Role::System];
const SYSTEM: &[Role] = &[Role::System];
// The secretariat may act for a consumer who writes on paper.
const CONSUMER: &[Role] = &[Role::Consumer, Role::Secretariat, Role::Admin];
const PROVIDER: &[Role] = &[Role::ProviderStaff];
const PARTIES: &[Role] = &[Role::Consumer, Role::ProviderStaff];
const PANEL: &[Role] = &[Role::Mediator, Role::Secretariat, Role::Admin];

const fn row(from: CaseState, action: Action, roles: &'static [Role], to: CaseState, applies: Applies) -> Transition {
    Transition {
        from,
        action,
        roles,
        to,
        applies,
    }
}

const ALWAYS: Applies = Applies::Always;
const BINDING: Applies = Applies::Kind(SchemeKind::BindingAdvice);
const MEDIATION: Applies = Applies::Kind(SchemeKind::Mediation);
const FEE: Applies = Applies::FeeDue(true);
const NO_FEE: Applies = Applies::FeeDue(false);

/// The transition table: the single source of truth for the procedure.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Intake: the secretariat checks completeness.
    row(S::Submitted, A::AcceptComplete, SEC, S::AwaitingFee, FEE),
    row(S::Submitted, A::AcceptComplete, SEC, S::AwaitingDefence, NO_FEE),
    row(S::Submitted, A::RequestInformation, SEC, S::InformationRequested, ALWAYS),
    row(S::Submitted, A::Refuse, SEC, S::Refused, ALWAYS),
    row(S::Submitted, A::Withdraw, CONSUMER, S::Withdrawn, ALWAYS),
    row(S::InformationRequested, A::ProvideInformation, CONSUMER, S::Submitted, ALWAYS),
    row(S::InformationRequested, A::InformationTermExpired, SYSTEM, S::Refused, ALWAYS),
    row(S::InformationRequested, A::Refuse, SEC, S::Refused, ALWAYS),
    row(S::InformationRequested, A::Withdraw, CONSUMER, S::Withdrawn, ALWAYS),
    // The fee; paying or waiving it completes the file and starts the 90-day clock.
    row(S::AwaitingFee, A::RecordFeePaid, SEC_OR_SYSTEM, S::AwaitingDefence, FEE),
    row(S::AwaitingFee, A::WaiveFee, SEC, S::AwaitingDefence, FEE),
    row(S::AwaitingFee, A::FeeTermExpired, SYSTEM, S::Refused, FEE),
    row(S::AwaitingFee, A::AcceptSettlement, PARTIES, S::Settled, FEE),
    row(S::AwaitingFee, A::Withdraw, CONSUMER, S::Withdrawn, FEE),
    // The defence; mediation skips the reply round.
    row(S::AwaitingDefence, A::SubmitDefence, PROVIDER, S::AwaitingReply, BINDING),
    row(S::AwaitingDefence, A::SubmitDefence, PROVIDER, S::Mediation, MEDIATION),
    row(S::AwaitingDefence, A::ContestAdmissibility, PROVIDER, S::AwaitingReply, BINDING),
    row(S::AwaitingDefence, A::ContestAdmissibility, PROVIDER, S::Mediation, MEDIATION),
    row(S::AwaitingDefence, A::DefenceTermExpired, SYSTEM, S::AwaitingReply, BINDING),
    row(S::AwaitingDefence, A::DefenceTermExpired, SYSTEM, S::Mediation, MEDIATION),
    row(S::AwaitingDefence, A::AcceptSettlement, PARTIES, S::Settled, ALWAYS),
    row(S::AwaitingDefence, A::DeclareNotAdmissible, PANEL, S::NotAdmissible, ALWAYS),
    row(S::AwaitingDefence, A::Withdraw, CONSUMER, S::Withdrawn, ALWAYS),
    // The consumer's reply (binding advice).
    row(S::AwaitingReply, A::SubmitReply, CONSUMER, S::Mediation, BINDING),
    row(S::AwaitingReply, A::ReplyTermExpired, SYSTEM, S::Mediation, BINDING),
    row(S::AwaitingReply, A::AcceptSettlement, PARTIES, S::Settled, BINDING),
    row(S::AwaitingReply, A::DeclareNotAdmissible, PANEL, S::NotAdmissible, BINDING),
    row(S::AwaitingReply, A::Withdraw, CONSUMER, S::Withdrawn, BINDING),
    // Mediation: binding advice goes on to a hearing, mediation ends settled or closed.
    row(S::Mediation, A::OrderExpertInvestigation, PANEL, S::ExpertInvestigation, BINDING),
    row(S::Mediation, A::ScheduleHearing, SEC, S::HearingScheduled, BINDING),
    row(S::Mediation, A::Close, PANEL, S::Closed, MEDIATION),
    row(S::Mediation, A::AcceptSettlement, PARTIES, S::Settled, ALWAYS),
    row(S::Mediation, A::DeclareNotAdmissible, PANEL, S::NotAdmissible, ALWAYS),
    row(S::Mediation, A::Withdraw, CONSUMER, S::Withdrawn, ALWAYS),
    row(S::ExpertInvestigation, A::ExpertInvestigationDone, PANEL, S::Mediation, BINDING),
    row(S::ExpertInvestigation, A::AcceptSettlement, PARTIES, S::Settled, BINDING),
    row(S::ExpertInvestigation, A::DeclareNotAdmissible, PANEL, S::NotAdmissible, BINDING),
    row(S::ExpertInvestigation, A::Withdraw, CONSUMER, S::Withdrawn, BINDING),
    // The hearing and the ruling (binding advice).
    row(S::HearingScheduled, A::IssueRuling, PANEL, S::Ruled, BINDING),
    row(S::HearingScheduled, A::OrderExpertInvestigation, PANEL, S::ExpertInvestigation, BINDING),
    row(S::HearingScheduled, A::AcceptSettlement, PARTIES, S::Settled, BINDING),
    row(S::HearingScheduled, A::DeclareNotAdmissible, PANEL, S::NotAdmissible, BINDING),
    row(S::HearingScheduled, A::Withdraw, CONSUMER, S::Withdrawn, BINDING),
    // After the outcome: compliance if the provider must act, otherwise closed.
    row(S::Ruled, A::StartCompliance, SEC_OR_SYSTEM, S::InCompliance, BINDING),
    row(S::Ruled, A::Close, SEC_OR_SYSTEM, S::Closed, BINDING),
    row(S::Settled, A::StartCompliance, SEC_OR_SYSTEM, S::InCompliance, ALWAYS),
    row(S::Settled, A::Close, SEC_OR_SYSTEM, S::Closed, ALWAYS),
    row(S::InCompliance, A::ReportCompliance, PROVIDER, S::InCompliance, ALWAYS),
    row(S::InCompliance, A::ConfirmCompliance, CONSUMER, S::Closed, ALWAYS),
    row(S::InCompliance, A::ReportNonCompliance, CONSUMER, S::GuaranteeClaim, ALWAYS),
    row(S::InCompliance, A::ComplianceTermExpired, SYSTEM, S::GuaranteeClaim, ALWAYS),
    // The guarantee (nakomingsgarantie); closing without payment covers late compliance or rejection.
    row(S::GuaranteeClaim, A::GuaranteePaid, SEC, S::Closed, ALWAYS),
    row(S::GuaranteeClaim, A::Close, SEC, S::Closed, ALWAYS),
];

/// Why an action was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionError {
    /// The action does not exist in this state for this kind of case (e.g. a stale button).
    NotAllowedInState {
        /// The case's state.
        state: CaseState,
        /// The action tried.
        action: Action,
    },
    /// The action exists here, but not for this role (a permission error).
    NotAllowedForRole {
        /// The case's state.
        state: CaseState,
        /// The action tried.
        action: Action,
        /// Who tried.
        role: Role,
    },
}

impl TransitionError {
    /// The stable code of the error.
    pub const fn code(self) -> &'static str {
        match self {
            TransitionError::NotAllowedInState { .. } => "not_allowed_in_state",
            TransitionError::NotAllowedForRole { .. } => "not_allowed_for_role",
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionError::NotAllowedInState { state, action } => {
                write!(f, "{} is not allowed in state {}", action.as_str(), state.as_str())
            }
            TransitionError::NotAllowedForRole { state, action, role } => write!(
                f,
                "{} may not {} in state {}",
                role.as_str(),
                action.as_str(),
                state.as_str()
            ),
        }
    }
}

impl std::error::Error for TransitionError {}

/// The rows that exist for a case of this kind and fee.
fn rows_for(kind: SchemeKind, fee_due: bool) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS.iter().filter(move |t| t.applies.matches(kind, fee_due))
}

/// The state after `actor` performs `action` on a case in `from`.
///
/// `fee_due` is whether the scheme charges a fee (see `SchemeRules::fee_due`); it is ignored for mediation.
/// When the result equals `from` (ReportCompliance) the action only records an event: the state's deadline
/// keeps running from when the state was first entered.
pub fn next_state(
    kind: SchemeKind,
    fee_due: bool,
    from: CaseState,
    action: Action,
    actor: Role,
) -> Result<CaseState, TransitionError> {
    let row = rows_for(kind, fee_due)
        .find(|t| t.from == from && t.action == action)
        .ok_or(TransitionError::NotAllowedInState { state: from, action })?;
    if row.roles.contains(&actor) {
        Ok(row.to)
    } else {
        Err(TransitionError::NotAllowedForRole {
            state: from,
            action,
            role: actor,
        })
    }
}

/// The actions `actor` may perform on a case in `state`, in table order (the case page's buttons).
pub fn allowed_actions(kind: SchemeKind, fee_due: bool, state: CaseState, actor: Role) -> Vec<Action> {
    let mut actions = Vec::new();
    for t in rows_for(kind, fee_due) {
        if t.from == state && t.roles.contains(&actor) && !actions.contains(&t.action) {
            actions.push(t.action);
        }
    }
    actions
}

/// The term that runs while a case is in `state`, if any.
///
/// `after_settlement` picks the settlement's own compliance term for `InCompliance`; it matters nowhere
/// else. `Submitted` has the secretariat's refusal term, which only triggers reminders (no expiry action).
pub fn term_for(state: CaseState, rules: &SchemeRules, after_settlement: bool) -> Option<Period> {
    match state {
        CaseState::Submitted => Some(rules.refusal_term),
        CaseState::InformationRequested => Some(rules.information_term),
        CaseState::AwaitingFee => Some(rules.fee_term),
        CaseState::AwaitingDefence => Some(rules.defence_term),
        CaseState::AwaitingReply => Some(rules.reply_term),
        CaseState::InCompliance if after_settlement => Some(rules.settlement_compliance_term),
        CaseState::InCompliance => Some(rules.compliance_term),
        _ => None,
    }
}

/// The last day of the term that runs in `state`, counted from the day the state was entered.
///
/// The deadline day itself is still in time; see [`is_expired`].
pub fn deadline_for(
    state: CaseState,
    rules: &SchemeRules,
    entered_on: NaiveDate,
    after_settlement: bool,
) -> Option<NaiveDate> {
    term_for(state, rules, after_settlement).map(|term| term.add_to(entered_on))
}

/// Whether a deadline has passed on `today` (the deadline day itself is still in time).
pub fn is_expired(deadline: NaiveDate, today: NaiveDate) -> bool {
    today > deadline
}

/// What the worker does when the deadline of `state` has passed; `None` where a person must decide.
pub fn expiry_action(state: CaseState) -> Option<Action> {
    match state {
        CaseState::InformationRequested => Some(Action::InformationTermExpired),
        CaseState::AwaitingFee => Some(Action::FeeTermExpired),
        CaseState::AwaitingDefence => Some(Action::DefenceTermExpired),
        CaseState::AwaitingReply => Some(Action::ReplyTermExpired),
        CaseState::InCompliance => Some(Action::ComplianceTermExpired),
        _ => None,
    }
}

/// The target day for the outcome: the outcome target (90 days) from the day the file was complete.
pub fn outcome_due(complete_on: NaiveDate, rules: &SchemeRules) -> NaiveDate {
    rules.outcome_target.add_to(complete_on)
}

/// The last day for the ruling after a hearing held on `hearing_on`.
pub fn ruling_due(hearing_on: NaiveDate, rules: &SchemeRules) -> NaiveDate {
    rules.ruling_term_after_hearing.add_to(hearing_on)
}

/// The days to remind a party of `deadline`: a week before, and two days before.
pub fn reminder_dates(deadline: NaiveDate) -> [NaiveDate; 2] {
    [Period::days(7).sub_from(deadline), Period::days(2).sub_from(deadline)]
}

/// A Mermaid `stateDiagram-v2` of the whole table, for the docs; labels are action codes with the
/// condition in parentheses when the row does not always apply.
pub fn mermaid_diagram() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    out.push_str(&format!("    [*] --> {}\n", CaseState::Submitted.as_str()));
    for t in TRANSITIONS {
        out.push_str(&format!(
            "    {} --> {}: {}{}\n",
            t.from.as_str(),
            t.to.as_str(),
            t.action.as_str(),
            t.applies.label()
        ));
    }
    for s in CaseState::ALL.iter().filter(|s| s.is_terminal()) {
        out.push_str(&format!("    {} --> [*]\n", s.as_str()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn compliance_records_are_looked_for_in_every_state_after_compliance() {
        let mut reached = vec![CaseState::InCompliance];
        let mut todo = reached.clone();
        while let Some(from) = todo.pop() {
            for kind in [SchemeKind::BindingAdvice, SchemeKind::Mediation] {
                for fee_due in [true, false] {
                    for action in Action::ALL {
                        for role in Role::ALL {
                            if let Ok(to) = next_state(kind, fee_due, from, action, role)
                                && !reached.contains(&to)
                            {
                                reached.push(to);
                                todo.push(to);
                            }
                        }
                    }
                }
            }
        }
        assert!(reached.len() > 1, "compliance leads somewhere: {reached:?}");
        for state in reached {
            assert!(state.may_have_compliance_records(), "{state:?} follows compliance");
        }
        assert!(!CaseState::Mediation.may_have_compliance_records());
    }

    #[test]
    fn hearings_and_rulings_are_looked_for_from_the_hearing_on_and_in_every_state_it_leads_to() {
        let before = [
            S::Submitted,
            S::InformationRequested,
            S::AwaitingFee,
            S::Refused,
            S::AwaitingDefence,
            S::AwaitingReply,
        ];
        for state in CaseState::ALL {
            assert_eq!(
                state.may_have_hearing_or_ruling(),
                !before.contains(&state),
                "{state:?}"
            );
        }
        // Mediation comes before the hearing, but also after it (through an expert investigation).
        assert!(S::Mediation.may_have_hearing_or_ruling());
    }

    const BA: SchemeKind = SchemeKind::BindingAdvice;
    const MED: SchemeKind = SchemeKind::Mediation;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Every kind of case there is: (kind, fee_due).
    const CASE_KINDS: [(SchemeKind, bool); 4] = [(BA, true), (BA, false), (MED, false), (MED, true)];

    /// The expected procedure, written out independently of the table: (kind, fee, from, action, role, to).
    #[rustfmt::skip]
    fn expected() -> Vec<(SchemeKind, bool, CaseState, Action, Role, CaseState)> {
        use Role::*;
        vec![
            (BA, true, S::Submitted, A::AcceptComplete, Secretariat, S::AwaitingFee),
            (BA, false, S::Submitted, A::AcceptComplete, Secretariat, S::AwaitingDefence),
            (MED, true, S::Submitted, A::AcceptComplete, Admin, S::AwaitingDefence),
            (BA, true, S::Submitted, A::RequestInformation, Secretariat, S::InformationRequested),
            (MED, false, S::Submitted, A::Refuse, Secretariat, S::Refused),
            (BA, true, S::Submitted, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::InformationRequested, A::ProvideInformation, Consumer, S::Submitted),
            (BA, true, S::InformationRequested, A::InformationTermExpired, System, S::Refused),
            (BA, true, S::InformationRequested, A::Refuse, Secretariat, S::Refused),
            (MED, false, S::InformationRequested, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::AwaitingFee, A::RecordFeePaid, System, S::AwaitingDefence),
            (BA, true, S::AwaitingFee, A::WaiveFee, Secretariat, S::AwaitingDefence),
            (BA, true, S::AwaitingFee, A::FeeTermExpired, System, S::Refused),
            (BA, true, S::AwaitingFee, A::AcceptSettlement, ProviderStaff, S::Settled),
            (BA, true, S::AwaitingFee, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::AwaitingDefence, A::SubmitDefence, ProviderStaff, S::AwaitingReply),
            (MED, false, S::AwaitingDefence, A::SubmitDefence, ProviderStaff, S::Mediation),
            (BA, false, S::AwaitingDefence, A::ContestAdmissibility, ProviderStaff, S::AwaitingReply),
            (MED, false, S::AwaitingDefence, A::ContestAdmissibility, ProviderStaff, S::Mediation),
            (BA, true, S::AwaitingDefence, A::DefenceTermExpired, System, S::AwaitingReply),
            (MED, false, S::AwaitingDefence, A::DefenceTermExpired, System, S::Mediation),
            (BA, true, S::AwaitingDefence, A::AcceptSettlement, Consumer, S::Settled),
            (BA, true, S::AwaitingDefence, A::DeclareNotAdmissible, Mediator, S::NotAdmissible),
            (MED, false, S::AwaitingDefence, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::AwaitingReply, A::SubmitReply, Consumer, S::Mediation),
            (BA, true, S::AwaitingReply, A::ReplyTermExpired, System, S::Mediation),
            (BA, true, S::AwaitingReply, A::AcceptSettlement, ProviderStaff, S::Settled),
            (BA, true, S::AwaitingReply, A::DeclareNotAdmissible, Secretariat, S::NotAdmissible),
            (BA, true, S::AwaitingReply, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::Mediation, A::OrderExpertInvestigation, Mediator, S::ExpertInvestigation),
            (BA, true, S::Mediation, A::ScheduleHearing, Secretariat, S::HearingScheduled),
            (MED, false, S::Mediation, A::Close, Mediator, S::Closed),
            (MED, false, S::Mediation, A::AcceptSettlement, Consumer, S::Settled),
            (BA, true, S::Mediation, A::DeclareNotAdmissible, Mediator, S::NotAdmissible),
            (BA, true, S::Mediation, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::ExpertInvestigation, A::ExpertInvestigationDone, Mediator, S::Mediation),
            (BA, true, S::ExpertInvestigation, A::AcceptSettlement, Consumer, S::Settled),
            (BA, true, S::ExpertInvestigation, A::DeclareNotAdmissible, Mediator, S::NotAdmissible),
            (BA, true, S::ExpertInvestigation, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::HearingScheduled, A::IssueRuling, Mediator, S::Ruled),
            (BA, true, S::HearingScheduled, A::OrderExpertInvestigation, Mediator, S::ExpertInvestigation),
            (BA, true, S::HearingScheduled, A::AcceptSettlement, ProviderStaff, S::Settled),
            (BA, true, S::HearingScheduled, A::DeclareNotAdmissible, Mediator, S::NotAdmissible),
            (BA, true, S::HearingScheduled, A::Withdraw, Consumer, S::Withdrawn),
            (BA, true, S::Ruled, A::StartCompliance, System, S::InCompliance),
            (BA, true, S::Ruled, A::Close, Secretariat, S::Closed),
            (MED, false, S::Settled, A::StartCompliance, System, S::InCompliance),
            (BA, true, S::Settled, A::Close, Secretariat, S::Closed),
            (BA, true, S::InCompliance, A::ReportCompliance, ProviderStaff, S::InCompliance),
            (BA, true, S::InCompliance, A::ConfirmCompliance, Consumer, S::Closed),
            (MED, false, S::InCompliance, A::ReportNonCompliance, Consumer, S::GuaranteeClaim),
            (BA, true, S::InCompliance, A::ComplianceTermExpired, System, S::GuaranteeClaim),
            (BA, true, S::GuaranteeClaim, A::GuaranteePaid, Secretariat, S::Closed),
            (BA, true, S::GuaranteeClaim, A::Close, Admin, S::Closed),
        ]
    }

    #[test]
    fn every_row_of_the_table_moves_the_case_as_the_procedure_says() {
        let mut covered = BTreeSet::new();
        for (kind, fee, from, action, role, to) in expected() {
            assert_eq!(
                next_state(kind, fee, from, action, role),
                Ok(to),
                "{kind:?} {fee} {from:?} {action:?}"
            );
            assert!(allowed_actions(kind, fee, from, role).contains(&action));
            let index = TRANSITIONS
                .iter()
                .position(|t| t.from == from && t.action == action && t.to == to && t.applies.matches(kind, fee))
                .unwrap();
            covered.insert(index);
        }
        assert_eq!(covered.len(), TRANSITIONS.len(), "a table row has no expectation");
    }

    #[test]
    fn every_role_outside_a_row_is_refused_for_its_role_and_every_role_inside_may_act() {
        for t in TRANSITIONS {
            for (kind, fee) in CASE_KINDS.into_iter().filter(|(k, f)| t.applies.matches(*k, *f)) {
                for role in Role::ALL {
                    let got = next_state(kind, fee, t.from, t.action, role);
                    if t.roles.contains(&role) {
                        assert_eq!(got, Ok(t.to));
                    } else {
                        assert_eq!(
                            got,
                            Err(TransitionError::NotAllowedForRole {
                                state: t.from,
                                action: t.action,
                                role
                            })
                        );
                        assert!(!allowed_actions(kind, fee, t.from, role).contains(&t.action));
                    }
                }
            }
        }
    }

    #[test]
    fn a_consumer_cannot_issue_a_ruling_and_a_provider_cannot_accept_its_own_case() {
        assert_eq!(
            next_state(BA, true, S::HearingScheduled, A::IssueRuling, Role::Consumer),
            Err(TransitionError::NotAllowedForRole {
                state: S::HearingScheduled,
                action: A::IssueRuling,
                role: Role::Consumer
            })
        );
        assert!(matches!(
            next_state(BA, true, S::Submitted, A::AcceptComplete, Role::ProviderStaff),
            Err(TransitionError::NotAllowedForRole { .. })
        ));
        assert!(matches!(
            next_state(BA, true, S::AwaitingDefence, A::DefenceTermExpired, Role::Secretariat),
            Err(TransitionError::NotAllowedForRole { .. })
        ));
    }

    #[test]
    fn an_action_from_the_wrong_state_is_refused_for_the_state_even_for_the_right_role() {
        let cases = [
            (BA, true, S::Submitted, A::IssueRuling, Role::Mediator),
            (BA, true, S::AwaitingReply, A::SubmitDefence, Role::ProviderStaff),
            (BA, true, S::Ruled, A::Withdraw, Role::Consumer),
            (BA, true, S::Submitted, A::AcceptSettlement, Role::Consumer),
            (BA, false, S::AwaitingFee, A::RecordFeePaid, Role::Secretariat),
            (MED, false, S::Mediation, A::ScheduleHearing, Role::Secretariat),
            (BA, true, S::Mediation, A::Close, Role::Mediator),
        ];
        for (kind, fee, state, action, role) in cases {
            assert_eq!(
                next_state(kind, fee, state, action, role),
                Err(TransitionError::NotAllowedInState { state, action }),
                "{state:?} {action:?}"
            );
        }
    }

    #[test]
    fn terminal_states_have_no_actions_for_anyone() {
        for state in CaseState::ALL.into_iter().filter(|s| s.is_terminal()) {
            assert!(!state.is_open());
            for (kind, fee) in CASE_KINDS {
                for role in Role::ALL {
                    assert!(allowed_actions(kind, fee, state, role).is_empty(), "{state:?}");
                }
            }
            assert!(TRANSITIONS.iter().all(|t| t.from != state));
        }
        let terminal: Vec<_> = CaseState::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(terminal, vec![S::Refused, S::Closed, S::Withdrawn, S::NotAdmissible]);
    }

    #[test]
    fn each_state_and_action_has_at_most_one_row_per_kind_of_case() {
        for (kind, fee) in CASE_KINDS {
            let mut seen = BTreeSet::new();
            for t in rows_for(kind, fee) {
                assert!(
                    seen.insert((t.from, t.action.as_str())),
                    "{kind:?} {fee} {:?} {:?}",
                    t.from,
                    t.action
                );
            }
        }
    }

    fn reachable(kind: SchemeKind, fee: bool) -> BTreeSet<CaseState> {
        let mut seen = BTreeSet::from([S::Submitted]);
        let mut todo = vec![S::Submitted];
        while let Some(s) = todo.pop() {
            for t in rows_for(kind, fee).filter(|t| t.from == s) {
                if seen.insert(t.to) {
                    todo.push(t.to);
                }
            }
        }
        seen
    }

    #[test]
    fn a_commission_case_with_a_fee_can_reach_every_state() {
        assert_eq!(reachable(BA, true), CaseState::ALL.into_iter().collect());
        assert!(!reachable(BA, false).contains(&S::AwaitingFee));
    }

    #[test]
    fn the_mediation_path_has_no_fee_reply_expert_hearing_or_ruling() {
        for fee in [false, true] {
            let states = reachable(MED, fee);
            for s in [
                S::AwaitingFee,
                S::AwaitingReply,
                S::ExpertInvestigation,
                S::HearingScheduled,
                S::Ruled,
            ] {
                assert!(!states.contains(&s), "{s:?}");
            }
            for s in [
                S::AwaitingDefence,
                S::Mediation,
                S::Settled,
                S::Closed,
                S::GuaranteeClaim,
            ] {
                assert!(states.contains(&s), "{s:?}");
            }
        }
        let mediator = allowed_actions(MED, false, S::Mediation, Role::Mediator);
        assert_eq!(mediator, vec![A::Close, A::DeclareNotAdmissible]);
    }

    #[test]
    fn every_open_state_can_still_end() {
        for (kind, fee) in CASE_KINDS {
            for start in reachable(kind, fee).into_iter().filter(|s| s.is_open()) {
                let mut seen = BTreeSet::from([start]);
                let mut todo = vec![start];
                let mut ends = false;
                while let Some(s) = todo.pop() {
                    ends |= s.is_terminal();
                    for t in rows_for(kind, fee).filter(|t| t.from == s) {
                        if seen.insert(t.to) {
                            todo.push(t.to);
                        }
                    }
                }
                assert!(ends, "{kind:?} {start:?} can never end");
            }
        }
    }

    #[test]
    fn a_full_commission_case_runs_from_filing_to_closing() {
        let steps = [
            (A::AcceptComplete, Role::Secretariat, S::AwaitingFee),
            (A::RecordFeePaid, Role::System, S::AwaitingDefence),
            (A::SubmitDefence, Role::ProviderStaff, S::AwaitingReply),
            (A::ReplyTermExpired, Role::System, S::Mediation),
            (A::OrderExpertInvestigation, Role::Mediator, S::ExpertInvestigation),
            (A::ExpertInvestigationDone, Role::Mediator, S::Mediation),
            (A::ScheduleHearing, Role::Secretariat, S::HearingScheduled),
            (A::IssueRuling, Role::Mediator, S::Ruled),
            (A::StartCompliance, Role::System, S::InCompliance),
            (A::ComplianceTermExpired, Role::System, S::GuaranteeClaim),
            (A::GuaranteePaid, Role::Secretariat, S::Closed),
        ];
        let mut state = S::Submitted;
        for (action, role, to) in steps {
            state = next_state(BA, true, state, action, role).unwrap();
            assert_eq!(state, to);
        }
    }

    #[test]
    fn the_consumer_sees_withdraw_until_the_ruling_and_not_after() {
        for s in [S::Submitted, S::AwaitingDefence, S::HearingScheduled] {
            assert!(allowed_actions(BA, true, s, Role::Consumer).contains(&A::Withdraw));
        }
        for s in [S::Ruled, S::Settled, S::InCompliance, S::GuaranteeClaim] {
            assert!(!allowed_actions(BA, true, s, Role::Consumer).contains(&A::Withdraw));
        }
        assert_eq!(
            allowed_actions(BA, true, S::AwaitingReply, Role::Consumer),
            vec![A::SubmitReply, A::AcceptSettlement, A::Withdraw]
        );
        assert_eq!(
            allowed_actions(BA, true, S::AwaitingFee, Role::System),
            vec![A::RecordFeePaid, A::FeeTermExpired]
        );
    }

    #[test]
    fn reporting_compliance_keeps_the_case_waiting_for_confirmation() {
        assert_eq!(
            next_state(MED, false, S::InCompliance, A::ReportCompliance, Role::ProviderStaff),
            Ok(S::InCompliance)
        );
    }

    #[test]
    fn a_defence_due_a_month_after_the_thirty_first_of_january_is_due_on_the_last_day_of_february() {
        let rules = SchemeRules::commission_defaults();
        assert_eq!(
            deadline_for(S::AwaitingDefence, &rules, d(2025, 1, 31), false),
            Some(d(2025, 2, 28))
        );
        assert_eq!(
            deadline_for(S::AwaitingDefence, &rules, d(2024, 1, 31), false),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            deadline_for(S::AwaitingReply, &rules, d(2024, 3, 31), false),
            Some(d(2024, 4, 30))
        );
        assert_eq!(
            deadline_for(S::AwaitingReply, &rules, d(2024, 12, 31), false),
            Some(d(2025, 1, 31))
        );
    }

    #[test]
    fn every_term_comes_from_the_schemes_rules() {
        let rules = SchemeRules {
            refusal_term: Period::days(1),
            information_term: Period::days(2),
            fee_term: Period::days(3),
            defence_term: Period::days(4),
            reply_term: Period::days(5),
            compliance_term: Period::days(6),
            settlement_compliance_term: Period::days(7),
            ..SchemeRules::commission_defaults()
        };
        let on = d(2025, 1, 1);
        let due = |s, settled| deadline_for(s, &rules, on, settled).map(|x| (x - on).num_days());
        assert_eq!(due(S::Submitted, false), Some(1));
        assert_eq!(due(S::InformationRequested, false), Some(2));
        assert_eq!(due(S::AwaitingFee, false), Some(3));
        assert_eq!(due(S::AwaitingDefence, false), Some(4));
        assert_eq!(due(S::AwaitingReply, false), Some(5));
        assert_eq!(due(S::InCompliance, false), Some(6));
        assert_eq!(due(S::InCompliance, true), Some(7));
        for s in [
            S::Mediation,
            S::HearingScheduled,
            S::Ruled,
            S::Settled,
            S::GuaranteeClaim,
            S::Closed,
        ] {
            assert_eq!(due(s, false), None, "{s:?}");
        }
    }

    #[test]
    fn the_default_settlement_compliance_term_is_twenty_eight_days_across_february() {
        let rules = SchemeRules::commission_defaults();
        assert_eq!(
            deadline_for(S::InCompliance, &rules, d(2024, 2, 1), true),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            deadline_for(S::InCompliance, &rules, d(2025, 2, 1), true),
            Some(d(2025, 3, 1))
        );
        assert_eq!(
            deadline_for(S::InCompliance, &rules, d(2025, 1, 31), false),
            Some(d(2025, 2, 28))
        );
    }

    #[test]
    fn a_deadline_expires_the_day_after_it_not_on_it() {
        let deadline = d(2024, 2, 29);
        assert!(!is_expired(deadline, d(2024, 2, 28)));
        assert!(!is_expired(deadline, deadline));
        assert!(is_expired(deadline, d(2024, 3, 1)));
    }

    #[test]
    fn the_worker_may_perform_every_expiry_action_in_its_state() {
        let rules = SchemeRules::commission_defaults();
        for state in CaseState::ALL {
            if let Some(action) = expiry_action(state) {
                assert!(
                    term_for(state, &rules, false).is_some(),
                    "{state:?} expires without a term"
                );
                assert!(next_state(BA, true, state, action, Role::System).is_ok(), "{state:?}");
            }
        }
        assert_eq!(expiry_action(S::AwaitingDefence), Some(A::DefenceTermExpired));
        assert_eq!(expiry_action(S::Submitted), None);
        assert_eq!(expiry_action(S::Mediation), None);
    }

    #[test]
    fn the_outcome_is_due_ninety_days_after_the_file_is_complete() {
        let rules = SchemeRules::commission_defaults();
        assert_eq!(outcome_due(d(2025, 1, 1), &rules), d(2025, 4, 1));
        assert_eq!(outcome_due(d(2024, 1, 1), &rules), d(2024, 3, 31));
        assert_eq!(outcome_due(d(2024, 12, 1), &rules), d(2025, 3, 1));
    }

    #[test]
    fn a_ruling_after_a_hearing_on_the_thirty_first_is_due_at_the_next_month_end() {
        let rules = SchemeRules::commission_defaults();
        assert_eq!(ruling_due(d(2025, 1, 31), &rules), d(2025, 2, 28));
        assert_eq!(ruling_due(d(2025, 5, 15), &rules), d(2025, 6, 15));
    }

    #[test]
    fn reminders_go_out_a_week_and_two_days_before_the_deadline() {
        assert_eq!(reminder_dates(d(2024, 3, 1)), [d(2024, 2, 23), d(2024, 2, 28)]);
        assert_eq!(reminder_dates(d(2025, 3, 1)), [d(2025, 2, 22), d(2025, 2, 27)]);
        assert_eq!(reminder_dates(d(2025, 1, 3)), [d(2024, 12, 27), d(2025, 1, 1)]);
    }

    #[test]
    fn the_diagram_has_one_line_per_row_and_marks_start_and_ends() {
        let diagram = mermaid_diagram();
        let lines: Vec<&str> = diagram.lines().collect();
        assert_eq!(lines[0], "stateDiagram-v2");
        assert_eq!(lines[1], "    [*] --> submitted");
        assert_eq!(lines.len(), 2 + TRANSITIONS.len() + 4);
        assert!(lines.contains(&"    submitted --> awaiting_fee: accept_complete (fee due)"));
        assert!(lines.contains(&"    mediation --> closed: close (mediation)"));
        assert!(lines.contains(&"    guarantee_claim --> closed: guarantee_paid"));
        assert!(lines.contains(&"    not_admissible --> [*]"));
        assert_eq!(diagram, mermaid_diagram());
    }

    #[test]
    fn every_stored_code_parses_back_to_its_variant() {
        for v in CaseState::ALL {
            assert_eq!(v.as_str().parse::<CaseState>(), Ok(v));
        }
        for v in Role::ALL {
            assert_eq!(v.as_str().parse::<Role>(), Ok(v));
        }
        for v in Action::ALL {
            assert_eq!(v.as_str().parse::<Action>(), Ok(v));
        }
        assert!("Submitted".parse::<CaseState>().is_err());
        let err = TransitionError::NotAllowedInState {
            state: S::Ruled,
            action: A::Withdraw,
        };
        assert_eq!(err.to_string(), "withdraw is not allowed in state ruled");
        assert_eq!(err.code(), "not_allowed_in_state");
    }
}
