//! The filing wizard at `/zaak-indienen`: the start page (new draft, resume one), one page per step with
//! back and next (the draft is saved at every step), the eligibility result beside every step as soon as
//! the answers allow it, the evidence uploads, the review and the submit, the result page for a complaint
//! that cannot be filed (yet), and the prepared complaint letter (printable and downloadable). Works
//! without JavaScript.

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::drafts::{self, DraftRow, Evaluation, IntakeError};
use super::eligibility::{ComplaintChannel, CounterpartyKind, Verdict};
use super::letter::{self, LetterFacts};
use super::presentation;
use super::wizard::{self, Category, Draft, FormInput, Problems, ProviderAnswer, Step};
use crate::accounts::Role;
use crate::accounts::identity::{CurrentUser, SignedIn};
use crate::documents::{self as docs, StoreError};
use crate::i18n::{self, Language};
use crate::policy::{self, Actor, Visibility};
use crate::registry::period::Period;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub const BASE: &str = "/zaak-indienen";

/// The kinds of evidence a consumer adds to a draft.
pub const EVIDENCE_KINDS: [&str; 6] = [
    "written_complaint",
    "provider_answer",
    "invoice",
    "contract",
    "correspondence",
    "other",
];

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(start_page)
        .service(start)
        .service(upload_evidence)
        .service(remove_evidence)
        .service(download_evidence)
        .service(show)
        .service(submit);
}

/// Only consumers file complaints; to anyone else the wizard does not exist.
fn consumer(signed_in: &SignedIn) -> AppResult<Actor> {
    let actor = Actor::from(signed_in);
    policy::ensure(actor.role == Role::Consumer)?;
    Ok(actor)
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn step_href(id: i64, step: Step) -> String {
    format!("{BASE}/{id}/{}", step.slug())
}

async fn load(state: &web::Data<AppState>, id: i64, consumer_id: i64) -> AppResult<DraftRow> {
    state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(drafts::find(conn, id, consumer_id)?) })
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize)]
pub struct StartQuery {
    notice: Option<String>,
}

#[get("/zaak-indienen")]
async fn start_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<StartQuery>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let state = page.data();
    let rows = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(drafts::open_drafts(conn, actor.user_id)?) })
        .await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|row| {
            let draft = row.draft();
            json!({
                "id": row.id,
                "href": step_href(row.id, row.step()),
                "updated": row.updated_at.format("%d-%m-%Y %H:%M").to_string(),
                "category": draft.category.map(|c| c.as_str()),
                "waiting_until": row.waiting_until.map(|d| crate::registry::check::format_date(page.language, d)),
            })
        })
        .collect();
    page.render(
        "pages/intake/start",
        json!({
            "drafts": list,
            "can_file": policy::can_file_case(&actor),
            "notice": query.notice.as_deref().filter(|n| *n == "intake-notice-deleted"),
        }),
    )
}

#[post("/zaak-indienen")]
async fn start(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    _form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let state = page.data();
    let now = now();
    let id = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            // A bound on what one account can pile up; the start page lists them all.
            if drafts::open_drafts(conn, actor.user_id)?.len() >= drafts::MAX_OPEN_DRAFTS {
                return Err(AppError::Conflict(
                    "too many open drafts; continue or delete one".into(),
                ));
            }
            Ok(drafts::create(conn, actor.user_id, &Draft::default(), Step::Provider, None, now)?.id)
        })
        .await?;
    Ok(see_other(&step_href(id, Step::Provider)))
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    download: Option<String>,
}

#[get("/zaak-indienen/{id}/{page}")]
async fn show(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, String)>,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let (id, which) = path.into_inner();
    let state = page.data();
    let row = load(&state, id, actor.user_id).await?;
    if which == "ingediend" {
        return filed_page(&page, &row).await;
    }
    if row.case_id.is_some() {
        return Ok(see_other(&format!("{BASE}/{id}/ingediend")));
    }
    match which.as_str() {
        "uitslag" => result_page(&page, &row).await,
        "brief" => letter_page(&page, &signed_in, &row, query.download.is_some()).await,
        "verwijderen" => page.render(
            "pages/intake/delete",
            json!({ "draft_id": row.id, "back": step_href(row.id, row.step()) }),
        ),
        slug => {
            let step = Step::from_slug(slug).ok_or(AppError::NotFound)?;
            let draft = row.draft();
            let values = wizard::form_values(&draft);
            render_step(
                &page,
                &row,
                &draft,
                step,
                values,
                &Problems::default(),
                query.q.clone(),
                StatusCode::OK,
            )
            .await
        }
    }
}

