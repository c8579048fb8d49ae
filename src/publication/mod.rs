//! Publication of rulings: when a ruling is issued, [`prepare_for_ruling`] writes an
//! anonymised version for the secretariat to review (`anonymise`, pure); the secretariat
//! edits and publishes it; the public register (`handlers`) searches the published ones
//! with full-text search on both backends (`search` reads the query, pure).

pub mod anonymise;
pub mod cache;
pub mod handlers;
pub mod index_upkeep;
pub mod search;

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

use self::anonymise::KnownPersonalData;
use self::search::{IndexWord, PAGE_SIZE, Search, WholeWords};
use crate::accounts::Role;
use crate::db::schema::{case_events, cases, messages, published_rulings, rulings, schemes, users};
use crate::db::{DbConnection, KeptPrepared};

pub const IN_REVIEW: &str = "in_review";
pub const PUBLISHED: &str = "published";
pub const WITHDRAWN: &str = "withdrawn";

#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error("no such ruling")]
    NotFound,
    #[error("the ruling has not been issued")]
    NotIssued,
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl From<PublicationError> for crate::web::error::AppError {
    fn from(e: PublicationError) -> Self {
        use crate::web::error::AppError;
        match e {
            PublicationError::NotFound => AppError::NotFound,
            PublicationError::NotIssued => AppError::Conflict("the ruling has not been issued".into()),
            PublicationError::Query(e) => crate::db::StorageError::from(e).into(),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = published_rulings)]
pub struct PublishedRuling {
    pub id: i64,
    pub ruling_id: i64,
    pub scheme_id: i64,
    pub provider_id: Option<i64>,
    pub reference: String,
    pub category: String,
    pub year: i32,
    pub outcome: String,
    pub summary: String,
    pub body: String,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
}

/// Everything the portal knows about the people in a case: the consumer's account, the
/// provider's staff and other people who wrote in the case, and the personal details the
/// intake recorded. The intake keeps those (address, place, phone, customer and invoice
/// numbers, IBAN) in the `detail` of the case's first event under `"personal"`, e.g.
/// `{"personal": {"address": "Kerkstraat 12", "place": "Zwolle", "phones": ["06-…"]}}`.
pub fn known_personal_data(conn: &mut DbConnection, case_id: i64) -> QueryResult<KnownPersonalData> {
    let (consumer_id,): (i64,) = cases::table.find(case_id).select((cases::consumer_id,)).first(conn)?;
    let (name, email): (String, String) = users::table
        .find(consumer_id)
        .select((users::display_name, users::email))
        .first(conn)?;
    let mut known = KnownPersonalData {
        consumer_names: vec![name],
        emails: vec![email],
        ..KnownPersonalData::default()
    };
    // People who acted or wrote in the case (not the consumer): staff, and their e-mail addresses.
    let mut people: Vec<i64> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::actor_id.is_not_null())
        .select(case_events::actor_id.assume_not_null())
        .distinct()
        .load(conn)?;
    people.extend(
        messages::table
            .filter(messages::case_id.eq(case_id))
            .select(messages::author_id)
            .distinct()
            .load::<i64>(conn)?,
    );
    people.retain(|id| *id != consumer_id);
    let others: Vec<(String, String, String)> = users::table
        .filter(users::id.eq_any(&people))
        .select((users::display_name, users::email, users::role))
        .load(conn)?;
    for (name, email, role) in others {
        // The panel's and secretariat's names are not personal data of the case; staff names are.
        if role == Role::ProviderStaff.as_str() {
            known.other_names.push(name);
        }
        known.emails.push(email);
    }
    let details: Vec<String> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::kind.eq_any(["imported", "submitted", "personal_data"]))
        .select(case_events::detail)
        .load(conn)?;
    for detail in details {
        if let Ok(value) = serde_json::from_str::<Value>(&detail)
            && let Some(personal) = value.get("personal")
        {
            add_personal(&mut known, personal);
        }
    }
    Ok(known)
}

fn add_personal(known: &mut KnownPersonalData, personal: &Value) {
    let strings = |key: &str| -> Vec<String> {
        match personal.get(key) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        }
    };
    known.consumer_names.extend(strings("names"));
    known.other_names.extend(strings("other_names"));
    known.addresses.extend(strings("address"));
    known.addresses.extend(strings("addresses"));
    known.places.extend(strings("place"));
    known.emails.extend(strings("emails"));
    known.phones.extend(strings("phone"));
    known.phones.extend(strings("phones"));
    known.ibans.extend(strings("iban"));
    known.customer_numbers.extend(strings("customer_number"));
    known.invoice_numbers.extend(strings("invoice_numbers"));
}

