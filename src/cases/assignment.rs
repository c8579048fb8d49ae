//! Proposes who handles a case: one mediator, or a panel of chair, trade member and consumer member. Only
//! eligible people are considered (active, on the scheme, speaking the case's language, no conflict with the
//! provider, not excluded); among them the least loaded wins, and ties are broken by a hash of the case and
//! the person so that equally loaded mediators take turns instead of the lowest id always winning.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::registry::rules::{UnknownCode, parse_code};

/// The seat a commission member may take on a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelRole {
    /// Chairs the panel (often a former judge).
    Chair,
    /// Nominated by the trade association.
    TradeMember,
    /// Nominated by a consumer organisation.
    ConsumerMember,
}

impl PanelRole {
    /// Every variant, in panel order.
    pub const ALL: [PanelRole; 3] = [PanelRole::Chair, PanelRole::TradeMember, PanelRole::ConsumerMember];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            PanelRole::Chair => "chair",
            PanelRole::TradeMember => "trade_member",
            PanelRole::ConsumerMember => "consumer_member",
        }
    }
}

impl FromStr for PanelRole {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("panel_role", &Self::ALL, Self::as_str, s)
    }
}

/// The stage of an open case, as far as the work it gives its mediator is concerned.
///
/// The web layer maps case states onto these (submitted..awaiting reply → preparation, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStage {
    /// File checks, fee, written rounds: the mediator reads along.
    Preparation,
    /// An expert does the work; the mediator waits for the report.
    ExpertInvestigation,
    /// Active talks with both parties.
    Mediation,
    /// Preparing and holding a hearing, then writing the ruling within a month.
    Hearing,
    /// Waiting for compliance: the mediator's part is done.
    Compliance,
}

impl CaseStage {
    /// Every variant, in procedural order.
    pub const ALL: [CaseStage; 5] = [
        CaseStage::Preparation,
        CaseStage::ExpertInvestigation,
        CaseStage::Mediation,
        CaseStage::Hearing,
        CaseStage::Compliance,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            CaseStage::Preparation => "preparation",
            CaseStage::ExpertInvestigation => "expert_investigation",
            CaseStage::Mediation => "mediation",
            CaseStage::Hearing => "hearing",
            CaseStage::Compliance => "compliance",
        }
    }

    /// How much work a case in this stage is, relative to reading a file.
    ///
    /// Counting cases alone would give the mediator with three hearings next week as many new cases as one
    /// with three fresh files; the weights follow the effort: reading along 1, talks 2, a hearing and its
    /// ruling 3, and nothing once only compliance is awaited.
    pub const fn weight(self) -> u32 {
        match self {
            CaseStage::Preparation | CaseStage::ExpertInvestigation => 1,
            CaseStage::Mediation => 2,
            CaseStage::Hearing => 3,
            CaseStage::Compliance => 0,
        }
    }
}

impl FromStr for CaseStage {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("case_stage", &Self::ALL, Self::as_str, s)
    }
}

/// A person who might handle the case, as the caller loads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediatorCandidate {
    /// The user.
    pub user_id: i64,
    /// The schemes they serve.
    pub scheme_ids: Vec<i64>,
    /// The languages they work in (e.g. "nl", "en"); compared without regard to case.
    pub languages: Vec<String>,
    /// The seat they take on a panel; ignored for a single mediator.
    pub panel_role: PanelRole,
    /// Providers they have a conflict of interest with.
    pub conflicts: Vec<i64>,
    /// The stages of their open cases.
    pub open_load: Vec<CaseStage>,
    /// Whether they take cases at all.
    pub active: bool,
}

/// The case to staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentRequest {
    /// The case; also seeds the tie-break.
    pub case_id: i64,
    /// The case's scheme.
    pub scheme_id: i64,
    /// The provider the complaint is against.
    pub provider_id: i64,
    /// The language of the procedure.
    pub language: String,
    /// 1 for a single mediator, 3 for a panel (from the scheme's rules).
    pub panel_size: u8,
    /// Users who must not sit: recused or challenged members, and the parties themselves.
    pub excluded: Vec<i64>,
}

/// The seat a proposed person takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seat {
    /// Handles the case alone.
    SoleMediator,
    /// Chairs the panel.
    Chair,
    /// The trade association's member.
    TradeMember,
    /// The consumer organisation's member.
    ConsumerMember,
}

