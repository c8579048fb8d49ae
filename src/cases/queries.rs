//! Reading cases: the row, the facts that access and transitions depend on, and the
//! lists of the dashboards (keyset-paginated, one query each).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{case_assignments, case_events, cases, providers, schemes, users};
use crate::db::{DbConnection, on_backend};
use crate::policy::{Actor, CaseParties};

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: i64,
    pub reference: String,
    pub scheme_id: i64,
    pub rules_id: i64,
    pub consumer_id: i64,
    pub provider_id: i64,
    pub category: String,
    pub language: String,
    pub state: String,
    pub state_entered_at: NaiveDateTime,
    pub state_due_on: Option<NaiveDate>,
    pub version: i32,
    pub contract_date: Option<NaiveDate>,
    pub written_complaint_date: NaiveDate,
    pub written_complaint_channel: String,
    pub provider_answer_date: Option<NaiveDate>,
    pub provider_final_answer: bool,
    pub claim_cents: Option<i64>,
    pub desired_outcome: String,
    pub description: String,
    pub private_note: String,
    pub fee_cents: i64,
    pub fee_status: String,
    pub deposit_cents: i64,
    pub complete_on: Option<NaiveDate>,
    pub outcome_due_on: Option<NaiveDate>,
    pub submitted_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub anonymised_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// Assignment statuses that give a mediator access to a case.
pub const ACTIVE_ASSIGNMENT: [&str; 3] = ["proposed", "confirmed", "challenged"];

/// `status IN ('proposed', 'confirmed', 'challenged')` ([`ACTIVE_ASSIGNMENT`]) as a fixed expression:
/// diesel never caches the prepared statement of a query with `eq_any`, and the case page and the
/// mediators' queues run this filter on every view.
#[diesel::dsl::auto_type]
pub fn assignment_is_active() -> _ {
    let proposed: &'static str = ACTIVE_ASSIGNMENT[0];
    let confirmed: &'static str = ACTIVE_ASSIGNMENT[1];
    let challenged: &'static str = ACTIVE_ASSIGNMENT[2];
    case_assignments::status
        .eq(proposed)
        .or(case_assignments::status.eq(confirmed))
        .or(case_assignments::status.eq(challenged))
}

