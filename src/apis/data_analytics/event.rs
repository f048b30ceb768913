//! Analytics events: what a POST may carry, how it is validated, and the
//! shapes the service answers with (the seed's examples, field for field).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::shared::json_writer::Object;
use crate::shared::time::format_millis;

/// Lead or contact: the two tables the service keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    Lead,
    Contact,
}

impl EventKind {
    /// `entity_type` in stored records and search results.
    pub(crate) fn entity_type(self) -> &'static str {
        match self {
            EventKind::Lead => "lead",
            EventKind::Contact => "contact",
        }
    }

    /// `entityType` in the 201 body.
    pub(crate) fn table(self) -> &'static str {
        match self {
            EventKind::Lead => "lead_analytics_event",
            EventKind::Contact => "contact_analytics_event",
        }
    }

    /// The part of `partitionKey` before the `|`.
    pub(crate) fn partition_prefix(self) -> &'static str {
        match self {
            EventKind::Lead => "Lead analytics event",
            EventKind::Contact => "Contact analytics event",
        }
    }

    /// The typed route's identifying field, `lead_id` or `contact_id`.
    pub(crate) fn id_field(self) -> &'static str {
        match self {
            EventKind::Lead => "lead_id",
            EventKind::Contact => "contact_id",
        }
    }

    fn from_entity_type(value: &str) -> Option<Self> {
        match value {
            "lead" => Some(EventKind::Lead),
            "contact" => Some(EventKind::Contact),
            _ => None,
        }
    }
}

/// The route an event was posted to; it decides which identifying fields are
/// required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `POST /api/v1/analytics_events`: `entity_id` + `entity_type`.
    AnalyticsEvents,
    /// `POST /api/v1/lead_analytics` or `/contact_analytics`: `lead_id` /
    /// `contact_id`, or `entity_id` (the Browser Extension variant).
    Typed(EventKind),
}

/// How the request named its entity; the 201 echoes it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EntityNaming {
    /// `lead_id` or `contact_id`.
    TypedId,
    /// `entity_id` alone (Browser Extension events).
    EntityId,
    /// `entity_id` with `entity_type` (the generic analytics_events route).
    EntityIdAndType,
}

/// A validation failure on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
}

impl FieldError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A validated event, before the store gives it keys and a time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewEvent {
    pub(crate) kind: EventKind,
    pub(crate) naming: EntityNaming,
    pub(crate) customer_id: String,
    pub(crate) entity_id: String,
    pub(crate) user_id: String,
    pub(crate) recording_id: String,
    pub(crate) tool_signature: Option<String>,
    pub(crate) event_type: Option<String>,
    pub(crate) event_id: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) javascript_local_time: Option<String>,
    pub(crate) apex_local_time: Option<String>,
    pub(crate) event_environment_path: Option<String>,
    pub(crate) name_parser_event_id: Option<String>,
    pub(crate) recommendation_model_event_id: Option<String>,
    pub(crate) version_info: Option<VersionInfo>,
}

impl NewEvent {
    /// Roughly what the event holds on the heap, for the store's budget.
    pub(crate) fn heap_bytes(&self) -> usize {
        let optional = [
            &self.tool_signature,
            &self.event_type,
            &self.event_id,
            &self.message,
            &self.javascript_local_time,
            &self.apex_local_time,
            &self.event_environment_path,
            &self.name_parser_event_id,
            &self.recommendation_model_event_id,
        ];
        [&self.customer_id, &self.entity_id, &self.user_id, &self.recording_id]
            .iter()
            .map(|s| s.capacity())
            .chain(optional.iter().map(|s| s.as_ref().map_or(0, String::capacity)))
            .sum::<usize>()
            // Parsed members take about twice their JSON.
            + self.version_info.as_ref().map_or(0, |v| 2 * v.json_bytes)
    }
}