/// **The entry point for the ruling issuer.** Call it inside the transaction that issues
/// the ruling (`rulings.issued_at` set): it writes the anonymised version of the ruling's
/// summary and reasoning, with its metadata, for the secretariat's review, and returns
/// its id. Calling it again for the same ruling returns the same row.
pub fn prepare_for_ruling(
    conn: &mut DbConnection,
    ruling_id: i64,
    now: NaiveDateTime,
) -> Result<i64, PublicationError> {
    crate::db::write_transaction(conn, |conn| {
        if let Some(existing) = published_rulings::table
            .filter(published_rulings::ruling_id.eq(ruling_id))
            .select(published_rulings::id)
            .first::<i64>(conn)
            .optional()?
        {
            return Ok(existing);
        }
        let (case_id, outcome, summary, reasoning, issued_at): (i64, String, String, String, Option<NaiveDateTime>) =
            rulings::table
                .find(ruling_id)
                .select((
                    rulings::case_id,
                    rulings::outcome,
                    rulings::summary,
                    rulings::reasoning,
                    rulings::issued_at,
                ))
                .first(conn)
                .optional()?
                .ok_or(PublicationError::NotFound)?;
        let issued_at = issued_at.ok_or(PublicationError::NotIssued)?;
        let (reference, scheme_id, provider_id, category): (String, i64, i64, String) = cases::table
            .find(case_id)
            .select((cases::reference, cases::scheme_id, cases::provider_id, cases::category))
            .first(conn)?;
        let known = known_personal_data(conn, case_id)?;
        // A corrected ruling is published under its own reference next to the first.
        let taken: i64 = published_rulings::table
            .filter(published_rulings::reference.eq(&reference))
            .count()
            .get_result(conn)?;
        let reference = if taken == 0 {
            reference
        } else {
            format!("{reference}-{ruling_id}")
        };
        let id: i64 = diesel::insert_into(published_rulings::table)
            .values((
                published_rulings::ruling_id.eq(ruling_id),
                published_rulings::scheme_id.eq(scheme_id),
                published_rulings::provider_id.eq(Some(provider_id)),
                published_rulings::reference.eq(&reference),
                published_rulings::category.eq(&category),
                published_rulings::year.eq(issued_at.year()),
                published_rulings::outcome.eq(&outcome),
                published_rulings::summary.eq(anonymise::anonymise(&summary, &known)),
                published_rulings::body.eq(anonymise::anonymise(&reasoning, &known)),
                published_rulings::status.eq(IN_REVIEW),
            ))
            .returning(published_rulings::id)
            .get_result(conn)?;
        crate::audit::record(
            conn,
            None,
            "published_ruling",
            id,
            "prepared",
            json!({ "ruling_id": ruling_id, "case_id": case_id }),
            now,
        )?;
        Ok(id)
    })
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<PublishedRuling>> {
    published_rulings::table
        .find(id)
        .select(PublishedRuling::as_select())
        .first(conn)
        .optional()
}

/// The case a published ruling belongs to.
pub fn case_of(conn: &mut DbConnection, published_id: i64) -> QueryResult<i64> {
    published_rulings::table
        .inner_join(rulings::table)
        .filter(published_rulings::id.eq(published_id))
        .select(rulings::case_id)
        .first(conn)
}

/// A line of the secretariat's queue: what it shows of a ruling, without its text.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = published_rulings)]
pub struct ReviewItem {
    pub id: i64,
    pub reference: String,
    pub status: String,
    pub outcome: String,
    pub category: String,
    pub year: i32,
    pub summary: String,
    pub published_at: Option<NaiveDateTime>,
}

impl From<&PublishedRuling> for ReviewItem {
    fn from(r: &PublishedRuling) -> Self {
        ReviewItem {
            id: r.id,
            reference: r.reference.clone(),
            status: r.status.clone(),
            outcome: r.outcome.clone(),
            category: r.category.clone(),
            year: r.year,
            summary: r.summary.clone(),
            published_at: r.published_at,
        }
    }
}

/// The secretariat's queue: the rulings waiting for review (oldest first), then the latest published
/// or withdrawn (newest first; both always have a date, [`set_published`]), at most `limit` of each.
///
/// Each status is read on its own along `published_rulings_date (status, published_at, id)`, which
/// stops at `limit`. Asked as `status <> 'in_review'`, SQLite read every ruling of the register and
/// sorted them, reading each ruling's text on the way (its date comes after it): 0.3–1.3 s for
/// 18,750 rulings (docs/PERFORMANCE.md, session 19).
pub fn review_queue(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<ReviewItem>> {
    let mut waiting: Vec<ReviewItem> = published_rulings::table
        .filter(published_rulings::status.eq(IN_REVIEW))
        .order(published_rulings::id)
        .limit(limit)
        .select(ReviewItem::as_select())
        .load(conn)?;
    let mut recent: Vec<ReviewItem> = Vec::new();
    for status in [PUBLISHED, WITHDRAWN] {
        recent.extend(
            published_rulings::table
                .filter(published_rulings::status.eq(status))
                .order((published_rulings::published_at.desc(), published_rulings::id.desc()))
                .limit(limit)
                .select(ReviewItem::as_select())
                .load(conn)?,
        );
    }
    recent.sort_by_key(|item| std::cmp::Reverse((item.published_at, item.id)));
    recent.truncate(usize::try_from(limit).unwrap_or(0));
    waiting.extend(recent);
    Ok(waiting)
}

/// Saves the secretariat's edit. The text passes the anonymisation again, so that a name
/// typed back in by mistake never reaches the register; returns whether it changed anything.
pub fn save_text(
    conn: &mut DbConnection,
    id: i64,
    summary: &str,
    body: &str,
    actor_id: i64,
    now: NaiveDateTime,
) -> Result<bool, PublicationError> {
    crate::db::write_transaction(conn, |conn| {
        find(conn, id)?.ok_or(PublicationError::NotFound)?;
        let case_id = case_of(conn, id)?;
        let known = known_personal_data(conn, case_id)?;
        let clean_summary = anonymise::anonymise(summary, &known);
        let clean_body = anonymise::anonymise(body, &known);
        let changed = clean_summary != summary || clean_body != body;
        diesel::update(published_rulings::table.find(id))
            .set((
                published_rulings::summary.eq(&clean_summary),
                published_rulings::body.eq(&clean_body),
            ))
            .execute(conn)?;
        crate::audit::record(
            conn,
            Some(actor_id),
            "published_ruling",
            id,
            "edited",
            json!({ "anonymised_again": changed }),
            now,
        )?;
        Ok(changed)
    })
}

/// Publishes (`publish = true`) or takes off the register. The first publication date stays.
pub fn set_published(
    conn: &mut DbConnection,
    id: i64,
    publish: bool,
    actor_id: i64,
    now: NaiveDateTime,
) -> Result<(), PublicationError> {
    crate::db::write_transaction(conn, |conn| {
        let row = find(conn, id)?.ok_or(PublicationError::NotFound)?;
        diesel::update(published_rulings::table.find(id))
            .set((
                published_rulings::status.eq(if publish { PUBLISHED } else { WITHDRAWN }),
                published_rulings::published_at.eq(row.published_at.or(Some(now))),
            ))
            .execute(conn)?;
        crate::audit::record(
            conn,
            Some(actor_id),
            "published_ruling",
            id,
            if publish { "published" } else { "withdrawn" },
            json!({}),
            now,
        )?;
        Ok(())
    })
}

/// One line of the register.
#[derive(Debug, Clone, Queryable, QueryableByName, Serialize, utoipa::ToSchema)]
pub struct RegisterItem {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    pub scheme_code: String,
    #[diesel(sql_type = Text)]
    pub scheme_name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub provider_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub provider_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Integer)]
    pub year: i32,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Text)]
    pub summary: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(serialize_with = "crate::web::utc::option::serialize")]
    pub published_at: Option<NaiveDateTime>,
}