impl Seat {
    /// The stable code of the seat.
    pub const fn as_str(self) -> &'static str {
        match self {
            Seat::SoleMediator => "sole_mediator",
            Seat::Chair => "chair",
            Seat::TradeMember => "trade_member",
            Seat::ConsumerMember => "consumer_member",
        }
    }
}

/// One proposed person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedMember {
    /// The user.
    pub user_id: i64,
    /// Their seat.
    pub seat: Seat,
    /// Their weighted load before this case, for the secretariat's view.
    pub load: u32,
}

/// The proposal the secretariat confirms or changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The case.
    pub case_id: i64,
    /// One sole mediator, or chair, trade member and consumer member in that order.
    pub members: Vec<ProposedMember>,
}

/// Why no proposal could be made; names the seat that could not be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentError {
    /// Only panels of 1 and 3 exist.
    UnsupportedPanelSize(u8),
    /// Nobody eligible to mediate alone.
    NoEligibleMediator,
    /// Nobody eligible to chair (reported first when several seats are empty).
    NoEligibleChair,
    /// No eligible trade member.
    NoEligibleTradeMember,
    /// No eligible consumer member.
    NoEligibleConsumerMember,
}

impl AssignmentError {
    /// The stable code of the error.
    pub const fn code(self) -> &'static str {
        match self {
            AssignmentError::UnsupportedPanelSize(_) => "unsupported_panel_size",
            AssignmentError::NoEligibleMediator => "no_eligible_mediator",
            AssignmentError::NoEligibleChair => "no_eligible_chair",
            AssignmentError::NoEligibleTradeMember => "no_eligible_trade_member",
            AssignmentError::NoEligibleConsumerMember => "no_eligible_consumer_member",
        }
    }
}

impl fmt::Display for AssignmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignmentError::UnsupportedPanelSize(n) => write!(f, "unsupported panel size {n}"),
            other => f.write_str(other.code()),
        }
    }
}

impl std::error::Error for AssignmentError {}

/// Why a candidate cannot take the case (the first reason found, in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ineligibility {
    /// Not taking cases.
    Inactive,
    /// Does not serve the case's scheme.
    OtherScheme,
    /// Does not work in the case's language.
    LanguageNotSpoken,
    /// Has a conflict of interest with the provider.
    ConflictWithProvider,
    /// Recused, challenged, or a party.
    Excluded,
}

impl Ineligibility {
    /// The stable code of the reason.
    pub const fn as_str(self) -> &'static str {
        match self {
            Ineligibility::Inactive => "inactive",
            Ineligibility::OtherScheme => "other_scheme",
            Ineligibility::LanguageNotSpoken => "language_not_spoken",
            Ineligibility::ConflictWithProvider => "conflict_with_provider",
            Ineligibility::Excluded => "excluded",
        }
    }
}

/// The candidate's weighted load: the sum of the weights of their open cases' stages.
pub fn load(candidate: &MediatorCandidate) -> u32 {
    candidate.open_load.iter().map(|s| s.weight()).sum()
}

/// Why `candidate` may not take the case, or `None` if they may (the secretariat's "why not X?").
pub fn ineligibility(req: &AssignmentRequest, candidate: &MediatorCandidate) -> Option<Ineligibility> {
    let language = req.language.trim();
    if !candidate.active {
        Some(Ineligibility::Inactive)
    } else if !candidate.scheme_ids.contains(&req.scheme_id) {
        Some(Ineligibility::OtherScheme)
    } else if !candidate
        .languages
        .iter()
        .any(|l| l.trim().eq_ignore_ascii_case(language))
    {
        Some(Ineligibility::LanguageNotSpoken)
    } else if candidate.conflicts.contains(&req.provider_id) {
        Some(Ineligibility::ConflictWithProvider)
    } else if req.excluded.contains(&candidate.user_id) {
        Some(Ineligibility::Excluded)
    } else {
        None
    }
}