/// Everything a step page shows besides the form values.
#[expect(clippy::too_many_arguments, reason = "one page's facts")]
async fn render_step(
    page: &PageContext,
    row: &DraftRow,
    draft: &Draft,
    step: Step,
    values: Map<String, Value>,
    problems: &Problems,
    search: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let state = page.data();
    let today = Utc::now().date_naive();
    let draft_id = row.id;
    let evaluated = {
        let draft = draft.clone();
        let search = search.clone();
        state
            .db
            .run(move |conn| -> Result<_, AppError> {
                let evaluation = drafts::evaluate(conn, &draft, today)?;
                let found = match search.as_deref().map(str::trim) {
                    Some(q) if !q.is_empty() => {
                        let query = crate::registry::search::parse_query(q);
                        Some(crate::registry::queries::search_providers(conn, &query, 20)?)
                    }
                    _ => None,
                };
                let documents = drafts::draft_documents(conn, draft_id)?;
                Ok((evaluation, found, documents))
            })
            .await?
    };
    let (evaluation, found, documents) = evaluated;
    let scheme_name = evaluation
        .scheme
        .as_ref()
        .map(|(s, _, _)| s.name.clone())
        .unwrap_or_default();
    let view = presentation::describe(&evaluation.eligibility, page.language, &scheme_name);
    let mut errors = Map::new();
    for (field, key) in problems.iter() {
        errors.insert(field.to_owned(), json!(key));
    }
    errors.insert("any".into(), json!(!problems.is_empty()));
    let selected = values
        .get("provider_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let results: Vec<Value> = found
        .as_ref()
        .map(|(rows, _)| {
            rows.iter()
                .map(|p| {
                    json!({ "id": p.id, "name": p.legal_name, "kvk": p.kvk_number, "city": p.city,
                        "trade_names": p.trade_names, "selected": p.id.to_string() == selected,
                        "current": Some(p.id) == draft.provider_id })
                })
                .collect()
        })
        .unwrap_or_default();
    let provider = evaluation.provider.as_ref().map(|p| {
        json!({ "id": p.id, "id_str": p.id.to_string(), "name": p.legal_name, "kvk": p.kvk_number, "city": p.city })
    });
    let steps: Vec<Value> = Step::ALL
        .iter()
        .map(|s| {
            json!({ "slug": s.slug(), "code": s.as_str(), "current": *s == step, "href": step_href(row.id, *s),
                "number": s.number() })
        })
        .collect();
    let review = (step == Step::Review).then(|| review_data(page.language, draft, &evaluation));
    let show_result = view.verdict != "incomplete" || view.checks.iter().any(|c| c.failed || c.passed);
    page.render_with_status(
        status,
        "pages/intake/step",
        json!({
            "draft_id": row.id,
            "step": step.as_str(),
            "slug": step.slug(),
            "number": step.number(),
            "total": Step::ALL.len(),
            "title_key": format!("intake-step-{}", step.as_str()),
            "action": step_href(row.id, step),
            "previous": step.previous().map(|s| step_href(row.id, s)),
            "steps": steps,
            "values": values,
            "errors": errors,
            "eligibility": show_result.then_some(&view),
            "provider": provider,
            "search": { "q": search.unwrap_or_default(), "searched": found.is_some(), "results": results,
                "more": found.as_ref().is_some_and(|(_, more)| *more) },
            "options": options(),
            "documents": documents,
            "evidence_kinds": EVIDENCE_KINDS,
            "review": review,
            "max_upload_mb": state.settings.upload_max_bytes / (1024 * 1024),
            "is": { step.as_str(): true },
        }),
    )
}

fn options() -> Value {
    json!({
        "counterparty": CounterpartyKind::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "category": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "channel": ComplaintChannel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "provider_answer": ProviderAnswer::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "yes_no": ["yes", "no"],
    })
}

fn review_data(language: Language, draft: &Draft, evaluation: &Evaluation) -> Value {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| crate::registry::check::format_date(language, d));
    json!({
        "provider": evaluation.provider.as_ref().map(|p| p.legal_name.clone()),
        "counterparty": draft.counterparty.map(|c| c.as_str()),
        "consumer": draft.applicant_is_consumer,
        "category": draft.category.map(|c| c.as_str()),
        "before_court": draft.before_court_or_other_body,
        "contract_date": date(draft.contract_date),
        "customer_number": draft.customer_number,
        "first_contact_date": date(draft.first_contact_date),
        "channel": draft.written_complaint_channel.map(|c| c.as_str()),
        "written_complaint_date": date(draft.written_complaint_date),
        "provider_answer": draft.provider_answer.map(|a| a.as_str()),
        "provider_answer_date": date(draft.provider_answer_date),
        "desired_outcome": draft.desired_outcome,
        "claim_cents": draft.claim_cents,
        "description": draft.description,
        "private_note": draft.private_note,
        "missing_step": draft.first_missing_step().map(|s| s.slug()),
    })
}

