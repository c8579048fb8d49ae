//! The registry's queries beyond creating things (which `registry` itself holds): search through
//! `provider_search_terms`, keyset-paged lists, provider and membership changes with their audit rows, the
//! member-list import and export, and the public check's facts.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::import::{
    Existing, ExistingMembership, ExistingProvider, ExportRow, MembershipFields, ParsedRow, Plan, ProviderFields,
    RowAction,
};
use super::membership::{KvkNumber, MembershipFact, MembershipStatus, ValidityPeriod, Via};
use super::rules::MembershipDateBasis;
use super::search::{self, SearchQuery};
use super::{NewMembership, RulesRow, Scheme};
use crate::db::DbConnection;
use crate::db::schema::{
    audit_log, guarantors, memberships, provider_search_terms, providers, scheme_rules, schemes, users,
};

diesel::alias!(provider_search_terms as other_terms: OtherTerms);
diesel::alias!(scheme_rules as later_rules: LaterRules);

/// How many KvK numbers one `IN (…)` list holds when loading an import's providers.
const CHUNK: usize = 500;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = providers)]
pub struct ProviderRow {
    pub id: i64,
    pub kvk_number: String,
    pub legal_name: String,
    pub trade_names: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub website: String,
    pub complaint_email: String,
    pub status: String,
    pub updated_at: NaiveDateTime,
}

