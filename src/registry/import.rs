//! The member-list CSV, pure: reading a file row by row (every problem with its row and reason code, broken
//! encoding included), planning an import against what the registry holds (added, changed, unchanged or
//! refused per row, overlapping periods detected), and writing the same format back out.
//!
//! The format is described in docs/REGISTRY.md. One row is one membership of one provider; a provider with
//! memberships of several schemes, or several periods, has several rows, identified by its KvK number. A
//! membership is identified by provider, scheme and first day (`valid_from`).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use crate::registry::membership::{
    KvkNumber, MembershipStatus, PeriodProblem, ValidityPeriod, Via, check_period, first_overlap,
};
use crate::registry::search::split_trade_names;

/// The columns, in the order the export writes them. An import accepts them in any order.
pub const COLUMNS: [&str; 14] = [
    "scheme",
    "kvk_number",
    "legal_name",
    "trade_names",
    "street",
    "postcode",
    "city",
    "website",
    "complaint_email",
    "valid_from",
    "valid_until",
    "via",
    "guarantor",
    "status",
];

/// Columns that may be left empty.
const OPTIONAL: [&str; 8] = [
    "trade_names",
    "street",
    "postcode",
    "city",
    "website",
    "complaint_email",
    "valid_until",
    "guarantor",
];

/// The separator the export writes; an import also takes `,`.
pub const EXPORT_DELIMITER: u8 = b';';
/// The date format of every date column.
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// Longest text accepted in one field.
pub const MAX_FIELD_CHARS: usize = 300;

/// A problem with the file as a whole: nothing can be read row by row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FileProblem {
    /// No header row.
    Empty,
    /// The header row is not UTF-8 text.
    HeaderEncoding,
    /// Columns the format does not have (a typo, or another format).
    UnknownColumns { columns: String },
    /// Required columns that are not there.
    MissingColumns { columns: String },
    /// A column named twice.
    DuplicateColumn { column: String },
}

impl FileProblem {
    pub fn code(&self) -> &'static str {
        match self {
            FileProblem::Empty => "empty",
            FileProblem::HeaderEncoding => "header_encoding",
            FileProblem::UnknownColumns { .. } => "unknown_columns",
            FileProblem::MissingColumns { .. } => "missing_columns",
            FileProblem::DuplicateColumn { .. } => "duplicate_column",
        }
    }

    /// The argument shown in the message (column names), empty when there is none.
    pub fn argument(&self) -> &str {
        match self {
            FileProblem::Empty | FileProblem::HeaderEncoding => "",
            FileProblem::UnknownColumns { columns } | FileProblem::MissingColumns { columns } => columns,
            FileProblem::DuplicateColumn { column } => column,
        }
    }
}

/// Why a row is refused. `code()` is the stable reason code; the fields are the details for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// A field holds bytes that are not UTF-8 (the file was saved as Windows-1252 or Latin-1).
    Encoding { column: &'static str },
    /// The row has another number of fields than the header.
    FieldCount { expected: usize, found: usize },
    /// A required field is empty.
    Missing { column: &'static str },
    /// A field is longer than [`MAX_FIELD_CHARS`].
    TooLong { column: &'static str },
    /// Not eight digits.
    KvkInvalid,
    /// No scheme with this code.
    SchemeUnknown { code: String },
    /// Not a date in the form YYYY-MM-DD.
    DateInvalid { column: &'static str },
    /// `valid_until` lies before `valid_from`.
    PeriodReversed,
    /// Status `ended` without `valid_until`.
    EndedWithoutEnd,
    /// `via` is not `direct` or `trade_association`.
    ViaInvalid,
    /// `status` is not `certified`, `on_hold` or `ended`.
    StatusInvalid,
    /// Affiliated through a trade association, but the association is not named.
    GuarantorMissing,
    /// The e-mail address has no `@`.
    EmailInvalid,
    /// The same KvK number appears earlier in the file with other company details.
    ProviderConflict { line: u64 },
    /// The same membership (KvK, scheme, first day) appears earlier in the file.
    Duplicate { line: u64 },
    /// The period overlaps another row of the file for the same provider and scheme.
    OverlapInFile { line: u64 },
    /// The period overlaps a membership in the registry for the same provider and scheme.
    OverlapExisting { from: NaiveDate, until: Option<NaiveDate> },
}

impl RowProblem {
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::Encoding { .. } => "encoding",
            RowProblem::FieldCount { .. } => "field_count",
            RowProblem::Missing { .. } => "missing",
            RowProblem::TooLong { .. } => "too_long",
            RowProblem::KvkInvalid => "kvk_invalid",
            RowProblem::SchemeUnknown { .. } => "scheme_unknown",
            RowProblem::DateInvalid { .. } => "date_invalid",
            RowProblem::PeriodReversed => "period_reversed",
            RowProblem::EndedWithoutEnd => "ended_without_end",
            RowProblem::ViaInvalid => "via_invalid",
            RowProblem::StatusInvalid => "status_invalid",
            RowProblem::GuarantorMissing => "guarantor_missing",
            RowProblem::EmailInvalid => "email_invalid",
            RowProblem::ProviderConflict { .. } => "provider_conflict",
            RowProblem::Duplicate { .. } => "duplicate",
            RowProblem::OverlapInFile { .. } => "overlap_in_file",
            RowProblem::OverlapExisting { .. } => "overlap_existing",
        }
    }
}

/// A row problem as the report shows it: the code and every detail as text (empty when unused), so that a
/// template in strict mode and the translation can name any of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemView {
    pub code: &'static str,
    pub column: String,
    pub line: String,
    pub value: String,
    pub from: String,
    pub until: String,
}

