//! The case page's lists in one statement.
//!
//! The case page is read on every view, and on PostgreSQL every statement is a round trip to a
//! server process on the same cores (docs/PERFORMANCE.md, item 39). Its lists (the timeline,
//! messages, documents, extension requests, offers, the planned hearing, rulings and the
//! compliance records) were a statement each; here they are one `UNION ALL` whose rows share one
//! wide shape: the list's name, the row's id, and numbered slots of each SQL type that each list
//! fills in its own order (the branches of [`LISTS`] say which column goes where). Each row is
//! turned back into its list's own type, so the sections that filter them by the policy and show
//! them are unchanged. The SQL is the same on both backends; every empty slot of the first branch
//! is a typed `NULL`, since PostgreSQL types a `UNION`'s columns pair by pair from the left.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error as DieselError;
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Date, HasSqlType, Nullable, Text, Timestamp, Untyped};

use crate::cases::extensions::RequestRow;
use crate::cases::service::DocumentListing;
use crate::cases::thread::MessageView;
use crate::compliance::store::{ClaimRow, ReportRow};
use crate::db::{DbConnection, on_backend};
use crate::hearings::handlers::HearingRow;
use crate::offers::store::OfferRow;
use crate::rulings::store::RulingRow;

/// One line of the timeline: an event of the case with the name of who caused it.
#[derive(Debug)]
pub struct TimelineRow {
    pub at: NaiveDateTime,
    pub kind: String,
    pub to_state: Option<String>,
    pub from_state: Option<String>,
    pub detail: String,
    pub actor_name: Option<String>,
}

/// Everything the case page lists, as stored: nothing here is filtered by who is looking yet
/// (the sections do that, by the policy).
#[derive(Debug, Default)]
pub struct CasePageLists {
    /// Oldest first.
    pub timeline: Vec<TimelineRow>,
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// Oldest first.
    pub documents: Vec<DocumentListing>,
    /// Newest first.
    pub extension_requests: Vec<RequestRow>,
    /// Newest first, with the maker's name.
    pub offers: Vec<(OfferRow, String)>,
    /// The hearing that is planned (not cancelled), if any.
    pub hearing: Option<HearingRow>,
    /// Oldest first, drafts too.
    pub rulings: Vec<RulingRow>,
    /// Oldest first.
    pub compliance_reports: Vec<ReportRow>,
    pub guarantee_claim: Option<ClaimRow>,
    /// The consumer's score and comment.
    pub rating: Option<(i32, String)>,
}

/// The lists' rows in one shape. The slots' meaning per list is in the branches of [`LISTS`].
#[derive(QueryableByName)]
struct ListRow {
    #[diesel(sql_type = Text)]
    list: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    n1: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    n2: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    n3: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    n4: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    n5: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    n6: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    t1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t4: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t5: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t6: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    t7: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    d1: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    d2: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    d3: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    s1: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    s2: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    s3: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    s4: Option<NaiveDateTime>,
}

/// Each branch lists all 22 columns in the order of [`ListRow`]:
/// `list, id, n1..n6, t1..t7, d1..d3, s1..s4`. Every list is read through its `(case_id, id)`
/// index (the claim and the rating through their unique `case_id`).
const LISTS: &str = "\
SELECT CAST('event' AS TEXT) AS list, e.id AS id,
       CAST(NULL AS BIGINT) AS n1, CAST(NULL AS BIGINT) AS n2, CAST(NULL AS BIGINT) AS n3,
       CAST(NULL AS BIGINT) AS n4, CAST(NULL AS BIGINT) AS n5, CAST(NULL AS BIGINT) AS n6,
       e.kind AS t1, e.to_state AS t2, e.from_state AS t3, e.detail AS t4, u.display_name AS t5,
       CAST(NULL AS TEXT) AS t6, CAST(NULL AS TEXT) AS t7,
       CAST(NULL AS DATE) AS d1, CAST(NULL AS DATE) AS d2, CAST(NULL AS DATE) AS d3,
       e.at AS s1, CAST(NULL AS TIMESTAMP) AS s2, CAST(NULL AS TIMESTAMP) AS s3, CAST(NULL AS TIMESTAMP) AS s4
  FROM case_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.case_id = $1
UNION ALL
SELECT 'message', m.id,
       m.author_id, NULL, NULL, NULL, NULL, NULL,
       m.body, m.visibility, m.moderation, u.display_name, u.role, NULL, NULL,
       m.reply_due_on, NULL, NULL,
       m.created_at, NULL, NULL, NULL
  FROM messages m JOIN users u ON u.id = m.author_id WHERE m.case_id = $1
UNION ALL
SELECT 'document', d.id,
       d.size_bytes, NULL, NULL, NULL, NULL, NULL,
       d.file_name, d.kind, d.content_type, d.sha256, d.visibility, u.display_name, NULL,
       NULL, NULL, NULL,
       d.created_at, NULL, NULL, NULL
  FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.case_id = $1