pub fn find_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<CaseRow>> {
    cases::table
        .find(case_id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

pub fn mediator_ids(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<i64>> {
    on_backend!(conn, |c| case_assignments::table
        .filter(case_assignments::case_id.eq(case_id))
        .filter(assignment_is_active())
        .select(case_assignments::user_id)
        .load(c))
}

/// The case and who its parties are (for the policy), in two indexed lookups.
pub fn case_with_parties(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<(CaseRow, CaseParties)>> {
    let Some(case) = find_case(conn, case_id)? else {
        return Ok(None);
    };
    let parties = CaseParties {
        consumer_id: case.consumer_id,
        provider_id: case.provider_id,
        mediator_ids: mediator_ids(conn, case_id)?,
    };
    Ok(Some((case, parties)))
}

/// The case page's first read: the case, who its parties are (for the policy), what the top of the
/// page shows besides the case (the provider's legal name and KvK number, the consumer's name and
/// e-mail address) and the active seats.
pub struct CasePageHead {
    pub case: CaseRow,
    pub parties: CaseParties,
    pub provider: (String, String),
    pub consumer: (String, String),
    pub seats: Vec<Seat>,
}

/// An active seat on a case (proposed, confirmed or challenged), with the member's name.
#[derive(Debug, Clone, Queryable)]
pub struct Seat {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub panel_role: String,
    pub status: String,
    pub reason: String,
}

impl Seat {
    /// Whether this is `user_id`'s seat as the panel's chair, confirmed: who may issue the ruling (a
    /// sole mediator is the chair). [`crate::rulings::store::is_chair`] asks the same of the database.
    pub fn is_confirmed_chair_of(&self, user_id: i64) -> bool {
        self.user_id == user_id && self.panel_role == CHAIR && self.status == CONFIRMED
    }
}

/// The chair's panel role and a confirmed seat's status, as stored.
pub const CHAIR: &str = crate::cases::assignment::PanelRole::Chair.as_str();
pub const CONFIRMED: &str = "confirmed";

diesel::alias!(users as seat_members: SeatMembers);

/// The [`CasePageHead`] in one statement: the case joined to its provider, its consumer and its
/// active seats with their members' names, a row per seat (one with no seat; a panel has three).
/// The seats' members are the case's mediators for the policy ([`mediator_ids`]) and the page's
/// staffing section shows the seats, so one read serves both: the page is read on every view, and
/// on PostgreSQL each statement is a round trip.
pub fn case_page_head(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<CasePageHead>> {
    let rows = on_backend!(conn, |c| cases::table
        .inner_join(providers::table.on(providers::id.eq(cases::provider_id)))
        .inner_join(users::table.on(users::id.eq(cases::consumer_id)))
        .left_join(case_assignments::table.on(case_assignments::case_id.eq(cases::id).and(assignment_is_active())),)
        .left_join(seat_members.on(seat_members.field(users::id).eq(case_assignments::user_id)))
        .filter(cases::id.eq(case_id))
        .order(case_assignments::id)
        .select((
            CaseRow::as_select(),
            (providers::legal_name, providers::kvk_number),
            (users::display_name, users::email),
            (
                case_assignments::id,
                case_assignments::user_id,
                seat_members.field(users::display_name),
                case_assignments::panel_role,
                case_assignments::status,
                case_assignments::reason,
            )
                .nullable(),
        ))
        .load::<(CaseRow, (String, String), (String, String), Option<Seat>)>(c))?;
    let mut rows = rows.into_iter();
    let Some((case, provider, consumer, first_seat)) = rows.next() else {
        return Ok(None);
    };
    let seats: Vec<Seat> = first_seat.into_iter().chain(rows.filter_map(|row| row.3)).collect();
    let parties = CaseParties {
        consumer_id: case.consumer_id,
        provider_id: case.provider_id,
        mediator_ids: seats.iter().map(|seat| seat.user_id).collect(),
    };
    Ok(Some(CasePageHead {
        case,
        parties,
        provider,
        consumer,
        seats,
    }))
}

/// A line of a case list.
#[derive(Debug, Clone, Queryable, serde::Serialize, utoipa::ToSchema)]
pub struct CaseListItem {
    pub id: i64,
    pub reference: String,
    pub state: String,
    pub state_due_on: Option<NaiveDate>,
    pub category: String,
    pub claim_cents: Option<i64>,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub submitted_at: NaiveDateTime,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub updated_at: NaiveDateTime,
    pub provider_name: String,
    pub scheme_code: String,
    pub consumer_name: String,
}

type ListColumns = (
    cases::id,
    cases::reference,
    cases::state,
    cases::state_due_on,
    cases::category,
    cases::claim_cents,
    cases::submitted_at,
    cases::updated_at,
    providers::legal_name,
    schemes::code,
    users::display_name,
);

const LIST_COLUMNS: ListColumns = (
    cases::id,
    cases::reference,
    cases::state,
    cases::state_due_on,
    cases::category,
    cases::claim_cents,
    cases::submitted_at,
    cases::updated_at,
    providers::legal_name,
    schemes::code,
    users::display_name,
);

/// Which cases a list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub consumer_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub mediator_id: Option<i64>,
    pub state: Option<String>,
    pub scheme_id: Option<i64>,
    /// Only cases whose deadline has passed by this day.
    pub overdue_on: Option<NaiveDate>,
}

/// A keyset cursor for lists sorted by due date (no due date last), then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueCursor {
    pub due: Option<NaiveDate>,
    pub id: i64,
}

impl DueCursor {
    pub fn encode(self) -> String {
        match self.due {
            Some(due) => format!("{due}_{}", self.id),
            None => format!("none_{}", self.id),
        }
    }

    pub fn decode(value: &str) -> Option<Self> {
        let (due, id) = value.split_once('_')?;
        let id = id.parse().ok()?;
        let due = if due == "none" { None } else { Some(due.parse().ok()?) };
        Some(Self { due, id })
    }
}

/// Cases matching `filter`, what is due first first (cases without a deadline last),
/// after `cursor`. The order (due is null, due, id) is read as two index-ordered parts, cases with a
/// deadline by (due, id) and then cases without one by id, so neither backend sorts the whole list:
/// `ORDER BY due IS NULL, …` cannot use the (provider_id, state_due_on, id) index and made a big
/// provider's queue sort every one of its cases on each page (docs/PERFORMANCE.md).
pub fn list_cases(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    cursor: Option<DueCursor>,
    limit: i64,
) -> QueryResult<Vec<CaseListItem>> {
    let mut items = Vec::new();
    // Part one: cases with a deadline, unless the cursor is already past them.
    if cursor.is_none_or(|c| c.due.is_some()) {
        let mut query = filtered(filter).filter(cases::state_due_on.is_not_null());
        if let Some(DueCursor { due: Some(due), id }) = cursor {
            query = query.filter(
                cases::state_due_on
                    .gt(due)
                    .or(cases::state_due_on.eq(due).and(cases::id.gt(id))),
            );
        }
        items = query.order((cases::state_due_on, cases::id)).limit(limit).load(conn)?;
    }
    // Part two: cases without a deadline, by id, to fill the page.
    let room = limit - items.len() as i64;
    if room > 0 && filter.overdue_on.is_none() {
        let mut query = filtered(filter).filter(cases::state_due_on.is_null());
        if let Some(DueCursor { due: None, id }) = cursor {
            query = query.filter(cases::id.gt(id));
        }
        items.extend(query.order(cases::id).limit(room).load::<CaseListItem>(conn)?);
    }
    Ok(items)
}

type ListQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Select<
        diesel::dsl::InnerJoinOn<
            diesel::dsl::InnerJoin<diesel::dsl::InnerJoin<cases::table, providers::table>, schemes::table>,
            users::table,
            diesel::dsl::Eq<users::id, cases::consumer_id>,
        >,
        ListColumns,
    >,
    crate::db::MultiBackend,
>;

/// The list's joins and the filter's conditions, without order or cursor.
fn filtered(filter: &CaseFilter) -> ListQuery<'static> {
    let mut query = cases::table
        .inner_join(providers::table)
        .inner_join(schemes::table)
        .inner_join(users::table.on(users::id.eq(cases::consumer_id)))
        .select(LIST_COLUMNS)
        .into_boxed();
    if let Some(id) = filter.consumer_id {
        query = query.filter(cases::consumer_id.eq(id));
    }
    if let Some(id) = filter.provider_id {
        query = query.filter(cases::provider_id.eq(id));
    }
    if let Some(id) = filter.mediator_id {
        let assigned = case_assignments::table
            .filter(case_assignments::user_id.eq(id))
            .filter(assignment_is_active())
            .select(case_assignments::case_id);
        query = query.filter(cases::id.eq_any(assigned));
    }
    if let Some(state) = &filter.state {
        query = query.filter(cases::state.eq(state.clone()));
    }
    if let Some(id) = filter.scheme_id {
        query = query.filter(cases::scheme_id.eq(id));
    }
    if let Some(day) = filter.overdue_on {
        query = query.filter(cases::state_due_on.lt(day));
    }
    query
}

/// How many cases are in each state (the secretariat's overview), one grouped query.
pub fn count_by_state(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    use diesel::dsl::count_star;
    cases::table
        .group_by(cases::state)
        .select((cases::state, count_star()))
        .order(cases::state)
        .load(conn)
}

/// Someone who follows a case by e-mail: its consumer, its provider's staff and its
/// assigned mediators, active, confirmed and wanting e-mail.
#[derive(Debug, Clone, Queryable)]
pub struct Follower {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub language: String,
    pub role: String,
    pub provider_id: Option<i64>,
    pub is_org_admin: bool,
}

/// Everyone who gets e-mail about a case, in one query (both the transition and the thread use it).
pub fn followers(conn: &mut DbConnection, parties: &CaseParties) -> QueryResult<Vec<Follower>> {
    users::table
        .filter(
            users::id
                .eq(parties.consumer_id)
                .or(users::provider_id
                    .eq(parties.provider_id)
                    .and(users::role.eq(crate::accounts::Role::ProviderStaff.as_str())))
                .or(users::id.eq_any(&parties.mediator_ids)),
        )
        .filter(users::deactivated_at.is_null())
        .filter(users::notify_by_email.eq(true))
        .filter(users::email_confirmed_at.is_not_null())
        .select((
            users::id,
            users::email,
            users::display_name,
            users::language,
            users::role,
            users::provider_id,
            users::is_org_admin,
        ))
        .load(conn)
}

/// Appends an event that does not change the case's state (a message, a document, a staffing step,
/// an extension request). State changes write their events in `transition::apply`.
pub fn record_event(
    conn: &mut DbConnection,
    case_id: i64,
    actor: &Actor,
    kind: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let id = diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(now),
            case_events::actor_id.eq(actor.user_id),
            case_events::actor_role.eq(actor.role.as_str()),
            case_events::kind.eq(kind),
            case_events::detail.eq(detail.to_string()),
        ))
        .returning(case_events::id)
        .get_result::<i64>(conn)?;
    crate::webhooks::enqueue_for_event(conn, id, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let with_due = DueCursor {
            due: NaiveDate::from_ymd_opt(2026, 12, 1),
            id: 42,
        };
        assert_eq!(DueCursor::decode(&with_due.encode()), Some(with_due));
        let without = DueCursor { due: None, id: 7 };
        assert_eq!(DueCursor::decode(&without.encode()), Some(without));
        assert_eq!(DueCursor::decode("2026-13-01_1"), None);
        assert_eq!(DueCursor::decode("x"), None);
        assert_eq!(DueCursor::decode("none_abc"), None);
    }
}
