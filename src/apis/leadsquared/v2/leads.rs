//! `LeadManagement.svc`: lead writes (Capture, Create, CreateOrUpdate,
//! Update, Convert), lookups (by id, email, phone, quick search), searches
//! (`Leads.Get`, `Leads.RecentlyModified`) and the field list.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value as Json_, json};

use super::super::error::LsqError;
use super::super::model::{Dataset, Field, Kind, Shown, Value, fields};
use super::super::query::like;
use super::schema::{FieldDef, Printed, PrintedMember, Schema, parse_date, phone_digits, read_value};
use super::store::{Activity, ActivitySummary, ActivityType, Full, LEAD_CAPTURE, Record, RecordView, Session};
use super::{BulkCall, Call, param, success};
use crate::shared::http::json_written;
use crate::shared::json_writer::write_uuid;
use crate::shared::request::Buffered;

/// Pages of `Leads.Get` and `Leads.RecentlyModified` hold at most this many.
pub(crate) const MAX_PAGE_SIZE: usize = 5_000;
/// `ProspectAutoId`s of created leads start here, past any generated one.
const FIRST_AUTO_ID: i64 = 2_000_000_000;
/// Attributes one write may carry.
const MAX_ATTRIBUTES: usize = 200;

/// An attribute/value pair of a write.
#[derive(Debug, PartialEq)]
struct Attribute {
    name: String,
    value: Json_,
}

/// A write's body: `[{"Attribute":…,"Value":…}]`, with `SearchBy` taken out.
#[derive(Debug, PartialEq)]
struct Attributes {
    pairs: Vec<Attribute>,
    search_by: Option<String>,
}

/// An `{"Attribute", "Value"}` item as clients send it: read without a JSON
/// tree of its own (Strict: from an object only).
#[derive(serde::Deserialize)]
struct PlainPair {
    #[serde(rename = "Attribute")]
    name: String,
    #[serde(rename = "Value", default)]
    value: Json_,
}

impl Attributes {
    fn read(body: &[u8]) -> Result<Self, LsqError> {
        Self::read_plain(body).map_or_else(|| Self::read_tree(body), Ok)
    }

    /// Any body, read as a JSON tree: what is wrong with it, in
    /// LeadSquared's words.
    fn read_tree(body: &[u8]) -> Result<Self, LsqError> {
        let value: Json_ = crate::shared::request::parse_json_value(body, None)?;
        let Json_::Array(items) = value else {
            return Err(LsqError::BadRequest(
                "The request body must be a JSON array of {\"Attribute\": …, \"Value\": …} pairs.".to_owned(),
            ));
        };
        if items.len() > MAX_ATTRIBUTES {
            return Err(LsqError::BadRequest(format!("At most {MAX_ATTRIBUTES} attributes may be passed at once.")));
        }
        let mut pairs = Vec::with_capacity(items.len());
        let mut search_by = None;
        for (i, item) in items.into_iter().enumerate() {
            let Json_::Object(mut item) = item else {
                return Err(LsqError::BadRequest(format!("Item {i} of the body is not an {{\"Attribute\", \"Value\"}} object.")));
            };
            let name = match item.remove("Attribute") {
                Some(Json_::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
                _ => return Err(LsqError::BadRequest(format!("Item {i} of the body has no \"Attribute\" name."))),
            };
            let value = item.remove("Value").unwrap_or(Json_::Null);
            if name.eq_ignore_ascii_case("SearchBy") {
                search_by = value.as_str().map(str::to_owned);
            } else {
                pairs.push(Attribute { name, value });
            }
        }
        Ok(Self { pairs, search_by })
    }

    /// A body of well-formed pairs, read straight into them; `None` for
    /// anything else, which [`Self::read`] reads as a JSON tree to say what
    /// is wrong in the same words.
    fn read_plain(body: &[u8]) -> Option<Self> {
        let items: Vec<PlainPair> = crate::shared::request::parse_json_plain(body)?;
        if items.len() > MAX_ATTRIBUTES {
            return None;
        }
        let mut pairs = Vec::with_capacity(items.len());
        let mut search_by = None;
        for PlainPair { name, value } in items {
            let name = name.trim();
            if name.is_empty() {
                return None;
            }
            if name.eq_ignore_ascii_case("SearchBy") {
                search_by = value.as_str().map(str::to_owned);
            } else {
                pairs.push(Attribute {
                    name: name.to_owned(),
                    value,
                });
            }
        }
        Some(Self { pairs, search_by })
    }

    /// The value of the attribute `name` (any case), as text.
    fn text(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| match &p.value {
                Json_::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                Json_::Number(n) => Some(n.to_string()),
                _ => None,
            })
    }

    fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Every name the schema lacks, or a field a write may not set (the
    /// `ProspectID` a call reads as a key is left to it).
    fn check(&self, schema: &Schema, keys: &[&str]) -> Result<(), LsqError> {
        let unknown: Vec<&str> = self
            .pairs
            .iter()
            .filter(|p| !keys.iter().any(|k| k.eq_ignore_ascii_case(&p.name)) && schema.get(&p.name).is_none())
            .map(|p| p.name.as_str())
            .collect();
        if !unknown.is_empty() {
            return Err(LsqError::mx(
                "MXUnknownAttributeException",
                format!("Attribute(s) does not exist - {}.", unknown.join(", ")),
            ));
        }
        for pair in &self.pairs {
            if keys.iter().any(|k| k.eq_ignore_ascii_case(&pair.name)) {
                continue;
            }
            if schema.get(&pair.name).is_some_and(|d| !d.writable) {
                return Err(LsqError::invalid_input(&pair.name, "It is a system field and cannot be set."));
            }
        }
        Ok(())
    }
}

/// How an update treats the lead's current values (`LeadUpdateBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Update,
    DoNotUpdate,
    UpdateOnlyEmptyFields,
    DoNotUpdateUniqueFields,
}

impl Behaviour {
    fn of(call: &Call) -> Result<Self, LsqError> {
        match param(&call.query, "LeadUpdateBehavior") {
            None | Some("") => Ok(Behaviour::Update),
            Some(b) if b.eq_ignore_ascii_case("DoNotUpdate") => Ok(Behaviour::DoNotUpdate),
            Some(b) if b.eq_ignore_ascii_case("UpdateOnlyEmptyFields") => Ok(Behaviour::UpdateOnlyEmptyFields),
            Some(b) if b.eq_ignore_ascii_case("DoNotUpdateUniqueFields") => Ok(Behaviour::DoNotUpdateUniqueFields),
            Some(other) => Err(LsqError::invalid_input(
                "LeadUpdateBehavior",
                format!("'{other}' is not DoNotUpdate, UpdateOnlyEmptyFields or DoNotUpdateUniqueFields."),
            )),
        }
    }
}

