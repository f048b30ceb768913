//! `ProspectActivity.svc` (post and read a lead's activities, list and
//! create activity types), `UserManagement.svc/Users.Get` and
//! `Authentication.svc/UserByAccessKey.Get`.


use axum::Json;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json_, json};

use super::super::error::LsqError;
use super::super::model::fields;
use super::schema::parse_date;
use super::store::{Activity, ActivitySummary, ActivityType, FIRST_CUSTOM_CODE};
use super::{Call, param, success};
use crate::shared::request::{Buffered, parse_json_value, public_base_url};

/// Activities `Retrieve` answers without paging, as the vendor documents.
const DEFAULT_ROWS: usize = 25;
const MAX_NOTE_CHARS: usize = 4_000;
const MAX_ACTIVITY_FIELDS: usize = 50;

fn read_object(body: &[u8]) -> Result<serde_json::Map<String, Json_>, LsqError> {
    match parse_json_value(body, Some("{}"))? {
        Json_::Object(map) => Ok(map),
        _ => Err(LsqError::BadRequest("The request body must be a JSON object.".to_owned())),
    }
}

fn integer(value: Option<&Json_>) -> Option<i64> {
    match value? {
        Json_::Number(n) => n.as_i64(),
        Json_::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: Option<&Json_>) -> Option<String> {
    match value? {
        Json_::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Json_::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `POST /v2/ProspectActivity.svc/Create`: an activity on the lead named by
/// `RelatedProspectId`, or by `EmailAddress` (a lead is created when none
/// has it). Its type's score is added to the lead's `Score` and
/// `EngagementScore`; `ModifiedOn` is left alone (leadsim's choice).
pub(crate) async fn create(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let body = read_object(&body)?;
    let event = integer(body.get("ActivityEvent"));
    let note = text(body.get("ActivityNote"));
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(LsqError::invalid_input("ActivityNote", format!("It is longer than {MAX_NOTE_CHARS} characters.")));
    }
    let mut activity_fields = Vec::new();
    if let Some(given) = body.get("Fields") {
        let Json_::Array(items) = given else {
            return Err(LsqError::BadRequest("Fields must be an array of {\"SchemaName\", \"Value\"} objects.".to_owned()));
        };
        if items.len() > MAX_ACTIVITY_FIELDS {
            return Err(LsqError::invalid_input("Fields", format!("At most {MAX_ACTIVITY_FIELDS} fields.")));
        }
        for item in items {
            let name = text(item.get("SchemaName")).ok_or_else(|| {
                LsqError::BadRequest("Each of Fields needs a \"SchemaName\".".to_owned())
            })?;
            let value = text(item.get("Value")).unwrap_or_default();
            if value.chars().count() > MAX_NOTE_CHARS {
                return Err(LsqError::invalid_input(&name, format!("It is longer than {MAX_NOTE_CHARS} characters.")));
            }
            activity_fields.push((name, value));
        }
    }
    let now = call.now();
    let at = match body.get("ActivityDateTime") {
        None | Some(Json_::Null) => now,
        Some(given) => {
            let given = text(Some(given)).unwrap_or_default();
            parse_date(&given).ok_or_else(|| {
                LsqError::invalid_input("ActivityDateTime", format!("'{given}' is not a date as yyyy-MM-dd HH:mm:ss."))
            })?
        }
    };
    let base = call.base();
    let (kind, found) = {
        let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
        let Some(kind) = event.and_then(|code| session.activity_type(code).cloned()) else {
            return Err(LsqError::mx("MXInvalidActivityException", "Event Code is invalid or empty"));
        };
        let found = match (text(body.get("RelatedProspectId")), text(body.get("EmailAddress"))) {
            (Some(id), _) => session.by_id(&base, &id),
            (None, Some(email)) => session.by_email(&base, &email),
            (None, None) => {
                return Err(LsqError::mx(
                    "MXMandatoryAttributeMissingException",
                    "'RelatedProspectId' or 'EmailAddress' is mandatory for posting an activity",
                ));
            }
        };
        (kind, found)
    };
    let found = match found {
        Some(record) => Some(record),
        None if body.get("RelatedProspectId").is_none() => {
            // The email form creates the lead it names.
            let mut pairs = Vec::new();
            for name in ["EmailAddress", "FirstName", "LastName", "Phone"] {
                if let Some(value) = text(body.get(name)) {
                    pairs.push(json!({"Attribute": name, "Value": value}));
                }
            }
            let body = Bytes::from(serde_json::to_vec(&pairs).unwrap_or_default());
            super::leads::create(call.clone(), Buffered(body)).await?;
            None
        }
        None => return Err(LsqError::mx("MXInvalidEntityException", "Lead does not exist in the system")),
    };
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let mut record = match found {
        Some(record) => record,
        None => {
            let email = text(body.get("EmailAddress")).unwrap_or_default();
            session
                .by_email(&base, &email)
                .ok_or_else(|| LsqError::mx("MXInvalidEntityException", "Lead does not exist in the system"))?
        }
    };
    let id = super::leads::post_activity(&call, &mut session, &mut record, &kind, note, at, activity_fields)?;
    if record.last_activity.as_ref().is_none_or(|a| a.at <= at) {
        record.last_activity = Some(ActivitySummary {
            id,
            name: kind.name.clone(),
            at,
        });
    }
    let score = record.lead.stored(fields::SCORE).display();
    session.put(record).map_err(super::leads::full)?;
    let mut message = json!({"Id": id});
    if body.get("IncludeLeadScore").is_some_and(|v| v.as_bool() == Some(true)) {
        message["LeadScore"] = json!(score);
    }
    Ok(success(message))
}

/// `POST /v2/ProspectActivity.svc/Retrieve?leadId=`: the lead's activities,
/// newest first, filtered by `Parameter.ActivityEvent`, paged by
/// `Paging.Offset`/`RowCount` (25 without paging).
pub(crate) async fn retrieve(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let Some(lead) = param(&call.query, "leadId").map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned) else {
        return Err(LsqError::mx("MXMandatoryAttributeMissingException", "'leadId' is mandatory for retrieving activities"));
    };
    let body = read_object(&body)?;
    let event = integer(body.get("Parameter").and_then(|p| p.get("ActivityEvent")));
    let paging = body.get("Paging");
    let offset = integer(paging.and_then(|p| p.get("Offset"))).unwrap_or(0).max(0) as usize;
    let rows = integer(paging.and_then(|p| p.get("RowCount"))).map_or(DEFAULT_ROWS, |r| r.clamp(0, 1_000) as usize);
    let base = call.base();
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    if session.by_id(&base, &lead).is_none() {
        return Err(LsqError::mx("MXInvalidEntityException", "Lead does not exist in the system"));
    }
    let mut found: Vec<&Activity> = session
        .writes()
        .activities
        .iter()
        .filter(|a| &*a.lead == lead.as_str() && event.is_none_or(|e| e == a.event))
        .collect();
    found.sort_by(|a, b| b.at.cmp(&a.at).then(b.created_on.cmp(&a.created_on)));
    let total = found.len();
    let page: Vec<Json_> = found
        .into_iter()
        .skip(offset)
        .take(rows)
        .map(|a| {
            json!({
                "Id": a.id,
                "EventCode": a.event,
                "EventName": a.name,
                "ActivityScore": a.score,
                "CreatedOn": a.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                "ModifiedOn": a.created_on.format("%Y-%m-%d %H:%M:%S").to_string(),
                "ActivityType": if a.event >= FIRST_CUSTOM_CODE { 2 } else { 1 },
                "Type": "Inbound",
                "IsEmailType": false,
                "RelatedProspectId": &*a.lead,
                "Note": a.note,
                "Data": a.fields.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({"RecordCount": total, "ProspectActivities": page})).into_response())
}

fn type_json(t: &ActivityType) -> Json_ {
    json!({
        "ActivityEvent": t.code,
        "ActivityEventName": t.name,
        "Score": t.score,
        "Description": t.description,
        "Direction": t.direction,
        "ActivityProperties": "[]",
    })
}

/// `GET /v2/ProspectActivity.svc/ActivityTypes.Get`.
pub(crate) async fn types(call: Call) -> Result<Response, LsqError> {
    let session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let types: Vec<Json_> = session.types().iter().map(type_json).collect();
    Ok(Json(types).into_response())
}

/// `POST /v2/ProspectActivity.svc/CreateType`: only `ActivityEventName` is
/// mandatory; the new code is the next free one from 201.
pub(crate) async fn create_type(call: Call, Buffered(body): Buffered) -> Result<Response, LsqError> {
    let body = read_object(&body)?;
    let Some(name) = text(body.get("ActivityEventName")) else {
        return Err(LsqError::mx("MXMandatoryAttributeMissingException", "'ActivityEventName' is mandatory"));
    };
    if name.chars().count() > 200 {
        return Err(LsqError::invalid_input("ActivityEventName", "It is longer than 200 characters."));
    }
    let score = match body.get("Score") {
        None | Some(Json_::Null) => 0,
        given => integer(given).filter(|s| s.abs() <= 1_000_000).ok_or_else(|| LsqError::invalid_input("Score", "It must be a whole number."))?,
    };
    let description = text(body.get("Description")).unwrap_or_default();
    let direction = integer(body.get("Direction")).unwrap_or(0);
    let mut session = call.lsq.leadsquared.writes.lock(&call.account.access_key);
    let types = session.types();
    if types.iter().any(|t| t.name.eq_ignore_ascii_case(&name)) {
        return Err(LsqError::mx("MXDuplicateEntryException", format!("An activity type named '{name}' already exists")));
    }
    let code = types.iter().map(|t| t.code).max().unwrap_or(0).max(FIRST_CUSTOM_CODE - 1) + 1;
    session
        .add_type(ActivityType {
            code,
            name,
            score,
            description: description.chars().take(1_000).collect(),
            direction,
        })
        .map_err(super::leads::full)?;
    Ok(success(json!({"Id": code.to_string()})))
}

/// `GET /v2/UserManagement.svc/Users.Get`: the account's users, the owners
/// that leads' `OwnerId` and the analytics' `UserFilter` name.
pub(crate) async fn users(call: Call) -> Result<Response, LsqError> {
    let users: Vec<Json_> = call
        .account
        .users
        .iter()
        .map(|u| {
            let mut user = json!({
                "ID": u.id,
                "FirstName": u.first_name,
                "LastName": u.last_name,
                "EmailAddress": u.email,
                "Role": u.role,
                "StatusCode": u.status_code,
                "Tag": null,
                "IsPhoneCallAgent": false,
            });
            if !u.groups.is_empty() {
                user["MemberOfGroups"] = json!(u.groups);
            }
            user
        })
        .collect();
    Ok(Json(users).into_response())
}

/// `GET /v2/Authentication.svc/UserByAccessKey.Get`: the user the keys
/// belong to, with `LSQCommonServiceURLs` naming leadsim's own host, so a
/// client that discovers its API host from it stays on leadsim.
pub(crate) async fn user_by_access_key(call: Call, headers: HeaderMap) -> Result<Response, LsqError> {
    let Some((_, user)) = call.account.key_user() else {
        return Err(LsqError::InvalidAccess);
    };
    let base = public_base_url(call.lsq.settings.public_url.as_deref(), &headers);
    let host = base.split_once("://").map_or(base.as_str(), |(_, host)| host).trim_end_matches('/').to_owned();
    let org = call.lsq.seed.uuid("leadsquared.org", call.account.access_key.as_str());
    Ok(Json(json!({
        "Id": user.id,
        "Name": user.full_name(),
        "FirstName": user.first_name,
        "LastName": user.last_name,
        "PassPhrase": user.email,
        "EmailAddress": user.email,
        "Role": user.role,
        "TimeZone": "UTC",
        "Type": "ApplicationUser",
        "OrgDisplayName": call.account.name,
        "OrgId": org,
        "OrgShortCode": (org.as_u128() % 100_000).to_string(),
        "LSQCommonServiceURLs": {"api": host, "app": host},
    }))
    .into_response())
}
