//! The Lead Distribution Analytics query engine: the request body, its
//! validation into a [`Query`], and its evaluation over an account's users
//! and leads into a [`Table`]. No axum here.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use super::model::{Dataset, Field, Kind, LeadRef, User, Value, fields};

/// The vendor's largest page for this endpoint (a production client pages
/// by 10,000; the v2 search APIs stop at 1,000).
pub const MAX_PAGE_SIZE: usize = 10_000;
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// List columns when `IncludeCSV` is empty.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "ProspectID",
    "FirstName",
    "LastName",
    "EmailAddress",
    "Phone",
    "Source",
    "ProspectStage",
    "OwnerId",
    "Score",
    "EngagementScore",
    "CreatedOn",
    "ModifiedOn",
];

// ---------------------------------------------------------------- request

/// The request body as clients send it. Unknown members are ignored (as
/// LeadSquared's .NET services do); a member of the wrong JSON type is a
/// structural error (400).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Request {
    pub report_filter: Option<ReportFilter>,
    pub date_filter: Option<Vec<DateFilter>>,
    pub output: Option<Output>,
    pub paging: Option<Paging>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReportFilter {
    pub user_filter: Option<UserFilterBody>,
    #[serde(alias = "LeadFilter")]
    pub lead_filters: Option<Vec<LeadFilter>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserFilterBody {
    pub group_conditions: Option<Vec<GroupBody>>,
    pub group_operator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GroupBody {
    pub condition: Option<Vec<ConditionBody>>,
    pub group_operator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConditionBody {
    pub lookup_name: Option<String>,
    pub operator: Option<String>,
    pub lookup_value: Option<Scalar>,
    pub condition_operator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LeadFilter {
    #[serde(rename = "LookUpName", alias = "LookupName")]
    pub lookup_name: Option<String>,
    #[serde(rename = "LookUpValue", alias = "LookupValue")]
    pub lookup_value: Option<Scalar>,
    #[serde(rename = "SqlOperator")]
    pub sql_operator: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DateFilter {
    pub date_field: Option<String>,
    pub from_date: Option<String>,
    pub to_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Output {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub group_by: Option<String>,
    pub aggregate_function: Option<String>,
    pub aggregate_field: Option<String>,
    #[serde(rename = "IncludeCSV", alias = "Include_CSV")]
    pub include_csv: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Paging {
    pub page_index: Option<i64>,
    pub page_size: Option<i64>,
}

/// A lookup value: clients send strings, numbers and booleans alike.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

// ---------------------------------------------------------------- errors

/// Why a query is refused; the handler maps each to the vendor's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A value that is not allowed (`MXInvalidInputException`, HTTP 500).
    InvalidInput(String),
    /// A field name the schema does not have (`MXUnknownAttributeException`, HTTP 500).
    UnknownAttribute(String),
}

fn invalid(parameter: &str, detail: impl AsRef<str>) -> QueryError {
    QueryError::InvalidInput(format!(
        "Invalid Input! Parameter Name: {parameter}. {}",
        detail.as_ref()
    ))
}

fn unknown_field(parameter: &str, name: &str) -> QueryError {
    QueryError::UnknownAttribute(format!(
        "Invalid Input! Parameter Name: {parameter}. '{name}' is not a lead field."
    ))
}

// ---------------------------------------------------------------- query

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserField {
    Id,
    FirstName,
    LastName,
    EmailAddress,
    Role,
    StatusCode,
    Groups,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserOp {
    Eq,
    Neq,
    Like,
}

#[derive(Debug, Clone)]
struct UserCondition {
    field: UserField,
    op: UserOp,
    /// Lowercased; `LookupValue` may list several, comma-separated.
    values: Vec<String>,
}

#[derive(Debug, Clone)]
struct UserGroup {
    conditions: Vec<UserCondition>,
    join: Join,
}

/// SQL comparison operators of `LeadFilters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
}

#[derive(Debug, Clone)]
enum Operand {
    Text(String),
    Number(f64),
    DateTime(NaiveDateTime),
    /// A LIKE pattern, lowercased.
    Pattern(Vec<char>),
}

#[derive(Debug, Clone)]
struct LeadCondition {
    field: Field,
    op: SqlOp,
    operand: Operand,
}

#[derive(Debug, Clone)]
struct DateRange {
    field: Field,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
}

/// An aggregate function of `Output.AggregateFunction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Average,
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "average" | "avg" => Some(Aggregate::Average),
            "sum" => Some(Aggregate::Sum),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Aggregate::Average => "Average",
            Aggregate::Sum => "Sum",
            Aggregate::Min => "Min",
            Aggregate::Max => "Max",
        }
    }
}

#[derive(Debug, Clone)]
enum Shape {
    List {
        columns: Vec<Field>,
    },
    Aggregate {
        group_by: Option<Field>,
        functions: Vec<Aggregate>,
        field: Option<Field>,
    },
}

/// Condition groups and the joins between consecutive groups.
type UserGroups = (Vec<UserGroup>, Vec<Join>);

/// A validated request.
#[derive(Debug, Clone)]
pub struct Query {
    /// `None`: every user of the account.
    user_groups: Option<UserGroups>,
    lead_conditions: Vec<LeadCondition>,
    date_ranges: Vec<DateRange>,
    shape: Shape,
    page_index: usize,
    page_size: usize,
}

impl Query {
    pub fn from_request(request: Request) -> Result<Self, QueryError> {
        let report = request.report_filter.unwrap_or_default();
        let user_groups = match report.user_filter {
            Some(filter) => user_filter(filter)?,
            None => None,
        };
        let lead_conditions = report
            .lead_filters
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.lookup_name.as_deref().is_some_and(|n| !n.trim().is_empty()))
            .map(lead_condition)
            .collect::<Result<_, _>>()?;
        let date_ranges = request
            .date_filter
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.date_field.as_deref().is_some_and(|n| !n.trim().is_empty()))
            .map(date_range)
            .collect::<Result<_, _>>()?;
        let shape = shape(request.output.unwrap_or_default())?;
        let paging = request.paging.unwrap_or_default();
        let page_index = match paging.page_index {
            None => 1,
            Some(i) if i >= 1 => usize::try_from(i).unwrap_or(usize::MAX),
            Some(_) => return Err(invalid("PageIndex", "PageIndex must be 1 or more.")),
        };
        let page_size = match paging.page_size {
            None => DEFAULT_PAGE_SIZE,
            Some(s) if s > MAX_PAGE_SIZE as i64 => {
                return Err(QueryError::InvalidInput(format!(
                    "Invalid Input! Parameter Name: PageSize can not be more than {MAX_PAGE_SIZE}."
                )));
            }
            Some(s) if s >= 1 => usize::try_from(s).unwrap_or(MAX_PAGE_SIZE),
            Some(_) => return Err(invalid("PageSize", "PageSize must be 1 or more.")),
        };
        Ok(Self {
            user_groups,
            lead_conditions,
            date_ranges,
            shape,
            page_index,
            page_size,
        })
    }
}

fn join(value: Option<&str>, parameter: &str) -> Result<Option<Join>, QueryError> {
    match value.map(str::trim).map(str::to_ascii_uppercase).as_deref() {
        None | Some("") => Ok(None),
        Some("AND") => Ok(Some(Join::And)),
        Some("OR") => Ok(Some(Join::Or)),
        Some(other) => Err(invalid(parameter, format!("'{other}' is not AND or OR."))),
    }
}

/// The User Advanced Search condition groups. Within a group every
/// `ConditionOperator` must agree; a group's `GroupOperator` joins it to the
/// next group (the filter's own `GroupOperator` is the default), and groups
/// are combined left to right.
fn user_filter(filter: UserFilterBody) -> Result<Option<UserGroups>, QueryError> {
    let default_join = join(filter.group_operator.as_deref(), "GroupOperator")?.unwrap_or(Join::And);
    let mut groups = Vec::new();
    let mut joins = Vec::new();
    // The previous group's own GroupOperator, joining it to this one.
    let mut pending: Option<Join> = None;
    for group in filter.group_conditions.unwrap_or_default() {
        let conditions_body = group.condition.unwrap_or_default();
        let count = conditions_body.len();
        let mut within: Option<Join> = None;
        let mut conditions = Vec::new();
        for (i, condition) in conditions_body.into_iter().enumerate() {
            // The last condition's operator joins nothing.
            if i + 1 < count
                && let Some(j) = join(condition.condition_operator.as_deref(), "ConditionOperator")?
            {
                if within.is_some_and(|w| w != j) {
                    return Err(invalid(
                        "ConditionOperator",
                        "ConditionOperator must be the same within a condition group.",
                    ));
                }
                within = Some(j);
            }
            conditions.push(user_condition(condition)?);
        }
        if conditions.is_empty() {
            continue;
        }
        if !groups.is_empty() {
            joins.push(pending.take().unwrap_or(default_join));
        }
        pending = join(group.group_operator.as_deref(), "GroupOperator")?;
        groups.push(UserGroup {
            conditions,
            join: within.unwrap_or(Join::And),
        });
    }
    Ok((!groups.is_empty()).then_some((groups, joins)))
}

fn user_condition(condition: ConditionBody) -> Result<UserCondition, QueryError> {
    let name = condition.lookup_name.unwrap_or_default();
    let field = match name.trim() {
        "UserID" | "UserId" | "ID" | "Id" => UserField::Id,
        "FirstName" => UserField::FirstName,
        "LastName" => UserField::LastName,
        "EmailAddress" => UserField::EmailAddress,
        "Role" => UserField::Role,
        "StatusCode" => UserField::StatusCode,
        "Groups" | "MemberOfGroups" => UserField::Groups,
        other => {
            return Err(QueryError::UnknownAttribute(format!(
                "Invalid Input! Parameter Name: LookupName. '{other}' is not a user field \
                 (UserID, FirstName, LastName, EmailAddress, Role, StatusCode, Groups)."
            )));
        }
    };
    let op = match condition
        .operator
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "eq" | "" => UserOp::Eq,
        "neq" | "ne" => UserOp::Neq,
        "lik" | "like" | "contains" => UserOp::Like,
        other => {
            return Err(invalid(
                "Operator",
                format!("'{other}' is not one of eq, neq, lik."),
            ));
        }
    };
    let values = condition
        .lookup_value
        .map(Scalar::into_string)
        .unwrap_or_default()
        .split(',')
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>();
    if values.is_empty() {
        return Err(invalid("LookupValue", "LookupValue is required."));
    }
    Ok(UserCondition { field, op, values })
}