/// Proposes the people for a case: the least loaded eligible mediator, or the least loaded eligible
/// member for each of the three panel seats.
pub fn propose(req: &AssignmentRequest, candidates: &[MediatorCandidate]) -> Result<Proposal, AssignmentError> {
    let seats: &[(Seat, Option<PanelRole>, AssignmentError)] = match req.panel_size {
        1 => &[(Seat::SoleMediator, None, AssignmentError::NoEligibleMediator)],
        3 => &[
            (Seat::Chair, Some(PanelRole::Chair), AssignmentError::NoEligibleChair),
            (
                Seat::TradeMember,
                Some(PanelRole::TradeMember),
                AssignmentError::NoEligibleTradeMember,
            ),
            (
                Seat::ConsumerMember,
                Some(PanelRole::ConsumerMember),
                AssignmentError::NoEligibleConsumerMember,
            ),
        ],
        n => return Err(AssignmentError::UnsupportedPanelSize(n)),
    };
    let mut members = Vec::with_capacity(seats.len());
    for &(seat, role, missing) in seats {
        let chosen = candidates
            .iter()
            .filter(|c| role.is_none_or(|r| c.panel_role == r))
            .filter(|c| ineligibility(req, c).is_none())
            // Candidates are filtered by distinct panel roles, so nobody can take two seats.
            .min_by_key(|c| (load(c), tie_break(req.case_id, c.user_id), c.user_id))
            .ok_or(missing)?;
        members.push(ProposedMember {
            user_id: chosen.user_id,
            seat,
            load: load(chosen),
        });
    }
    Ok(Proposal {
        case_id: req.case_id,
        members,
    })
}

/// A deterministic pseudo-random rank of a person for a case. Mixing the case id in means the order among
/// equally loaded people changes from case to case, so no one is always first; a fixed mixer (not std's
/// hasher, whose output may change between Rust releases) keeps proposals reproducible.
fn tie_break(case_id: i64, user_id: i64) -> u64 {
    splitmix64(splitmix64(case_id as u64) ^ user_id as u64)
}

