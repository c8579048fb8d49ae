//! Who may see and do what: the one place that decides access. Handlers ask these
//! functions and answer 404 (not 403) when the answer is no, so that the existence of
//! a case or resource does not leak. Pure functions over plain facts, tested for every
//! role against every resource.

use crate::accounts::Role;
use crate::accounts::identity::SignedIn;

/// The facts about the caller that access depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    /// For provider staff: their organisation.
    pub provider_id: Option<i64>,
    pub is_org_admin: bool,
    pub email_confirmed: bool,
}

impl From<&SignedIn> for Actor {
    fn from(signed_in: &SignedIn) -> Self {
        Self {
            user_id: signed_in.user.id,
            role: signed_in.role,
            provider_id: signed_in.user.provider_id,
            is_org_admin: signed_in.user.is_org_admin,
            email_confirmed: signed_in.user.email_confirmed_at.is_some(),
        }
    }
}

/// The facts about a case that access depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseParties {
    pub consumer_id: i64,
    pub provider_id: i64,
    /// Mediators or panel members currently assigned (proposed or confirmed).
    pub mediator_ids: Vec<i64>,
}

/// Who may read a message or document in a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Both parties, the mediators and the secretariat.
    Everyone,
    /// Only the mediators and the secretariat (e.g. the panel's deliberations).
    MediatorOnly,
    /// The provider, the mediators and the secretariat: the consumer's private part is
    /// for the provider; this is for the provider's own confidential input.
    ProviderAndMediator,
    /// The consumer, the mediators and the secretariat.
    ConsumerAndMediator,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::MediatorOnly => "mediator_only",
            Self::ProviderAndMediator => "provider_and_mediator",
            Self::ConsumerAndMediator => "consumer_and_mediator",
        }
    }
}

impl std::str::FromStr for Visibility {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            Self::Everyone,
            Self::MediatorOnly,
            Self::ProviderAndMediator,
            Self::ConsumerAndMediator,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or(())
    }
}

/// A part of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseResource {
    Case,
    Message(Visibility),
    Document(Visibility),
    Offer,
    /// Drafts are for the panel only; issued rulings for both parties.
    Ruling {
        issued: bool,
    },
}

/// The caller's relation to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    Consumer,
    Provider,
    Mediator,
    Secretariat,
    None,
}

pub fn relation(actor: &Actor, case: &CaseParties) -> Relation {
    match actor.role {
        Role::Secretariat | Role::Admin => Relation::Secretariat,
        Role::Consumer if actor.user_id == case.consumer_id => Relation::Consumer,
        Role::ProviderStaff if actor.provider_id == Some(case.provider_id) => Relation::Provider,
        Role::Mediator if case.mediator_ids.contains(&actor.user_id) => Relation::Mediator,
        _ => Relation::None,
    }
}

pub fn can_view_case(actor: &Actor, case: &CaseParties) -> bool {
    relation(actor, case) != Relation::None
}

pub fn can_view(actor: &Actor, case: &CaseParties, resource: CaseResource) -> bool {
    let relation = relation(actor, case);
    let visible = |visibility: Visibility| match visibility {
        Visibility::Everyone => true,
        Visibility::MediatorOnly => matches!(relation, Relation::Mediator | Relation::Secretariat),
        Visibility::ProviderAndMediator => matches!(
            relation,
            Relation::Provider | Relation::Mediator | Relation::Secretariat
        ),
        Visibility::ConsumerAndMediator => matches!(
            relation,
            Relation::Consumer | Relation::Mediator | Relation::Secretariat
        ),
    };
    relation != Relation::None
        && match resource {
            CaseResource::Case | CaseResource::Offer => true,
            CaseResource::Message(visibility) | CaseResource::Document(visibility) => visible(visibility),
            CaseResource::Ruling { issued } => issued || matches!(relation, Relation::Mediator | Relation::Secretariat),
        }
}

/// The consumer's address and phone: for the secretariat and the mediators; the provider
/// sees the name and the customer details the procedure needs, not the contact details.
pub fn sees_consumer_contact(actor: &Actor, case: &CaseParties) -> bool {
    matches!(
        relation(actor, case),
        Relation::Consumer | Relation::Mediator | Relation::Secretariat
    )
}

/// Filing a case needs a confirmed e-mail address.
pub fn can_file_case(actor: &Actor) -> bool {
    actor.role == Role::Consumer && actor.email_confirmed
}

/// Providers, memberships and the member-list import: the secretariat (and admins).
pub fn can_manage_registry(actor: &Actor) -> bool {
    matches!(actor.role, Role::Secretariat | Role::Admin)
}

/// Scheme rules and users: admins only.
pub fn can_manage_schemes(actor: &Actor) -> bool {
    actor.role == Role::Admin
}

pub fn can_manage_users(actor: &Actor) -> bool {
    actor.role == Role::Admin
}