fn lead_condition(filter: LeadFilter) -> Result<LeadCondition, QueryError> {
    let name = filter.lookup_name.unwrap_or_default();
    let field = Field::named(name.trim()).ok_or_else(|| unknown_field("LookUpName", name.trim()))?;
    let op = match filter
        .sql_operator
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "" | "=" => SqlOp::Eq,
        "<>" | "!=" => SqlOp::Ne,
        "<" => SqlOp::Lt,
        "<=" => SqlOp::Le,
        ">" => SqlOp::Gt,
        ">=" => SqlOp::Ge,
        "LIKE" => SqlOp::Like,
        other => {
            return Err(invalid(
                "SqlOperator",
                format!("'{other}' is not one of =, <>, <, <=, >, >=, LIKE."),
            ));
        }
    };
    let raw = filter.lookup_value.map(Scalar::into_string).unwrap_or_default();
    let operand = match (op, field.kind()) {
        (SqlOp::Like, _) => Operand::Pattern(raw.to_lowercase().chars().collect()),
        (_, Kind::Text) => Operand::Text(raw.to_lowercase()),
        (_, Kind::Number) => Operand::Number(raw.trim().parse::<f64>().map_err(|_| {
            invalid(
                "LookUpValue",
                format!("'{raw}' is not a number, which {} needs.", field.name()),
            )
        })?),
        (_, Kind::DateTime) => Operand::DateTime(parse_lsq_date(&raw).ok_or_else(|| {
            invalid(
                "LookUpValue",
                format!("'{raw}' is not a date in yyyy-MM-dd hh:mm:ss form."),
            )
        })?),
    };
    Ok(LeadCondition { field, op, operand })
}