#[post("/zaak-indienen/{id}/{page}")]
async fn submit(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, String)>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let (id, which) = path.into_inner();
    let state = page.data();
    let row = load(&state, id, actor.user_id).await?;
    match which.as_str() {
        "indienen" => return file(&page, &actor, &row).await,
        "verwijderen" => return delete(&page, &actor, &row).await,
        "doorsturen" => return forward(&page, &signed_in, &row).await,
        _ => {}
    }
    if row.case_id.is_some() {
        return Ok(see_other(&format!("{BASE}/{id}/ingediend")));
    }
    let step = Step::from_slug(&which).ok_or(AppError::NotFound)?;
    let form = FormInput(&fields);
    let going_back = form.get("nav") == "back";
    let today = Utc::now().date_naive();
    let stored = row.draft();
    let (draft, problems) = wizard::read_step(step, &stored, &form, today);
    let may_leave = problems.is_empty() || going_back && problems.only_missing();
    if !may_leave {
        // Show the form again with exactly what was typed.
        let mut values = wizard::form_values(&stored);
        for field in wizard::step_fields(step) {
            values.insert((*field).to_owned(), json!(form.get(field)));
        }
        let search = Some(form.get("q").to_owned()).filter(|q| !q.is_empty());
        return render_step(
            &page,
            &row,
            &stored,
            step,
            values,
            &problems,
            search,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let target = if going_back {
        step.previous().unwrap_or(step)
    } else {
        step.next()
    };
    let now = now();
    let verdict = {
        let draft = draft.clone();
        let row = row.clone();
        state
            .db
            .run(move |conn| -> Result<_, AppError> {
                let evaluation = drafts::evaluate(conn, &draft, now.date())?;
                let waiting = drafts::waiting_until(&evaluation.eligibility, now.date());
                drafts::save(conn, &row, &draft, target, waiting, now)?;
                Ok(evaluation.eligibility.verdict)
            })
            .await?
    };
    if !going_back && verdict == Verdict::Ineligible {
        return Ok(see_other(&format!("{BASE}/{id}/uitslag")));
    }
    Ok(see_other(&step_href(id, target)))
}

async fn file(page: &PageContext, actor: &Actor, row: &DraftRow) -> AppResult<HttpResponse> {
    let id = row.id;
    if !policy::can_file_case(actor) {
        return page.render_with_status(
            StatusCode::FORBIDDEN,
            "pages/notice",
            json!({
                "heading": page.t("intake-confirm-email-title"),
                "message": page.t("intake-confirm-email-body"),
                "link_href": "/settings",
                "link_text": page.t("intake-confirm-email-link"),
            }),
        );
    }
    let state = page.data();
    let language = page.language;
    let consumer_id = actor.user_id;
    let now = now();
    let outcome = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<_, AppError> {
                match drafts::file(
                    conn,
                    &state.emails,
                    state.settings.base_url(),
                    id,
                    consumer_id,
                    language,
                    now,
                ) {
                    Ok(filed) => Ok(Ok(filed)),
                    Err(IntakeError::Incomplete(step)) => Ok(Err(step_href(id, step))),
                    Err(IntakeError::NotEligible(_)) => Ok(Err(format!("{BASE}/{id}/uitslag"))),
                    Err(other) => Err(other.into()),
                }
            }
        })
        .await?;
    match outcome {
        Ok(_) => Ok(see_other(&format!("{BASE}/{id}/ingediend"))),
        Err(back_to) => Ok(see_other(&back_to)),
    }
}