impl From<&RowProblem> for ProblemView {
    fn from(problem: &RowProblem) -> Self {
        let mut view = ProblemView {
            code: problem.code(),
            column: String::new(),
            line: String::new(),
            value: String::new(),
            from: String::new(),
            until: String::new(),
        };
        match problem {
            RowProblem::Encoding { column }
            | RowProblem::Missing { column }
            | RowProblem::TooLong { column }
            | RowProblem::DateInvalid { column } => view.column = (*column).to_owned(),
            RowProblem::FieldCount { expected, found } => {
                view.value = found.to_string();
                view.line = expected.to_string();
            }
            RowProblem::SchemeUnknown { code } => view.value = code.clone(),
            RowProblem::ProviderConflict { line }
            | RowProblem::Duplicate { line }
            | RowProblem::OverlapInFile { line } => view.line = line.to_string(),
            RowProblem::OverlapExisting { from, until } => {
                view.from = from.format(DATE_FORMAT).to_string();
                view.until = until.map(|u| u.format(DATE_FORMAT).to_string()).unwrap_or_default();
            }
            _ => {}
        }
        view
    }
}

/// The company details of a row, trimmed; trade names normalised to `A; B`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderFields {
    pub kvk_number: KvkNumber,
    pub legal_name: String,
    pub trade_names: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub website: String,
    pub complaint_email: String,
}

impl ProviderFields {
    /// The names of the fields that differ from `other`.
    pub fn differences(&self, other: &ProviderFields) -> Vec<&'static str> {
        let pairs = [
            ("legal_name", &self.legal_name, &other.legal_name),
            ("trade_names", &self.trade_names, &other.trade_names),
            ("street", &self.street, &other.street),
            ("postcode", &self.postcode, &other.postcode),
            ("city", &self.city, &other.city),
            ("website", &self.website, &other.website),
            ("complaint_email", &self.complaint_email, &other.complaint_email),
        ];
        pairs
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(name, _, _)| name)
            .collect()
    }
}

/// The membership details of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MembershipFields {
    pub period: ValidityPeriod,
    pub via: Via,
    /// The trade association's name; `None` for a direct membership without one.
    pub guarantor: Option<String>,
    pub status: MembershipStatus,
}

/// One readable row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub scheme: String,
    pub provider: ProviderFields,
    pub membership: MembershipFields,
}

/// One data row of the file, read: its line (the header is line 1), what identifies it for the report, and
/// the row or its problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    pub line: u64,
    /// The KvK number and name as written (lossily decoded), for the report.
    pub kvk_as_written: String,
    pub name_as_written: String,
    pub scheme_as_written: String,
    pub result: Result<ImportRow, Vec<RowProblem>>,
}

/// Trade names as stored: trimmed, `; `-separated.
pub fn normalise_trade_names(input: &str) -> String {
    split_trade_names(input).collect::<Vec<_>>().join("; ")
}

/// The separator of a file: `;` unless the header row has more commas than semicolons.
pub fn detect_delimiter(bytes: &[u8]) -> u8 {
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |d: u8| first_line.iter().filter(|b| **b == d).count();
    if count(b',') > count(b';') { b',' } else { b';' }
}

