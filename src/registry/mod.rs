//! The registry: schemes with their versioned rules, providers (by KvK number),
//! guarantors and memberships with validity periods. `period`, `rules`, `membership`,
//! `search`, `import`, `check` and `forms` are the pure parts; this file and `queries`
//! hold the queries; `handlers` serves the public membership check and `admin` the
//! secretariat's and the administrators' pages.

pub mod admin;
pub mod cache;
pub mod check;
pub mod forms;
pub mod handlers;
pub mod import;
pub mod membership;
pub mod period;
pub mod queries;
pub mod rules;
pub mod scheme_list;
pub mod search;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{guarantors, memberships, providers, scheme_rules, schemes};
use rules::SchemeRules;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schemes)]
pub struct Scheme {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub covers: String,
    pub languages: String,
    pub reference_prefix: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scheme_rules)]
pub struct RulesRow {
    pub id: i64,
    pub scheme_id: i64,
    pub valid_from: NaiveDate,
    pub complaint_fee_cents: i64,
    pub fee_refund: String,
    pub min_claim_cents: Option<i64>,
    pub max_claim_cents: Option<i64>,
    pub provider_answer_period: String,
    pub filing_limit: String,
    pub membership_date_basis: String,
    pub defence_term: String,
    pub reply_term: String,
    pub information_term: String,
    pub fee_term: String,
    pub reaction_term: String,
    pub refusal_term: String,
    pub outcome_target: String,
    pub ruling_term_after_hearing: String,
    pub compliance_term: String,
    pub settlement_compliance_term: String,
    pub panel_size: i32,
    pub guarantee_cap_cents: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A stored row that no longer parses (edited by hand in the database).
#[derive(Debug, thiserror::Error)]
#[error("scheme rules {id} are corrupt: {field}")]
pub struct CorruptRules {
    pub id: i64,
    pub field: &'static str,
}

impl RulesRow {
    /// The pure rules snapshot; the scheme's kind and coverage come from the scheme.
    pub fn to_rules(&self, scheme: &Scheme) -> Result<SchemeRules, CorruptRules> {
        let id = self.id;
        macro_rules! parse {
            ($value:expr, $field:literal) => {
                $value.parse().map_err(|_| CorruptRules { id, field: $field })?
            };
        }
        Ok(SchemeRules {
            scheme_kind: parse!(scheme.kind, "kind"),
            covers: parse!(scheme.covers, "covers"),
            complaint_fee_cents: self.complaint_fee_cents,
            fee_refund: parse!(self.fee_refund, "fee_refund"),
            min_claim_cents: self.min_claim_cents,
            max_claim_cents: self.max_claim_cents,
            provider_answer_period: parse!(self.provider_answer_period, "provider_answer_period"),
            filing_limit: parse!(self.filing_limit, "filing_limit"),
            membership_date_basis: parse!(self.membership_date_basis, "membership_date_basis"),
            defence_term: parse!(self.defence_term, "defence_term"),
            reply_term: parse!(self.reply_term, "reply_term"),
            information_term: parse!(self.information_term, "information_term"),
            fee_term: parse!(self.fee_term, "fee_term"),
            reaction_term: parse!(self.reaction_term, "reaction_term"),
            refusal_term: parse!(self.refusal_term, "refusal_term"),
            outcome_target: parse!(self.outcome_target, "outcome_target"),
            ruling_term_after_hearing: parse!(self.ruling_term_after_hearing, "ruling_term_after_hearing"),
            compliance_term: parse!(self.compliance_term, "compliance_term"),
            settlement_compliance_term: parse!(self.settlement_compliance_term, "settlement_compliance_term"),
            panel_size: u8::try_from(self.panel_size).map_err(|_| CorruptRules {
                id,
                field: "panel_size",
            })?,
            guarantee_cap_cents: self.guarantee_cap_cents,
        })
    }
}

pub struct NewScheme<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub languages: &'a str,
    pub reference_prefix: &'a str,
}

/// Creates a scheme with its first rules version, valid from `valid_from`.
pub fn create_scheme(
    conn: &mut DbConnection,
    new: NewScheme<'_>,
    rules: &SchemeRules,
    valid_from: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(schemes::table)
        .values((
            schemes::code.eq(new.code),
            schemes::name.eq(new.name),
            schemes::kind.eq(rules.scheme_kind.as_str()),
            schemes::covers.eq(rules.covers.as_str()),
            schemes::languages.eq(new.languages),
            schemes::reference_prefix.eq(new.reference_prefix),
            schemes::created_at.eq(now),
        ))
        .returning(schemes::id)
        .get_result(conn)?;
    add_rules_version(conn, id, rules, valid_from, None, now)?;
    Ok(id)
}

