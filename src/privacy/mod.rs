//! Data protection: a consumer's export of everything the portal holds about them
//! ([`export`], served from their settings by `handlers`), and the retention rule that
//! anonymises closed cases after the configured period (`retention`, run by the worker).

pub mod handlers;
pub mod retention;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::schema::{
    case_events, cases, compliance_reports, documents, intake_drafts, offers, ratings, rulings, schemes, sessions,
};
use crate::policy::{self, Actor, CaseResource, Visibility};

/// An event as exported: at, kind, from, to, detail.
type EventRow = (NaiveDateTime, String, Option<String>, Option<String>, String);
/// An issued ruling as exported: outcome, award, summary, reasoning, issued at.
type RulingRow = (String, Option<i64>, String, String, Option<NaiveDateTime>);

fn time(at: Option<NaiveDateTime>) -> Value {
    json!(at.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// Everything about `actor` as one JSON document: the account, sessions, intake drafts
/// and every case they are the consumer in, with what they may see of it (the same rules
/// as the case page: no mediator-only messages or documents, no draft rulings).
pub fn export(conn: &mut DbConnection, actor: &Actor, now: NaiveDateTime) -> QueryResult<Value> {
    let user = crate::accounts::find_by_id(conn, actor.user_id)?.ok_or(diesel::result::Error::NotFound)?;
    let session_rows: Vec<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>, String, String)> = sessions::table
        .filter(sessions::user_id.eq(actor.user_id))
        .order(sessions::created_at)
        .select((
            sessions::created_at,
            sessions::last_seen_at,
            sessions::revoked_at,
            sessions::user_agent,
            sessions::client_ip,
        ))
        .load(conn)?;
    let drafts: Vec<(i64, String, String, NaiveDateTime, NaiveDateTime)> = intake_drafts::table
        .filter(intake_drafts::consumer_id.eq(actor.user_id))
        .order(intake_drafts::id)
        .select((
            intake_drafts::id,
            intake_drafts::step,
            intake_drafts::answers,
            intake_drafts::created_at,
            intake_drafts::updated_at,
        ))
        .load(conn)?;
    let case_ids: Vec<i64> = cases::table
        .filter(cases::consumer_id.eq(actor.user_id))
        .order(cases::id)
        .select(cases::id)
        .load(conn)?;
    let mut exported_cases = Vec::new();
    for case_id in case_ids {
        exported_cases.push(export_case(conn, actor, case_id)?);
    }
    let ratings: Vec<(i64, i32, String, NaiveDateTime)> = ratings::table
        .inner_join(cases::table)
        .filter(cases::consumer_id.eq(actor.user_id))
        .select((ratings::case_id, ratings::score, ratings::comment, ratings::created_at))
        .load(conn)?;
    Ok(json!({
        "exported_at": time(Some(now)),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.display_name,
            "role": user.role,
            "language": user.language,
            "notify_by_email": user.notify_by_email,
            "email_confirmed_at": time(user.email_confirmed_at),
            "created_at": time(Some(user.created_at)),
            "updated_at": time(Some(user.updated_at)),
        },
        "sessions": session_rows.iter().map(|(created, seen, revoked, agent, ip)| json!({
            "created_at": time(Some(*created)),
            "last_seen_at": time(Some(*seen)),
            "revoked_at": time(*revoked),
            "user_agent": agent,
            "ip_address": ip,
        })).collect::<Vec<_>>(),
        "intake_drafts": drafts.iter().map(|(id, step, answers, created, updated)| json!({
            "id": id,
            "step": step,
            "answers": serde_json::from_str::<Value>(answers).unwrap_or_else(|_| json!(answers)),
            "created_at": time(Some(*created)),
            "updated_at": time(Some(*updated)),
        })).collect::<Vec<_>>(),
        "cases": exported_cases,
        "ratings": ratings.iter().map(|(case_id, score, comment, at)| json!({
            "case_id": case_id, "score": score, "comment": comment, "created_at": time(Some(*at)),
        })).collect::<Vec<_>>(),
    }))
}