UNION ALL
SELECT 'extension', x.id,
       x.requested_by, NULL, NULL, NULL, NULL, NULL,
       u.display_name, x.reason, x.status, x.decision_reason, NULL, NULL, NULL,
       x.current_due_on, x.requested_until, x.decided_until,
       x.created_at, NULL, NULL, NULL
  FROM extension_requests x JOIN users u ON u.id = x.requested_by WHERE x.case_id = $1
UNION ALL
SELECT 'offer', o.id,
       o.case_id, o.made_by, o.amount_cents, o.replaces_offer_id, o.responded_by, NULL,
       o.made_by_role, o.actions, o.terms, o.status, o.response_reason, u.display_name, NULL,
       o.expires_on, NULL, NULL,
       o.responded_at, o.created_at, o.consumer_accepted_at, o.provider_accepted_at
  FROM offers o JOIN users u ON u.id = o.made_by WHERE o.case_id = $1
UNION ALL
SELECT 'hearing', h.id,
       h.case_id, CAST(h.sequence AS BIGINT), NULL, NULL, NULL, NULL,
       h.location, h.video_link, h.status, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL,
       h.starts_at, h.created_at, h.updated_at, NULL
  FROM hearings h WHERE h.case_id = $1 AND h.status = 'scheduled'
UNION ALL
SELECT 'ruling', r.id,
       r.case_id, r.award_cents, r.fee_refund_cents, r.corrects_ruling_id, r.drafted_by, r.issued_by,
       r.status, r.outcome, r.award_actions, r.deposit_decision, r.reasoning, r.summary, r.language,
       r.compliance_due_on, NULL, NULL,
       r.issued_at, r.created_at, r.updated_at, NULL
  FROM rulings r WHERE r.case_id = $1
UNION ALL
SELECT 'report', c.id,
       c.document_id, NULL, NULL, NULL, NULL, NULL,
       c.kind, c.note, u.display_name, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL,
       c.created_at, NULL, NULL, NULL
  FROM compliance_reports c JOIN users u ON u.id = c.created_by WHERE c.case_id = $1
UNION ALL
SELECT 'claim', g.id,
       g.amount_cents, NULL, NULL, NULL, NULL, NULL,
       g.status, gu.name, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL,
       g.paid_at, NULL, NULL, NULL
  FROM guarantee_claims g LEFT JOIN guarantors gu ON gu.id = g.guarantor_id WHERE g.case_id = $1
UNION ALL
SELECT 'rating', ra.id,
       CAST(ra.score AS BIGINT), NULL, NULL, NULL, NULL, NULL,
       ra.comment, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL,
       NULL, NULL, NULL, NULL
  FROM ratings ra WHERE ra.case_id = $1
ORDER BY list, id";

/// [`LISTS`] for one case, as a statement that diesel keeps prepared on both backends: a
/// `sql_query` is prepared anew on every call (it marks itself unsafe to keep), and PostgreSQL takes
/// ~3 ms to plan this union, six times what running it takes. Unlike the register's searches
/// (`db::KeptPrepared`, SQLite only), a generic plan is right here for every case: each branch is
/// an index look-up by the case. `$1` becomes a bound parameter at each place.
#[derive(Debug, Clone, Copy)]
struct ListsOfCase(i64);

impl QueryId for ListsOfCase {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for ListsOfCase {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for ListsOfCase {}

impl<DB> QueryFragment<DB> for ListsOfCase
where
    DB: Backend + HasSqlType<BigInt>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut pieces = LISTS.split("$1");
        out.push_sql(pieces.next().unwrap_or_default());
        for piece in pieces {
            out.push_bind_param::<BigInt, _>(&self.0)?;
            out.push_sql(piece);
        }
        Ok(())
    }
}

/// The case page's lists of `case_id`, in one statement (see the module's comment).
pub fn case_page_lists(conn: &mut DbConnection, case_id: i64) -> QueryResult<CasePageLists> {
    let rows: Vec<ListRow> = on_backend!(conn, |c| ListsOfCase(case_id).load(c))?;
    let mut lists = CasePageLists::default();
    for row in rows {
        row.add_to(&mut lists)?;
    }
    // Read oldest first like the rest; these two are shown newest first.
    lists.extension_requests.reverse();
    lists.offers.reverse();
    Ok(lists)
}

/// A slot that the list's column fills is never empty unless the column may be.
fn filled<T>(slot: Option<T>, what: &'static str) -> QueryResult<T> {
    slot.ok_or_else(|| DieselError::DeserializationError(format!("the case page's lists: no {what}").into()))
}