enum Bind {
    Text(String),
    Int(i32),
    Big(i64),
}

/// The values of a statement's placeholders, in the order they occur: `?` on SQLite, `$n` on
/// PostgreSQL.
struct Binds {
    postgres: bool,
    values: Vec<Bind>,
}

impl Binds {
    /// Runs `sql` with these values bound, on either backend.
    fn load<Row>(self, conn: &mut DbConnection, sql: String) -> QueryResult<Vec<Row>>
    where
        Row: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        match conn {
            DbConnection::Postgres(pg) => Self::bound(sql, self.values).load(pg),
            // Its text is one of a few for the search's shape: SQLite keeps it prepared.
            DbConnection::Sqlite(lite) => KeptPrepared(Self::bound(sql, self.values)).load(lite),
        }
    }

    /// `sql` with `values` bound in order, for backend `DB`.
    fn bound<DB>(
        sql: String,
        values: Vec<Bind>,
    ) -> diesel::query_builder::BoxedSqlQuery<'static, DB, diesel::query_builder::SqlQuery>
    where
        DB: diesel::backend::Backend
            + diesel::sql_types::HasSqlType<Text>
            + diesel::sql_types::HasSqlType<Integer>
            + diesel::sql_types::HasSqlType<BigInt>,
        String: diesel::serialize::ToSql<Text, DB>,
        i32: diesel::serialize::ToSql<Integer, DB>,
        i64: diesel::serialize::ToSql<BigInt, DB>,
    {
        values
            .into_iter()
            .fold(diesel::sql_query(sql).into_boxed::<DB>(), |query, bind| match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Int(v) => query.bind::<Integer, _>(v),
                Bind::Big(v) => query.bind::<BigInt, _>(v),
            })
    }

    fn add(&mut self, bind: Bind) -> String {
        self.values.push(bind);
        if self.postgres {
            format!("${}", self.values.len())
        } else {
            "?".to_owned()
        }
    }
}