/// `version_info` as posted, kept as a list of members: a `serde_json::Map`
/// is a B-tree whose first node alone is over 600 bytes, which for a
/// one-member object was a third of a stored event's memory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VersionInfo {
    members: Vec<(String, Value)>,
    /// Its size as JSON, which bounds what it holds.
    json_bytes: usize,
}

impl From<Map<String, Value>> for VersionInfo {
    /// Members in the map's (sorted) order, as the map would serialize them.
    fn from(map: Map<String, Value>) -> Self {
        let members: Vec<_> = map.into_iter().collect();
        let json_bytes = members
            .iter()
            .map(|(name, value)| name.len() + 4 + json_len(value))
            .sum::<usize>()
            + 2;
        Self { members, json_bytes }
    }
}

/// How long `value` is as JSON, counted without building the text (the
/// POST routes are hot).
fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Longest string field an event may have, in bytes.
pub(crate) const MAX_FIELD_BYTES: usize = 2048;

/// Largest `version_info` an event may have, as JSON, in bytes.
pub(crate) const MAX_VERSION_INFO_BYTES: usize = 8192;

impl Serialize for VersionInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.members.iter().map(|(name, value)| (name, value)))
    }
}

/// Optional string fields, in the order the seed documents them.
const OPTIONAL_STRINGS: [&str; 9] = [
    "tool_signature",
    "event_type",
    "event_id",
    "message",
    "javascript_local_time",
    "apex_local_time",
    "event_environment_path",
    "name_parser_event_id",
    "recommendation_model_event_id",
];

impl NewEvent {
    /// Validates a posted body, collecting every offending field.
    ///
    /// Required: `customer_id` (the sort key), `user_id`, `recording_id` and
    /// the entity (`lead_id` / `contact_id` / `entity_id`, plus `entity_type`
    /// on the generic route): exactly the fields search needs, so every
    /// stored event can be found again. Unknown fields are ignored.
    ///
    /// Takes the body by value and moves its strings out: the POST routes
    /// are hot, and copying a dozen strings per event showed up in profiles.
    pub(crate) fn from_json(route: Route, body: Value) -> Result<Self, Vec<FieldError>> {
        let Value::Object(mut fields) = body else {
            return Err(vec![FieldError::new("body", "must be a JSON object")]);
        };
        Self::from_members(route, &mut fields)
    }

    /// Validates a body read straight into [`Posted`], by the same rules.
    pub(crate) fn from_posted(route: Route, mut body: Posted) -> Result<Self, Vec<FieldError>> {
        Self::from_members(route, &mut body)
    }

    fn from_members(route: Route, fields: &mut impl Members) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let customer_id = required_string(fields, "customer_id", &mut errors);
        let user_id = required_string(fields, "user_id", &mut errors);
        let recording_id = required_string(fields, "recording_id", &mut errors);
        let entity = entity(route, fields, &mut errors);
        let mut optional = OPTIONAL_STRINGS.map(|name| optional_string(fields, name, &mut errors));
        let version_info = match fields.take("version_info") {
            Member::Absent => None,
            Member::Object(map) => {
                let info = VersionInfo::from(map);
                if info.json_bytes > MAX_VERSION_INFO_BYTES {
                    errors.push(FieldError::new(
                        "version_info",
                        format!("must be at most {MAX_VERSION_INFO_BYTES} bytes as JSON"),
                    ));
                }
                Some(info)
            }
            Member::Text(_) | Member::Other => {
                errors.push(FieldError::new("version_info", "must be an object"));
                None
            }
        };
        let (Some(customer_id), Some(user_id), Some(recording_id), Some((kind, naming, entity_id))) =
            (customer_id, user_id, recording_id, entity)
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut take = |i: usize| optional[i].take();
        Ok(Self {
            kind,
            naming,
            customer_id,
            entity_id,
            user_id,
            recording_id,
            tool_signature: take(0),
            event_type: take(1),
            event_id: take(2),
            message: take(3),
            javascript_local_time: take(4),
            apex_local_time: take(5),
            event_environment_path: take(6),
            name_parser_event_id: take(7),
            recommendation_model_event_id: take(8),
            version_info,
        })
    }
}