fn export_case(conn: &mut DbConnection, actor: &Actor, case_id: i64) -> QueryResult<Value> {
    let (case, parties) =
        crate::cases::queries::case_with_parties(conn, case_id)?.ok_or(diesel::result::Error::NotFound)?;
    let scheme: String = schemes::table.find(case.scheme_id).select(schemes::name).first(conn)?;
    let events: Vec<EventRow> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .select((
            case_events::at,
            case_events::kind,
            case_events::from_state,
            case_events::to_state,
            case_events::detail,
        ))
        .load(conn)?;
    let messages = crate::cases::thread::visible_messages(conn, case_id, actor, &parties)?;
    let docs: Vec<(String, String, i64, String, String, NaiveDateTime)> = documents::table
        .filter(documents::case_id.eq(case_id))
        .order(documents::id)
        .select((
            documents::kind,
            documents::file_name,
            documents::size_bytes,
            documents::sha256,
            documents::visibility,
            documents::created_at,
        ))
        .load(conn)?;
    let offers: Vec<(String, Option<i64>, String, String, String, NaiveDateTime)> = offers::table
        .filter(offers::case_id.eq(case_id))
        .order(offers::id)
        .select((
            offers::made_by_role,
            offers::amount_cents,
            offers::actions,
            offers::terms,
            offers::status,
            offers::created_at,
        ))
        .load(conn)?;
    let rulings: Vec<RulingRow> = rulings::table
        .filter(rulings::case_id.eq(case_id))
        .filter(rulings::issued_at.is_not_null())
        .order(rulings::id)
        .select((
            rulings::outcome,
            rulings::award_cents,
            rulings::summary,
            rulings::reasoning,
            rulings::issued_at,
        ))
        .load(conn)?;
    let reports: Vec<(String, String, NaiveDateTime)> = compliance_reports::table
        .filter(compliance_reports::case_id.eq(case_id))
        .order(compliance_reports::id)
        .select((
            compliance_reports::kind,
            compliance_reports::note,
            compliance_reports::created_at,
        ))
        .load(conn)?;
    let provider: String = crate::db::schema::providers::table
        .find(case.provider_id)
        .select(crate::db::schema::providers::legal_name)
        .first(conn)?;
    Ok(json!({
        "reference": case.reference,
        "scheme": scheme,
        "provider": provider,
        "category": case.category,
        "state": case.state,
        "contract_date": case.contract_date,
        "written_complaint_date": case.written_complaint_date,
        "written_complaint_channel": case.written_complaint_channel,
        "provider_answer_date": case.provider_answer_date,
        "claim_cents": case.claim_cents,
        "desired_outcome": case.desired_outcome,
        "description": case.description,
        "fee_cents": case.fee_cents,
        "fee_status": case.fee_status,
        "deposit_cents": case.deposit_cents,
        "submitted_at": time(Some(case.submitted_at)),
        "closed_at": time(case.closed_at),
        "anonymised_at": time(case.anonymised_at),
        "events": events.iter().map(|(at, kind, from, to, detail)| {
            let note = serde_json::from_str::<Value>(detail).ok().and_then(|d| d.get("note").cloned());
            json!({ "at": time(Some(*at)), "kind": kind, "from_state": from, "to_state": to, "note": note })
        }).collect::<Vec<_>>(),
        "messages": messages.iter().map(|m| json!({
            "at": time(Some(m.created_at)),
            "author": m.author_name,
            "author_role": m.author_role,
            "mine": m.author_id == actor.user_id,
            "visibility": m.visibility,
            "body": m.body,
        })).collect::<Vec<_>>(),
        "documents": docs.iter().filter(|(_, _, _, _, visibility, _)| {
            let visibility = visibility.parse().unwrap_or(Visibility::MediatorOnly);
            policy::can_view(actor, &parties, CaseResource::Document(visibility))
        }).map(|(kind, name, size, sha, _, at)| json!({
            "kind": kind, "file_name": name, "size_bytes": size, "sha256": sha, "uploaded_at": time(Some(*at)),
        })).collect::<Vec<_>>(),
        "offers": offers.iter().map(|(by, amount, actions, terms, status, at)| json!({
            "made_by": by, "amount_cents": amount, "actions": actions, "terms": terms, "status": status, "made_at": time(Some(*at)),
        })).collect::<Vec<_>>(),
        "rulings": rulings.iter().map(|(outcome, award, summary, reasoning, issued)| json!({
            "outcome": outcome, "award_cents": award, "summary": summary, "reasoning": reasoning, "issued_at": time(*issued),
        })).collect::<Vec<_>>(),
        "compliance_reports": reports.iter().map(|(kind, note, at)| json!({
            "kind": kind, "note": note, "at": time(Some(*at)),
        })).collect::<Vec<_>>(),
    }))
}