/// Reads a member-list file. A problem with the header makes the whole file unreadable; every other problem
/// belongs to its row, and reading goes on with the next row.
pub fn parse(bytes: &[u8]) -> Result<Vec<ParsedRow>, FileProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(detect_delimiter(bytes))
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) if !header.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) => header,
        _ => return Err(FileProblem::Empty),
    };
    let mut positions: HashMap<&'static str, usize> = HashMap::new();
    let mut unknown = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw).map_err(|_| FileProblem::HeaderEncoding)?;
        let name = name.trim().to_lowercase();
        match COLUMNS.iter().find(|c| **c == name) {
            Some(column) => {
                if positions.insert(column, index).is_some() {
                    return Err(FileProblem::DuplicateColumn {
                        column: (*column).to_owned(),
                    });
                }
            }
            None if name.is_empty() => {}
            None => unknown.push(name),
        }
    }
    if !unknown.is_empty() {
        return Err(FileProblem::UnknownColumns {
            columns: unknown.join(", "),
        });
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !OPTIONAL.contains(c) && !positions.contains_key(*c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(FileProblem::MissingColumns {
            columns: missing.join(", "),
        });
    }
    let width = header.len();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            // Only an I/O error can end a byte reader over a slice; nothing more can be read after it.
            Err(_) => break,
        };
        let line = record.position().map(|p| line_of(bytes, p)).unwrap_or_default();
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let lossy = |column: &str| {
            positions
                .get(column)
                .and_then(|i| record.get(*i))
                .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                .unwrap_or_default()
        };
        let result = if record.len() != width {
            Err(vec![RowProblem::FieldCount {
                expected: width,
                found: record.len(),
            }])
        } else {
            read_row(&record, &positions)
        };
        rows.push(ParsedRow {
            line,
            kvk_as_written: lossy("kvk_number"),
            name_as_written: lossy("legal_name"),
            scheme_as_written: lossy("scheme"),
            result,
        });
    }
    Ok(rows)
}

/// The line a record starts on. The reader's position of a record that follows blank lines points at the
/// first blank line; the blank lines are counted here.
fn line_of(bytes: &[u8], position: &csv::Position) -> u64 {
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\n' | b'\r'))
        .filter(|b| **b == b'\n')
        .count();
    position.line() + skipped as u64
}

fn read_row(record: &csv::ByteRecord, positions: &HashMap<&'static str, usize>) -> Result<ImportRow, Vec<RowProblem>> {
    let mut problems = Vec::new();
    // Every field is decoded first, so that an encoding problem is reported for each column that has one.
    let mut text: HashMap<&'static str, String> = HashMap::new();
    for column in COLUMNS {
        let Some(raw) = positions.get(column).and_then(|i| record.get(*i)) else {
            text.insert(column, String::new());
            continue;
        };
        match std::str::from_utf8(raw) {
            Ok(value) => {
                let value = value.trim();
                if value.chars().count() > MAX_FIELD_CHARS {
                    problems.push(RowProblem::TooLong { column });
                }
                if value.is_empty() && !OPTIONAL.contains(&column) {
                    problems.push(RowProblem::Missing { column });
                }
                text.insert(column, value.to_owned());
            }
            Err(_) => {
                problems.push(RowProblem::Encoding { column });
                text.insert(column, String::new());
            }
        }
    }
    let field = |column: &str| text.get(column).map(String::as_str).unwrap_or_default();
    let filled = |column: &str| !field(column).is_empty();

    let kvk = KvkNumber::parse(field("kvk_number"));
    if kvk.is_err() && filled("kvk_number") {
        problems.push(RowProblem::KvkInvalid);
    }
    let date = |column: &'static str, problems: &mut Vec<RowProblem>| -> Option<NaiveDate> {
        let value = field(column);
        if value.is_empty() {
            return None;
        }
        let parsed = NaiveDate::parse_from_str(value, DATE_FORMAT)
            .ok()
            // chrono accepts "2025-3-3"; the format has two-digit months and days.
            .filter(|d| d.format(DATE_FORMAT).to_string() == value);
        if parsed.is_none() {
            problems.push(RowProblem::DateInvalid { column });
        }
        parsed
    };
    let valid_from = date("valid_from", &mut problems);
    let valid_until = date("valid_until", &mut problems);
    let via = field("via").parse::<Via>();
    if via.is_err() && filled("via") {
        problems.push(RowProblem::ViaInvalid);
    }
    let status = field("status").parse::<MembershipStatus>();
    if status.is_err() && filled("status") {
        problems.push(RowProblem::StatusInvalid);
    }
    let guarantor = Some(field("guarantor").to_owned()).filter(|g| !g.is_empty());
    if via == Ok(Via::TradeAssociation)
        && guarantor.is_none()
        && !problems.contains(&RowProblem::Encoding { column: "guarantor" })
    {
        problems.push(RowProblem::GuarantorMissing);
    }
    if filled("complaint_email") && !field("complaint_email").contains('@') {
        problems.push(RowProblem::EmailInvalid);
    }
    if let (Some(from), Ok(status)) = (valid_from, status.as_ref()) {
        let period = ValidityPeriod {
            from,
            until: valid_until,
        };
        let has_until_problem = problems.contains(&RowProblem::DateInvalid { column: "valid_until" });
        match check_period(&period, *status) {
            Err(PeriodProblem::EndsBeforeItStarts) => problems.push(RowProblem::PeriodReversed),
            Err(PeriodProblem::EndedWithoutEnd) if !has_until_problem => problems.push(RowProblem::EndedWithoutEnd),
            _ => {}
        }
    }
    match (kvk, valid_from, via, status) {
        (Ok(kvk_number), Some(from), Ok(via), Ok(status)) if problems.is_empty() => Ok(ImportRow {
            scheme: field("scheme").to_owned(),
            provider: ProviderFields {
                kvk_number,
                legal_name: field("legal_name").to_owned(),
                trade_names: normalise_trade_names(field("trade_names")),
                street: field("street").to_owned(),
                postcode: field("postcode").to_owned(),
                city: field("city").to_owned(),
                website: field("website").to_owned(),
                complaint_email: field("complaint_email").to_owned(),
            },
            membership: MembershipFields {
                period: ValidityPeriod {
                    from,
                    until: valid_until,
                },
                via,
                guarantor,
                status,
            },
        }),
        _ => Err(problems),
    }
}