/// A member of a posted body, as validation sees it (`null` is absent).
enum Member {
    Absent,
    Text(String),
    Object(Map<String, Value>),
    /// Any other type.
    Other,
}

/// A posted body's members by name: a JSON tree, or [`Posted`].
trait Members {
    /// Takes the member `name` out.
    fn take(&mut self, name: &str) -> Member;
    /// The member `name` in place: `None` if absent, `Some(None)` if it is
    /// not a string.
    fn peek(&self, name: &str) -> Option<Option<&str>>;
}

impl Members for Map<String, Value> {
    fn take(&mut self, name: &str) -> Member {
        match self.remove(name) {
            None | Some(Value::Null) => Member::Absent,
            Some(Value::String(s)) => Member::Text(s),
            Some(Value::Object(map)) => Member::Object(map),
            Some(_) => Member::Other,
        }
    }

    fn peek(&self, name: &str) -> Option<Option<&str>> {
        self.get(name).filter(|v| !v.is_null()).map(Value::as_str)
    }
}

/// A body whose every member the routes read is a string (or `null`, or
/// absent) and whose `version_info` is an object: what clients send, read
/// without building a JSON tree first. A body this does not fit (a member
/// of another type, a member given twice) is read as a tree instead, so
/// its errors are worded by the one validation both share.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Posted {
    customer_id: Option<String>,
    user_id: Option<String>,
    recording_id: Option<String>,
    lead_id: Option<String>,
    contact_id: Option<String>,
    entity_id: Option<String>,
    entity_type: Option<String>,
    tool_signature: Option<String>,
    event_type: Option<String>,
    event_id: Option<String>,
    message: Option<String>,
    javascript_local_time: Option<String>,
    apex_local_time: Option<String>,
    event_environment_path: Option<String>,
    name_parser_event_id: Option<String>,
    recommendation_model_event_id: Option<String>,
    version_info: Option<Map<String, Value>>,
}

impl Posted {
    fn text(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "customer_id" => &mut self.customer_id,
            "user_id" => &mut self.user_id,
            "recording_id" => &mut self.recording_id,
            "lead_id" => &mut self.lead_id,
            "contact_id" => &mut self.contact_id,
            "entity_id" => &mut self.entity_id,
            "entity_type" => &mut self.entity_type,
            "tool_signature" => &mut self.tool_signature,
            "event_type" => &mut self.event_type,
            "event_id" => &mut self.event_id,
            "message" => &mut self.message,
            "javascript_local_time" => &mut self.javascript_local_time,
            "apex_local_time" => &mut self.apex_local_time,
            "event_environment_path" => &mut self.event_environment_path,
            "name_parser_event_id" => &mut self.name_parser_event_id,
            "recommendation_model_event_id" => &mut self.recommendation_model_event_id,
            _ => return None,
        })
    }
}

impl Members for Posted {
    fn take(&mut self, name: &str) -> Member {
        if name == "version_info" {
            return self.version_info.take().map_or(Member::Absent, Member::Object);
        }
        match self.text(name).and_then(Option::take) {
            Some(text) => Member::Text(text),
            None => Member::Absent,
        }
    }

    /// Validation peeks at the entity members only (`entity`).
    fn peek(&self, name: &str) -> Option<Option<&str>> {
        let text = match name {
            "lead_id" => &self.lead_id,
            "contact_id" => &self.contact_id,
            "entity_id" => &self.entity_id,
            "entity_type" => &self.entity_type,
            _ => return None,
        };
        text.as_deref().map(Some)
    }
}