/// Invitations: the secretariat invites anyone but admins; an organisation's admin
/// invites staff of their own organisation only.
pub fn can_invite(actor: &Actor, role: Role, provider_id: Option<i64>) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Secretariat => role != Role::Admin,
        Role::ProviderStaff => {
            actor.is_org_admin
                && role == Role::ProviderStaff
                && provider_id.is_some()
                && provider_id == actor.provider_id
        }
        _ => false,
    }
}

/// Personal API tokens: provider staff and the secretariat (for ticketing systems).
pub fn can_use_api_tokens(actor: &Actor) -> bool {
    matches!(actor.role, Role::ProviderStaff | Role::Secretariat | Role::Admin)
}

/// Lists of all cases, the overview by state and mediator load.
pub fn can_see_all_cases(actor: &Actor) -> bool {
    matches!(actor.role, Role::Secretariat | Role::Admin)
}

/// A step in staffing a case with a mediator or a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffingStep {
    /// Ask the assignment function for a proposal (again).
    Propose,
    /// Confirm the proposal.
    Confirm,
    /// A member steps down.
    Recuse,
    /// A party challenges (wraakt) a member.
    Challenge,
    /// Uphold or reject a challenge.
    DecideChallenge,
    /// Declare providers one must never be assigned to.
    DeclareConflicts,
}

/// Who takes which staffing step: the secretariat runs the staffing, a member may only step down
/// from their own seat (checked against the seat by the caller), the parties may challenge.
pub fn can_take_staffing_step(actor: &Actor, relation: Relation, step: StaffingStep) -> bool {
    match step {
        StaffingStep::Propose | StaffingStep::Confirm | StaffingStep::DecideChallenge => {
            relation == Relation::Secretariat
        }
        StaffingStep::Recuse => relation == Relation::Mediator,
        StaffingStep::Challenge => matches!(relation, Relation::Consumer | Relation::Provider),
        StaffingStep::DeclareConflicts => actor.role == Role::Mediator,
    }
}