/// A provider the registry holds.
#[derive(Debug, Clone)]
pub struct ExistingProvider {
    pub id: i64,
    pub fields: ProviderFields,
}

/// A membership the registry holds.
#[derive(Debug, Clone)]
pub struct ExistingMembership {
    pub id: i64,
    pub fields: MembershipFields,
}

/// What the registry holds that an import is compared with: the schemes by code, the guarantors by name, and
/// the providers of the file's KvK numbers with their memberships by scheme code.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    pub schemes: HashMap<String, i64>,
    pub guarantors: Vec<(i64, String)>,
    pub providers: HashMap<KvkNumber, ExistingProvider>,
    pub memberships: HashMap<(KvkNumber, String), Vec<ExistingMembership>>,
}

impl Existing {
    /// A guarantor's id by name, ignoring case and surrounding spaces.
    pub fn guarantor_id(&self, name: &str) -> Option<i64> {
        let name = name.trim().to_lowercase();
        self.guarantors
            .iter()
            .find(|(_, n)| n.trim().to_lowercase() == name)
            .map(|(id, _)| *id)
    }
}

/// What an import does with one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A new membership (of a new or a known provider).
    Add,
    /// The membership or the provider's details change.
    Change,
    /// Already registered as written.
    Unchanged,
    /// Not imported; the problems say why.
    Refuse,
}

impl RowAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            RowAction::Add => "add",
            RowAction::Change => "change",
            RowAction::Unchanged => "unchanged",
            RowAction::Refuse => "refuse",
        }
    }
}

/// The plan for one row.
#[derive(Debug, Clone)]
pub struct RowPlan {
    pub line: u64,
    pub kvk_as_written: String,
    pub name_as_written: String,
    pub scheme_as_written: String,
    pub action: RowAction,
    pub problems: Vec<RowProblem>,
    /// Present unless refused.
    pub row: Option<ImportRow>,
    pub scheme_id: Option<i64>,
    /// The provider, when the registry has it.
    pub provider_id: Option<i64>,
    /// The membership that the row changes or repeats.
    pub membership_id: Option<i64>,
    /// The provider is new to the registry (created by this row, the first of its KvK number).
    pub new_provider: bool,
    /// Provider fields that change.
    pub provider_changes: Vec<&'static str>,
    /// Membership fields that change.
    pub membership_changes: Vec<&'static str>,
    /// The guarantor is not yet in the registry and will be added.
    pub new_guarantor: bool,
}

/// The plan for a whole file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rows: Vec<RowPlan>,
}

impl Plan {
    pub fn count(&self, action: RowAction) -> usize {
        self.rows.iter().filter(|r| r.action == action).count()
    }

    /// All or nothing: an import runs only when no row is refused.
    pub fn can_import(&self) -> bool {
        !self.rows.is_empty() && self.count(RowAction::Refuse) == 0
    }
}