pub(crate) fn full(full: Full) -> LsqError {
    let (what, max) = match full {
        Full::Account => ("this account", super::store::MAX_ACCOUNT_WRITE_BYTES),
        Full::Server => ("all accounts together", super::store::MAX_WRITE_BYTES),
    };
    LsqError::mx(
        "MXStorageLimitExceededException",
        format!(
            "leadsim keeps at most {} MiB of written leads and activities for {what}; reset it (POST /__admin/reset) or use another account.",
            max >> 20
        ),
    )
}

/// A lead record with `pairs` applied (fields the schema checked).
fn apply(call: &Call, record: &mut Record, pairs: &[&Attribute], now: NaiveDateTime) -> Result<(), LsqError> {
    for pair in pairs {
        let Some(def) = call.account.schema.get(&pair.name) else { continue };
        if !def.writable {
            continue;
        }
        let value = read_value(def, &pair.value)?;
        set(call, record, def, value)?;
    }
    record.lead.set(fields::MODIFIED_ON, Value::DateTime(now));
    Ok(())
}

fn set(call: &Call, record: &mut Record, def: &FieldDef, value: Value) -> Result<(), LsqError> {
    match def.field {
        Some(field) if field == fields::OWNER_ID => {
            let Value::Text(owner) = value else {
                return Err(LsqError::invalid_input("OwnerId", "A lead must have an owner."));
            };
            let found = call
                .account
                .users
                .iter()
                .enumerate()
                .find(|(_, u)| u.id.to_string().eq_ignore_ascii_case(&owner) || u.email.eq_ignore_ascii_case(&owner));
            let Some((index, user)) = found else {
                return Err(LsqError::invalid_input("OwnerId", format!("No user of this account is '{owner}'.")));
            };
            record.lead.owner_index = index;
            record.lead.set(fields::OWNER_ID, Value::text(user.id.to_string()));
            record.lead.set(fields::OWNER_ID_NAME, Value::text(user.full_name()));
            record.lead.set(fields::OWNER_ID_EMAIL_ADDRESS, Value::text(user.email.as_str()));
        }
        Some(field) => record.lead.set(field, value),
        None => match value.display() {
            Some(text) => {
                record.extra.insert(def.schema_name.clone(), text);
            }
            None => {
                record.extra.remove(&def.schema_name);
            }
        },
    }
    Ok(())
}

/// A lead as a create starts it: a new id and number, owned by the user
/// the keys belong to, stage `Prospect`, origin `API`, stamped now.
fn new_record(call: &Call, session: &mut Session<'_>, id: Option<&str>, now: NaiveDateTime) -> Record {
    let n = session.next_created();
    let id = id.map_or_else(
        || call.lsq.seed.uuid("leadsquared.v2.lead", (call.account.access_key.as_str(), n)).to_string(),
        str::to_owned,
    );
    let mut lead = super::super::model::Lead::empty();
    lead.set(fields::PROSPECT_ID, Value::text(id));
    lead.set(fields::PROSPECT_AUTO_ID, Value::Number(FIRST_AUTO_ID + n as i64));
    lead.set(fields::PROSPECT_STAGE, Value::text("Prospect"));
    lead.set(fields::ORIGIN, Value::text("API"));
    for field in [fields::SCORE, fields::ENGAGEMENT_SCORE, fields::TOTAL_VISITS] {
        lead.set(field, Value::Number(0));
    }
    lead.set(fields::DO_NOT_EMAIL, Value::text("0"));
    lead.set(fields::DO_NOT_CALL, Value::text("0"));
    lead.set(fields::CREATED_ON, Value::DateTime(now));
    lead.set(fields::MODIFIED_ON, Value::DateTime(now));
    if let Some((index, user)) = call.account.key_user() {
        lead.owner_index = index;
        let id = user.id.to_string();
        lead.set(fields::OWNER_ID, Value::text(id.as_str()));
        lead.set(fields::OWNER_ID_NAME, Value::text(user.full_name()));
        lead.set(fields::OWNER_ID_EMAIL_ADDRESS, Value::text(user.email.as_str()));
        lead.set(fields::CREATED_BY, Value::text(id));
        lead.set(fields::CREATED_BY_NAME, Value::text(user.full_name()));
    }
    Record {
        lead,
        extra: BTreeMap::new(),
        last_activity: None,
    }
}

/// The unique fields (`EmailAddress`, `Phone`) of `record` belong to no
/// other lead: LeadSquared's duplicate entry otherwise.
fn check_unique(session: &Session<'_>, base: &Dataset, record: &Record) -> Result<(), LsqError> {
    let own = record.id().unwrap_or_default();
    if let Some(email) = record.text(fields::EMAIL_ADDRESS)
        && session.email_owner(base, email).is_some_and(|other| other != own)
    {
        return Err(duplicate(email, "UQ_Prospect_Base_EmailAddress"));
    }
    if let Some(phone) = record.text(fields::PHONE)
        && session.phone_taken(base, phone, own)
    {
        return Err(duplicate(phone, "UQ_Prospect_Base_Phone"));
    }
    Ok(())
}

fn duplicate(value: &str, key: &str) -> LsqError {
    LsqError::mx("MXDuplicateEntryException", format!("Duplicate entry '{value}' for key '{key}'"))
}

/// Stores an activity of type `kind` on `record` (its id drawn from the
/// seed, numbered by the account's activities), and adds the type's score
/// to the lead's `Score` and `EngagementScore`; returns its id.
pub(crate) fn post_activity(
    call: &Call,
    session: &mut Session<'_>,
    record: &mut Record,
    kind: &ActivityType,
    note: Option<String>,
    at: NaiveDateTime,
    activity_fields: Vec<(String, String)>,
) -> Result<uuid::Uuid, LsqError> {
    let n = session.writes().activities.len() as u64;
    let id = call.lsq.seed.uuid("leadsquared.v2.activity", (call.account.access_key.as_str(), n));
    let lead: Arc<str> = record.id().unwrap_or_default().into();
    session
        .add_activity(Activity {
            id,
            lead,
            event: kind.code,
            name: kind.name.clone(),
            score: kind.score,
            note,
            at,
            created_on: call.now(),
            fields: activity_fields,
        })
        .map_err(full)?;
    for field in [fields::SCORE, fields::ENGAGEMENT_SCORE] {
        let current = match record.lead.stored(field) {
            Value::Number(n) => *n,
            _ => 0,
        };
        record.lead.set(field, Value::Number(current.saturating_add(kind.score)));
    }
    Ok(id)
}