async fn delete(page: &PageContext, actor: &Actor, row: &DraftRow) -> AppResult<HttpResponse> {
    let state = page.data();
    let (id, consumer_id) = (row.id, actor.user_id);
    let storage = state.settings.storage_dir();
    state
        .db
        .run(move |conn| -> Result<_, AppError> {
            if let Some(keys) = drafts::delete(conn, id, consumer_id)? {
                remove_files(&storage, &keys);
            }
            Ok(())
        })
        .await?;
    Ok(see_other(&format!("{BASE}?notice=intake-notice-deleted")))
}

fn remove_files(storage: &std::path::Path, keys: &[String]) {
    for key in keys {
        if let Some(path) = docs::path_for(storage, key)
            && let Err(error) = std::fs::remove_file(&path)
        {
            tracing::warn!(%error, "could not remove a draft's file");
        }
    }
}

async fn filed_page(page: &PageContext, row: &DraftRow) -> AppResult<HttpResponse> {
    let Some(case_id) = row.case_id else {
        return Ok(see_other(&step_href(row.id, Step::Review)));
    };
    let state = page.data();
    let (reference, fee_cents, fee_status): (String, i64, String) = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            use crate::db::schema::cases;
            use diesel::prelude::*;
            Ok(cases::table
                .find(case_id)
                .select((cases::reference, cases::fee_cents, cases::fee_status))
                .first(conn)?)
        })
        .await?;
    page.render(
        "pages/intake/filed",
        json!({ "case_id": case_id, "reference": reference, "fee_cents": fee_cents, "fee_due": fee_status == "due" }),
    )
}

async fn evaluate_row(page: &PageContext, row: &DraftRow) -> AppResult<(Draft, Evaluation)> {
    let state = page.data();
    let draft = row.draft();
    let today = Utc::now().date_naive();
    let evaluation = {
        let draft = draft.clone();
        state
            .db
            .run(move |conn| -> Result<_, AppError> { Ok(drafts::evaluate(conn, &draft, today)?) })
            .await?
    };
    Ok((draft, evaluation))
}

async fn result_page(page: &PageContext, row: &DraftRow) -> AppResult<HttpResponse> {
    let (draft, evaluation) = evaluate_row(page, row).await?;
    let scheme_name = evaluation
        .scheme
        .as_ref()
        .map(|(s, _, _)| s.name.clone())
        .unwrap_or_default();
    let view = presentation::describe(&evaluation.eligibility, page.language, &scheme_name);
    page.render(
        "pages/intake/result",
        json!({
            "draft_id": row.id,
            "eligibility": view,
            "elsewhere": presentation::refers_elsewhere(evaluation.eligibility.route),
            "missing_step": draft.first_missing_step().map(|s| step_href(row.id, s)),
            "review_href": step_href(row.id, Step::Review),
            "waiting_until": row.waiting_until.map(|d| crate::registry::check::format_date(page.language, d)),
            "forward": (evaluation.eligibility.route.code() == "forward_only").then(|| json!({
                "done": row.forwarded_at.map(|at| crate::registry::check::format_date(page.language, at.date())),
                "address": evaluation.provider.as_ref().is_some_and(|p| !p.complaint_email.trim().is_empty()),
                "href": format!("{BASE}/{}/doorsturen", row.id),
            })),
        }),
    )
}