/// Compares the rows with the registry: what each row would add or change, and which rows are refused and
/// why, including periods that overlap another row or a registered membership of the same provider and
/// scheme.
pub fn plan(rows: Vec<ParsedRow>, existing: &Existing) -> Plan {
    let mut plans = Vec::with_capacity(rows.len());
    // First line of each KvK number in the file, with its details.
    let mut providers_seen: HashMap<KvkNumber, (u64, ProviderFields)> = HashMap::new();
    // (KvK, scheme, valid_from) → line.
    let mut memberships_seen: HashMap<(KvkNumber, String, NaiveDate), u64> = HashMap::new();
    // Rows accepted so far per (KvK, scheme): line and period.
    let mut periods_in_file: BTreeMap<(KvkNumber, String), Vec<(u64, ValidityPeriod)>> = BTreeMap::new();
    // Registered memberships that a row of the file replaces (same first day) are not compared with.
    let mut replaced: HashMap<(KvkNumber, String), Vec<NaiveDate>> = HashMap::new();
    for row in rows.iter().filter_map(|r| r.result.as_ref().ok()) {
        replaced
            .entry((row.provider.kvk_number.clone(), row.scheme.clone()))
            .or_default()
            .push(row.membership.period.from);
    }

    for parsed in rows {
        let mut plan = RowPlan {
            line: parsed.line,
            kvk_as_written: parsed.kvk_as_written,
            name_as_written: parsed.name_as_written,
            scheme_as_written: parsed.scheme_as_written,
            action: RowAction::Refuse,
            problems: Vec::new(),
            row: None,
            scheme_id: None,
            provider_id: None,
            membership_id: None,
            new_provider: false,
            provider_changes: Vec::new(),
            membership_changes: Vec::new(),
            new_guarantor: false,
        };
        let row = match parsed.result {
            Ok(row) => row,
            Err(mut problems) => {
                let scheme = plan.scheme_as_written.clone();
                if !scheme.is_empty()
                    && !existing.schemes.contains_key(&scheme)
                    && !problems
                        .iter()
                        .any(|p| matches!(p, RowProblem::Encoding { column: "scheme" }))
                {
                    problems.push(RowProblem::SchemeUnknown { code: scheme });
                }
                plan.problems = problems;
                plans.push(plan);
                continue;
            }
        };
        let kvk = row.provider.kvk_number.clone();
        let mut problems = Vec::new();
        plan.scheme_id = existing.schemes.get(&row.scheme).copied();
        if plan.scheme_id.is_none() {
            problems.push(RowProblem::SchemeUnknown {
                code: row.scheme.clone(),
            });
        }
        match providers_seen.get(&kvk) {
            Some((line, fields)) if *fields != row.provider => {
                problems.push(RowProblem::ProviderConflict { line: *line });
            }
            Some(_) => {}
            None => {
                providers_seen.insert(kvk.clone(), (plan.line, row.provider.clone()));
            }
        }
        let key = (kvk.clone(), row.scheme.clone(), row.membership.period.from);
        if let Some(line) = memberships_seen.get(&key) {
            problems.push(RowProblem::Duplicate { line: *line });
        } else {
            memberships_seen.insert(key, plan.line);
        }
        let group = (kvk.clone(), row.scheme.clone());
        let registered = existing.memberships.get(&group).map(Vec::as_slice).unwrap_or_default();
        let replaced_days = replaced.get(&group).map(Vec::as_slice).unwrap_or_default();
        if !problems.iter().any(|p| matches!(p, RowProblem::Duplicate { .. })) {
            let others: Vec<ValidityPeriod> = registered
                .iter()
                .filter(|m| !replaced_days.contains(&m.fields.period.from))
                .map(|m| m.fields.period)
                .collect();
            if let Some(overlap) = first_overlap(&row.membership.period, &others) {
                problems.push(RowProblem::OverlapExisting {
                    from: overlap.from,
                    until: overlap.until,
                });
            } else if let Some((line, _)) = periods_in_file
                .get(&group)
                .and_then(|earlier| earlier.iter().find(|(_, p)| p.overlaps(&row.membership.period)))
            {
                problems.push(RowProblem::OverlapInFile { line: *line });
            }
        }
        if !problems.is_empty() {
            plan.problems = problems;
            plans.push(plan);
            continue;
        }
        periods_in_file
            .entry(group)
            .or_default()
            .push((plan.line, row.membership.period));

        match existing.providers.get(&kvk) {
            Some(provider) => {
                plan.provider_id = Some(provider.id);
                plan.provider_changes = row.provider.differences(&provider.fields);
            }
            None => {
                // Only the first row of a new KvK number creates the provider.
                plan.new_provider = providers_seen.get(&kvk).is_some_and(|(line, _)| *line == plan.line);
            }
        }
        plan.new_guarantor = row
            .membership
            .guarantor
            .as_deref()
            .is_some_and(|name| existing.guarantor_id(name).is_none());
        let same_start = registered
            .iter()
            .find(|m| m.fields.period.from == row.membership.period.from);
        plan.action = match same_start {
            Some(current) => {
                plan.membership_id = Some(current.id);
                plan.membership_changes = membership_differences(&row.membership, &current.fields);
                if plan.membership_changes.is_empty() && plan.provider_changes.is_empty() {
                    RowAction::Unchanged
                } else {
                    RowAction::Change
                }
            }
            None => RowAction::Add,
        };
        plan.row = Some(row);
        plans.push(plan);
    }
    Plan { rows: plans }
}

fn membership_differences(new: &MembershipFields, current: &MembershipFields) -> Vec<&'static str> {
    let mut changes = Vec::new();
    if new.period.until != current.period.until {
        changes.push("valid_until");
    }
    if new.via != current.via {
        changes.push("via");
    }
    let same_guarantor = match (&new.guarantor, &current.guarantor) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        (None, None) => true,
        _ => false,
    };
    if !same_guarantor {
        changes.push("guarantor");
    }
    if new.status != current.status {
        changes.push("status");
    }
    changes
}

/// One row of an export.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub scheme: String,
    pub provider: ProviderFields,
    pub membership: MembershipFields,
}