impl ListRow {
    fn add_to(self, lists: &mut CasePageLists) -> QueryResult<()> {
        let ListRow {
            list,
            id,
            n1,
            n2,
            n3,
            n4,
            n5,
            n6,
            t1,
            t2,
            t3,
            t4,
            t5,
            t6,
            t7,
            d1,
            d2,
            d3,
            s1,
            s2,
            s3,
            s4,
        } = self;
        match list.as_str() {
            "event" => lists.timeline.push(TimelineRow {
                at: filled(s1, "event time")?,
                kind: filled(t1, "event kind")?,
                to_state: t2,
                from_state: t3,
                detail: filled(t4, "event detail")?,
                actor_name: t5,
            }),
            "message" => lists.messages.push(MessageView {
                id,
                author_id: filled(n1, "message author")?,
                body: filled(t1, "message body")?,
                visibility: filled(t2, "message visibility")?,
                moderation: filled(t3, "message moderation")?,
                reply_due_on: d1,
                created_at: filled(s1, "message time")?,
                author_name: filled(t4, "message author's name")?,
                author_role: filled(t5, "message author's role")?,
            }),
            "document" => lists.documents.push(DocumentListing {
                id,
                file_name: filled(t1, "document name")?,
                kind: filled(t2, "document kind")?,
                content_type: filled(t3, "document type")?,
                size_bytes: filled(n1, "document size")?,
                sha256: filled(t4, "document digest")?,
                visibility: filled(t5, "document visibility")?,
                created_at: filled(s1, "document time")?,
                uploaded_by: filled(t6, "document uploader")?,
            }),
            "extension" => lists.extension_requests.push(RequestRow {
                id,
                requested_by: filled(n1, "extension requester")?,
                requester: filled(t1, "extension requester's name")?,
                current_due_on: filled(d1, "extension's current deadline")?,
                requested_until: filled(d2, "extension's requested deadline")?,
                reason: filled(t2, "extension reason")?,
                status: filled(t3, "extension status")?,
                decision_reason: filled(t4, "extension decision")?,
                decided_until: d3,
                created_at: filled(s1, "extension time")?,
            }),
            "offer" => lists.offers.push((
                OfferRow {
                    id,
                    case_id: filled(n1, "offer case")?,
                    made_by: filled(n2, "offer maker")?,
                    made_by_role: filled(t1, "offer maker's role")?,
                    amount_cents: n3,
                    actions: filled(t2, "offer actions")?,
                    terms: filled(t3, "offer terms")?,
                    expires_on: filled(d1, "offer expiry")?,
                    status: filled(t4, "offer status")?,
                    replaces_offer_id: n4,
                    responded_by: n5,
                    responded_at: s1,
                    response_reason: filled(t5, "offer response")?,
                    created_at: filled(s2, "offer time")?,
                    consumer_accepted_at: s3,
                    provider_accepted_at: s4,
                },
                filled(t6, "offer maker's name")?,
            )),
            // Rows come by id, so the last planned hearing is the newest.
            "hearing" => {
                lists.hearing = Some(HearingRow {
                    id,
                    case_id: filled(n1, "hearing case")?,
                    starts_at: filled(s1, "hearing start")?,
                    location: filled(t1, "hearing location")?,
                    video_link: filled(t2, "hearing link")?,
                    status: filled(t3, "hearing status")?,
                    created_at: filled(s2, "hearing time")?,
                    updated_at: filled(s3, "hearing update")?,
                    sequence: i32::try_from(filled(n2, "hearing sequence")?)
                        .map_err(|e| DieselError::DeserializationError(e.into()))?,
                })
            }
            "ruling" => lists.rulings.push(RulingRow {
                id,
                case_id: filled(n1, "ruling case")?,
                status: filled(t1, "ruling status")?,
                outcome: filled(t2, "ruling outcome")?,
                award_cents: n2,
                award_actions: filled(t3, "ruling actions")?,
                fee_refund_cents: filled(n3, "ruling refund")?,
                deposit_decision: filled(t4, "ruling deposit")?,
                reasoning: filled(t5, "ruling reasoning")?,
                summary: filled(t6, "ruling summary")?,
                language: filled(t7, "ruling language")?,
                compliance_due_on: d1,
                corrects_ruling_id: n4,
                drafted_by: filled(n5, "ruling drafter")?,
                issued_by: n6,
                issued_at: s1,
                created_at: filled(s2, "ruling time")?,
                updated_at: filled(s3, "ruling update")?,
            }),
            "report" => lists.compliance_reports.push(ReportRow {
                kind: filled(t1, "report kind")?,
                note: filled(t2, "report note")?,
                document_id: n1,
                created_at: filled(s1, "report time")?,
                author: filled(t3, "report author")?,
            }),
            "claim" => {
                lists.guarantee_claim = Some(ClaimRow {
                    amount_cents: filled(n1, "claim amount")?,
                    status: filled(t1, "claim status")?,
                    guarantor: t2,
                    paid_at: s1,
                })
            }
            "rating" => {
                let score = i32::try_from(filled(n1, "rating score")?)
                    .map_err(|e| DieselError::DeserializationError(e.into()))?;
                lists.rating = Some((score, filled(t1, "rating comment")?));
            }
            other => {
                return Err(DieselError::DeserializationError(
                    format!("the case page's lists: unknown list {other}").into(),
                ));
            }
        }
        Ok(())
    }
}