/// Posts Capture's own activity on the lead; its id is Capture's `RelatedId`.
fn capture_activity(call: &Call, session: &mut Session<'_>, record: &mut Record, now: NaiveDateTime) -> Result<uuid::Uuid, LsqError> {
    let kind = session
        .activity_type(LEAD_CAPTURE)
        .cloned()
        .ok_or_else(|| LsqError::mx("MXInvalidActivityException", "Event Code is invalid or empty"))?;
    let id = post_activity(call, session, record, &kind, None, now, Vec::new())?;
    record.last_activity = Some(ActivitySummary {
        id,
        name: kind.name.clone(),
        at: now,
    });
    Ok(id)
}

/// `POST /v2/LeadManagement.svc/Lead.Capture`: creates or updates by the
/// documented matching (ProspectID, then EmailAddress, then Phone, or the
/// `SearchBy` attribute), and posts a "Lead Capture" activity each time.
pub(crate) async fn capture(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let attributes = Attributes::read(&body)?;
    let behaviour = Behaviour::of(&call)?;
    attributes.check(&call.account.schema, &["ProspectID", "ProspectId"])?;
    let search_by = attributes.search_by.clone().or_else(|| param(&call.query, "SearchBy").map(str::to_owned));
    let base = call.base();
    let now = call.now();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let prospect = attributes.text("ProspectID");
    let email = attributes.text("EmailAddress");
    let phone = attributes.text("Phone").or_else(|| attributes.text("Mobile"));
    let all_keys = prospect.is_some() && email.is_some() && phone.is_some();
    let found: Option<Record> = match (&search_by, all_keys) {
        (Some(field), false) => {
            let value = attributes.text(field);
            match (field.as_str(), value) {
                (_, None) => None,
                ("ProspectID" | "ProspectId", Some(v)) => session.by_id(&base, &v),
                ("EmailAddress", Some(v)) => session.by_email(&base, &v),
                ("Phone" | "Mobile", Some(v)) => session.by_phone(&base, &v).into_iter().next(),
                (other, _) => {
                    return Err(LsqError::invalid_input("SearchBy", format!("'{other}' is not a unique field.")));
                }
            }
        }
        _ => match (&prospect, &email, &phone) {
            (None, None, None) => None,
            (Some(id), _, _) => match session.by_id(&base, id) {
                // The id matches but the email differs: a new lead.
                Some(lead) if email.as_deref().is_some_and(|e| lead.text(fields::EMAIL_ADDRESS).is_none_or(|own| !own.eq_ignore_ascii_case(e))) => None,
                Some(lead) => Some(lead),
                None => email.as_deref().and_then(|e| session.by_email(&base, e)),
            },
            (None, Some(e), _) => session.by_email(&base, e),
            (None, None, Some(p)) => session.by_phone(&base, p).into_iter().next(),
        },
    };
    let created = found.is_none();
    let mut record = match found {
        Some(record) => record,
        None => {
            // An id no lead has is an anonymous visitor's: the lead takes it.
            let id = prospect.as_deref().filter(|id| session.by_id(&base, id).is_none());
            new_record(&call, &mut session, id, now)
        }
    };
    if created || behaviour != Behaviour::DoNotUpdate {
        let pairs: Vec<&Attribute> = attributes
            .pairs
            .iter()
            .filter(|p| !p.name.eq_ignore_ascii_case("ProspectID"))
            .filter(|p| match behaviour {
                _ if created => true,
                Behaviour::UpdateOnlyEmptyFields => call
                    .account
                    .schema
                    .get(&p.name)
                    .is_some_and(|def| is_empty(&record, def)),
                Behaviour::DoNotUpdateUniqueFields => !matches!(p.name.as_str(), "EmailAddress" | "Phone"),
                _ => true,
            })
            // A repeat capture does not change the lead's source.
            .filter(|p| created || p.name != "Source" || record.text(fields::SOURCE).is_none())
            .collect();
        apply(&call, &mut record, &pairs, now)?;
        check_unique(&session, &base, &record)?;
    }
    let related = capture_activity(&call, &mut session, &mut record, now)?;
    let id = record.id().unwrap_or_default().to_owned();
    session.put(record).map_err(full)?;
    /// The capture's `Message`, members in name order.
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Captured {
        id: String,
        is_created: bool,
        related_id: uuid::Uuid,
    }
    Ok(success(Captured {
        id,
        is_created: created,
        related_id: related,
    }))
}

fn is_empty(record: &Record, def: &FieldDef) -> bool {
    match def.field {
        Some(field) => matches!(record.lead.stored(field), Value::Null),
        None => !record.extra.contains_key(&def.schema_name),
    }
}

/// `POST /v2/LeadManagement.svc/Lead.Create`.
pub(crate) async fn create(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let attributes = Attributes::read(&body)?;
    attributes.check(&call.account.schema, &[])?;
    if !["FirstName", "LastName", "EmailAddress", "Phone"].iter().any(|n| attributes.has(n)) {
        return Err(LsqError::mx(
            "MXMandatoryAttributeMissingException",
            "One of FirstName, LastName, EmailAddress or Phone is mandatory for creating lead",
        ));
    }
    let base = call.base();
    let now = call.now();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let mut record = new_record(&call, &mut session, None, now);
    let pairs: Vec<&Attribute> = attributes.pairs.iter().collect();
    apply(&call, &mut record, &pairs, now)?;
    check_unique(&session, &base, &record)?;
    let id = record.id().unwrap_or_default().to_owned();
    session.put(record).map_err(full)?;
    Ok(success(json!({"Id": id})))
}

/// `POST /v2/LeadManagement.svc/Lead.CreateOrUpdate`: found by `SearchBy`,
/// or by email then phone; created when nothing matches.
pub(crate) async fn create_or_update(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let attributes = Attributes::read(&body)?;
    let base = call.base();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let (id, _) = upsert(&call, &mut session, &base, &attributes)?;
    Ok(success(json!({"Id": id, "AffectedRows": 1})))
}

/// Leads one bulk call may carry (clients send them 25 at a time).
pub(crate) const MAX_BULK_LEADS: usize = 25;

/// `POST /v2/LeadManagement.svc/Lead/Bulk/CreateOrUpdate`: up to 25 leads,
/// each as `Lead.CreateOrUpdate` takes one, counted against the account's
/// bulk limit. One result per row (`RowNumber` from 1); a refused row says
/// why in its result and writes nothing, the others are written.
pub(crate) async fn bulk_create_or_update(BulkCall(call): BulkCall, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let value: Json_ = crate::shared::request::parse_json_value(&body, None)?;
    let Json_::Array(rows) = value else {
        return Err(LsqError::BadRequest("The request body must be a JSON array of leads, each an array of attribute pairs.".to_owned()));
    };
    if rows.is_empty() || rows.len() > MAX_BULK_LEADS {
        return Err(LsqError::invalid_input("Leads", format!("Pass 1 to {MAX_BULK_LEADS} leads; got {}.", rows.len())));
    }
    let base = call.base();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let mut results = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let outcome = serde_json::to_vec(&row)
            .map_err(|e| LsqError::BadRequest(e.to_string()))
            .and_then(|bytes| Attributes::read(&bytes))
            .and_then(|attributes| upsert(&call, &mut session, &base, &attributes));
        results.push(match outcome {
            Ok((id, created)) => json!({
                "RowNumber": i + 1, "LeadId": id, "LeadCreated": created, "LeadUpdated": !created, "AffectedRows": 1,
            }),
            Err(error) => {
                let (exception, message) = error.parts();
                json!({
                    "RowNumber": i + 1, "LeadId": "", "LeadCreated": false, "LeadUpdated": false, "AffectedRows": 0,
                    "ExceptionType": exception, "ExceptionMessage": message,
                })
            }
        });
    }
    Ok(Json(results).into_response())
}