/// On SQLite the full-text index's rowid is the ruling's place in the register's date order, with
/// its id in the low 30 bits (migration 000010), so that the index hands out matches newest first.
pub(crate) const FTS_ID_MASK: i64 = (1 << 30) - 1;

/// One page of the register.
#[derive(Debug, Clone, Default)]
pub struct RegisterPage {
    pub items: Vec<RegisterItem>,
    /// Whether a next page exists.
    pub more: bool,
    /// The words match more rulings than are ranked: the best matches are those among the newest
    /// [`search::RANKED_MATCHES`].
    pub ranking_limited: bool,
    /// A word typed starts more words of the register than are searched for it
    /// ([`search::WORDS_PER_SEARCH`], SQLite only): its rarest continuations were left out.
    pub words_limited: bool,
}

#[derive(QueryableByName)]
struct RegisterRow {
    #[diesel(embed)]
    item: RegisterItem,
}

#[derive(QueryableByName)]
struct RankedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    /// Lower is better (bm25's sign on both backends).
    #[diesel(sql_type = Double)]
    relevance: f64,
}

/// The ranked matches of a word search by relevance, best first: what every page of the search is
/// cut from. A ranking costs the same for page 1 as for page 50 (it ranks up to
/// [`search::RANKED_MATCHES`] matches), so a node keeps it for the search's next pages
/// (`publication::cache`); at most 2,000 ids, 16 KB.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranking {
    /// The ids of the ranked rulings, best match first.
    pub ids: Vec<i64>,
    /// See [`RegisterPage::ranking_limited`].
    pub ranking_limited: bool,
    /// See [`RegisterPage::words_limited`].
    pub words_limited: bool,
}

/// The register's search: published rulings only, the filters, best match or newest first, one
/// page (and whether there is more). FTS5 on SQLite, the Dutch `tsvector` with its GIN index on
/// PostgreSQL. A search by relevance ranks only the newest [`search::RANKED_MATCHES`] matches (why:
/// see there), in one statement ([`rank_matches`]), and then reads its page's rulings
/// ([`page_of_ranking`]); other searches read their page in one statement.
pub fn search_register(conn: &mut DbConnection, search: &Search) -> QueryResult<RegisterPage> {
    search_register_ranking_at_most(conn, search, search::RANKED_MATCHES)
}

/// [`search_register`] with another bound on the matches ranked (the tests use a small one).
pub fn search_register_ranking_at_most(
    conn: &mut DbConnection,
    search: &Search,
    ranked: i64,
) -> QueryResult<RegisterPage> {
    if search.is_ranked() {
        let ranking = rank_matches(conn, search, ranked, None)?;
        return page_of_ranking(conn, &ranking, search.page);
    }
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let mut binds = Binds {
        postgres,
        values: Vec::new(),
    };
    let (page_of_ids, order, words_limited) = if !search.has_words() || postgres {
        let words = if search.has_words() {
            let q = binds.add(Bind::Text(search.text.clone()));
            format!("p.search_vector @@ websearch_to_tsquery('dutch', {q}) AND ")
        } else {
            String::new()
        };
        let filters = filter_conditions(search, &mut binds);
        let page = page_bounds(search, &mut binds);
        (
            format!(
                "SELECT p.id AS id, p.published_at AS published_at FROM published_rulings p \
                 WHERE {words}p.status = 'published'{filters} ORDER BY p.published_at DESC, p.id DESC {page}"
            ),
            "published_at DESC, id DESC",
            false,
        )
    } else {
        // Newest first on SQLite: the full-text index hands out its matches in date order.
        let Some(words) = fts5_words(conn, search)? else {
            return Ok(RegisterPage::default());
        };
        let q = binds.add(Bind::Text(words.match_expression));
        let page = page_bounds(search, &mut binds);
        (
            format!(
                "SELECT f.rowid & {FTS_ID_MASK} AS id, f.rowid AS newness FROM published_rulings_fts f \
                 WHERE published_rulings_fts MATCH {q} ORDER BY f.rowid DESC {page}"
            ),
            "newness DESC",
            words.limited,
        )
    };
    // First the page of ids, carrying only what it is ordered by; the texts and names of its 21 rows
    // are joined afterwards. Ordering every match with its summary and names made a common word twice
    // as slow (docs/PERFORMANCE.md). Sorted by date the walk stops at the page.
    let sql = format!(
        "SELECT {LISTED_COLUMNS} FROM ({page_of_ids}) m JOIN {} ON p.id = m.id JOIN schemes s ON s.id = p.scheme_id \
         LEFT JOIN providers pr ON pr.id = p.provider_id WHERE p.status = 'published' ORDER BY m.{}",
        listed_rulings(postgres),
        order.replace(", ", ", m.")
    );
    let rows: Vec<RegisterRow> = binds.load(conn, sql)?;
    let mut items: Vec<RegisterItem> = rows.into_iter().map(|row| row.item).collect();
    let more = items.len() as i64 > PAGE_SIZE;
    items.truncate(PAGE_SIZE as usize);
    Ok(RegisterPage {
        items,
        more,
        ranking_limited: false,
        words_limited,
    })
}