/// Forwards the complaint to a member that cannot mediate, once.
async fn forward(page: &PageContext, signed_in: &SignedIn, row: &DraftRow) -> AppResult<HttpResponse> {
    let id = row.id;
    if row.case_id.is_some() {
        return Ok(see_other(&format!("{BASE}/{id}/ingediend")));
    }
    let (draft, evaluation) = evaluate_row(page, row).await?;
    let (super::eligibility::Route::ForwardOnly { .. }, Some(provider), Some((scheme, _, _))) = (
        evaluation.eligibility.route,
        evaluation.provider.as_ref(),
        evaluation.scheme.as_ref(),
    ) else {
        return Err(AppError::Conflict("this complaint is not one to forward".into()));
    };
    if provider.complaint_email.trim().is_empty() {
        return Err(AppError::Conflict("the provider has no complaint address".into()));
    }
    if let Some(step) = [Step::Wish, Step::Description]
        .into_iter()
        .find(|s| !wizard::missing_fields(&draft, *s).is_empty())
    {
        return Ok(see_other(&step_href(id, step)));
    }
    let state = page.data();
    let (provider_name, provider_email, scheme_name) = (
        provider.legal_name.clone(),
        provider.complaint_email.trim().to_owned(),
        scheme.name.clone(),
    );
    let (name, email) = (signed_in.user.display_name.clone(), signed_in.user.email.clone());
    let language = Language::from_code(&signed_in.user.language).unwrap_or_default();
    let now = now();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<_, AppError> {
                Ok(drafts::forward(
                    conn,
                    &state.emails,
                    &drafts::Forwarding {
                        draft_id: id,
                        consumer_name: &name,
                        consumer_email: &email,
                        consumer_language: language,
                        provider_name: &provider_name,
                        provider_email: &provider_email,
                        scheme_name: &scheme_name,
                        draft: &draft,
                    },
                    now,
                )?)
            }
        })
        .await?;
    Ok(see_other(&format!("{BASE}/{id}/uitslag")))
}

async fn letter_page(
    page: &PageContext,
    signed_in: &SignedIn,
    row: &DraftRow,
    download: bool,
) -> AppResult<HttpResponse> {
    let (draft, evaluation) = evaluate_row(page, row).await?;
    // The letter is for a complaint that only needs writing or waiting, against a provider in the registry.
    let (Verdict::NotYet { .. }, Some(provider)) = (evaluation.eligibility.verdict, evaluation.provider.as_ref())
    else {
        return Err(AppError::NotFound);
    };
    let today = Utc::now().date_naive();
    let period = evaluation
        .scheme
        .as_ref()
        .map(|(_, rules, _)| rules.provider_answer_period)
        .unwrap_or(Period::weeks(4));
    let category = draft
        .category
        .map(|c| i18n::translate(Language::Nl, &format!("category-{}", c.as_str())))
        .unwrap_or_else(|| "mijn contract".into());
    let facts = LetterFacts {
        consumer_name: &signed_in.user.display_name,
        consumer_email: &signed_in.user.email,
        provider_name: &provider.legal_name,
        provider_street: &provider.street,
        provider_postcode: &provider.postcode,
        provider_city: &provider.city,
        provider_complaint_email: &provider.complaint_email,
        customer_number: draft.customer_number.as_deref(),
        category_nl: &category,
        first_contact_date: draft.first_contact_date,
        description: draft.description.as_deref(),
        desired_outcome: draft.desired_outcome.as_deref(),
        claim_cents: draft.claim_cents,
        today,
        answer_by: period.add_to(today),
        scheme_name: evaluation.scheme.as_ref().map(|(s, _, _)| s.name.as_str()),
    };
    let letter = letter::compose(&facts);
    if download {
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"klachtbrief.txt\""))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(letter.to_text()));
    }
    page.render(
        "pages/intake/letter",
        json!({ "draft_id": row.id, "letter": letter, "review_href": step_href(row.id, Step::Review) }),
    )
}