/// One lead of `Lead.CreateOrUpdate`: its id, and whether it was created.
fn upsert(call: &Call, session: &mut Session<'_>, base: &Dataset, attributes: &Attributes) -> Result<(String, bool), LsqError> {
    if attributes.has("ProspectID") {
        return Err(LsqError::invalid_input(
            "ProspectID",
            "A lead id cannot be passed to Lead.CreateOrUpdate; use Lead.Update or Lead.Capture.",
        ));
    }
    attributes.check(&call.account.schema, &[])?;
    let now = call.now();
    let search_by = attributes.search_by.clone().unwrap_or_default();
    let found = match search_by.as_str() {
        "" => {
            let email = attributes.text("EmailAddress");
            let phone = attributes.text("Phone");
            if email.is_none() && phone.is_none() {
                return Err(LsqError::mx(
                    "MXMandatoryAttributeMissingException",
                    "At least one unique field (EmailAddress or Phone) is mandatory",
                ));
            }
            email
                .and_then(|e| session.by_email(base, &e))
                .or_else(|| phone.and_then(|p| session.by_phone(base, &p).into_iter().next()))
        }
        "EmailAddress" => attributes.text("EmailAddress").and_then(|e| session.by_email(base, &e)),
        "Phone" | "Mobile" => attributes
            .text(&search_by)
            .and_then(|p| session.by_phone(base, &p).into_iter().next()),
        other => return Err(LsqError::invalid_input("SearchBy", format!("'{other}' is not a unique field."))),
    };
    let created = found.is_none();
    let mut record = match found {
        Some(record) => record,
        None => new_record(call, session, None, now),
    };
    let pairs: Vec<&Attribute> = attributes.pairs.iter().collect();
    apply(call, &mut record, &pairs, now)?;
    check_unique(session, base, &record)?;
    let id = record.id().unwrap_or_default().to_owned();
    session.put(record).map_err(full)?;
    Ok((id, created))
}

/// `POST /v2/LeadManagement.svc/Lead.Update?leadId=`: only the fields passed.
pub(crate) async fn update(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let lead_id = lead_id(&call, "updating lead")?;
    let attributes = Attributes::read(&body)?;
    attributes.check(&call.account.schema, &[])?;
    let base = call.base();
    let now = call.now();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let Some(mut record) = session.by_id(&base, &lead_id) else {
        return Err(LsqError::mx("MXInvalidEntityException", "Lead does not exist in the system"));
    };
    let pairs: Vec<&Attribute> = attributes.pairs.iter().collect();
    apply(&call, &mut record, &pairs, now)?;
    check_unique(&session, &base, &record)?;
    session.put(record).map_err(full)?;
    Ok(success(json!({"AffectedRows": 1})))
}

/// `POST /v2/LeadManagement.svc/Lead.Convert?leadId=`: a web visitor (its
/// tracker id) becomes a lead with that id, or the lead is updated.
pub(crate) async fn convert(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let lead_id = lead_id(&call, "converting a visitor")?;
    let attributes = Attributes::read(&body)?;
    attributes.check(&call.account.schema, &[])?;
    let base = call.base();
    let now = call.now();
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let mut record = match session.by_id(&base, &lead_id) {
        Some(record) => record,
        None => new_record(&call, &mut session, Some(&lead_id), now),
    };
    let pairs: Vec<&Attribute> = attributes.pairs.iter().collect();
    apply(&call, &mut record, &pairs, now)?;
    check_unique(&session, &base, &record)?;
    session.put(record).map_err(full)?;
    Ok(success(json!({"AffectedRows": 1})))
}

fn lead_id(call: &Call, doing: &str) -> Result<String, LsqError> {
    match param(&call.query, "leadId").map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id.to_owned()),
        _ => Err(LsqError::mx(
            "MXMandatoryAttributeMissingException",
            format!("'leadId' is mandatory for {doing}"),
        )),
    }
}

/// A lead as the lookups print it: every field, numbers and dates as
/// strings, absent values `null`, members in name order; or only `columns`.
/// Written member by member, without a map of strings between.
pub(crate) struct PrintedLead<'a> {
    schema: &'a Schema,
    record: RecordView<'a>,
    columns: Option<&'a [String]>,
}

impl<'a> PrintedLead<'a> {
    pub(crate) fn new(schema: &'a Schema, record: impl Into<RecordView<'a>>, columns: Option<&'a [String]>) -> Self {
        Self {
            schema,
            record: record.into(),
            columns,
        }
    }

    /// Each member and its printed value (`None`: `null`).
    fn members(&self) -> impl Iterator<Item = (&'a PrintedMember, Option<Member<'a>>)> {
        let (schema, record) = (self.schema, self.record);
        let activity = record.last_activity();
        schema.printed(self.columns).map(move |member| {
            let value = match member.from {
                Printed::Field(i) => match schema.fields.get(i).and_then(|def| def.field) {
                    Some(field) => record.stored(field).shown().map(Member::Shown),
                    None => record.extra(&member.name).map(|text| Member::Shown(Shown::Text(text))),
                },
                Printed::LastModified => record.stored(fields::MODIFIED_ON).shown().map(Member::Shown),
                Printed::ActivityId => activity.map(|a| Member::Uuid(a.id)),
                Printed::ActivityName => activity.map(|a| Member::Shown(Shown::Text(&a.name))),
                Printed::ActivityDate => activity.map(|a| Member::Shown(Shown::Date(a.at))),
                Printed::Constant(text) => Some(Member::Shown(Shown::Text(text))),
            };
            (member, value)
        })
    }

    /// The lead as JSON, byte for byte as its `Serialize` writes it (a
    /// test holds the two equal); member names come escaped from the
    /// schema, so a look-up escapes only the values.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (member, value)) in self.members().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(member.json_key.as_bytes());
            match value {
                None => out.extend_from_slice(b"null"),
                Some(Member::Shown(shown)) => shown.write_json(out),
                Some(Member::Uuid(uuid)) => write_uuid(out, uuid),
            }
        }
        out.push(b'}');
    }
}