/// `DateField` names: schema names of date fields, and `LeadCreatedOn` /
/// `LeadModifiedOn` as the vendor's examples spell them.
fn date_field(name: &str) -> Option<Field> {
    match name {
        "LeadCreatedOn" => Some(fields::CREATED_ON),
        "LeadModifiedOn" | "LeadLastModifiedOn" => Some(fields::MODIFIED_ON),
        other => Field::named(other).filter(|f| f.kind() == Kind::DateTime),
    }
}

fn date_range(filter: DateFilter) -> Result<DateRange, QueryError> {
    let name = filter.date_field.unwrap_or_default();
    let field = date_field(name.trim()).ok_or_else(|| {
        QueryError::UnknownAttribute(format!(
            "Invalid Input! Parameter Name: DateField. '{}' is not a date field \
             (LeadCreatedOn, LeadModifiedOn, CreatedOn, ModifiedOn, LastVisitDate).",
            name.trim()
        ))
    })?;
    let date = |value: Option<String>, parameter: &str| match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse_lsq_date(text).map(Some).ok_or_else(|| {
            invalid(
                parameter,
                format!("'{text}' is not a date in yyyy-MM-dd hh:mm:ss form."),
            )
        }),
    };
    let from = date(filter.from_date, "FromDate")?;
    let to = date(filter.to_date, "ToDate")?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(QueryError::InvalidInput(
            "Invalid Input! Parameter Name: FromDate can't be greater than ToDate.".to_owned(),
        ));
    }
    Ok(DateRange { field, from, to })
}