/// Writes rows in the import format: header, `;`-separated, dates as YYYY-MM-DD, UTF-8.
pub fn write(rows: &[ExportRow]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(EXPORT_DELIMITER)
        .from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    writer.write_record(COLUMNS).expect("write to memory");
    for row in rows {
        let p = &row.provider;
        let m = &row.membership;
        let from = m.period.from.format(DATE_FORMAT).to_string();
        let until = m
            .period
            .until
            .map(|u| u.format(DATE_FORMAT).to_string())
            .unwrap_or_default();
        writer
            .write_record([
                row.scheme.as_str(),
                p.kvk_number.as_str(),
                &p.legal_name,
                &p.trade_names,
                &p.street,
                &p.postcode,
                &p.city,
                &p.website,
                &p.complaint_email,
                &from,
                &until,
                m.via.as_str(),
                m.guarantor.as_deref().unwrap_or_default(),
                m.status.as_str(),
            ])
            .expect("write to memory");
    }
    writer.into_inner().expect("flush to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "scheme;kvk_number;legal_name;trade_names;street;postcode;city;website;complaint_email;valid_from;valid_until;via;guarantor;status\n";

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut text = HEADER.to_owned();
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text.into_bytes()
    }

    fn existing() -> Existing {
        Existing {
            schemes: [("TEL".to_owned(), 1), ("ICT".to_owned(), 2)].into_iter().collect(),
            guarantors: vec![(7, "Stichting Garantiefonds Telecom".into())],
            ..Existing::default()
        }
    }

    fn problems(row: &RowPlan) -> Vec<&'static str> {
        row.problems.iter().map(RowProblem::code).collect()
    }

    const GOOD: &str = "TEL;60000011;Glasvezel Noord B.V.;NoordNet;Voorbeeldstraat 1;1234 AB;Groningen;;klachten@noord.example;2015-01-01;;trade_association;Stichting Garantiefonds Telecom;certified";

    #[test]
    fn a_good_row_reads_into_provider_and_membership() {
        let rows = parse(&file(&[GOOD])).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        let row = rows[0].result.as_ref().unwrap();
        assert_eq!(row.scheme, "TEL");
        assert_eq!(row.provider.kvk_number.as_str(), "60000011");
        assert_eq!(row.provider.trade_names, "NoordNet");
        assert_eq!(
            row.membership.period,
            ValidityPeriod {
                from: d(2015, 1, 1),
                until: None
            }
        );
        assert_eq!(row.membership.via, Via::TradeAssociation);
        assert_eq!(
            row.membership.guarantor.as_deref(),
            Some("Stichting Garantiefonds Telecom")
        );
        assert_eq!(row.membership.status, MembershipStatus::Certified);
    }

    #[test]
    fn commas_are_detected_as_the_separator_and_a_bom_is_skipped() {
        let text = format!("\u{feff}{}{}\n", HEADER.replace(';', ","), GOOD.replace(';', ","));
        let rows = parse(text.as_bytes()).unwrap();
        assert!(rows[0].result.is_ok(), "{:?}", rows[0].result);
        assert_eq!(detect_delimiter(b"a;b,c;d"), b';');
        assert_eq!(detect_delimiter(b"a,b,c;d"), b',');
    }

    #[test]
    fn columns_may_come_in_any_order_and_optional_ones_may_be_left_out() {
        let text =
            "status;valid_from;via;legal_name;kvk_number;scheme\ncertified;2020-01-01;direct;Snelweb;60000033;TEL\n";
        let rows = parse(text.as_bytes()).unwrap();
        let row = rows[0].result.as_ref().unwrap();
        assert_eq!(row.provider.legal_name, "Snelweb");
        assert_eq!(row.membership.period.until, None);
    }

    #[test]
    fn a_header_with_unknown_or_missing_columns_refuses_the_file() {
        assert_eq!(parse(b""), Err(FileProblem::Empty));
        assert_eq!(parse(b"\n\n"), Err(FileProblem::Empty));
        assert_eq!(
            parse(b"scheme;kvk;legal_name\n"),
            Err(FileProblem::UnknownColumns { columns: "kvk".into() })
        );
        assert_eq!(
            parse(b"scheme;kvk_number;legal_name\n"),
            Err(FileProblem::MissingColumns {
                columns: "valid_from, via, status".into()
            })
        );
        assert_eq!(
            parse(b"scheme;scheme\n"),
            Err(FileProblem::DuplicateColumn {
                column: "scheme".into()
            })
        );
        assert_eq!(parse(b"sch\xe9me;x\n"), Err(FileProblem::HeaderEncoding));
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_its_reason_code() {
        let rows = parse(&file(&[
            "TEL;6000001;;;;;;;geen-adres;2025-02-30;2024-01-01;via-de-buren;;lid",
            "TEL;60000011;Naam;;;;;;;3-3-2025;;direct;;certified",
            "TEL;60000011;Naam;;;;;;;2025-03-03;2025-03-02;trade_association;;certified",
            "TEL;60000011;Naam;;;;;;;2025-03-03;;direct;;ended",
            "TEL;60000011;te weinig velden",
        ]))
        .unwrap();
        let codes = |i: usize| -> Vec<&'static str> {
            rows[i]
                .result
                .as_ref()
                .unwrap_err()
                .iter()
                .map(RowProblem::code)
                .collect()
        };
        assert_eq!(
            codes(0),
            [
                "missing",
                "kvk_invalid",
                "date_invalid",
                "via_invalid",
                "status_invalid",
                "email_invalid"
            ]
        );
        assert_eq!(codes(1), ["date_invalid"], "dates are YYYY-MM-DD");
        assert_eq!(codes(2), ["guarantor_missing", "period_reversed"]);
        assert_eq!(codes(3), ["ended_without_end"]);
        assert_eq!(codes(4), ["field_count"]);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4, 5, 6]);
    }

    #[test]
    fn broken_encoding_is_a_problem_of_its_row_and_the_next_rows_are_still_read() {
        let mut bytes = file(&[]);
        // "Zoëtel" saved as Windows-1252: ë is the single byte 0xEB.
        bytes.extend_from_slice(b"TEL;60000044;Zo\xebtel Mobiel B.V.;Zo\xebtel;;;;;;2010-01-01;;direct;;certified\n");
        bytes.extend_from_slice(GOOD.as_bytes());
        bytes.push(b'\n');
        let rows = parse(&bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].result,
            Err(vec![
                RowProblem::Encoding { column: "legal_name" },
                RowProblem::Encoding { column: "trade_names" }
            ])
        );
        assert_eq!(rows[0].name_as_written, "Zo\u{fffd}tel Mobiel B.V.");
        assert!(rows[1].result.is_ok());
    }

    #[test]
    fn blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file() {
        let rows = parse(&file(&["", GOOD, "  ", GOOD.replace("60000011", "60000022").as_str()])).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 5]);
    }

    #[test]
    fn a_quoted_field_may_hold_the_separator_and_line_breaks() {
        let row = "TEL;60000022;\"Kabelnet; Delta\nB.V.\";\"DeltaKabel; Delta TV\";;;;;;2012-06-01;;direct;;certified";
        let rows = parse(&file(&[row])).unwrap();
        let row = rows[0].result.as_ref().unwrap();
        assert_eq!(row.provider.legal_name, "Kabelnet; Delta\nB.V.");
        assert_eq!(row.provider.trade_names, "DeltaKabel; Delta TV");
    }

    #[test]
    fn a_new_provider_and_membership_are_added_and_an_unknown_scheme_refused() {
        let rows = parse(&file(&[GOOD, &GOOD.replace("TEL;", "XYZ;")])).unwrap();
        let plan = plan(rows, &existing());
        assert_eq!(plan.rows[0].action, RowAction::Add);
        assert!(plan.rows[0].new_provider);
        assert!(!plan.rows[0].new_guarantor, "guarantors match by name");
        assert_eq!(plan.rows[1].action, RowAction::Refuse);
        assert_eq!(problems(&plan.rows[1]), ["scheme_unknown"]);
        assert!(!plan.can_import());
    }

    #[test]
    fn an_unknown_scheme_is_named_also_on_a_row_with_other_problems() {
        let rows = parse(&file(&["XYZ;123;Naam;;;;;;;2025-01-01;;direct;;certified"])).unwrap();
        let plan = plan(rows, &existing());
        assert_eq!(problems(&plan.rows[0]), ["kvk_invalid", "scheme_unknown"]);
    }

    fn registered(kvk: &str, from: NaiveDate, until: Option<NaiveDate>, status: MembershipStatus) -> Existing {
        let kvk = KvkNumber::parse(kvk).unwrap();
        let row = parse(&file(&[GOOD])).unwrap().remove(0).result.unwrap();
        let mut existing = existing();
        existing.providers.insert(
            kvk.clone(),
            ExistingProvider {
                id: 10,
                fields: row.provider.clone(),
            },
        );
        existing.memberships.insert(
            (kvk, "TEL".into()),
            vec![ExistingMembership {
                id: 20,
                fields: MembershipFields {
                    period: ValidityPeriod { from, until },
                    status,
                    ..row.membership
                },
            }],
        );
        existing
    }

    #[test]
    fn a_row_equal_to_the_registry_is_unchanged_and_a_new_end_date_is_a_change() {
        let existing = registered("60000011", d(2015, 1, 1), None, MembershipStatus::Certified);
        let same = plan(parse(&file(&[GOOD])).unwrap(), &existing);
        assert_eq!(same.rows[0].action, RowAction::Unchanged);
        assert_eq!(same.rows[0].membership_id, Some(20));
        assert!(same.can_import());

        let ended = GOOD
            .replace("2015-01-01;;", "2015-01-01;2025-03-02;")
            .replace("certified", "ended");
        let changed = plan(parse(&file(&[&ended])).unwrap(), &existing);
        assert_eq!(changed.rows[0].action, RowAction::Change);
        assert_eq!(changed.rows[0].membership_changes, ["valid_until", "status"]);

        let renamed = GOOD.replace("Groningen", "Assen");
        let changed = plan(parse(&file(&[&renamed])).unwrap(), &existing);
        assert_eq!(changed.rows[0].action, RowAction::Change);
        assert_eq!(changed.rows[0].provider_changes, ["city"]);
    }

    #[test]
    fn a_period_overlapping_a_registered_membership_is_refused_and_a_consecutive_one_added() {
        let existing = registered("60000011", d(2015, 1, 1), Some(d(2025, 3, 2)), MembershipStatus::Ended);
        let overlapping = GOOD.replace("2015-01-01;;", "2025-03-02;;");
        let refused = plan(parse(&file(&[&overlapping])).unwrap(), &existing);
        assert_eq!(problems(&refused.rows[0]), ["overlap_existing"]);
        let view = ProblemView::from(&refused.rows[0].problems[0]);
        assert_eq!((view.from.as_str(), view.until.as_str()), ("2015-01-01", "2025-03-02"));

        let next_day = GOOD.replace("2015-01-01;;", "2025-03-03;;");
        let added = plan(parse(&file(&[&next_day])).unwrap(), &existing);
        assert_eq!(added.rows[0].action, RowAction::Add);
        assert!(!added.rows[0].new_provider);
        assert_eq!(added.rows[0].provider_id, Some(10));
    }

    #[test]
    fn a_row_that_replaces_a_registered_membership_is_not_compared_with_it() {
        let existing = registered("60000011", d(2015, 1, 1), None, MembershipStatus::Certified);
        let ended = GOOD
            .replace("2015-01-01;;", "2015-01-01;2025-03-02;")
            .replace("certified", "ended");
        let rejoined = GOOD.replace("2015-01-01;;", "2025-03-03;;");
        let plan = plan(parse(&file(&[&ended, &rejoined])).unwrap(), &existing);
        assert_eq!(
            plan.rows.iter().map(|r| r.action).collect::<Vec<_>>(),
            [RowAction::Change, RowAction::Add]
        );
    }

    #[test]
    fn overlapping_rows_duplicates_and_conflicting_details_within_the_file_are_refused() {
        let second = GOOD.replace("2015-01-01;;", "2020-01-01;;");
        let duplicate = GOOD.to_owned();
        let other_details = GOOD
            .replace("TEL;", "ICT;")
            .replace("Groningen", "Assen")
            .replace("2015-01-01", "2016-01-01");
        let other_scheme = GOOD.replace("TEL;", "ICT;");
        let plan = plan(
            parse(&file(&[GOOD, &second, &duplicate, &other_details, &other_scheme])).unwrap(),
            &existing(),
        );
        assert_eq!(problems(&plan.rows[1]), ["overlap_in_file"]);
        assert_eq!(ProblemView::from(&plan.rows[1].problems[0]).line, "2");
        assert_eq!(problems(&plan.rows[2]), ["duplicate"]);
        assert_eq!(problems(&plan.rows[3]), ["provider_conflict"]);
        assert_eq!(
            plan.rows[4].action,
            RowAction::Add,
            "the same provider in another scheme"
        );
        assert!(!plan.rows[4].new_provider, "created by its first row");
        assert_eq!(plan.count(RowAction::Add), 2);
        assert_eq!(plan.count(RowAction::Refuse), 3);
    }

    #[test]
    fn an_unknown_guarantor_is_added_and_an_empty_file_cannot_be_imported() {
        let other = GOOD.replace("Stichting Garantiefonds Telecom", "Nieuwe Branchevereniging");
        let plan_with = plan(parse(&file(&[&other])).unwrap(), &existing());
        assert!(plan_with.rows[0].new_guarantor);
        let empty = plan(parse(&file(&[])).unwrap(), &existing());
        assert!(!empty.can_import());
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let tricky = "ICT;60000022;\"Kabelnet \"\"Delta\"\"; B.V.\";DeltaKabel | Delta TV;Straat 1;1234 AB;Middelburg;https://delta.example;k@delta.example;2012-06-01;2024-02-29;direct;;ended";
        let rows: Vec<ImportRow> = parse(&file(&[GOOD, tricky]))
            .unwrap()
            .into_iter()
            .map(|r| r.result.unwrap())
            .collect();
        let export: Vec<ExportRow> = rows
            .iter()
            .map(|r| ExportRow {
                scheme: r.scheme.clone(),
                provider: r.provider.clone(),
                membership: r.membership.clone(),
            })
            .collect();
        let bytes = write(&export);
        assert!(bytes.starts_with(HEADER.trim_end().as_bytes()));
        let again: Vec<ImportRow> = parse(&bytes).unwrap().into_iter().map(|r| r.result.unwrap()).collect();
        assert_eq!(again, rows);
        assert_eq!(again[1].provider.trade_names, "DeltaKabel; Delta TV");
    }
}