impl ProviderRow {
    /// The details as the import compares them; `None` if the stored KvK number is malformed.
    pub fn fields(&self) -> Option<ProviderFields> {
        Some(ProviderFields {
            kvk_number: KvkNumber::parse(&self.kvk_number).ok()?,
            legal_name: self.legal_name.clone(),
            trade_names: self.trade_names.clone(),
            street: self.street.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            website: self.website.clone(),
            complaint_email: self.complaint_email.clone(),
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = memberships)]
pub struct MembershipRow {
    pub id: i64,
    pub provider_id: i64,
    pub scheme_id: i64,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub via: String,
    pub guarantor_id: Option<i64>,
    pub status: String,
}

impl MembershipRow {
    pub fn period(&self) -> ValidityPeriod {
        ValidityPeriod {
            from: self.valid_from,
            until: self.valid_until,
        }
    }

    /// As the check sees it; an unreadable status counts as on hold (forwarding only), never as certified.
    pub fn fact(&self) -> MembershipFact {
        MembershipFact {
            period: self.period(),
            status: self.status.parse().unwrap_or(MembershipStatus::OnHold),
        }
    }
}

/// Replaces the search terms of a provider (on create, edit and import).
pub fn write_search_terms(
    conn: &mut DbConnection,
    provider_id: i64,
    legal_name: &str,
    trade_names: &str,
    kvk_number: &str,
) -> QueryResult<()> {
    diesel::delete(provider_search_terms::table.filter(provider_search_terms::provider_id.eq(provider_id)))
        .execute(conn)?;
    let rows: Vec<_> = search::provider_terms(legal_name, trade_names, kvk_number)
        .into_iter()
        .map(|term| {
            (
                provider_search_terms::term.eq(term),
                provider_search_terms::provider_id.eq(provider_id),
            )
        })
        .collect();
    // One statement for all terms; a batch insert is written per backend (the multi-backend cannot).
    let insert = diesel::insert_into(provider_search_terms::table).values(rows);
    match conn {
        DbConnection::Postgres(pg) => insert.execute(pg)?,
        DbConnection::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Indexes providers that have no search terms yet (created before the search table existed). Returns
/// how many were indexed.
pub fn index_missing_search_terms(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut indexed = 0;
    loop {
        let batch: Vec<(i64, String, String, String)> = providers::table
            .filter(diesel::dsl::not(diesel::dsl::exists(
                provider_search_terms::table.filter(provider_search_terms::provider_id.eq(providers::id)),
            )))
            .select((
                providers::id,
                providers::legal_name,
                providers::trade_names,
                providers::kvk_number,
            ))
            .limit(1000)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(indexed);
        }
        crate::db::write_transaction(conn, |conn| {
            for (id, legal, trade, kvk) in &batch {
                write_search_terms(conn, *id, legal, trade, kvk)?;
            }
            QueryResult::Ok(())
        })?;
        indexed += batch.len();
    }
}

/// Providers whose names start with every word of `words` (an indexed range per word). Unordered; at most
/// `limit`.
fn ids_matching_words(conn: &mut DbConnection, words: &[String], limit: i64) -> QueryResult<Vec<i64>> {
    let Some((first, rest)) = words.split_first() else {
        return Ok(Vec::new());
    };
    let mut query = provider_search_terms::table
        .select(provider_search_terms::provider_id)
        .filter(provider_search_terms::term.ge(first.clone()))
        .filter(provider_search_terms::term.lt(search::prefix_upper_bound(first)))
        .distinct()
        .limit(limit)
        .into_boxed();
    for word in rest {
        query = query.filter(diesel::dsl::exists(
            other_terms
                .filter(
                    other_terms
                        .field(provider_search_terms::provider_id)
                        .eq(provider_search_terms::provider_id),
                )
                .filter(other_terms.field(provider_search_terms::term).ge(word.clone()))
                .filter(
                    other_terms
                        .field(provider_search_terms::term)
                        .lt(search::prefix_upper_bound(word)),
                ),
        ));
    }
    query.load(conn)
}

/// Up to this many providers found by words are sorted by name from their ids; with more, the
/// providers are walked in name order instead (see [`search_providers`]).
const SORTED_FROM_IDS: usize = 1_000;

/// The providers a query finds, in (legal name, id) order: the first `limit`, and whether there were
/// more. Words are looked up as ranges of the search terms, at most [`SORTED_FROM_IDS`] + 1
/// providers; if that many match, the providers are walked in name order (`providers_name_order`),
/// each looked up in its terms, until the page is full, which is soon when so many match. So a page
/// costs at most about a thousand look-ups whether a word is rare or in every name.
pub fn search_providers(
    conn: &mut DbConnection,
    query: &SearchQuery,
    limit: usize,
) -> QueryResult<(Vec<ProviderRow>, bool)> {
    let first_by_name = providers::table
        .select(ProviderRow::as_select())
        .order((providers::legal_name, providers::id))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .into_boxed();
    let mut found: Vec<ProviderRow> = match query {
        SearchQuery::Empty => return Ok((Vec::new(), false)),
        SearchQuery::Kvk(kvk) => first_by_name
            .filter(providers::kvk_number.eq(kvk.as_str()))
            .load(conn)?,
        SearchQuery::Words { words, compact } => {
            // Or the words joined, for a name written without spaces ("KPN Mobiel" as "kpnmobiel").
            let joined_too = words.len() > 1 || words.first() != Some(compact);
            let fetch = SORTED_FROM_IDS as i64 + 1;
            let mut ids = ids_matching_words(conn, words, fetch)?;
            if joined_too && ids.len() <= SORTED_FROM_IDS {
                // Up to a thousand ids each: sorted and deduplicated rather than searched one by one.
                ids.extend(ids_matching_words(conn, std::slice::from_ref(compact), fetch)?);
                ids.sort_unstable();
                ids.dedup();
            }
            if ids.len() <= SORTED_FROM_IDS {
                first_by_name.filter(providers::id.eq_any(ids)).load(conn)?
            } else {
                // A name starts with `word`: a range of the provider's own terms.
                let has_term_starting = |word: &String| {
                    diesel::dsl::exists(
                        other_terms
                            .filter(other_terms.field(provider_search_terms::provider_id).eq(providers::id))
                            .filter(other_terms.field(provider_search_terms::term).ge(word.clone()))
                            .filter(
                                other_terms
                                    .field(provider_search_terms::term)
                                    .lt(search::prefix_upper_bound(word)),
                            ),
                    )
                };
                let mut walk = first_by_name;
                for word in words {
                    walk = walk.filter(has_term_starting(word));
                }
                if joined_too {
                    walk = walk.or_filter(has_term_starting(compact));
                }
                walk.load(conn)?
            }
        }
    };
    let more = found.len() > limit;
    found.truncate(limit);
    Ok((found, more))
}

/// One page of providers in (legal name, id) order after the provider `after`; and the cursor of the next
/// page. A keyset, never OFFSET, so every page costs the same.
pub fn providers_page(
    conn: &mut DbConnection,
    after: Option<i64>,
    size: usize,
) -> QueryResult<(Vec<ProviderRow>, Option<i64>)> {
    let fetch = i64::try_from(size + 1).unwrap_or(i64::MAX);
    let mut query = providers::table
        .select(ProviderRow::as_select())
        .order((providers::legal_name, providers::id))
        .limit(fetch)
        .into_boxed();
    if let Some(after) = after {
        let cursor: Option<(String, i64)> = providers::table
            .filter(providers::id.eq(after))
            .select((providers::legal_name, providers::id))
            .first(conn)
            .optional()?;
        if let Some((name, id)) = cursor {
            query = query
                .filter(providers::legal_name.ge(name.clone()))
                .filter(providers::legal_name.gt(name).or(providers::id.gt(id)));
        }
    }
    let mut rows = query.load(conn)?;
    let next = if rows.len() > size {
        rows.truncate(size);
        rows.last().map(|r| r.id)
    } else {
        None
    };
    Ok((rows, next))
}

pub fn find_provider(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ProviderRow>> {
    providers::table
        .find(id)
        .select(ProviderRow::as_select())
        .first(conn)
        .optional()
}

pub fn provider_id_by_kvk(conn: &mut DbConnection, kvk: &KvkNumber) -> QueryResult<Option<i64>> {
    providers::table
        .filter(providers::kvk_number.eq(kvk.as_str()))
        .select(providers::id)
        .first(conn)
        .optional()
}

/// Creates a provider with its search terms.
pub fn insert_provider(conn: &mut DbConnection, fields: &ProviderFields, now: NaiveDateTime) -> QueryResult<i64> {
    super::create_provider(
        conn,
        super::NewProvider {
            kvk_number: fields.kvk_number.as_str(),
            legal_name: &fields.legal_name,
            trade_names: &fields.trade_names,
            street: &fields.street,
            postcode: &fields.postcode,
            city: &fields.city,
            website: &fields.website,
            complaint_email: &fields.complaint_email,
        },
        now,
    )
}

/// Replaces a provider's details and its search terms.
pub fn update_provider(
    conn: &mut DbConnection,
    id: i64,
    fields: &ProviderFields,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let kvk = fields.kvk_number.as_str();
    let changed = diesel::update(providers::table.find(id))
        .set((
            providers::kvk_number.eq(kvk),
            providers::legal_name.eq(&fields.legal_name),
            providers::trade_names.eq(&fields.trade_names),
            providers::search_text.eq(super::search_text(&[&fields.legal_name, &fields.trade_names, kvk])),
            providers::street.eq(&fields.street),
            providers::postcode.eq(&fields.postcode),
            providers::city.eq(&fields.city),
            providers::website.eq(&fields.website),
            providers::complaint_email.eq(&fields.complaint_email),
            providers::updated_at.eq(now),
        ))
        .execute(conn)?;
    write_search_terms(conn, id, &fields.legal_name, &fields.trade_names, kvk)?;
    Ok(changed)
}

/// A membership with its scheme's code and name and its guarantor's name.
pub type MembershipListing = (MembershipRow, String, String, Option<String>);

/// Providers' memberships with the scheme's code and name and the guarantor's name, oldest first per
/// scheme.
pub fn memberships_of(conn: &mut DbConnection, provider_ids: &[i64]) -> QueryResult<Vec<MembershipListing>> {
    memberships::table
        .inner_join(schemes::table)
        .left_join(guarantors::table)
        .filter(memberships::provider_id.eq_any(provider_ids))
        .order((memberships::provider_id, schemes::id, memberships::valid_from))
        .select((
            MembershipRow::as_select(),
            schemes::code,
            schemes::name,
            guarantors::name.nullable(),
        ))
        .load(conn)
}

pub fn find_membership(conn: &mut DbConnection, id: i64) -> QueryResult<Option<MembershipRow>> {
    memberships::table
        .find(id)
        .select(MembershipRow::as_select())
        .first(conn)
        .optional()
}

/// The other memberships of the same provider and scheme, for the overlap check.
pub fn sibling_periods(
    conn: &mut DbConnection,
    provider_id: i64,
    scheme_id: i64,
    except: Option<i64>,
) -> QueryResult<Vec<ValidityPeriod>> {
    let rows: Vec<MembershipRow> = memberships::table
        .filter(memberships::provider_id.eq(provider_id))
        .filter(memberships::scheme_id.eq(scheme_id))
        .filter(memberships::id.ne(except.unwrap_or(-1)))
        .select(MembershipRow::as_select())
        .load(conn)?;
    Ok(rows.iter().map(MembershipRow::period).collect())
}

pub fn update_membership(
    conn: &mut DbConnection,
    id: i64,
    fields: &MembershipFields,
    guarantor_id: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(memberships::table.find(id))
        .set((
            memberships::valid_until.eq(fields.period.until),
            memberships::via.eq(fields.via.as_str()),
            memberships::guarantor_id.eq(guarantor_id),
            memberships::status.eq(fields.status.as_str()),
            memberships::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn all_guarantors(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
    guarantors::table
        .order(guarantors::name)
        .select((guarantors::id, guarantors::name))
        .load(conn)
}

/// One line of a change history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: NaiveDateTime,
    pub actor: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub detail: String,
}

/// The audit rows of a provider and of its memberships, newest first.
pub fn provider_history(conn: &mut DbConnection, provider_id: i64, limit: i64) -> QueryResult<Vec<HistoryEntry>> {
    let membership_ids: Vec<i64> = memberships::table
        .filter(memberships::provider_id.eq(provider_id))
        .select(memberships::id)
        .load(conn)?;
    let rows: Vec<(NaiveDateTime, Option<String>, String, i64, String, String)> = audit_log::table
        .left_join(users::table)
        .filter(
            audit_log::entity
                .eq("provider")
                .and(audit_log::entity_id.eq(provider_id))
                .or(audit_log::entity
                    .eq("membership")
                    .and(audit_log::entity_id.eq_any(membership_ids))),
        )
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::at,
            users::display_name.nullable(),
            audit_log::entity,
            audit_log::entity_id,
            audit_log::action,
            audit_log::detail,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, entity, entity_id, action, detail)| HistoryEntry {
            at,
            actor,
            entity,
            entity_id,
            action,
            detail,
        })
        .collect())
}

/// The audit rows of a scheme's rules, newest first.
pub fn scheme_history(conn: &mut DbConnection, scheme_id: i64, limit: i64) -> QueryResult<Vec<HistoryEntry>> {
    let rows: Vec<(NaiveDateTime, Option<String>, String, i64, String, String)> = audit_log::table
        .left_join(users::table)
        .filter(audit_log::entity.eq("scheme").and(audit_log::entity_id.eq(scheme_id)))
        .order(audit_log::id.desc())
        .limit(limit)
        .select((
            audit_log::at,
            users::display_name.nullable(),
            audit_log::entity,
            audit_log::entity_id,
            audit_log::action,
            audit_log::detail,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, actor, entity, entity_id, action, detail)| HistoryEntry {
            at,
            actor,
            entity,
            entity_id,
            action,
            detail,
        })
        .collect())
}

pub fn find_scheme(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Scheme>> {
    schemes::table
        .find(id)
        .select(Scheme::as_select())
        .first(conn)
        .optional()
}

/// Every rules version of a scheme, newest first.
pub fn rules_history(conn: &mut DbConnection, scheme_id: i64) -> QueryResult<Vec<RulesRow>> {
    scheme_rules::table
        .filter(scheme_rules::scheme_id.eq(scheme_id))
        .order(scheme_rules::valid_from.desc())
        .select(RulesRow::as_select())
        .load(conn)
}

/// What an import is compared with: every scheme and guarantor, and the file's providers (by KvK number,
/// loaded in chunks) with their memberships.
pub fn load_existing(conn: &mut DbConnection, rows: &[ParsedRow]) -> QueryResult<Existing> {
    let schemes: HashMap<String, i64> = schemes::table
        .select((schemes::code, schemes::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let codes: HashMap<i64, String> = schemes.iter().map(|(code, id)| (*id, code.clone())).collect();
    let guarantors = all_guarantors(conn)?;
    let guarantor_names: HashMap<i64, String> = guarantors.iter().cloned().collect();
    let mut kvks: Vec<String> = rows
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|r| r.provider.kvk_number.as_str().to_owned())
        .collect();
    kvks.sort();
    kvks.dedup();
    let mut existing = Existing {
        schemes,
        guarantors,
        ..Existing::default()
    };
    for chunk in kvks.chunks(CHUNK) {
        let found: Vec<ProviderRow> = providers::table
            .filter(providers::kvk_number.eq_any(chunk))
            .select(ProviderRow::as_select())
            .load(conn)?;
        let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
        let mut kvk_of = HashMap::new();
        for provider in found {
            let Some(fields) = provider.fields() else { continue };
            kvk_of.insert(provider.id, fields.kvk_number.clone());
            existing.providers.insert(
                fields.kvk_number.clone(),
                ExistingProvider {
                    id: provider.id,
                    fields,
                },
            );
        }
        let rows: Vec<MembershipRow> = memberships::table
            .filter(memberships::provider_id.eq_any(&ids))
            .select(MembershipRow::as_select())
            .load(conn)?;
        for m in rows {
            let (Some(kvk), Some(code)) = (kvk_of.get(&m.provider_id), codes.get(&m.scheme_id)) else {
                continue;
            };
            let fields = MembershipFields {
                period: m.period(),
                via: m.via.parse().unwrap_or(Via::Direct),
                guarantor: m.guarantor_id.and_then(|g| guarantor_names.get(&g).cloned()),
                status: m.status.parse().unwrap_or(MembershipStatus::OnHold),
            };
            existing
                .memberships
                .entry((kvk.clone(), code.clone()))
                .or_default()
                .push(ExistingMembership { id: m.id, fields });
        }
    }
    Ok(existing)
}

/// Carries out a plan that has no refused row: creates and updates providers, guarantors and memberships,
/// with an audit row for each change. The caller runs it in the write transaction that also planned it.
pub fn apply_plan(conn: &mut DbConnection, plan: &Plan, actor_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    let mut existing_guarantors = all_guarantors(conn)?;
    let mut provider_ids: HashMap<KvkNumber, i64> = HashMap::new();
    for row_plan in &plan.rows {
        let (Some(row), Some(scheme_id)) = (&row_plan.row, row_plan.scheme_id) else {
            continue;
        };
        if row_plan.action == RowAction::Unchanged || row_plan.action == RowAction::Refuse {
            continue;
        }
        let source = json!({ "source": "import", "line": row_plan.line });
        let kvk = &row.provider.kvk_number;
        let provider_id = match (row_plan.provider_id, provider_ids.get(kvk)) {
            (Some(id), _) => {
                if !row_plan.provider_changes.is_empty() && !provider_ids.contains_key(kvk) {
                    update_provider(conn, id, &row.provider, now)?;
                    crate::audit::record(
                        conn,
                        Some(actor_id),
                        "provider",
                        id,
                        "updated",
                        json!({ "source": "import", "line": row_plan.line, "fields": row_plan.provider_changes }),
                        now,
                    )?;
                }
                id
            }
            (None, Some(id)) => *id,
            (None, None) => {
                let id = insert_provider(conn, &row.provider, now)?;
                crate::audit::record(conn, Some(actor_id), "provider", id, "created", source.clone(), now)?;
                id
            }
        };
        provider_ids.insert(kvk.clone(), provider_id);
        let guarantor_id = match &row.membership.guarantor {
            None => None,
            Some(name) => {
                let found = existing_guarantors
                    .iter()
                    .find(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim()))
                    .map(|(id, _)| *id);
                match found {
                    Some(id) => Some(id),
                    None => {
                        let id = super::create_guarantor(conn, name.trim(), "trade_association", "", now)?;
                        existing_guarantors.push((id, name.trim().to_owned()));
                        Some(id)
                    }
                }
            }
        };
        match row_plan.membership_id {
            Some(membership_id) => {
                if !row_plan.membership_changes.is_empty() {
                    update_membership(conn, membership_id, &row.membership, guarantor_id, now)?;
                    crate::audit::record(
                        conn,
                        Some(actor_id),
                        "membership",
                        membership_id,
                        "updated",
                        json!({ "source": "import", "line": row_plan.line, "fields": row_plan.membership_changes }),
                        now,
                    )?;
                }
            }
            None => {
                let id = super::create_membership(
                    conn,
                    NewMembership {
                        provider_id,
                        scheme_id,
                        valid_from: row.membership.period.from,
                        valid_until: row.membership.period.until,
                        via: row.membership.via.as_str(),
                        guarantor_id,
                        status: row.membership.status.as_str(),
                    },
                    now,
                )?;
                crate::audit::record(conn, Some(actor_id), "membership", id, "created", source, now)?;
            }
        }
    }
    Ok(())
}

/// Every membership in export form, by scheme, legal name and first day; optionally of one scheme.
pub fn export_rows(conn: &mut DbConnection, scheme_id: Option<i64>) -> QueryResult<Vec<ExportRow>> {
    let mut query = memberships::table
        .inner_join(schemes::table)
        .inner_join(providers::table)
        .left_join(guarantors::table)
        .order((
            schemes::code,
            providers::legal_name,
            providers::id,
            memberships::valid_from,
        ))
        .select((
            MembershipRow::as_select(),
            schemes::code,
            ProviderRow::as_select(),
            guarantors::name.nullable(),
        ))
        .into_boxed();
    if let Some(scheme_id) = scheme_id {
        query = query.filter(memberships::scheme_id.eq(scheme_id));
    }
    let rows: Vec<(MembershipRow, String, ProviderRow, Option<String>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, code, provider, guarantor)| {
            Some(ExportRow {
                scheme: code,
                provider: provider.fields()?,
                membership: MembershipFields {
                    period: m.period(),
                    via: m.via.parse().ok()?,
                    guarantor,
                    status: m.status.parse().ok()?,
                },
            })
        })
        .collect())
}

/// A scheme as the public check needs it: its current rules decide which day counts.
#[derive(Debug, Clone)]
pub struct SchemeFacts {
    pub scheme: Scheme,
    pub basis: MembershipDateBasis,
}

/// A provider's memberships of active schemes, each with its scheme and the scheme's rules in force
/// `today` (the rule of [`super::rules_in_force`]: the latest version from on or before the day), in
/// one query: the eligibility check runs this on every step of the intake and again when filing.
pub fn memberships_with_rules_in_force(
    conn: &mut DbConnection,
    provider_id: i64,
    today: NaiveDate,
) -> QueryResult<Vec<(MembershipRow, Scheme, Option<RulesRow>)>> {
    let version_in_force = later_rules
        .filter(later_rules.field(scheme_rules::scheme_id).eq(schemes::id))
        .filter(later_rules.field(scheme_rules::valid_from).le(today))
        .order(later_rules.field(scheme_rules::valid_from).desc())
        .select(later_rules.field(scheme_rules::id))
        .limit(1)
        .single_value();
    memberships::table
        .inner_join(schemes::table)
        .left_join(scheme_rules::table.on(scheme_rules::id.nullable().eq(version_in_force)))
        .filter(memberships::provider_id.eq(provider_id))
        .filter(schemes::active.eq(true))
        .order((schemes::id, memberships::valid_from))
        .select((
            MembershipRow::as_select(),
            Scheme::as_select(),
            Option::<RulesRow>::as_select(),
        ))
        .load(conn)
}

/// Every scheme with the membership date basis of the rules in force `today` (the rule of
/// [`super::rules_in_force`]: the latest version from on or before the day), in one query, the version
/// found by a correlated subquery per scheme: the public check runs this on every view.
pub fn scheme_facts(conn: &mut DbConnection, today: NaiveDate) -> QueryResult<BTreeMap<i64, SchemeFacts>> {
    let basis_in_force = scheme_rules::table
        .filter(scheme_rules::scheme_id.eq(schemes::id))
        .filter(scheme_rules::valid_from.le(today))
        .order(scheme_rules::valid_from.desc())
        .select(scheme_rules::membership_date_basis)
        .limit(1)
        .single_value();
    let rows: Vec<(Scheme, Option<String>)> = schemes::table
        .order(schemes::id)
        .select((Scheme::as_select(), basis_in_force))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(scheme, basis)| {
            let basis = basis
                .and_then(|b| b.parse().ok())
                .unwrap_or(MembershipDateBasis::ContractDate);
            (scheme.id, SchemeFacts { scheme, basis })
        })
        .collect())
}