fn shape(output: Output) -> Result<Shape, QueryError> {
    let kind = output.kind.unwrap_or_default().trim().to_ascii_lowercase();
    match kind.as_str() {
        "" | "list" => {
            let include = output.include_csv.unwrap_or_default();
            let mut columns = Vec::new();
            for name in include.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let field = Field::named(name).ok_or_else(|| unknown_field("IncludeCSV", name))?;
                if !columns.contains(&field) {
                    columns.push(field);
                }
            }
            if columns.is_empty() {
                columns = DEFAULT_COLUMNS.iter().filter_map(|n| Field::named(n)).collect();
            }
            Ok(Shape::List { columns })
        }
        "aggregate" => {
            let group_by = match output.group_by.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(name) => Some(Field::named(name).ok_or_else(|| unknown_field("GroupBy", name))?),
            };
            let mut functions = Vec::new();
            let names = output.aggregate_function.unwrap_or_default();
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if name.eq_ignore_ascii_case("count") {
                    continue; // Count is always there.
                }
                let function = Aggregate::parse(name).ok_or_else(|| {
                    invalid(
                        "AggregateFunction",
                        format!("'{name}' is not one of Count, Average, Sum, Min, Max."),
                    )
                })?;
                if !functions.contains(&function) {
                    functions.push(function);
                }
            }
            let field = match output.aggregate_field.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(name) => Some(Field::named(name).ok_or_else(|| unknown_field("AggregateField", name))?),
            };
            match field {
                None if !functions.is_empty() => {
                    return Err(invalid(
                        "AggregateField",
                        "AggregateField is required for this AggregateFunction.",
                    ));
                }
                Some(f) if f.kind() != Kind::Number && !functions.is_empty() => {
                    return Err(invalid(
                        "AggregateField",
                        format!("'{}' is not a number field.", f.name()),
                    ));
                }
                _ => {}
            }
            Ok(Shape::Aggregate {
                group_by,
                functions,
                field,
            })
        }
        other => Err(invalid("Type", format!("'{other}' is not list or aggregate."))),
    }
}

/// `yyyy-MM-dd HH:mm:ss` (fractions allowed), or a bare date at midnight.
pub fn parse_lsq_date(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        })
}

// ---------------------------------------------------------------- result

/// One result cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Integer(i64),
    Float(f64),
}

impl Cell {
    /// As a CSV field: empty for null.
    pub fn csv(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Integer(n) => n.to_string(),
            // Printed as JSON prints it, so CSV and JSON agree (`0.0`, not `0`).
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or_else(String::new, |n| n.to_string()),
        }
    }
}

/// Rows of one page and the match count before paging.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub total: usize,
    /// A list of leads (rather than aggregate rows).
    pub is_list: bool,
}