#[post("/zaak-indienen/{id}/bewijs/bestand")]
async fn upload_evidence(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let id = path.into_inner();
    let state = page.data();
    let row = load(&state, id, actor.user_id).await?;
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
    if row.case_id.is_some() {
        return Ok(see_other(&format!("{BASE}/{id}/ingediend")));
    }
    let mut problems = Problems::default();
    let kind = form.field("kind").unwrap_or_default().to_owned();
    let kind_typed = kind.clone();
    if !EVIDENCE_KINDS.contains(&kind.as_str()) {
        problems.add("kind", "intake-error-choose");
    }
    let visibility = match form.field("private") {
        Some("yes") => Visibility::ProviderAndMediator,
        _ => Visibility::Everyone,
    };
    let file = form.files.into_iter().find(|(name, _, _)| name == "file");
    match &file {
        None => problems.add("file", upload_key(docs::UploadProblem::Missing)),
        Some((_, _, bytes)) if bytes.is_empty() => problems.add("file", upload_key(docs::UploadProblem::Empty)),
        _ => {}
    }
    let storage = state.settings.storage_dir();
    let now = now();
    let stored_problem = if let (true, Some((_, name, bytes))) = (problems.is_empty(), file) {
        state
            .db
            .run(move |conn| -> Result<Option<&'static str>, AppError> {
                let count = drafts::draft_documents(conn, id)?.len() as i64;
                if count >= drafts::MAX_DRAFT_DOCUMENTS {
                    return Ok(Some("intake-error-too-many-files"));
                }
                let stored = match docs::store(&storage, &name, &bytes, max) {
                    Ok(stored) => stored,
                    Err(StoreError::Problem(problem)) => return Ok(Some(upload_key(problem))),
                    Err(StoreError::Io(io)) => return Err(AppError::internal(io)),
                };
                drafts::add_document(conn, id, actor.user_id, &kind, visibility, &stored, now)?;
                Ok(None)
            })
            .await?
    } else {
        None
    };
    if let Some(key) = stored_problem {
        problems.add("file", key);
    }
    if problems.is_empty() {
        return Ok(see_other(&step_href(id, Step::Evidence)));
    }
    let draft = row.draft();
    let mut values = wizard::form_values(&draft);
    values.insert("kind".into(), json!(kind_typed));
    render_step(
        &page,
        &row,
        &draft,
        Step::Evidence,
        values,
        &problems,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[post("/zaak-indienen/{id}/bewijs/{document}/verwijderen")]
async fn remove_evidence(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let (id, document) = path.into_inner();
    let state = page.data();
    let row = load(&state, id, actor.user_id).await?;
    if row.case_id.is_some() {
        return Err(AppError::NotFound);
    }
    let storage = state.settings.storage_dir();
    state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let key = drafts::remove_document(conn, id, document)?.ok_or(AppError::NotFound)?;
            remove_files(&storage, &[key]);
            Ok(())
        })
        .await?;
    Ok(see_other(&step_href(id, Step::Evidence)))
}

/// The wizard's own message for an upload problem.
fn upload_key(problem: docs::UploadProblem) -> &'static str {
    match problem {
        docs::UploadProblem::Empty => "intake-upload-empty",
        docs::UploadProblem::TooLarge => "intake-upload-too-large",
        docs::UploadProblem::KindNotAccepted => "intake-upload-kind-not-accepted",
        docs::UploadProblem::Missing => "intake-upload-missing",
    }
}

/// The consumer's own file on an unfiled draft (once filed, the case's documents take over).
#[get("/zaak-indienen/{id}/bewijs/{document}")]
async fn download_evidence(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let (id, document) = path.into_inner();
    let state = page.data();
    load(&state, id, actor.user_id).await?;
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(drafts::draft_document_file(conn, id, document)?) })
        .await?;
    let (file_name, content_type, key) = found.ok_or(AppError::NotFound)?;
    let storage = state.settings.storage_dir();
    let path = docs::path_for(&storage, &key).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(&path).await.map_err(|error| {
        tracing::error!(%error, key, "a stored document is missing");
        AppError::NotFound
    })?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            header::ContentDisposition::attachment(file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}