/// Ranks a word search's matches by relevance ([`Search::is_ranked`]): the newest `ranked` of the
/// matches that pass the filters, best first. One statement (after the index's words on SQLite).
///
/// The matches are walked newest first in index order: on SQLite the full-text index's rowid order;
/// on PostgreSQL the register's postings by word and date, for words joined by AND
/// ([`ranked_by_postings`]), otherwise the planner's choice between the date index, checking each
/// ruling's `tsvector`, and the GIN index's matches sorted ([`ranked_by_vectors`]). The walk stops
/// after `ranked` matches (one more, to tell whether there were more), which are ranked.
///
/// `revision`: the register's revision read before (`cache::revision`), under which SQLite's
/// connection may keep the matches' lengths for the next searches (`db::register_rank`).
pub fn rank_matches(
    conn: &mut DbConnection,
    search: &Search,
    ranked: i64,
    revision: Option<i64>,
) -> QueryResult<Ranking> {
    let postgres = matches!(conn, DbConnection::Postgres(_));
    let mut binds = Binds {
        postgres,
        values: Vec::new(),
    };
    let (sql, words_limited) = if postgres {
        let sql = match postgres_lexemes(conn, &search.text)? {
            Some(lexemes) if lexemes.is_empty() => return Ok(Ranking::default()),
            Some(lexemes) => ranked_by_postings(search, &lexemes, ranked, &mut binds),
            None => ranked_by_vectors(search, ranked, &mut binds),
        };
        (sql, false)
    } else {
        let Some(words) = fts5_words(conn, search)? else {
            return Ok(Ranking::default());
        };
        // bm25, with each word's rulings counted by the register (`register_rank`) rather than by
        // FTS5's `bm25` walking every ruling that has the word: the same scores.
        let relevance = match words.phrase_rulings {
            Some(counts) => {
                let counts = binds.add(Bind::Text(counts));
                let revision = revision
                    .map(|revision| format!(", {}", binds.add(Bind::Big(revision))))
                    .unwrap_or_default();
                format!("register_rank(published_rulings_fts, {counts}{revision})")
            }
            None => "bm25(published_rulings_fts, 4.0, 1.0, 0.0)".to_owned(),
        };
        let q = binds.add(Bind::Text(words.match_expression));
        let walked = binds.add(Bind::Big(ranked + 1));
        // The rank can only be computed in the statement that matches, so it is computed for the
        // walked matches: one more than kept.
        (
            format!(
                "SELECT f.rowid & {FTS_ID_MASK} AS id, {relevance} AS relevance FROM published_rulings_fts f \
                 WHERE published_rulings_fts MATCH {q} ORDER BY f.rowid DESC LIMIT {walked}"
            ),
            words.limited,
        )
    };
    // The matches come newest first, one more than are ranked if there were more: that one, the
    // oldest, is dropped, and the rest sorted best first here rather than by the database (a window
    // to count them and two sorts cost a tenth of a search on SQLite; docs/PERFORMANCE.md item 25).
    // The sort is stable, so equal matches stay newest first.
    let mut rows: Vec<RankedRow> = binds.load(conn, sql)?;
    let kept = usize::try_from(ranked).unwrap_or(0);
    let ranking_limited = rows.len() > kept;
    rows.truncate(kept);
    rows.sort_by(|a, b| a.relevance.total_cmp(&b.relevance));
    Ok(Ranking {
        ranking_limited,
        ids: rows.into_iter().map(|row| row.id).collect(),
        words_limited,
    })
}