impl Table {
    /// Roughly what the table holds on the heap, for cache budgets.
    pub fn heap_bytes(&self) -> usize {
        let cell = |c: &Cell| {
            size_of::<Cell>()
                + match c {
                    Cell::Text(t) => t.capacity(),
                    _ => 0,
                }
        };
        self.columns.iter().map(String::capacity).sum::<usize>()
            + self
                .rows
                .iter()
                .map(|row| size_of::<Vec<Cell>>() + row.iter().map(cell).sum::<usize>())
                .sum::<usize>()
    }
}

/// Runs a query over an account's data as of `now` (for `LeadAge`).
/// `leads` must have been built against `users` (their `owner_index`).
pub fn run(query: &Query, users: &[User], leads: &Dataset, now: NaiveDateTime) -> Table {
    let selected: Vec<bool> = users.iter().map(|u| user_matches(query, u)).collect();
    // LIKE lowercases each value into this buffer instead of allocating.
    let mut scratch: Vec<char> = Vec::new();
    let owners: Vec<&User> = users
        .iter()
        .zip(&selected)
        .filter(|(_, s)| **s)
        .map(|(u, _)| u)
        .collect();
    let matching = leads
        .rows()
        .filter(|lead| selected.get(lead.owner_index()).copied().unwrap_or(false))
        .filter(|lead| query.date_ranges.iter().all(|r| in_range(lead, r)))
        .filter(move |lead| {
            query
                .lead_conditions
                .iter()
                .all(|c| condition_holds(lead, c, now, &mut scratch))
        });
    let (columns, rows) = match &query.shape {
        Shape::List { columns } => list(matching, columns, now),
        Shape::Aggregate {
            group_by,
            functions,
            field,
        } => aggregate(matching, &owners, *group_by, functions, *field, now),
    };
    let total = rows.len();
    let start = (query.page_index - 1).saturating_mul(query.page_size);
    let rows = rows.into_iter().skip(start).take(query.page_size).collect();
    Table {
        columns,
        rows,
        total,
        is_list: matches!(query.shape, Shape::List { .. }),
    }
}

fn user_matches(query: &Query, user: &User) -> bool {
    let Some((groups, joins)) = &query.user_groups else {
        return true;
    };
    let group_holds = |group: &UserGroup| {
        let mut results = group.conditions.iter().map(|c| user_condition_holds(user, c));
        match group.join {
            Join::And => results.all(|r| r),
            Join::Or => results.any(|r| r),
        }
    };
    let mut result = group_holds(&groups[0]);
    for (group, join) in groups[1..].iter().zip(joins) {
        result = match join {
            Join::And => result && group_holds(group),
            Join::Or => result || group_holds(group),
        };
    }
    result
}

fn user_condition_holds(user: &User, condition: &UserCondition) -> bool {
    let candidates: Vec<String> = match condition.field {
        UserField::Id => vec![user.id.to_string()],
        UserField::FirstName => vec![user.first_name.to_lowercase()],
        UserField::LastName => vec![user.last_name.to_lowercase()],
        UserField::EmailAddress => vec![user.email.to_lowercase()],
        UserField::Role => vec![user.role.to_lowercase()],
        UserField::StatusCode => vec![user.status_code.to_string()],
        UserField::Groups => user.groups.iter().map(|g| g.to_lowercase()).collect(),
    };
    let any = |test: &dyn Fn(&str, &str) -> bool| {
        candidates
            .iter()
            .any(|c| condition.values.iter().any(|v| test(c, v)))
    };
    match condition.op {
        UserOp::Eq => any(&|c, v| c == v),
        UserOp::Neq => !any(&|c, v| c == v),
        UserOp::Like => any(&|c, v| c.contains(v)),
    }
}

fn in_range(lead: &LeadRef<'_>, range: &DateRange) -> bool {
    let Value::DateTime(t) = lead.stored(range.field) else {
        return false;
    };
    range.from.is_none_or(|from| *t >= from) && range.to.is_none_or(|to| *t <= to)
}

