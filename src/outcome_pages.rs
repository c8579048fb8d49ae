//! What the outcome modules share at the edge: the data of their sections on the case page
//! (put together by one call, [`sections`], from the rows `cases::page_lists` reads), downloads of printable documents as HTML or PDF, and
//! uploads (expert report, compliance evidence) stored like every other case document.

use actix_multipart::Multipart;
use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::cases::lifecycle::{self, CaseState};
use crate::cases::queries::{CaseRow, Seat};
use crate::compliance;
use crate::db::DbConnection;
use crate::db::schema::{case_events, documents};
use crate::documents::{self as docs, StoreError, StoredFile};
use crate::hearings;
use crate::offers::{self, Maker, OfferStatus};
use crate::policy::{self, Actor, CaseParties, CaseResource, Relation};
use crate::printable::Printable;
use crate::registry::rules::SchemeRules;
use crate::rulings;
use crate::startup::AppState;
use crate::web::error::AppError;
use crate::web::page::PageContext;

/// Input that cannot be used (`422`): the same form again, filled in with what was typed, with the
/// message beside the field it is about. `form` names the partial (`hearing`, `compliance-report`,
/// `compliance-dispute`, `rating`); `values` holds every field that partial shows.
pub fn retry(
    page: &PageContext,
    case: &CaseRow,
    form: &str,
    (field, message_key): (&str, &str),
    values: Value,
) -> Result<HttpResponse, AppError> {
    page.render_with_status(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "pages/outcome_form",
        json!({
            "case": { "id": case.id, "reference": case.reference },
            "form": form,
            "values": values,
            "errors": { field: message_key },
        }),
    )
}

/// A download format of a printable document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Pdf,
}

impl Format {
    pub fn parse(extension: &str) -> Option<Self> {
        match extension {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
}

/// The document as a download (`attachment` for PDF, shown inline for HTML); never cached.
pub fn download(document: &Printable, format: Format, base_name: &str) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    match format {
        Format::Html => response
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{base_name}.html\""),
            ))
            .body(document.to_html()),
        Format::Pdf => response
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{base_name}.pdf\""),
            ))
            .body(document.to_pdf()),
    }
}

/// An uploaded file with the form's text fields.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

/// Reads a multipart form with a CSRF token and at most one file `file` (optional when
/// `file_required` is false; an empty file field counts as none).
pub async fn read_upload_optional(
    page: &PageContext,
    state: &AppState,
    payload: Multipart,
) -> Result<(Vec<(String, String)>, Option<(String, Vec<u8>)>), AppError> {
    let max = state.settings.upload_max_bytes;
    let form = docs::read_multipart(payload, max + 64 * 1024)
        .await
        .map_err(|e| match e {
            docs::FormError::TooLarge => AppError::PayloadTooLarge,
            docs::FormError::Malformed => AppError::BadRequest("malformed upload".into()),
        })?;
    if !page.csrf_token_matches(form.field("csrf_token").unwrap_or_default()) {
        return Err(AppError::Forbidden("csrf"));
    }
    let file = form
        .files
        .into_iter()
        .find(|(name, _, bytes)| name == "file" && !bytes.is_empty())
        .map(|(_, file_name, bytes)| (file_name, bytes));
    Ok((form.fields, file))
}

pub async fn read_upload(page: &PageContext, state: &AppState, payload: Multipart) -> Result<Upload, AppError> {
    let (fields, file) = read_upload_optional(page, state, payload).await?;
    let (file_name, bytes) =
        file.ok_or_else(|| AppError::BadRequest(docs::UploadProblem::Missing.message_key().into()))?;
    Ok(Upload {
        file_name,
        bytes,
        fields,
    })
}

/// Checks and writes the file (blocking: call inside `Database::run`).
pub fn store_file(storage: &std::path::Path, upload: &Upload, max: usize) -> Result<StoredFile, AppError> {
    docs::store(storage, &upload.file_name, &upload.bytes, max).map_err(|e| match e {
        StoreError::Problem(docs::UploadProblem::TooLarge) => AppError::PayloadTooLarge,
        StoreError::Problem(problem) => AppError::BadRequest(problem.message_key().into()),
        StoreError::Io(io) => AppError::internal(io),
    })
}