#[derive(QueryableByName)]
struct PrintedQuery {
    #[diesel(sql_type = Text)]
    query: String,
}

/// The words of a search as PostgreSQL's Dutch configuration reads them, when the search is words
/// joined by AND ([`search::conjoined_lexemes`]); `None` for any other shape. One statement: the
/// stemmer and the stop words are PostgreSQL's. (Keeping them per text on the node saved the trip
/// and nothing measurable: docs/PERFORMANCE.md item 41.)
fn postgres_lexemes(conn: &mut DbConnection, text: &str) -> QueryResult<Option<Vec<String>>> {
    let DbConnection::Postgres(pg) = conn else {
        return Ok(None);
    };
    let printed: PrintedQuery = diesel::sql_query("SELECT websearch_to_tsquery('dutch', $1)::text AS query")
        .bind::<Text, _>(text)
        .get_result(pg)?;
    Ok(search::conjoined_lexemes(&printed.query))
}

/// PostgreSQL's ranking statement through the register's postings (migration 000020): the newest
/// `ranked + 1` rulings that have every word and pass the filters, walked in the postings' index
/// (one word: the index alone, its rank kept there), then each kept match's entries of the words,
/// over which `ts_rank` gives what it gives over the ruling's whole vector.
fn ranked_by_postings(search: &Search, lexemes: &[String], ranked: i64, binds: &mut Binds) -> String {
    let first = binds.add(Bind::Text(lexemes[0].clone()));
    let mut others = String::new();
    for (i, lexeme) in lexemes.iter().enumerate().skip(1) {
        let word = binds.add(Bind::Text(lexeme.clone()));
        others.push_str(&format!(
            " JOIN register_postings p{i} ON p{i}.lexeme = {word} \
             AND p{i}.published_at = p.published_at AND p{i}.ruling_id = p.ruling_id"
        ));
    }
    let filters = filter_conditions(search, binds);
    let walked = binds.add(Bind::Big(ranked + 1));
    let matches = format!(
        "SELECT p.published_at, p.ruling_id, p.rank_alone FROM register_postings p{others} \
         WHERE p.lexeme = {first}{filters} ORDER BY p.published_at DESC, p.ruling_id DESC LIMIT {walked}"
    );
    if lexemes.len() == 1 {
        return format!(
            "SELECT m.ruling_id AS id, -m.rank_alone::float8 AS relevance FROM ({matches}) m \
             ORDER BY m.published_at DESC, m.ruling_id DESC"
        );
    }
    // The entries are read for the kept matches only: the walk above stays in the index.
    let mut entries = Vec::new();
    let mut joins = String::new();
    for (i, lexeme) in lexemes.iter().enumerate() {
        let word = binds.add(Bind::Text(lexeme.clone()));
        joins.push_str(&format!(
            " JOIN register_postings e{i} ON e{i}.lexeme = {word} \
             AND e{i}.published_at = m.published_at AND e{i}.ruling_id = m.ruling_id"
        ));
        entries.push(format!("e{i}.entry::text"));
    }
    let q = binds.add(Bind::Text(search.text.clone()));
    format!(
        "SELECT m.ruling_id AS id, -ts_rank(({})::tsvector, websearch_to_tsquery('dutch', {q}))::float8 AS relevance \
         FROM ({matches}) m{joins} ORDER BY m.published_at DESC, m.ruling_id DESC",
        entries.join(" || ' ' || ")
    )
}

/// PostgreSQL's ranking statement through the rulings' vectors, for any search: the GIN index or the
/// date index with `@@`, then `ts_rank` over each kept match's whole vector.
fn ranked_by_vectors(search: &Search, ranked: i64, binds: &mut Binds) -> String {
    let q = binds.add(Bind::Text(search.text.clone()));
    let filters = filter_conditions(search, binds);
    let walked = binds.add(Bind::Big(ranked + 1));
    // ts_rank only for the matches kept, after the LIMIT: a ruling's `tsvector` is ~12 KB,
    // stored out of line, and reading one back costs ~25 µs, so ranking in the scan (item 29)
    // ranked every match of a common word found through the GIN index (6,250 for one word
    // and one filter) where 2,001 are kept (docs/PERFORMANCE.md item 33). The sort carries the
    // vector as stored (a long ruling's: a pointer); the outer ORDER BY is the subquery's own.
    format!(
        "SELECT m.id, -ts_rank(m.search_vector, websearch_to_tsquery('dutch', {q}))::float8 AS relevance \
         FROM (SELECT p.id, p.published_at, p.search_vector FROM published_rulings p \
         WHERE p.search_vector @@ websearch_to_tsquery('dutch', {q}) AND p.status = 'published'{filters} \
         ORDER BY p.published_at DESC, p.id DESC LIMIT {walked}) m \
         ORDER BY m.published_at DESC, m.id DESC"
    )
}