/// SQL semantics: a null value satisfies no comparison.
fn condition_holds(
    lead: &LeadRef<'_>,
    condition: &LeadCondition,
    now: NaiveDateTime,
    scratch: &mut Vec<char>,
) -> bool {
    if condition.field == fields::LEAD_AGE {
        return compare(&lead.get(condition.field, now), condition, scratch);
    }
    compare(lead.stored(condition.field), condition, scratch)
}

fn compare(value: &Value, condition: &LeadCondition, scratch: &mut Vec<char>) -> bool {
    let ordering = match (value, &condition.operand) {
        (Value::Null, _) => return false,
        (value, Operand::Pattern(pattern)) => {
            scratch.clear();
            match value {
                Value::Text(text) => scratch.extend(text.chars().flat_map(char::to_lowercase)),
                other => scratch.extend(other.display().unwrap_or_default().chars()),
            }
            return like(scratch, pattern);
        }
        // Case-insensitive, as LeadSquared's SQL collation; no allocation per lead.
        (Value::Text(text), Operand::Text(operand)) => {
            text.chars().flat_map(char::to_lowercase).cmp(operand.chars())
        }
        (Value::Number(n), Operand::Number(operand)) => {
            (*n as f64).partial_cmp(operand).unwrap_or(Ordering::Less)
        }
        (Value::DateTime(t), Operand::DateTime(operand)) => t.cmp(operand),
        _ => return false,
    };
    match condition.op {
        SqlOp::Eq => ordering == Ordering::Equal,
        SqlOp::Ne => ordering != Ordering::Equal,
        SqlOp::Lt => ordering == Ordering::Less,
        SqlOp::Le => ordering != Ordering::Greater,
        SqlOp::Gt => ordering == Ordering::Greater,
        SqlOp::Ge => ordering != Ordering::Less,
        SqlOp::Like => false,
    }
}

/// SQL LIKE: `%` any run, `_` one character; both sides already lowercased.
pub fn like(text: &[char], pattern: &[char]) -> bool {
    // Iterative matcher with backtracking to the last `%`.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

fn list<'a>(
    leads: impl Iterator<Item = LeadRef<'a>>,
    columns: &[Field],
    now: NaiveDateTime,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut leads: Vec<LeadRef<'a>> = leads.collect();
    // Newest first, as LeadSquared lists leads; ProspectID breaks ties.
    leads.sort_by(|a, b| {
        let created = |l: &LeadRef<'a>| match l.stored(fields::CREATED_ON) {
            Value::DateTime(t) => Some(*t),
            _ => None,
        };
        created(b).cmp(&created(a)).then_with(|| {
            a.stored(fields::PROSPECT_ID)
                .display()
                .cmp(&b.stored(fields::PROSPECT_ID).display())
        })
    });
    let rows = leads
        .into_iter()
        .map(|lead| {
            columns
                .iter()
                .map(|f| lead.get(*f, now).display().map_or(Cell::Null, Cell::Text))
                .collect()
        })
        .collect();
    (columns.iter().map(|f| f.name().to_owned()).collect(), rows)
}

#[derive(Debug, Default, Clone)]
struct Accumulator {
    count: i64,
    present: i64,
    sum: i128,
    min: Option<i64>,
    max: Option<i64>,
}