/// The document row and its case event (visible to everyone in the case).
pub fn insert_document(
    conn: &mut DbConnection,
    case_id: i64,
    actor: &Actor,
    kind: &str,
    stored: &StoredFile,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(documents::table)
        .values((
            documents::case_id.eq(case_id),
            documents::uploaded_by.eq(actor.user_id),
            documents::kind.eq(kind),
            documents::file_name.eq(&stored.file_name),
            documents::content_type.eq(stored.content_type),
            documents::size_bytes.eq(stored.size_bytes),
            documents::sha256.eq(&stored.sha256),
            documents::storage_key.eq(&stored.storage_key),
            documents::visibility.eq("everyone"),
            documents::created_at.eq(now),
        ))
        .returning(documents::id)
        .get_result(conn)?;
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(now),
            case_events::actor_id.eq(actor.user_id),
            case_events::actor_role.eq(actor.role.as_str()),
            case_events::kind.eq("document_uploaded"),
            case_events::detail
                .eq(json!({ "document_id": id, "sha256": stored.sha256, "visibility": "everyone" }).to_string()),
        ))
        .execute(conn)?;
    Ok(id)
}

fn day(d: Option<chrono::NaiveDate>) -> Value {
    d.map(|d| json!(d.format("%d-%m-%Y").to_string()))
        .unwrap_or(Value::Null)
}

fn when(t: NaiveDateTime) -> String {
    t.format("%d-%m-%Y %H:%M").to_string()
}

/// What the outcome sections of the case page show, as stored (read with the page's other lists,
/// `cases::page_lists`).
pub struct OutcomeRows {
    /// Newest first, with the maker's name.
    pub offers: Vec<(offers::store::OfferRow, String)>,
    pub hearing: Option<hearings::handlers::HearingRow>,
    /// Oldest first, drafts too.
    pub rulings: Vec<rulings::store::RulingRow>,
    pub compliance_reports: Vec<compliance::store::ReportRow>,
    pub guarantee_claim: Option<compliance::store::ClaimRow>,
    pub rating: Option<(i32, String)>,
}