/// A printed value: a lead's, or an activity's id.
#[derive(Clone, Copy)]
enum Member<'a> {
    Shown(Shown<'a>),
    Uuid(uuid::Uuid),
}

impl Serialize for Member<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Member::Shown(shown) => shown.serialize(serializer),
            Member::Uuid(uuid) => uuid.serialize(serializer),
        }
    }
}

/// serde's form of a printed lead: what [`PrintedLead::write`] is held to
/// (tests), and what reshaped answers start from.
impl Serialize for PrintedLead<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (member, value) in self.members() {
            map.serialize_entry(&member.name, &value)?;
        }
        map.end()
    }
}

/// [`PrintedLead`] as a JSON map, for answers that reshape it.
pub(crate) fn flat(schema: &Schema, record: &Record, columns: Option<&[String]>) -> Map<String, Json_> {
    PrintedLead::new(schema, record, columns)
        .members()
        .map(|(member, value)| (member.name.clone(), serde_json::to_value(value).unwrap_or_default()))
        .collect()
}

/// What a printed lead is usually under (about 1.3 KB with every field).
const PRINTED_LEAD_BYTES: usize = 2048;

/// `[lead, …]`: every member of each.
fn leads_answer<'a>(schema: &Schema, records: impl IntoIterator<Item = RecordView<'a>>) -> Response {
    leads_with_columns(schema, records, None)
}

/// `[lead, …]`, each with `columns` (every member without).
fn leads_with_columns<'a>(
    schema: &Schema,
    records: impl IntoIterator<Item = RecordView<'a>>,
    columns: Option<&[String]>,
) -> Response {
    let records = records.into_iter();
    let mut out = Vec::with_capacity(2 + PRINTED_LEAD_BYTES * records.size_hint().0.max(1));
    out.push(b'[');
    for (i, record) in records.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        PrintedLead::new(schema, record, columns).write(&mut out);
    }
    out.push(b']');
    json_written(StatusCode::OK, out)
}

/// `[lead, …]` of the leads `ids` names that exist, in that order, each
/// read where it lies (written, else generated or listed) under the
/// account's lock, and printed with `columns`.
fn leads_by_ids(call: &Call, ids: impl IntoIterator<Item = String>, columns: Option<&[String]>) -> Response {
    let base = call.base();
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let views = ids.into_iter().filter_map(|id| session.view_by_id(&base, &id));
    leads_with_columns(&call.account.schema, views, columns)
}

fn required<'a>(call: &'a Call, name: &str) -> Result<&'a str, LsqError> {
    param(&call.query, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| LsqError::invalid_input(name, "It is mandatory."))
}

/// `GET …/Leads.GetById?id=`: `[lead]`, or `[]`.
pub(crate) async fn get_by_id(call: Call) -> Result<Response, LsqError> {
    let id = required(&call, "id")?;
    let base = call.base();
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    Ok(leads_answer(&call.account.schema, session.view_by_id(&base, id)))
}

/// `GET …/Leads.GetByEmailaddress?emailaddress=` (and its twin
/// `RetrieveLeadByEmailAddress`): `[lead]`, or `[]`.
pub(crate) async fn get_by_email(call: Call) -> Result<Response, LsqError> {
    let email = required(&call, "emailaddress")?;
    let base = call.base();
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    Ok(leads_answer(&call.account.schema, session.view_by_email(&base, email)))
}

/// `GET …/RetrieveLeadByPhoneNumber?phone=`: the lead with that `Phone` or
/// `Mobile` and the latest change; digits only, a country code allowed.
pub(crate) async fn get_by_phone(call: Call) -> Result<Response, LsqError> {
    let phone = required(&call, "phone")?.to_owned();
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(LsqError::invalid_input(
            "phone",
            "Pass the number's digits only (a country code may lead), without spaces, hyphens or other characters.",
        ));
    }
    let base = call.base();
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let found = session.views_by_phone(&base, digits).into_iter().next();
    Ok(leads_answer(&call.account.schema, found))
}

/// Quick search answers at most this many leads, latest changed first.
const QUICK_SEARCH_LIMIT: usize = 100;

/// `GET …/Leads.GetByQuickSearch?key=`: leads whose name, email, phone,
/// mobile or company holds the key (without regard to case).
pub(crate) async fn quick_search(call: Call) -> Result<Response, LsqError> {
    let key = required(&call, "key")?.to_lowercase();
    let key_digits = phone_digits(&key);
    let dataset = call.dataset();
    let text_fields = [fields::FIRST_NAME, fields::LAST_NAME, fields::EMAIL_ADDRESS, fields::COMPANY];
    let mut hits: Vec<(NaiveDateTime, String)> = dataset
        .rows()
        .filter(|lead| {
            text_fields
                .iter()
                .any(|f| matches!(lead.stored(*f), Value::Text(t) if t.to_lowercase().contains(&key)))
                || (key_digits.len() >= 4
                    && [fields::PHONE, fields::MOBILE]
                        .iter()
                        .any(|f| matches!(lead.stored(*f), Value::Text(t) if phone_digits(t).contains(&key_digits))))
        })
        .filter_map(|lead| {
            let modified = match lead.stored(fields::MODIFIED_ON) {
                Value::DateTime(t) => *t,
                _ => NaiveDateTime::MIN,
            };
            match lead.stored(fields::PROSPECT_ID) {
                Value::Text(id) => Some((modified, id.to_string())),
                _ => None,
            }
        })
        .collect();
    hits.sort_by(|a, b| b.cmp(a));
    hits.truncate(QUICK_SEARCH_LIMIT);
    Ok(leads_by_ids(&call, hits.into_iter().map(|(_, id)| id), None))
}

/// One comparison of `Leads.Get`, its operand read once for all the
/// account's leads (a call compares every one of them).
struct Condition {
    field: Option<Field>,
    operator: String,
    value: String,
    /// `value` trimmed and lower-cased: what `=`, `<` and the others compare.
    lower: String,
    /// `value` lower-cased (untrimmed), for `LIKE`.
    pattern: Vec<char>,
    number: Option<f64>,
    date: Option<NaiveDateTime>,
}

impl Condition {
    fn new(field: Option<Field>, operator: &str, value: String) -> Self {
        Self {
            field,
            operator: operator.trim().to_owned(),
            lower: value.trim().to_lowercase(),
            pattern: value.to_lowercase().chars().collect(),
            number: value.trim().parse::<f64>().ok(),
            date: parse_date(&value),
            value,
        }
    }