fn entity(
    route: Route,
    fields: &mut impl Members,
    errors: &mut Vec<FieldError>,
) -> Option<(EventKind, EntityNaming, String)> {
    match route {
        Route::AnalyticsEvents => {
            let id = required_string(fields, "entity_id", errors);
            let kind = match required_string(fields, "entity_type", errors) {
                Some(t) => match EventKind::from_entity_type(&t) {
                    Some(kind) => Some(kind),
                    None => {
                        errors.push(FieldError::new("entity_type", "must be \"lead\" or \"contact\""));
                        None
                    }
                },
                None => None,
            };
            Some((kind?, EntityNaming::EntityIdAndType, id?))
        }
        Route::Typed(kind) => {
            let typed = kind.id_field();
            if let Some(t) = fields.peek("entity_type")
                && t != Some(kind.entity_type())
            {
                errors.push(FieldError::new(
                    "entity_type",
                    format!("must be \"{}\" on this route", kind.entity_type()),
                ));
            }
            match (fields.peek(typed).is_some(), fields.peek("entity_id").is_some()) {
                (true, true) => {
                    errors.push(FieldError::new(
                        "entity_id",
                        format!("give {typed} or entity_id, not both"),
                    ));
                    None
                }
                (false, true) => {
                    required_string(fields, "entity_id", errors).map(|id| (kind, EntityNaming::EntityId, id))
                }
                _ => required_string(fields, typed, errors).map(|id| (kind, EntityNaming::TypedId, id)),
            }
        }
    }
}

fn required_string(fields: &mut impl Members, name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match fields.take(name) {
        Member::Absent => {
            errors.push(FieldError::new(name, format!("{name} is required")));
            None
        }
        Member::Text(s) if s.trim().is_empty() => {
            errors.push(FieldError::new(name, format!("{name} must not be blank")));
            None
        }
        Member::Text(s) => bounded(name, s, errors),
        Member::Object(_) | Member::Other => {
            errors.push(FieldError::new(name, format!("{name} must be a string")));
            None
        }
    }
}

/// The string, unless it is longer than any real event field would be.
fn bounded(name: &str, value: String, errors: &mut Vec<FieldError>) -> Option<String> {
    if value.len() > MAX_FIELD_BYTES {
        errors.push(FieldError::new(
            name,
            format!("{name} must be at most {MAX_FIELD_BYTES} bytes"),
        ));
        return None;
    }
    Some(value)
}

fn optional_string(fields: &mut impl Members, name: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match fields.take(name) {
        Member::Absent => None,
        Member::Text(s) => bounded(name, s, errors),
        Member::Object(_) | Member::Other => {
            errors.push(FieldError::new(name, format!("{name} must be a string")));
            None
        }
    }
}

/// A stored event: what was posted plus the keys the service gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Event {
    pub(crate) new: NewEvent,
    /// The time-based (version 1) half of `partitionKey`.
    pub(crate) partition_uuid: Uuid,
    pub(crate) created_at: DateTime<Utc>,
    /// Arrival order, for stable newest-first sorting.
    pub(crate) seq: u64,
}

impl Event {
    pub(crate) fn partition_key(&self) -> String {
        let prefix = self.new.kind.partition_prefix();
        let mut key = String::with_capacity(prefix.len() + 1 + uuid::fmt::Hyphenated::LENGTH);
        key.push_str(prefix);
        key.push('|');
        key.push_str(self.partition_uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        key
    }

    /// The 201 body, field for field as in the seed's examples.
    pub(crate) fn created(&self) -> Created<'_> {
        Created(self)
    }

    /// A search result record, as in the seed's search example.
    pub(crate) fn record(&self) -> Record<'_> {
        Record(self)
    }

    /// Everything stored, for the admin API.
    pub(crate) fn stored(&self) -> Stored<'_> {
        Stored(self)
    }
}

/// Writes `name: value` only when the value is present (optional fields are
/// omitted, not null).
fn entry<M: SerializeMap, V: Serialize>(map: &mut M, name: &str, value: Option<&V>) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(name, v),
        None => Ok(()),
    }
}