/// `Err(NotFound)` unless allowed: to the caller, a refusal looks like absence.
pub fn ensure(allowed: bool) -> Result<(), crate::web::error::AppError> {
    if allowed {
        Ok(())
    } else {
        Err(crate::web::error::AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONSUMER: i64 = 1;
    const OTHER_CONSUMER: i64 = 2;
    const STAFF: i64 = 3;
    const OTHER_STAFF: i64 = 4;
    const MEDIATOR: i64 = 5;
    const OTHER_MEDIATOR: i64 = 6;
    const SECRETARIAT: i64 = 7;
    const ADMIN: i64 = 8;
    const PROVIDER: i64 = 100;
    const OTHER_PROVIDER: i64 = 200;

    fn actor(user_id: i64, role: Role, provider_id: Option<i64>) -> Actor {
        Actor {
            user_id,
            role,
            provider_id,
            is_org_admin: false,
            email_confirmed: true,
        }
    }

    fn case() -> CaseParties {
        CaseParties {
            consumer_id: CONSUMER,
            provider_id: PROVIDER,
            mediator_ids: vec![MEDIATOR],
        }
    }

    /// Every role, with and without a relation to the case.
    fn actors() -> Vec<(&'static str, Actor)> {
        vec![
            ("consumer of the case", actor(CONSUMER, Role::Consumer, None)),
            ("another consumer", actor(OTHER_CONSUMER, Role::Consumer, None)),
            (
                "staff of the provider",
                actor(STAFF, Role::ProviderStaff, Some(PROVIDER)),
            ),
            (
                "staff of another provider",
                actor(OTHER_STAFF, Role::ProviderStaff, Some(OTHER_PROVIDER)),
            ),
            ("assigned mediator", actor(MEDIATOR, Role::Mediator, None)),
            ("another mediator", actor(OTHER_MEDIATOR, Role::Mediator, None)),
            ("secretariat", actor(SECRETARIAT, Role::Secretariat, None)),
            ("admin", actor(ADMIN, Role::Admin, None)),
        ]
    }

    fn resources() -> Vec<(&'static str, CaseResource)> {
        use Visibility::*;
        vec![
            ("case", CaseResource::Case),
            ("public message", CaseResource::Message(Everyone)),
            ("mediator-only message", CaseResource::Message(MediatorOnly)),
            (
                "provider-and-mediator message",
                CaseResource::Message(ProviderAndMediator),
            ),
            (
                "consumer-and-mediator message",
                CaseResource::Message(ConsumerAndMediator),
            ),
            ("public document", CaseResource::Document(Everyone)),
            (
                "provider-and-mediator document",
                CaseResource::Document(ProviderAndMediator),
            ),
            (
                "consumer-and-mediator document",
                CaseResource::Document(ConsumerAndMediator),
            ),
            ("offer", CaseResource::Offer),
            ("draft ruling", CaseResource::Ruling { issued: false }),
            ("issued ruling", CaseResource::Ruling { issued: true }),
        ]
    }

    /// The expected answer, written out as a table rather than derived from the code.
    fn expected(actor: &str, resource: &str) -> bool {
        let outsider = matches!(
            actor,
            "another consumer" | "staff of another provider" | "another mediator"
        );
        if outsider {
            return false;
        }
        match (actor, resource) {
            ("secretariat" | "admin" | "assigned mediator", _) => true,
            (_, "mediator-only message" | "draft ruling") => false,
            ("consumer of the case", "provider-and-mediator message" | "provider-and-mediator document") => false,
            ("staff of the provider", "consumer-and-mediator message" | "consumer-and-mediator document") => false,
            _ => true,
        }
    }

    #[test]
    fn every_role_sees_exactly_what_the_matrix_says_of_every_case_resource() {
        for (actor_name, actor) in actors() {
            for (resource_name, resource) in resources() {
                assert_eq!(
                    can_view(&actor, &case(), resource),
                    expected(actor_name, resource_name),
                    "{actor_name} viewing {resource_name}"
                );
            }
        }
    }

    #[test]
    fn every_role_takes_exactly_the_staffing_steps_the_table_says() {
        use StaffingStep::*;
        let steps = [Propose, Confirm, Recuse, Challenge, DecideChallenge, DeclareConflicts];
        for (name, actor) in actors() {
            for step in steps {
                let expected = matches!(
                    (name, step),
                    ("secretariat" | "admin", Propose | Confirm | DecideChallenge)
                        | ("assigned mediator", Recuse)
                        | ("consumer of the case" | "staff of the provider", Challenge)
                        | ("assigned mediator" | "another mediator", DeclareConflicts)
                );
                let relation = relation(&actor, &case());
                assert_eq!(
                    can_take_staffing_step(&actor, relation, step),
                    expected,
                    "{name} taking {step:?}"
                );
            }
        }
    }

    #[test]
    fn a_mediator_sees_a_case_only_while_assigned() {
        let mediator = actor(MEDIATOR, Role::Mediator, None);
        let unassigned = CaseParties {
            mediator_ids: vec![],
            ..case()
        };
        assert!(can_view_case(&mediator, &case()));
        assert!(!can_view_case(&mediator, &unassigned));
    }

    #[test]
    fn staff_without_an_organisation_see_no_case() {
        assert!(!can_view_case(&actor(STAFF, Role::ProviderStaff, None), &case()));
    }

    #[test]
    fn the_provider_never_sees_the_consumers_contact_details() {
        assert!(!sees_consumer_contact(
            &actor(STAFF, Role::ProviderStaff, Some(PROVIDER)),
            &case()
        ));
        assert!(sees_consumer_contact(&actor(MEDIATOR, Role::Mediator, None), &case()));
        assert!(sees_consumer_contact(&actor(CONSUMER, Role::Consumer, None), &case()));
    }

    #[test]
    fn registry_schemes_and_users_are_managed_by_the_right_roles_only() {
        for (name, actor) in actors() {
            let registry = matches!(actor.role, Role::Secretariat | Role::Admin);
            assert_eq!(can_manage_registry(&actor), registry, "{name}");
            assert_eq!(can_manage_schemes(&actor), actor.role == Role::Admin, "{name}");
            assert_eq!(can_manage_users(&actor), actor.role == Role::Admin, "{name}");
            assert_eq!(can_see_all_cases(&actor), registry, "{name}");
        }
    }

    #[test]
    fn only_confirmed_consumers_file_cases() {
        assert!(can_file_case(&actor(CONSUMER, Role::Consumer, None)));
        assert!(!can_file_case(&Actor {
            email_confirmed: false,
            ..actor(CONSUMER, Role::Consumer, None)
        }));
        assert!(!can_file_case(&actor(STAFF, Role::ProviderStaff, Some(PROVIDER))));
    }

    #[test]
    fn organisation_admins_invite_only_their_own_staff() {
        let org_admin = Actor {
            is_org_admin: true,
            ..actor(STAFF, Role::ProviderStaff, Some(PROVIDER))
        };
        assert!(can_invite(&org_admin, Role::ProviderStaff, Some(PROVIDER)));
        assert!(!can_invite(&org_admin, Role::ProviderStaff, Some(OTHER_PROVIDER)));
        assert!(!can_invite(&org_admin, Role::Mediator, None));
        assert!(!can_invite(
            &actor(STAFF, Role::ProviderStaff, Some(PROVIDER)),
            Role::ProviderStaff,
            Some(PROVIDER)
        ));
        let secretariat = actor(SECRETARIAT, Role::Secretariat, None);
        assert!(can_invite(&secretariat, Role::Mediator, None));
        assert!(can_invite(&secretariat, Role::ProviderStaff, Some(OTHER_PROVIDER)));
        assert!(!can_invite(&secretariat, Role::Admin, None));
        assert!(can_invite(&actor(ADMIN, Role::Admin, None), Role::Admin, None));
        assert!(!can_invite(
            &actor(CONSUMER, Role::Consumer, None),
            Role::Consumer,
            None
        ));
        assert!(!can_invite(
            &actor(MEDIATOR, Role::Mediator, None),
            Role::Mediator,
            None
        ));
    }
}