    /// Whether `value` satisfies the condition; `scratch` holds a lower-cased
    /// text for `LIKE`, reused from lead to lead.
    fn matches(&self, value: &Value, scratch: &mut Vec<char>) -> bool {
        let Some(field) = self.field else { return false };
        let op = self.operator.as_str();
        if op.eq_ignore_ascii_case("IN") {
            return self.value.split(',').any(|v| equal(field.kind(), value, v.trim()));
        }
        if op.eq_ignore_ascii_case("LIKE") {
            scratch.clear();
            match value {
                Value::Text(text) => push_lowercase(scratch, text),
                other => push_lowercase(scratch, &other.display().unwrap_or_default()),
            }
            return like(scratch, &self.pattern);
        }
        let ordering = match (field.kind(), value) {
            (_, Value::Null) => return op == "<>" && !self.value.is_empty(),
            (Kind::Number, Value::Number(n)) => self.number.and_then(|v| (*n as f64).partial_cmp(&v)),
            (Kind::DateTime, Value::DateTime(t)) => self.date.map(|v| t.cmp(&v)),
            (_, Value::Text(text)) => Some(cmp_lowercase(text, &self.lower)),
            _ => Some(cmp_lowercase(&value.display().unwrap_or_default(), &self.lower)),
        };
        let Some(ordering) = ordering else { return false };
        match op {
            "=" => ordering.is_eq(),
            "<>" | "!=" => ordering.is_ne(),
            ">" => ordering.is_gt(),
            "<" => ordering.is_lt(),
            ">=" => ordering.is_ge(),
            "<=" => ordering.is_le(),
            _ => false,
        }
    }
}

/// `text.to_lowercase()` against `lower`, without the copy for ASCII text
/// (almost every lead's): its lower case is byte by byte.
fn cmp_lowercase(text: &str, lower: &str) -> std::cmp::Ordering {
    if text.is_ascii() {
        text.bytes().map(|b| b.to_ascii_lowercase()).cmp(lower.bytes())
    } else {
        text.to_lowercase().as_str().cmp(lower)
    }
}

/// `text.to_lowercase()`'s characters, onto `out`.
fn push_lowercase(out: &mut Vec<char>, text: &str) {
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.extend(text.to_lowercase().chars());
    }
}

fn equal(kind: Kind, value: &Value, given: &str) -> bool {
    match (kind, value) {
        (Kind::Number, Value::Number(n)) => given.parse::<i64>().is_ok_and(|g| g == *n),
        (Kind::DateTime, Value::DateTime(t)) => parse_date(given).is_some_and(|g| g == *t),
        (_, Value::Text(text)) => text.eq_ignore_ascii_case(given),
        (_, v) => v.display().is_some_and(|d| d.eq_ignore_ascii_case(given)),
    }
}

/// `Columns.Include_CSV`, `Sorting` and `Paging` of the searches.
struct Shape {
    columns: Option<Vec<String>>,
    sort: Option<(Field, bool)>,
    page: usize,
    size: usize,
}

impl Shape {
    fn read(body: &Json_, default_size: usize) -> Result<Self, LsqError> {
        let columns = body
            .pointer("/Columns/Include_CSV")
            .and_then(Json_::as_str)
            .map(|csv| csv.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect::<Vec<_>>())
            .filter(|c| !c.is_empty());
        let sort = body.get("Sorting").and_then(|s| {
            let field = Field::named(s.get("ColumnName")?.as_str()?)?;
            let descending = match s.get("Direction") {
                Some(Json_::String(d)) => d.trim() == "1",
                Some(Json_::Number(n)) => n.as_i64() == Some(1),
                _ => false,
            };
            Some((field, descending))
        });
        let number = |name: &str, default: usize| -> Result<usize, LsqError> {
            match body.get("Paging").and_then(|p| p.get(name)) {
                None | Some(Json_::Null) => Ok(default),
                Some(Json_::Number(n)) => n.as_u64().map(|n| n as usize).ok_or_else(|| LsqError::invalid_input(name, "It must be a positive whole number.")),
                Some(Json_::String(s)) => s.trim().parse().map_err(|_| LsqError::invalid_input(name, "It must be a positive whole number.")),
                Some(_) => Err(LsqError::invalid_input(name, "It must be a positive whole number.")),
            }
        };
        let page = number("PageIndex", 1)?.max(1);
        let size = number("PageSize", default_size)?;
        if size > MAX_PAGE_SIZE {
            return Err(LsqError::invalid_input("PageSize", format!("PageSize can not be more than {MAX_PAGE_SIZE}.")));
        }
        if size == 0 {
            return Err(LsqError::invalid_input("PageSize", "PageSize must be at least 1."));
        }
        Ok(Self { columns, sort, page, size })
    }

    /// The page of `ids` (sorted as asked; by `ProspectAutoId` otherwise).
    fn page(&self, dataset: &Dataset, mut rows: Vec<usize>) -> Vec<usize> {
        let (field, descending) = self.sort.unwrap_or((fields::PROSPECT_AUTO_ID, false));
        rows.sort_by(|a, b| {
            let (x, y) = (dataset.row(*a).stored(field), dataset.row(*b).stored(field));
            let ordering = compare(x, y);
            if descending { ordering.reverse() } else { ordering }
        });
        rows.into_iter().skip((self.page - 1).saturating_mul(self.size)).take(self.size).collect()
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.cmp(y),
        (Value::DateTime(x), Value::DateTime(y)) => x.cmp(y),
        (Value::Null, Value::Null) => std::cmp::Ordering::Equal,
        (Value::Null, _) => std::cmp::Ordering::Less,
        (_, Value::Null) => std::cmp::Ordering::Greater,
        (x, y) => x.display().cmp(&y.display()),
    }
}

fn read_body(body: &[u8]) -> Result<Json_, LsqError> {
    let value: Json_ = crate::shared::request::parse_json_value(body, Some("{}"))?;
    if !value.is_object() {
        return Err(LsqError::BadRequest("The request body must be a JSON object.".to_owned()));
    }
    Ok(value)
}

fn no_parameter() -> LsqError {
    LsqError::mx("MXInvalidInputException", "Invalid Input! Parameter Name: You have not passed Parameter.")
}