/// What the user did, in the order both the 201 body and search records
/// list it: `user_id` through `event_id`.
fn activity<M: SerializeMap>(map: &mut M, new: &NewEvent) -> Result<(), M::Error> {
    map.serialize_entry("user_id", &new.user_id)?;
    entry(map, "tool_signature", new.tool_signature.as_ref())?;
    map.serialize_entry("recording_id", &new.recording_id)?;
    entry(map, "event_type", new.event_type.as_ref())?;
    entry(map, "event_id", new.event_id.as_ref())
}

/// `created_at` and `updated_at`: events are never updated, so both are the
/// creation time.
fn timestamps<M: SerializeMap>(map: &mut M, event: &Event) -> Result<(), M::Error> {
    let time = format_millis(event.created_at);
    map.serialize_entry("created_at", &time)?;
    map.serialize_entry("updated_at", &time)
}

pub(crate) struct Created<'a>(&'a Event);

impl Serialize for Created<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let new = &event.new;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("customer_id", &new.customer_id)?;
        match new.naming {
            EntityNaming::TypedId => map.serialize_entry(new.kind.id_field(), &new.entity_id)?,
            EntityNaming::EntityId => map.serialize_entry("entity_id", &new.entity_id)?,
            EntityNaming::EntityIdAndType => {
                map.serialize_entry("entity_id", &new.entity_id)?;
                map.serialize_entry("entity_type", new.kind.entity_type())?;
            }
        }
        activity(&mut map, new)?;
        // The seed's contact example puts `message` after the keys; its lead
        // example before them. Clients read JSON by name; mirror it anyway.
        if new.kind == EventKind::Lead {
            entry(&mut map, "message", new.message.as_ref())?;
        }
        map.serialize_entry("entityType", new.kind.table())?;
        map.serialize_entry("partitionKey", &event.partition_key())?;
        map.serialize_entry("sortKey", &new.customer_id)?;
        if new.kind == EventKind::Contact {
            entry(&mut map, "message", new.message.as_ref())?;
        }
        timestamps(&mut map, event)?;
        map.end()
    }
}

impl Created<'_> {
    /// The 201 body as its `Serialize` writes it (a test holds the two
    /// equal), member by member into `out`: names need no escaping, and
    /// the partition key and times are written in place.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let event = self.0;
        let new = &event.new;
        let mut o = Object::new(out);
        o.text("customer_id", &new.customer_id);
        match new.naming {
            EntityNaming::TypedId => o.text(new.kind.id_field(), &new.entity_id),
            EntityNaming::EntityId => o.text("entity_id", &new.entity_id),
            EntityNaming::EntityIdAndType => {
                o.text("entity_id", &new.entity_id);
                o.text("entity_type", new.kind.entity_type());
            }
        }
        o.text("user_id", &new.user_id);
        o.text_if_some("tool_signature", new.tool_signature.as_deref());
        o.text("recording_id", &new.recording_id);
        o.text_if_some("event_type", new.event_type.as_deref());
        o.text_if_some("event_id", new.event_id.as_deref());
        if new.kind == EventKind::Lead {
            o.text_if_some("message", new.message.as_deref());
        }
        o.text("entityType", new.kind.table());
        // A fixed prefix and a uuid: nothing to escape.
        o.plain("partitionKey", &event.partition_key());
        o.text("sortKey", &new.customer_id);
        if new.kind == EventKind::Contact {
            o.text_if_some("message", new.message.as_deref());
        }
        o.millis("created_at", event.created_at);
        o.millis("updated_at", event.created_at);
        o.end();
    }
}

pub(crate) struct Record<'a>(&'a Event);

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let new = &event.new;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("customer_id", &new.customer_id)?;
        map.serialize_entry("entity_type", new.kind.entity_type())?;
        map.serialize_entry("entity_id", &new.entity_id)?;
        activity(&mut map, new)?;
        entry(&mut map, "message", new.message.as_ref())?;
        timestamps(&mut map, event)?;
        map.end()
    }
}