/// One page (1-based) of a ranking: its rulings with their names, in the ranking's order. A page
/// past the ranked matches is empty; a page is never cut short by the bound on ranking, which
/// exceeds the deepest page ([`search::MAX_PAGE`]).
pub fn page_of_ranking(conn: &mut DbConnection, ranking: &Ranking, page: i64) -> QueryResult<RegisterPage> {
    let offset = usize::try_from((page - 1) * PAGE_SIZE).unwrap_or(0);
    let ids: Vec<i64> = ranking
        .ids
        .iter()
        .skip(offset)
        .take(PAGE_SIZE as usize)
        .copied()
        .collect();
    let mut items: Vec<RegisterItem> = if ids.is_empty() {
        Vec::new()
    } else if matches!(conn, DbConnection::Postgres(_)) {
        // `id = ANY($1)`: one statement for every page, which the connection keeps prepared.
        use crate::db::schema::providers;
        published_rulings::table
            .inner_join(schemes::table)
            .left_join(providers::table)
            .filter(published_rulings::id.eq_any(&ids))
            .filter(published_rulings::status.eq(PUBLISHED))
            .select((
                published_rulings::id,
                published_rulings::reference,
                schemes::code,
                schemes::name,
                published_rulings::provider_id,
                providers::legal_name.nullable(),
                published_rulings::category,
                published_rulings::year,
                published_rulings::outcome,
                published_rulings::summary,
                published_rulings::published_at,
            ))
            .load(conn)?
    } else {
        let mut binds = Binds {
            postgres: false,
            values: Vec::new(),
        };
        let listed: Vec<String> = ids.iter().map(|id| binds.add(Bind::Big(*id))).collect();
        let sql = format!(
            "SELECT {LISTED_COLUMNS} FROM {} JOIN schemes s ON s.id = p.scheme_id \
             LEFT JOIN providers pr ON pr.id = p.provider_id WHERE p.id IN ({}) AND p.status = 'published'",
            listed_rulings(false),
            listed.join(", ")
        );
        let rows: Vec<RegisterRow> = binds.load(conn, sql)?;
        rows.into_iter().map(|row| row.item).collect()
    };
    items.sort_by_key(|item| ids.iter().position(|id| *id == item.id));
    Ok(RegisterPage {
        items,
        more: ranking.ids.len() > offset + PAGE_SIZE as usize,
        ranking_limited: ranking.ranking_limited,
        words_limited: ranking.words_limited,
    })
}

/// What a register's page shows of each ruling `p`, with its scheme `s` and provider `pr` ([`RegisterRow`]).
const LISTED_COLUMNS: &str = "p.id, p.reference, s.code AS scheme_code, s.name AS scheme_name, p.provider_id, \
     pr.legal_name AS provider_name, p.category, p.year, p.outcome, p.summary, p.published_at";

/// The rulings `p` of a register's page. On SQLite they are read through the index that holds every
/// column the page shows (migration 000021): in the table the status and the date come after the
/// ruling's text, ~16 kB in overflow pages that SQLite reads one by one to reach them, ~100 pages
/// for a page of 20 rulings (docs/PERFORMANCE.md item 43). On PostgreSQL a long text is stored apart.
fn listed_rulings(postgres: bool) -> &'static str {
    if postgres {
        "published_rulings p"
    } else {
        "published_rulings p INDEXED BY published_rulings_listing"
    }
}

/// The filters as SQL conditions on `published_rulings p`, for PostgreSQL and for the register
/// without words. Placeholders are added in the order they occur in the statement (SQLite numbers
/// them so).
fn filter_conditions(search: &Search, binds: &mut Binds) -> String {
    let mut sql = String::new();
    if let Some(scheme) = &search.scheme {
        let p = binds.add(Bind::Text(scheme.clone()));
        sql.push_str(&format!(" AND p.scheme_id = (SELECT id FROM schemes WHERE code = {p})"));
    }
    if let Some(category) = &search.category {
        let p = binds.add(Bind::Text(category.clone()));
        sql.push_str(&format!(" AND p.category = {p}"));
    }
    if let Some(year) = search.year {
        let p = binds.add(Bind::Int(year));
        sql.push_str(&format!(" AND p.year = {p}"));
    }
    if let Some(outcome) = &search.outcome {
        let p = binds.add(Bind::Text(outcome.clone()));
        sql.push_str(&format!(" AND p.outcome = {p}"));
    }
    if let Some(provider) = search.provider_id {
        let p = binds.add(Bind::Big(provider));
        sql.push_str(&format!(" AND p.provider_id = {p}"));
    }
    sql
}