/// A new version of a scheme's rules from `valid_from`; cases filed before keep theirs.
pub fn add_rules_version(
    conn: &mut DbConnection,
    scheme_id: i64,
    rules: &SchemeRules,
    valid_from: NaiveDate,
    created_by: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(scheme_rules::table)
        .values((
            scheme_rules::scheme_id.eq(scheme_id),
            scheme_rules::valid_from.eq(valid_from),
            scheme_rules::complaint_fee_cents.eq(rules.complaint_fee_cents),
            scheme_rules::fee_refund.eq(rules.fee_refund.as_str()),
            scheme_rules::min_claim_cents.eq(rules.min_claim_cents),
            scheme_rules::max_claim_cents.eq(rules.max_claim_cents),
            scheme_rules::provider_answer_period.eq(rules.provider_answer_period.to_string()),
            scheme_rules::filing_limit.eq(rules.filing_limit.to_string()),
            scheme_rules::membership_date_basis.eq(rules.membership_date_basis.as_str()),
            scheme_rules::defence_term.eq(rules.defence_term.to_string()),
            scheme_rules::reply_term.eq(rules.reply_term.to_string()),
            scheme_rules::information_term.eq(rules.information_term.to_string()),
            scheme_rules::fee_term.eq(rules.fee_term.to_string()),
            scheme_rules::reaction_term.eq(rules.reaction_term.to_string()),
            scheme_rules::refusal_term.eq(rules.refusal_term.to_string()),
            scheme_rules::outcome_target.eq(rules.outcome_target.to_string()),
            scheme_rules::ruling_term_after_hearing.eq(rules.ruling_term_after_hearing.to_string()),
            scheme_rules::compliance_term.eq(rules.compliance_term.to_string()),
            scheme_rules::settlement_compliance_term.eq(rules.settlement_compliance_term.to_string()),
            scheme_rules::panel_size.eq(i32::from(rules.panel_size)),
            scheme_rules::guarantee_cap_cents.eq(rules.guarantee_cap_cents),
            scheme_rules::created_by.eq(created_by),
            scheme_rules::created_at.eq(now),
        ))
        .returning(scheme_rules::id)
        .get_result(conn)
}

/// The rules version in force on `date`: the latest that started on or before it.
pub fn rules_in_force(conn: &mut DbConnection, scheme_id: i64, date: NaiveDate) -> QueryResult<Option<RulesRow>> {
    scheme_rules::table
        .filter(scheme_rules::scheme_id.eq(scheme_id))
        .filter(scheme_rules::valid_from.le(date))
        .order(scheme_rules::valid_from.desc())
        .select(RulesRow::as_select())
        .first(conn)
        .optional()
}

pub fn all_schemes(conn: &mut DbConnection) -> QueryResult<Vec<Scheme>> {
    schemes::table.order(schemes::id).select(Scheme::as_select()).load(conn)
}

/// Lower-case, accents removed, whitespace folded: what the public search compares.
pub fn search_text(parts: &[&str]) -> String {
    let joined = parts.join(" ");
    deunicode::deunicode(&joined)
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub struct NewProvider<'a> {
    pub kvk_number: &'a str,
    pub legal_name: &'a str,
    pub trade_names: &'a str,
    pub street: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub website: &'a str,
    pub complaint_email: &'a str,
}

/// Creates a provider and its search terms.
pub fn create_provider(conn: &mut DbConnection, new: NewProvider<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    let id = diesel::insert_into(providers::table)
        .values((
            providers::kvk_number.eq(new.kvk_number),
            providers::legal_name.eq(new.legal_name),
            providers::trade_names.eq(new.trade_names),
            providers::search_text.eq(search_text(&[new.legal_name, new.trade_names, new.kvk_number])),
            providers::street.eq(new.street),
            providers::postcode.eq(new.postcode),
            providers::city.eq(new.city),
            providers::website.eq(new.website),
            providers::complaint_email.eq(new.complaint_email),
            providers::status.eq("active"),
            providers::created_at.eq(now),
            providers::updated_at.eq(now),
        ))
        .returning(providers::id)
        .get_result(conn)?;
    queries::write_search_terms(conn, id, new.legal_name, new.trade_names, new.kvk_number)?;
    Ok(id)
}

pub fn create_guarantor(
    conn: &mut DbConnection,
    name: &str,
    kind: &str,
    contact_email: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(guarantors::table)
        .values((
            guarantors::name.eq(name),
            guarantors::kind.eq(kind),
            guarantors::contact_email.eq(contact_email),
            guarantors::created_at.eq(now),
        ))
        .returning(guarantors::id)
        .get_result(conn)
}

pub struct NewMembership<'a> {
    pub provider_id: i64,
    pub scheme_id: i64,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub via: &'a str,
    pub guarantor_id: Option<i64>,
    pub status: &'a str,
}

pub fn create_membership(conn: &mut DbConnection, new: NewMembership<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::provider_id.eq(new.provider_id),
            memberships::scheme_id.eq(new.scheme_id),
            memberships::valid_from.eq(new.valid_from),
            memberships::valid_until.eq(new.valid_until),
            memberships::via.eq(new.via),
            memberships::guarantor_id.eq(new.guarantor_id),
            memberships::status.eq(new.status),
            memberships::created_at.eq(now),
            memberships::updated_at.eq(now),
        ))
        .returning(memberships::id)
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_text_ignores_case_accents_and_spacing() {
        assert_eq!(
            super::search_text(&["Café  Net B.V.", "Zoëtel", "12345678"]),
            "cafe net b.v. zoetel 12345678"
        );
    }
}