fn aggregate<'a>(
    leads: impl Iterator<Item = LeadRef<'a>>,
    owners: &[&User],
    group_by: Option<Field>,
    functions: &[Aggregate],
    field: Option<Field>,
    now: NaiveDateTime,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    // Group by the stored value (no formatting per lead); LeadAge is the
    // one computed field and is grouped by its computed value.
    let mut by_value: HashMap<Cow<'a, Value>, Accumulator> = HashMap::new();
    for lead in leads {
        let key = match group_by {
            None => Cow::Owned(Value::Null),
            Some(g) if g == fields::LEAD_AGE => Cow::Owned(lead.get(g, now)),
            Some(g) => Cow::Borrowed(lead.stored(g)),
        };
        let acc = by_value.entry(key).or_default();
        acc.count += 1;
        let number = match field {
            Some(f) if f == fields::LEAD_AGE => match lead.get(f, now) {
                Value::Number(n) => Some(n),
                _ => None,
            },
            Some(f) => match lead.stored(f) {
                Value::Number(n) => Some(*n),
                _ => None,
            },
            None => None,
        };
        if let Some(n) = number {
            acc.present += 1;
            acc.sum += i128::from(n);
            acc.min = Some(acc.min.map_or(n, |m| m.min(n)));
            acc.max = Some(acc.max.map_or(n, |m| m.max(n)));
        }
    }
    let mut groups: BTreeMap<Option<String>, Accumulator> = by_value
        .into_iter()
        .map(|(value, acc)| (group_by.and_then(|_| value.display()), acc))
        .collect();
    // Grouped by owner, every filtered user gets a row, leads or not.
    if group_by == Some(fields::OWNER_ID) {
        for owner in owners {
            groups.entry(Some(owner.id.to_string())).or_default();
        }
    }
    if group_by.is_none() && groups.is_empty() {
        groups.insert(None, Accumulator::default());
    }
    let mut entries: Vec<(Option<String>, Accumulator)> = groups.into_iter().collect();
    // Most leads first; then by group value (nulls last).
    entries.sort_by(|(ka, a), (kb, b)| {
        b.count.cmp(&a.count).then_with(|| match (ka, kb) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
    });

    let mut columns = Vec::new();
    if let Some(g) = group_by {
        columns.push(g.name().to_owned());
    }
    columns.push("Count".to_owned());
    let field_name = field.map_or("", |f| f.name());
    for function in functions {
        columns.push(format!("{}_{field_name}", function.label()));
    }
    let rows = entries
        .into_iter()
        .map(|(key, acc)| {
            let mut row = Vec::with_capacity(columns.len());
            if group_by.is_some() {
                row.push(key.map_or(Cell::Null, Cell::Text));
            }
            row.push(Cell::Integer(acc.count));
            for function in functions {
                row.push(match (function, acc.present) {
                    (_, 0) => Cell::Null,
                    (Aggregate::Average, n) => Cell::Float(acc.sum as f64 / n as f64),
                    (Aggregate::Sum, _) => {
                        i64::try_from(acc.sum).map_or(Cell::Float(acc.sum as f64), Cell::Integer)
                    }
                    (Aggregate::Min, _) => acc.min.map_or(Cell::Null, Cell::Integer),
                    (Aggregate::Max, _) => acc.max.map_or(Cell::Null, Cell::Integer),
                });
            }
            row
        })
        .collect();
    (columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn like_follows_sql() {
        for (text, pattern, expected) in [
            ("organic search", "%search", true),
            ("organic search", "organic%", true),
            ("organic search", "%nic s%", true),
            ("organic search", "organic", false),
            ("organic search", "organic_search", true),
            ("abc", "a%b%c", true),
            ("abc", "a%%", true),
            ("abc", "%d%", false),
            ("", "%", true),
            ("", "_", false),
        ] {
            assert_eq!(
                like(&chars(text), &chars(pattern)),
                expected,
                "{text} LIKE {pattern}"
            );
        }
    }

    #[test]
    fn dates_take_the_vendor_form_and_a_bare_day() {
        assert!(parse_lsq_date("2017-11-10 12:00:00").is_some());
        assert!(parse_lsq_date("2017-11-10 12:00:00.250").is_some());
        assert!(parse_lsq_date("2017-11-10").is_some());
        assert!(parse_lsq_date("2017-11-10T12:00:00").is_none());
        assert!(parse_lsq_date("10/11/2017").is_none());
    }

    #[test]
    fn mixed_condition_operators_in_a_group_are_refused() {
        let body = r#"{"ReportFilter":{"UserFilter":{"GroupConditions":[{"Condition":[
            {"LookupName":"FirstName","Operator":"eq","LookupValue":"a","ConditionOperator":"AND"},
            {"LookupName":"LastName","Operator":"eq","LookupValue":"b","ConditionOperator":"OR"},
            {"LookupName":"Role","Operator":"eq","LookupValue":"c"}]}]}}}"#;
        let request: Request = serde_json::from_str(body).unwrap_or_default();
        assert!(matches!(
            Query::from_request(request),
            Err(QueryError::InvalidInput(m)) if m.contains("ConditionOperator")
        ));
    }
}