pub(crate) struct Stored<'a>(&'a Event);

impl Serialize for Stored<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.0;
        let new = &event.new;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("partitionKey", &event.partition_key())?;
        map.serialize_entry("entityType", new.kind.table())?;
        map.serialize_entry("naming", &new.naming)?;
        map.serialize_entry("customer_id", &new.customer_id)?;
        map.serialize_entry("entity_type", new.kind.entity_type())?;
        map.serialize_entry("entity_id", &new.entity_id)?;
        map.serialize_entry("user_id", &new.user_id)?;
        map.serialize_entry("recording_id", &new.recording_id)?;
        for (name, value) in [
            ("tool_signature", &new.tool_signature),
            ("event_type", &new.event_type),
            ("event_id", &new.event_id),
            ("message", &new.message),
            ("javascript_local_time", &new.javascript_local_time),
            ("apex_local_time", &new.apex_local_time),
            ("event_environment_path", &new.event_environment_path),
            ("name_parser_event_id", &new.name_parser_event_id),
            (
                "recommendation_model_event_id",
                &new.recommendation_model_event_id,
            ),
        ] {
            entry(&mut map, name, value.as_ref())?;
        }
        entry(&mut map, "version_info", new.version_info.as_ref())?;
        timestamps(&mut map, event)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(result: Result<NewEvent, Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    /// The hand writer answers what serde writes, for every route and way
    /// of naming the entity, optional members present and absent, texts
    /// that need escaping, and times chrono spells on its own.
    #[test]
    fn created_bodies_are_written_as_serde_writes_them() {
        let full = json!({
            "customer_id": "c\"1\\", "user_id": "u\n1", "recording_id": "r✓", "tool_signature": "</t>",
            "event_type": "view", "event_id": "e\u{1}", "message": "m \"q\"", "javascript_local_time": "t",
            "version_info": {"key": "value"}
        });
        let bare = json!({"customer_id": "c", "user_id": "u", "recording_id": "r"});
        let mut bodies = Vec::new();
        for base in [&full, &bare] {
            for (route, entity) in [
                (Route::Typed(EventKind::Lead), json!({"lead_id": "l\"1"})),
                (Route::Typed(EventKind::Contact), json!({"contact_id": "k1"})),
                (Route::Typed(EventKind::Lead), json!({"entity_id": "x1"})),
                (Route::AnalyticsEvents, json!({"entity_id": "x2", "entity_type": "contact"})),
                (Route::AnalyticsEvents, json!({"entity_id": "x3", "entity_type": "lead"})),
            ] {
                let mut body = base.clone();
                if let (Some(body), Some(entity)) = (body.as_object_mut(), entity.as_object()) {
                    body.extend(entity.clone());
                }
                bodies.push((route, body));
            }
        }
        let times = [0, 1_577_865_600_123, 253_402_300_799_999, 400_000_000_000_000, -1];
        let mut checked = 0;
        for (i, (route, body)) in bodies.into_iter().enumerate() {
            let new = NewEvent::from_json(route, body.clone()).unwrap_or_else(|e| panic!("{e:?}: {body}"));
            let event = Event {
                new,
                partition_uuid: Uuid::from_u128(0x1234_5678_9abc_11ef_8000_0000_0000_0000 + i as u128),
                created_at: DateTime::from_timestamp_millis(times[i % times.len()]).unwrap_or_default(),
                seq: i as u64,
            };
            let mut written = Vec::new();
            event.created().write(&mut written);
            assert_eq!(String::from_utf8(written).ok(), serde_json::to_string(&event.created()).ok(), "{body}");
            checked += 1;
        }
        assert_eq!(checked, 10);
    }

    #[test]
    fn every_missing_identifier_is_named() {
        let result = NewEvent::from_json(Route::Typed(EventKind::Lead), json!({}));
        assert_eq!(
            fields(result),
            ["customer_id", "user_id", "recording_id", "lead_id"]
        );
        let result = NewEvent::from_json(Route::AnalyticsEvents, json!({"entity_type": "deal"}));
        assert_eq!(
            fields(result),
            [
                "customer_id",
                "user_id",
                "recording_id",
                "entity_id",
                "entity_type"
            ]
        );
    }

    #[test]
    fn wrong_types_and_blanks_are_refused_by_name() {
        let body = json!({"customer_id": 7, "user_id": " ", "recording_id": "r", "contact_id": "c",
            "event_type": false, "version_info": "1.2"});
        let result = NewEvent::from_json(Route::Typed(EventKind::Contact), body);
        assert_eq!(
            fields(result),
            ["customer_id", "user_id", "event_type", "version_info"]
        );
    }

    #[test]
    fn browser_extension_events_name_the_entity_by_entity_id() {
        let body = json!({"customer_id": "c", "user_id": "u", "recording_id": "r",
            "entity_id": "e", "tool_signature": "browser_extension"});
        let event = NewEvent::from_json(Route::Typed(EventKind::Lead), body);
        let event = event.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(event.naming, EntityNaming::EntityId);
        assert_eq!(event.entity_id, "e");
        let both = json!({"customer_id": "c", "user_id": "u", "recording_id": "r",
            "entity_id": "e", "lead_id": "l"});
        assert_eq!(
            fields(NewEvent::from_json(Route::Typed(EventKind::Lead), both)),
            ["entity_id"]
        );
    }

    #[test]
    fn non_objects_are_refused_as_a_whole() {
        for body in [json!([]), json!("x"), json!(null), json!(3)] {
            assert_eq!(
                fields(NewEvent::from_json(Route::AnalyticsEvents, body)),
                ["body"]
            );
        }
    }

    #[test]
    fn version_info_keeps_every_member_in_key_order() {
        let body = json!({"customer_id": "c", "user_id": "u", "lead_id": "l", "recording_id": "r",
            "version_info": {"zeta": 1, "alpha": {"nested": [true, null]}}});
        let event =
            NewEvent::from_json(Route::Typed(EventKind::Lead), body).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            serde_json::to_string(&event.version_info).ok().as_deref(),
            Some(r#"{"alpha":{"nested":[true,null]},"zeta":1}"#)
        );
    }

    /// Bodies of string members read through `Posted` validate exactly as
    /// their JSON trees do: the same events and the same errors.
    #[test]
    fn posted_bodies_validate_as_their_trees_do() {
        let long = "a".repeat(MAX_FIELD_BYTES + 1);
        let big_info: Map<String, Value> = (0..300).map(|n| (format!("member-{n}"), json!("value"))).collect();
        let bodies = [
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "lead_id": "l", "message": "m",
                "version_info": {"z": 1, "a": [true]}}),
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "contact_id": "x", "entity_type": "contact"}),
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "entity_id": "e", "entity_type": "lead"}),
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "entity_id": "e", "entity_type": "deal"}),
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "entity_id": "e", "lead_id": "l"}),
            json!({"customer_id": "c", "user_id": " ", "lead_id": null, "entity_id": null, "message": long}),
            json!({"customer_id": "c", "user_id": "u", "recording_id": "r", "lead_id": "l", "version_info": big_info}),
            json!({}),
        ];
        let routes = [Route::AnalyticsEvents, Route::Typed(EventKind::Lead), Route::Typed(EventKind::Contact)];
        let mut outcomes = std::collections::BTreeSet::new();
        for body in bodies {
            for route in routes {
                let posted: Posted = serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}"));
                let typed = NewEvent::from_posted(route, posted);
                assert_eq!(typed, NewEvent::from_json(route, body.clone()), "{route:?} {body}");
                outcomes.insert(typed.is_ok());
            }
        }
        assert_eq!(outcomes.len(), 2, "both events and errors were compared");
    }
}