/// Everything the outcome partials of the case page show to this actor, as one JSON object
/// under the key `outcomes`. `seats` are the case's active seats (`cases::queries::CasePageHead`).
pub fn sections(
    rows: OutcomeRows,
    seats: &[Seat],
    actor: &Actor,
    case: &CaseRow,
    parties: &CaseParties,
    rules: &SchemeRules,
) -> Result<Value, AppError> {
    let now = Utc::now().naive_utc();
    let today = now.date();
    let relation = policy::relation(actor, parties);
    let state: CaseState = case.state.parse().map_err(|_| AppError::internal("unknown state"))?;

    // Offers
    let negotiable = offers::store::negotiable_under(rules, case);
    let maker = Maker::from_relation(relation);
    let history = rows.offers;
    let open = history
        .iter()
        .find(|(o, _)| o.status() == OfferStatus::Open)
        .map(|(o, _)| o.clone());
    let offer_list: Vec<Value> = history
        .iter()
        .map(|(o, by)| {
            let answerable = o.status() == OfferStatus::Open && negotiable && o.maker().answered_by(relation);
            let mine_accepted = match relation {
                Relation::Consumer => o.consumer_accepted_at.is_some(),
                Relation::Provider => o.provider_accepted_at.is_some(),
                _ => false,
            };
            json!({
                "id": o.id,
                "status": o.status,
                "maker": o.made_by_role,
                "by": by,
                "amount_cents": o.amount_cents,
                "actions": o.action_list(),
                "terms": o.terms,
                "expires_on": day(Some(o.expires_on)),
                "at": when(o.created_at),
                "reason": o.response_reason,
                "can_answer": answerable && !mine_accepted,
                "accepted_by_me": mine_accepted,
            })
        })
        .collect();
    let can_make = negotiable && maker.is_some() && open.is_none();
    let can_counter = negotiable
        && open.as_ref().is_some_and(|o| {
            o.maker().answered_by(relation) || (maker == Some(Maker::Mediator) && o.maker() == Maker::Mediator)
        });
    let settled_by_offer = history.iter().any(|(o, _)| o.status() == OfferStatus::Accepted);

    // Hearing and expert investigation
    let may_have_hearing = state.may_have_hearing_or_ruling();
    let hearing = rows.hearing.filter(|_| may_have_hearing);
    let is_secretariat = relation == Relation::Secretariat;
    let is_panel = matches!(relation, Relation::Mediator | Relation::Secretariat);
    let hearing_json = hearing.as_ref().map(|h| {
        json!({
            "when": hearings::utc_to_local(h.starts_at).format("%d-%m-%Y %H:%M").to_string(),
            "location": h.location,
            "video_link": h.video_link,
        })
    });
    let can_plan_hearing = is_secretariat && matches!(state, CaseState::Mediation | CaseState::HearingScheduled);

    // Rulings
    let all_rulings = if may_have_hearing { rows.rulings } else { Vec::new() };
    let sees_drafts = policy::can_view(actor, parties, CaseResource::Ruling { issued: false });
    let is_chair = relation == Relation::Mediator
        && may_have_hearing
        && seats.iter().any(|seat| seat.is_confirmed_chair_of(actor.user_id));
    let ruling_list: Vec<Value> = all_rulings
        .iter()
        .filter(|r| r.is_issued() || sees_drafts)
        .map(|r| {
            json!({
                "id": r.id,
                "issued": r.is_issued(),
                "outcome": r.outcome,
                "summary": r.summary,
                "reasoning": r.reasoning,
                "award_cents": r.award_cents,
                "award_actions": r.award_actions,
                "fee_refund_cents": r.fee_refund_cents,
                "deposit_decision": r.deposit_decision,
                "issued_at": r.issued_at.map(when),
                "compliance_due_on": day(r.compliance_due_on),
                "corrects": r.corrects_ruling_id,
                "can_issue": !r.is_issued() && is_chair,
            })
        })
        .collect();
    let has_issued = all_rulings.iter().any(|r| r.is_issued());
    let open_draft = all_rulings.iter().find(|r| !r.is_issued());
    // The panel drafts the ruling at the hearing stage; once issued, only corrections.
    let can_draft = relation == Relation::Mediator && (has_issued || state == CaseState::HearingScheduled);
    let ruling_due = if state == CaseState::HearingScheduled {
        hearing
            .as_ref()
            .map(|h| lifecycle::ruling_due(hearings::utc_to_local(h.starts_at).date(), rules))
    } else {
        None
    };
    let warning = ruling_due.and_then(|due| rulings::term_warning(due, today).map(|left| (due, left)));
    let last_issued = all_rulings.iter().rev().find(|r| r.is_issued()).map(|r| r.id);

    // Compliance, guarantee and rating
    let (reports, claim, rating) = if state.may_have_compliance_records() {
        let reports: Vec<Value> = rows
            .compliance_reports
            .into_iter()
            .map(|r| json!({ "kind": r.kind, "note": r.note, "document_id": r.document_id, "at": when(r.created_at), "by": r.author }))
            .collect();
        let claim = rows.guarantee_claim.map(|c| {
            json!({ "amount_cents": c.amount_cents, "status": c.status, "guarantor": c.guarantor, "paid_at": c.paid_at.map(when) })
        });
        (reports, claim, rows.rating)
    } else {
        (Vec::new(), None, None)
    };
    let had_outcome = settled_by_offer || has_issued;

    Ok(json!({
        "offers": {
            "list": offer_list,
            "can_make": can_make,
            "can_counter": can_counter,
            "open_id": open.as_ref().map(|o| o.id),
            "is_mediator": maker == Some(Maker::Mediator),
            "actions": offers::ACTIONS,
            "settled": settled_by_offer,
            "show": !offer_list.is_empty() || can_make,
            "default_expiry": (today + chrono::Duration::days(14)).format("%Y-%m-%d").to_string(),
        },
        "hearing": {
            "current": hearing_json,
            "form": { "date": "", "time": "", "location": "", "video_link": "", "moving": hearing_json.is_some() },
            "can_plan": can_plan_hearing,
            "can_add_expert_report": is_panel && state == CaseState::ExpertInvestigation,
            "show": hearing_json.is_some() || can_plan_hearing || state == CaseState::HearingScheduled
                || (is_panel && state == CaseState::ExpertInvestigation),
        },
        "ruling": {
            "list": ruling_list,
            "can_draft": can_draft,
            "draft": open_draft.map(|d| json!({
                "outcome": d.outcome, "award": d.award_cents.map(|c| format!("{},{:02}", c / 100, c % 100)).unwrap_or_default(),
                "award_actions": d.award_actions, "deposit_decision": d.deposit_decision, "reasoning": d.reasoning, "summary": d.summary,
                "refund": format!("{},{:02}", d.fee_refund_cents / 100, d.fee_refund_cents % 100),
            })),
            "corrects": if has_issued { last_issued } else { None },
            "warning": warning.map(|(due, left)| json!({ "due_on": due.format("%d-%m-%Y").to_string(), "days_left": left })),
            "show": !ruling_list.is_empty() || can_draft,
            "outcomes": rulings::Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "deposit_decisions": rulings::DEPOSIT_DECISIONS,
        },
        "compliance": {
            "reports": reports,
            "form": { "note": "", "score": "", "comment": "" },
            "claim": claim,
            "can_report": relation == Relation::Provider && state == CaseState::InCompliance,
            "can_confirm": relation == Relation::Consumer && state == CaseState::InCompliance,
            "can_record_payment": is_secretariat && state == CaseState::GuaranteeClaim,
            "can_rate": relation == Relation::Consumer && state == CaseState::Closed && had_outcome && rating.is_none(),
            "rating": rating.map(|(score, comment)| json!({ "score": score, "comment": comment })),
            "show": state == CaseState::InCompliance || state == CaseState::GuaranteeClaim || !reports.is_empty()
                || (state == CaseState::Closed && had_outcome),
            "settlement": settled_by_offer,
        },
    }))
}