/// The SplitMix64 finaliser: a cheap, well-distributed 64-bit mix.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const SCHEME: i64 = 7;
    const PROVIDER: i64 = 500;

    fn candidate(user_id: i64, panel_role: PanelRole) -> MediatorCandidate {
        MediatorCandidate {
            user_id,
            scheme_ids: vec![SCHEME],
            languages: vec!["nl".into()],
            panel_role,
            conflicts: Vec::new(),
            open_load: Vec::new(),
            active: true,
        }
    }

    fn request(case_id: i64, panel_size: u8) -> AssignmentRequest {
        AssignmentRequest {
            case_id,
            scheme_id: SCHEME,
            provider_id: PROVIDER,
            language: "nl".into(),
            panel_size,
            excluded: Vec::new(),
        }
    }

    fn sole(req: &AssignmentRequest, candidates: &[MediatorCandidate]) -> i64 {
        let p = propose(req, candidates).unwrap();
        assert_eq!(p.members.len(), 1);
        assert_eq!(p.members[0].seat, Seat::SoleMediator);
        p.members[0].user_id
    }

    /// A small deterministic generator for property-style loops.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 = splitmix64(self.0);
            self.0 % bound
        }
    }

    #[test]
    fn a_mediator_with_a_conflict_is_never_proposed_whatever_the_loads() {
        let mut rng = Rng(42);
        let mut errors = 0;
        for case_id in 0..1_000 {
            let provider_id = 1 + rng.next(4) as i64;
            let candidates: Vec<MediatorCandidate> = (1..=5)
                .map(|user_id| MediatorCandidate {
                    conflicts: (1..=4).filter(|_| rng.next(3) == 0).collect(),
                    open_load: (0..rng.next(4)).map(|_| CaseStage::ALL[rng.next(5) as usize]).collect(),
                    ..candidate(user_id, PanelRole::Chair)
                })
                .collect();
            let req = AssignmentRequest {
                provider_id,
                ..request(case_id, 1)
            };
            let free: Vec<&MediatorCandidate> = candidates
                .iter()
                .filter(|c| !c.conflicts.contains(&provider_id))
                .collect();
            match propose(&req, &candidates) {
                Ok(p) => {
                    let chosen = candidates.iter().find(|c| c.user_id == p.members[0].user_id).unwrap();
                    assert!(!chosen.conflicts.contains(&provider_id), "case {case_id}");
                    let least = free.iter().map(|c| load(c)).min().unwrap();
                    assert_eq!(load(chosen), least, "case {case_id} did not go to the least loaded");
                }
                Err(e) => {
                    assert!(free.is_empty(), "case {case_id}: {e}");
                    assert_eq!(e, AssignmentError::NoEligibleMediator);
                    errors += 1;
                }
            }
        }
        assert!(
            errors < 100,
            "the generator should mostly leave someone free ({errors})"
        );
    }

    #[test]
    fn a_hundred_cases_over_four_equal_mediators_end_within_one_case_of_even() {
        let mut candidates: Vec<MediatorCandidate> = (1..=4).map(|id| candidate(id, PanelRole::Chair)).collect();
        for case_id in 1..=100 {
            let chosen = sole(&request(case_id, 1), &candidates);
            let c = candidates.iter_mut().find(|c| c.user_id == chosen).unwrap();
            c.open_load.push(CaseStage::Preparation);
            let counts: Vec<usize> = candidates.iter().map(|c| c.open_load.len()).collect();
            let spread = counts.iter().max().unwrap() - counts.iter().min().unwrap();
            assert!(spread <= 1, "after case {case_id}: {counts:?}");
        }
        for c in &candidates {
            assert!(
                (24..=26).contains(&c.open_load.len()),
                "{} got {}",
                c.user_id,
                c.open_load.len()
            );
        }
    }

    #[test]
    fn equally_loaded_mediators_take_turns_being_first_rather_than_the_lowest_id_always_winning() {
        let candidates: Vec<MediatorCandidate> = (1..=4).map(|id| candidate(id, PanelRole::Chair)).collect();
        let firsts: BTreeSet<i64> = (1..=40)
            .map(|case_id| sole(&request(case_id, 1), &candidates))
            .collect();
        assert_eq!(firsts, BTreeSet::from([1, 2, 3, 4]));
        // And the same case always gets the same proposal.
        assert_eq!(sole(&request(17, 1), &candidates), sole(&request(17, 1), &candidates));
    }

    #[test]
    fn the_least_loaded_mediator_wins_with_hearings_weighing_more_than_fresh_files() {
        let candidates = vec![
            MediatorCandidate {
                open_load: vec![CaseStage::Hearing], // 3
                ..candidate(1, PanelRole::Chair)
            },
            MediatorCandidate {
                open_load: vec![CaseStage::Preparation, CaseStage::Preparation], // 2
                ..candidate(2, PanelRole::Chair)
            },
            MediatorCandidate {
                open_load: vec![
                    CaseStage::Mediation,
                    CaseStage::Compliance,
                    CaseStage::ExpertInvestigation,
                ], // 3
                ..candidate(3, PanelRole::Chair)
            },
        ];
        for case_id in 0..20 {
            let p = propose(&request(case_id, 1), &candidates).unwrap();
            assert_eq!(
                p.members,
                vec![ProposedMember {
                    user_id: 2,
                    seat: Seat::SoleMediator,
                    load: 2
                }]
            );
        }
        assert_eq!(load(&candidates[2]), 3);
    }

    #[test]
    fn a_panel_of_three_has_one_chair_one_trade_member_and_one_consumer_member_each_least_loaded() {
        let busy = vec![CaseStage::Mediation];
        let candidates = vec![
            MediatorCandidate {
                open_load: busy.clone(),
                ..candidate(1, PanelRole::Chair)
            },
            candidate(2, PanelRole::Chair),
            candidate(3, PanelRole::TradeMember),
            MediatorCandidate {
                open_load: busy.clone(),
                ..candidate(4, PanelRole::TradeMember)
            },
            MediatorCandidate {
                open_load: busy,
                ..candidate(5, PanelRole::ConsumerMember)
            },
            MediatorCandidate {
                active: false,
                ..candidate(6, PanelRole::ConsumerMember)
            },
        ];
        let p = propose(&request(1, 3), &candidates).unwrap();
        assert_eq!(
            p.members,
            vec![
                ProposedMember {
                    user_id: 2,
                    seat: Seat::Chair,
                    load: 0
                },
                ProposedMember {
                    user_id: 3,
                    seat: Seat::TradeMember,
                    load: 0
                },
                ProposedMember {
                    user_id: 5,
                    seat: Seat::ConsumerMember,
                    load: 2
                },
            ]
        );
        assert_eq!(p.case_id, 1);
    }

    #[test]
    fn a_panel_without_an_eligible_seat_names_the_missing_seat() {
        let all = [
            candidate(1, PanelRole::Chair),
            candidate(2, PanelRole::TradeMember),
            candidate(3, PanelRole::ConsumerMember),
        ];
        let without =
            |user_id: i64| -> Vec<MediatorCandidate> { all.iter().filter(|c| c.user_id != user_id).cloned().collect() };
        assert_eq!(
            propose(&request(1, 3), &without(1)),
            Err(AssignmentError::NoEligibleChair)
        );
        assert_eq!(
            propose(&request(1, 3), &without(2)),
            Err(AssignmentError::NoEligibleTradeMember)
        );
        assert_eq!(
            propose(&request(1, 3), &without(3)),
            Err(AssignmentError::NoEligibleConsumerMember)
        );
        assert_eq!(propose(&request(1, 1), &[]), Err(AssignmentError::NoEligibleMediator));
        assert_eq!(
            propose(&request(1, 2), &all),
            Err(AssignmentError::UnsupportedPanelSize(2))
        );
        assert_eq!(
            propose(&request(1, 0), &all),
            Err(AssignmentError::UnsupportedPanelSize(0))
        );
    }

    #[test]
    fn excluded_and_challenged_members_are_skipped_even_when_least_loaded() {
        let candidates = vec![
            candidate(1, PanelRole::Chair),
            MediatorCandidate {
                open_load: vec![CaseStage::Hearing],
                ..candidate(2, PanelRole::Chair)
            },
            candidate(3, PanelRole::TradeMember),
            candidate(4, PanelRole::ConsumerMember),
        ];
        let req = AssignmentRequest {
            excluded: vec![1],
            ..request(9, 3)
        };
        assert_eq!(propose(&req, &candidates).unwrap().members[0].user_id, 2);
        assert_eq!(ineligibility(&req, &candidates[0]), Some(Ineligibility::Excluded));
        let sole_req = AssignmentRequest {
            excluded: vec![1, 3, 4],
            ..request(9, 1)
        };
        assert_eq!(sole(&sole_req, &candidates), 2);
        let nobody = AssignmentRequest {
            excluded: vec![1, 2, 3, 4],
            ..request(9, 1)
        };
        assert_eq!(propose(&nobody, &candidates), Err(AssignmentError::NoEligibleMediator));
    }

    #[test]
    fn only_mediators_of_the_scheme_who_speak_the_language_are_considered() {
        let candidates = vec![
            MediatorCandidate {
                scheme_ids: vec![SCHEME + 1],
                ..candidate(1, PanelRole::Chair)
            },
            MediatorCandidate {
                languages: vec!["en".into()],
                ..candidate(2, PanelRole::Chair)
            },
            MediatorCandidate {
                languages: vec!["en".into(), "NL".into()],
                open_load: vec![CaseStage::Hearing, CaseStage::Hearing],
                ..candidate(3, PanelRole::Chair)
            },
        ];
        let req = request(3, 1);
        assert_eq!(sole(&req, &candidates), 3);
        assert_eq!(ineligibility(&req, &candidates[0]), Some(Ineligibility::OtherScheme));
        assert_eq!(
            ineligibility(&req, &candidates[1]),
            Some(Ineligibility::LanguageNotSpoken)
        );
        assert_eq!(ineligibility(&req, &candidates[2]), None);
        let english = AssignmentRequest {
            language: "en".into(),
            ..request(3, 1)
        };
        assert_eq!(sole(&english, &candidates), 2);
        let german = AssignmentRequest {
            language: "de".into(),
            ..request(3, 1)
        };
        assert_eq!(propose(&german, &candidates), Err(AssignmentError::NoEligibleMediator));
    }

    #[test]
    fn inactive_and_conflicted_candidates_are_explained() {
        let req = request(1, 1);
        let inactive = MediatorCandidate {
            active: false,
            ..candidate(1, PanelRole::Chair)
        };
        let conflicted = MediatorCandidate {
            conflicts: vec![PROVIDER],
            ..candidate(2, PanelRole::Chair)
        };
        assert_eq!(ineligibility(&req, &inactive), Some(Ineligibility::Inactive));
        assert_eq!(
            ineligibility(&req, &conflicted),
            Some(Ineligibility::ConflictWithProvider)
        );
        assert_eq!(
            propose(&req, &[inactive, conflicted]),
            Err(AssignmentError::NoEligibleMediator)
        );
    }

    #[test]
    fn every_stored_code_parses_back_to_its_variant() {
        for v in PanelRole::ALL {
            assert_eq!(v.as_str().parse::<PanelRole>(), Ok(v));
        }
        for v in CaseStage::ALL {
            assert_eq!(v.as_str().parse::<CaseStage>(), Ok(v));
        }
        assert!("Chair".parse::<PanelRole>().is_err());
        assert_eq!(AssignmentError::NoEligibleChair.to_string(), "no_eligible_chair");
    }
}