/// `LIMIT` and `OFFSET` of the search's page, with one row more to tell whether there is a next page.
fn page_bounds(search: &Search, binds: &mut Binds) -> String {
    let limit = binds.add(Bind::Big(PAGE_SIZE + 1));
    let offset = binds.add(Bind::Big(search.offset()));
    format!("LIMIT {limit} OFFSET {offset}")
}

/// A word search as FTS5 reads it (SQLite).
struct Fts5Words {
    match_expression: String,
    /// Each matched whole word's rulings, for `register_rank` (see [`search::phrase_rulings`]).
    phrase_rulings: Option<String>,
    /// A typed word stands for more words of the index than are searched.
    limited: bool,
}

/// The FTS5 `MATCH` expression of a word search; `None` when the scheme filtered by does not exist
/// (nothing matches). On SQLite the filters are words of the full-text index (`facets`), the scheme
/// by its id, so the walk does not read the table at all: a lookup per match cost more than bm25.
/// Each typed word becomes the whole words of the index it starts (see [`whole_words`]).
fn fts5_words(conn: &mut DbConnection, search: &Search) -> QueryResult<Option<Fts5Words>> {
    let scheme_id = match &search.scheme {
        None => None,
        Some(code) => match schemes::table
            .filter(schemes::code.eq(code))
            .select(schemes::id)
            .first::<i64>(conn)
            .optional()?
        {
            Some(id) => Some(id),
            None => return Ok(None),
        },
    };
    let whole_words = search
        .words
        .iter()
        .map(|word| whole_words(conn, word, search.words_per_typed_word()))
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(Some(Fts5Words {
        limited: whole_words.iter().any(|found| found.cut),
        phrase_rulings: search::phrase_rulings(&whole_words),
        match_expression: search.fts5_match(scheme_id, &whole_words).unwrap_or_default(),
    }))
}

#[derive(QueryableByName)]
struct IndexWordRow {
    #[diesel(sql_type = Text)]
    word: String,
    #[diesel(sql_type = BigInt)]
    rulings: i64,
}

/// The words of the register's full-text index (SQLite) that start with `typed`: the word itself if
/// the index has it, then the most frequent, at most `limit`. The look-up reads the words of the
/// prefix's range in `published_rulings_words` (migration 000011), however many rulings have them;
/// FTS5's prefix query and its `fts5vocab` table both read every ruling that has one.
pub fn whole_words(conn: &mut DbConnection, typed: &str, limit: usize) -> QueryResult<WholeWords> {
    let DbConnection::Sqlite(lite) = conn else {
        return Ok(WholeWords::default());
    };
    let prefix = search::as_indexed(typed);
    // Every word with the prefix sorts between the prefix and the prefix followed by the last
    // character Unicode has.
    let mut words: Vec<IndexWord> = KeptPrepared(
        diesel::sql_query(
            "SELECT word, rulings FROM published_rulings_words WHERE word >= ?1 AND word < ?2 \
             ORDER BY word = ?1 DESC, rulings DESC, word LIMIT ?3",
        )
        .bind::<Text, _>(&prefix)
        .bind::<Text, _>(format!("{prefix}{}", char::MAX))
        .bind::<BigInt, _>(limit as i64 + 1),
    )
    .load::<IndexWordRow>(lite)?
    .into_iter()
    .map(|row| IndexWord {
        word: row.word,
        rulings: row.rulings,
    })
    .collect();
    let cut = words.len() > limit;
    words.truncate(limit);
    Ok(WholeWords { words, cut })
}

/// A published ruling with its scheme's code and name and its provider's name.
pub type PublishedView = (PublishedRuling, String, String, Option<String>);

/// A published ruling with its scheme and provider, by its reference (the stable URL).
pub fn find_published_by_reference(conn: &mut DbConnection, reference: &str) -> QueryResult<Option<PublishedView>> {
    use crate::db::schema::providers;
    published_rulings::table
        .inner_join(schemes::table)
        .left_join(providers::table)
        .filter(published_rulings::reference.eq(reference))
        .filter(published_rulings::status.eq(PUBLISHED))
        .select((
            PublishedRuling::as_select(),
            schemes::code,
            schemes::name,
            providers::legal_name.nullable(),
        ))
        .first(conn)
        .optional()
}