/// `POST …/Leads.Get`: leads meeting one condition, with paging, sorting
/// and columns. A `LookupName` in another case matches nothing, as live
/// accounts answer.
pub(crate) async fn search(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let body = read_body(&body)?;
    let parameter = body.get("Parameter").filter(|p| p.is_object()).ok_or_else(no_parameter)?;
    let text = |name: &str| match parameter.get(name) {
        Some(Json_::String(s)) => Some(s.clone()),
        Some(Json_::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let lookup = text("LookupName").ok_or_else(|| LsqError::invalid_input("LookupName", "It is mandatory."))?;
    let operator = text("SqlOperator").unwrap_or_else(|| "=".to_owned());
    if !["=", "LIKE", ">", "<", "<=", ">=", "<>", "IN"].iter().any(|o| o.eq_ignore_ascii_case(operator.trim())) {
        return Err(LsqError::invalid_input("SqlOperator", format!("'{operator}' is not one of =, LIKE, >, <, <=, >=, <>, IN.")));
    }
    let condition = Condition::new(Field::named(&lookup), &operator, text("LookupValue").unwrap_or_default());
    let shape = Shape::read(&body, 100)?;
    let dataset = call.dataset();
    let mut scratch = Vec::new();
    let rows: Vec<usize> = (0..dataset.len())
        .filter(|row| condition.field.is_some_and(|f| condition.matches(dataset.row(*row).stored(f), &mut scratch)))
        .collect();
    let page = shape.page(&dataset, rows);
    let ids = page.into_iter().filter_map(|row| id_of(&dataset, row));
    Ok(leads_by_ids(&call, ids, shape.columns.as_deref()))
}

fn id_of(dataset: &Dataset, row: usize) -> Option<String> {
    match dataset.row(row).stored(fields::PROSPECT_ID) {
        Value::Text(id) => Some(id.to_string()),
        _ => None,
    }
}

/// `POST …/Leads.RecentlyModified`: leads whose `ModifiedOn` is in the
/// window (both ends, to the second), as attribute lists.
pub(crate) async fn recently_modified(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let body = read_body(&body)?;
    let parameter = body.get("Parameter").filter(|p| p.is_object()).ok_or_else(no_parameter)?;
    let date = |name: &str| -> Result<NaiveDateTime, LsqError> {
        let text = parameter.get(name).and_then(Json_::as_str).ok_or_else(|| LsqError::invalid_input(name, "It is mandatory."))?;
        parse_date(text).ok_or_else(|| LsqError::invalid_input(name, format!("'{text}' is not a date as yyyy-MM-dd HH:mm:ss.")))
    };
    let (from, to) = (date("FromDate")?, date("ToDate")?);
    if from > to {
        return Err(LsqError::invalid_input("FromDate", "FromDate can't be greater than ToDate."));
    }
    let shape = Shape::read(&body, 100)?;
    let dataset = call.dataset();
    let rows: Vec<usize> = (0..dataset.len())
        .filter(|row| match dataset.row(*row).stored(fields::MODIFIED_ON) {
            Value::DateTime(t) => {
                let second = t.and_utc().timestamp();
                second >= from.and_utc().timestamp() && second <= to.and_utc().timestamp()
            }
            _ => false,
        })
        .collect();
    let total = rows.len();
    if total == 0 {
        return Ok(Json(json!({"RecordCount": 0})).into_response());
    }
    let page = shape.page(&dataset, rows);
    let records = call.records(page.into_iter().filter_map(|row| id_of(&dataset, row)));
    let leads: Vec<Json_> = records
        .into_iter()
        .map(|r| {
            let mut list: Vec<Json_> = flat(&call.account.schema, &r, shape.columns.as_deref())
                .into_iter()
                .map(|(attribute, value)| json!({"Attribute": attribute, "Value": value}))
                .collect();
            list.push(json!({"Attribute": "Total", "Value": total.to_string()}));
            json!({"LeadPropertyList": list})
        })
        .collect();
    Ok(Json(json!({"RecordCount": total, "Leads": leads})).into_response())
}

/// `GET …/LeadsMetaData.Get[?schemaName=][&excludeOptionSets=1]`.
pub(crate) async fn metadata(call: Call) -> Result<Response, LsqError> {
    let schema = &call.account.schema;
    let with_options = !param(&call.query, "excludeOptionSets").is_some_and(|v| v.trim() == "1" || v.eq_ignore_ascii_case("true"));
    let fields: Vec<Json_> = match param(&call.query, "schemaName").map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => schema.get(name).map(|def| schema.metadata(def, with_options)).into_iter().collect(),
        None => schema.fields.iter().map(|def| schema.metadata(def, with_options)).collect(),
    };
    Ok(Json(fields).into_response())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;

    use super::super::super::generator;
    use super::super::super::model::{Dataset, Lead, Value, fields};
    use super::super::schema::{CustomField, DataType, Schema};
    use super::super::store::{ActivitySummary, Record, RecordView};
    use super::super::super::model::{Field, Kind};
    use super::super::schema::parse_date;
    use super::{Attributes, Condition, PrintedLead};
    use crate::shared::seed::Seed;

    /// The hand writer answers what serde writes for the same lead: generated
    /// leads read in place, written ones with extra fields (names and values
    /// that need escaping) and an activity, with and without `columns`.
    #[test]
    fn printed_leads_are_written_as_serde_writes_them() {
        let custom = |name: &str| CustomField {
            schema_name: name.to_owned(),
            display_name: None,
            data_type: DataType::Text,
        };
        let schema = Schema::new(&[custom("mx_Quote\"d"), custom("mx_Plain"), custom("mx_Ctrl\u{1}✓")]);
        let today = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default();
        let users = generator::users(Seed::new(7), "acct", 3, &[]);
        let base = Dataset::from_leads(generator::leads(Seed::new(7), "acct", 40, &users, today));
        let mut written = Vec::new();
        for (i, row) in (0..base.len()).step_by(7).enumerate() {
            let mut record = RecordView::Listed(base.row(row)).to_record();
            record.lead.values[fields::FIRST_NAME.0] = Value::text(format!("Ada \"{i}\"\n</b>"));
            record.extra = BTreeMap::from([
                ("mx_Quote\"d".to_owned(), format!("q{i}\\")),
                ("mx_Ctrl\u{1}✓".to_owned(), "\u{7f}".to_owned()),
            ]);
            record.last_activity = (i % 2 == 0).then(|| ActivitySummary {
                id: uuid::Uuid::from_u128(i as u128 + 1),
                name: "Lead \"Capture\"".to_owned(),
                at: today.and_hms_opt(1, 2, 3).unwrap_or_default(),
            });
            written.push(record);
        }
        written.push(Record {
            lead: Lead::empty(),
            extra: BTreeMap::new(),
            last_activity: None,
        });
        let views = (0..base.len())
            .map(|row| RecordView::Listed(base.row(row)))
            .chain(written.iter().map(RecordView::from));
        let columns: Vec<String> = ["mx_Quote\"d", "ProspectID", "ProspectActivityName_Max", "Nope", "CreatedOn"]
            .map(String::from)
            .to_vec();
        let mut checked = 0;
        for view in views {
            for picked in [None, Some(columns.as_slice()), Some(&[][..])] {
                let lead = PrintedLead::new(&schema, view, picked);
                let mut out = Vec::new();
                lead.write(&mut out);
                assert_eq!(String::from_utf8(out).ok(), serde_json::to_string(&lead).ok());
                checked += 1;
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// Well-formed bodies read into pairs give what their JSON trees give;
    /// anything else is left to the tree, which words its error.
    #[test]
    fn plain_attribute_bodies_read_as_their_trees_do() {
        let plain = [
            r#"[{"Attribute":"FirstName","Value":"Ada"},{"Attribute":"EmailAddress","Value":"a@x.com"}]"#,
            r#" [ {"Attribute":" mx_Budget ","Value":12.5,"Extra":[1]}, {"Value":null,"Attribute":"Phone"} ] "#,
            r#"[{"Attribute":"SearchBy","Value":"Phone"},{"Attribute":"Phone","Value":"555"},{"Attribute":"Notes"}]"#,
            "[]",
        ];
        for body in plain {
            let read = Attributes::read_plain(body.as_bytes()).unwrap_or_else(|| panic!("plain: {body}"));
            let tree = Attributes::read_tree(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {body}"));
            assert_eq!(read, tree, "{body}");
        }
        let search = Attributes::read_plain(plain[2].as_bytes()).map(|a| (a.search_by, a.pairs.len()));
        assert_eq!(search, Some((Some("Phone".to_owned()), 2)));
        let other = [
            r#"[["FirstName","Ada"]]"#,
            r#"[{"Attribute":"  ","Value":"x"}]"#,
            r#"[{"Attribute":null,"Value":"x"}]"#,
            r#"[{"Value":"x"}]"#,
            r#"[{"Attribute":"A","Attribute":"B","Value":"x"}]"#,
            r#"[{"Attribute":"A","Value":"x"}] trailing"#,
            r#"{"Attribute":"A","Value":"x"}"#,
            "",
            "null",
        ];
        for body in other {
            assert_eq!(Attributes::read_plain(body.as_bytes()), None, "{body}");
        }
        let too_many = format!("[{}]", vec![r#"{"Attribute":"A","Value":1}"#; 201].join(","));
        assert_eq!(Attributes::read_plain(too_many.as_bytes()), None);
        assert_eq!(Attributes::read_plain(b"[{\"Attribute\":\"A\",\"x\":\"\xff\"}]"), None, "not UTF-8");
    }

    /// `Leads.Get`'s comparisons as they were written first, lower-casing
    /// both sides for every lead: the reference [`Condition`] is held to.
    fn reference_matches(field: Field, operator: &str, operand: &str, value: &Value) -> bool {
        fn like(text: &str, pattern: &str) -> bool {
            let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
            let mut reach = vec![false; p.len() + 1];
            reach[0] = true;
            for i in 0..p.len() {
                if p[i] == '%' && reach[i] {
                    reach[i + 1] = true;
                }
            }
            for c in t {
                let mut next = vec![false; p.len() + 1];
                for i in 0..p.len() {
                    if !reach[i] {
                        continue;
                    }
                    match p[i] {
                        '%' => {
                            next[i] = true;
                            next[i + 1] = true;
                        }
                        '_' => next[i + 1] = true,
                        pc if pc == c => next[i + 1] = true,
                        _ => {}
                    }
                }
                for i in 0..p.len() {
                    if p[i] == '%' && next[i] {
                        next[i + 1] = true;
                    }
                }
                reach = next;
            }
            reach[p.len()]
        }
        let op = operator.trim();
        if op.eq_ignore_ascii_case("IN") {
            return operand.split(',').any(|v| {
                let v = v.trim();
                match (field.kind(), value) {
                    (Kind::Number, Value::Number(n)) => v.parse::<i64>().is_ok_and(|g| g == *n),
                    (Kind::DateTime, Value::DateTime(t)) => parse_date(v).is_some_and(|g| g == *t),
                    (_, x) => x.display().is_some_and(|d| d.eq_ignore_ascii_case(v)),
                }
            });
        }
        if op.eq_ignore_ascii_case("LIKE") {
            return like(&value.display().unwrap_or_default().to_lowercase(), &operand.to_lowercase());
        }
        let ordering = match (field.kind(), value) {
            (_, Value::Null) => return op == "<>" && !operand.is_empty(),
            (Kind::Number, Value::Number(n)) => operand.trim().parse::<f64>().ok().and_then(|v| (*n as f64).partial_cmp(&v)),
            (Kind::DateTime, Value::DateTime(t)) => parse_date(operand).map(|v| t.cmp(&v)),
            _ => Some(value.display().unwrap_or_default().to_lowercase().cmp(&operand.trim().to_lowercase())),
        };
        let Some(ordering) = ordering else { return false };
        match op {
            "=" => ordering.is_eq(),
            "<>" | "!=" => ordering.is_ne(),
            ">" => ordering.is_gt(),
            "<" => ordering.is_lt(),
            ">=" => ordering.is_ge(),
            "<=" => ordering.is_le(),
            _ => false,
        }
    }

    #[test]
    fn conditions_compare_as_lower_casing_every_lead_did() {
        let when = NaiveDate::from_ymd_opt(2026, 3, 2).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap_or_default();
        let texts = [
            "Ada Lovelace", "ada lovelace", "ADA", "", "  padded  ", "Webinar", "web_inar", "100%", "ΟΔΟΣ", "οδος",
            "Straße", "STRASSE", "İstanbul", "istanbul", "Σ", "naïve", "a\u{0}b",
        ];
        let mut values: Vec<Value> = texts.iter().map(|t| Value::Text((*t).into())).collect();
        values.extend([Value::Null, Value::Number(42), Value::Number(-7), Value::DateTime(when)]);
        let operands = [
            "ada lovelace", "  ADA LOVELACE ", "%love%", "a_a", "%", "_", "", "οδος", "ΟΔΟΣ", "%ος", "straße", "İSTANBUL",
            "istanbul", "σ", "42", " 42 ", "4%", "-7,42", "ada,ADA LOVELACE", "2026-03-02 10:00:00", "2026-03-02", "w%b%r",
            "naÏve", "Webinar, webinar",
        ];
        let operators = ["=", "<>", "!=", ">", "<", ">=", "<=", "LIKE", "like", "IN", " in "];
        let mut compared = 0;
        for field in [fields::FIRST_NAME, fields::SCORE, fields::CREATED_ON, fields::SOURCE] {
            for operand in operands {
                for operator in operators {
                    let condition = Condition::new(Some(field), operator, operand.to_owned());
                    let mut scratch = Vec::new();
                    for value in &values {
                        assert_eq!(
                            condition.matches(value, &mut scratch),
                            reference_matches(field, operator, operand, value),
                            "{value:?} {operator} {operand:?} ({field:?})"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 8_000, "{compared}");
        let none = Condition::new(None, "=", "x".to_owned());
        assert!(!none.matches(&Value::Text("x".into()), &mut Vec::new()));
    }
}
