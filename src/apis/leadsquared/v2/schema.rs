//! An account's lead schema as the v2 API sees it: the fields
//! `LeadsMetaData.Get` lists, which of them a write may set, and how a
//! written value is read (`[{"Attribute":…,"Value":…}]`).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::super::error::LsqError;
use super::super::model::{Field, Value, fields};
use crate::shared::json_writer::write_str;

/// A field's `DataType`, as LeadSquared names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum DataType {
    Text,
    Number,
    Email,
    Phone,
    Website,
    Date,
    Time,
    Select,
    Boolean,
    /// A user (`OwnerId`): LeadSquared's `Lookup` data type.
    Lookup,
}

impl DataType {
    fn name(self) -> &'static str {
        match self {
            DataType::Text => "Text",
            DataType::Number => "Number",
            DataType::Email => "Email",
            DataType::Phone => "Phone",
            DataType::Website => "Website",
            DataType::Date => "Date",
            DataType::Time => "Time",
            DataType::Select => "Select",
            DataType::Boolean => "Boolean",
            DataType::Lookup => "Lookup",
        }
    }

    /// The metadata's `RenderType` and its text.
    fn render(self) -> (u32, &'static str) {
        match self {
            DataType::Text => (0, "Textbox"),
            DataType::Number => (2, "Number"),
            DataType::Email => (9, "Email"),
            DataType::Phone => (10, "Phone"),
            DataType::Website => (11, "Website"),
            DataType::Date => (13, "Date"),
            DataType::Time => (21, "Time"),
            DataType::Select => (3, "Dropdown"),
            DataType::Boolean => (4, "Checkbox"),
            DataType::Lookup => (14, "Lookup"),
        }
    }
}

/// One field of the schema.
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) schema_name: String,
    pub(crate) display_name: String,
    pub(crate) data_type: DataType,
    /// Where the analytics engine keeps it; `None`: kept beside the lead.
    pub(crate) field: Option<Field>,
    /// A client may set it.
    pub(crate) writable: bool,
    pub(crate) options: &'static [&'static str],
    pub(crate) max_length: usize,
}

/// A custom field an account's fixtures add (`mx_…`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CustomField {
    pub(crate) schema_name: String,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
    pub(crate) data_type: DataType,
}

/// The stages an account starts with (LeadSquared's defaults, and the two
/// closing ones the generated leads use).
pub(crate) const STAGES: &[&str] = &["Prospect", "Opportunity", "Customer", "Not Interested", "Invalid"];

/// Text fields hold at most this many characters (LeadSquared's default
/// `MaxLength` for a text field is 200; notes take more).
const TEXT_LENGTH: usize = 200;
const NOTES_LENGTH: usize = 4_000;

/// The standard fields: schema name, display name, data type, where the
/// analytics engine keeps it, and whether a write may set it.
const STANDARD: &[(&str, &str, DataType, Option<Field>, bool)] = {
    use DataType::*;
    &[
        ("ProspectID", "Lead Id", Text, Some(fields::PROSPECT_ID), false),
        ("ProspectAutoId", "Lead Number", Number, Some(fields::PROSPECT_AUTO_ID), false),
        ("FirstName", "First Name", Text, Some(fields::FIRST_NAME), true),
        ("LastName", "Last Name", Text, Some(fields::LAST_NAME), true),
        ("EmailAddress", "Email", Email, Some(fields::EMAIL_ADDRESS), true),
        ("Phone", "Phone Number", Phone, Some(fields::PHONE), true),
        ("Mobile", "Mobile Number", Phone, Some(fields::MOBILE), true),
        ("Company", "Company", Text, Some(fields::COMPANY), true),
        ("JobTitle", "Job Title", Text, Some(fields::JOB_TITLE), true),
        ("City", "City", Text, Some(fields::CITY), true),
        ("State", "State", Text, Some(fields::STATE), true),
        ("Country", "Country", Text, Some(fields::COUNTRY), true),
        ("Source", "Lead Source", Text, Some(fields::SOURCE), true),
        ("SourceMedium", "Source Medium", Text, Some(fields::SOURCE_MEDIUM), true),
        ("SourceCampaign", "Source Campaign", Text, Some(fields::SOURCE_CAMPAIGN), true),
        ("SourceContent", "Source Content", Text, None, true),
        ("Origin", "Lead Origin", Text, Some(fields::ORIGIN), true),
        ("ProspectStage", "Lead Stage", Select, Some(fields::PROSPECT_STAGE), true),
        ("Score", "Lead Score", Number, Some(fields::SCORE), true),
        ("EngagementScore", "Engagement Score", Number, Some(fields::ENGAGEMENT_SCORE), true),
        ("Revenue", "Revenue", Number, Some(fields::REVENUE), true),
        ("TotalVisits", "Total Visits", Number, Some(fields::TOTAL_VISITS), false),
        ("DoNotEmail", "Do Not Email", Boolean, Some(fields::DO_NOT_EMAIL), true),
        ("DoNotCall", "Do Not Call", Boolean, Some(fields::DO_NOT_CALL), true),
        ("OwnerId", "Owner", Lookup, Some(fields::OWNER_ID), true),
        ("OwnerIdName", "Owner Name", Text, Some(fields::OWNER_ID_NAME), false),
        ("OwnerIdEmailAddress", "Owner Email", Email, Some(fields::OWNER_ID_EMAIL_ADDRESS), false),
        ("Notes", "Notes", Text, None, true),
        ("Website", "Website", Website, None, true),
        ("TimeZone", "Time Zone", Text, None, true),
        ("CreatedBy", "Created By", Lookup, Some(fields::CREATED_BY), false),
        ("CreatedByName", "Created By Name", Text, Some(fields::CREATED_BY_NAME), false),
        ("CreatedOn", "Created On", Date, Some(fields::CREATED_ON), false),
        ("ModifiedOn", "Modified On", Date, Some(fields::MODIFIED_ON), false),
        ("LastVisitDate", "Last Visit Date", Date, Some(fields::LAST_VISIT_DATE), false),
        ("mx_Sub_Source", "Sub Source", Text, Some(fields::MX_SUB_SOURCE), true),
        ("mx_Product_Interest", "Product Interest", Select, Some(fields::MX_PRODUCT_INTEREST), true),
        ("mx_Budget", "Budget", Number, Some(fields::MX_BUDGET), true),
    ]
};

/// An account's schema: the standard fields, then its custom ones.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub(crate) fields: Vec<FieldDef>,
    /// What a lookup prints of a lead, in name order (LeadSquared's).
    printed: Vec<PrintedMember>,
}

/// A member a lookup prints: its name, the name as a JSON key ready to
/// write (`"Name":`, escaped once, not for every lead), and its source.
#[derive(Debug, Clone)]
pub(crate) struct PrintedMember {
    pub(crate) name: String,
    pub(crate) json_key: String,
    pub(crate) from: Printed,
}

impl PrintedMember {
    fn new(name: String, from: Printed) -> Self {
        let mut key = Vec::with_capacity(name.len() + 3);
        write_str(&mut key, &name);
        key.push(b':');
        Self {
            json_key: String::from_utf8(key).unwrap_or_default(),
            name,
            from,
        }
    }
}

/// Where a printed member of a lead comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Printed {
    /// `fields[i]`.
    Field(usize),
    /// `LeadLastModifiedOn`: the lead's `ModifiedOn`.
    LastModified,
    /// The latest activity's id, name and date (`…_Max`).
    ActivityId,
    ActivityName,
    ActivityDate,
    Constant(&'static str),
}

impl Schema {
    pub(crate) fn new(custom: &[CustomField]) -> Self {
        let mut fields: Vec<FieldDef> = STANDARD
            .iter()
            .map(|&(schema, display, data_type, field, writable)| FieldDef {
                schema_name: schema.to_owned(),
                display_name: display.to_owned(),
                data_type,
                field,
                writable,
                options: match schema {
                    "ProspectStage" => STAGES,
                    "mx_Product_Interest" => &["Starter", "Professional", "Enterprise"],
                    _ => &[],
                },
                max_length: if schema == "Notes" { NOTES_LENGTH } else { TEXT_LENGTH },
            })
            .collect();
        fields.extend(custom.iter().map(|c| FieldDef {
            schema_name: c.schema_name.clone(),
            display_name: c.display_name.clone().unwrap_or_else(|| c.schema_name.trim_start_matches("mx_").replace('_', " ")),
            data_type: c.data_type,
            field: None,
            writable: true,
            options: &[],
            max_length: TEXT_LENGTH,
        }));
        // A later source of a name wins, as in a map written in this order.
        let mut printed: BTreeMap<String, Printed> =
            fields.iter().enumerate().map(|(i, def)| (def.schema_name.clone(), Printed::Field(i))).collect();
        for (name, member) in [
            ("LeadLastModifiedOn", Printed::LastModified),
            ("ProspectActivityId_Max", Printed::ActivityId),
            ("ProspectActivityName_Max", Printed::ActivityName),
            ("ProspectActivityDate_Max", Printed::ActivityDate),
            ("StatusCode", Printed::Constant("0")),
            ("StatusReason", Printed::Constant("0")),
            ("IsLead", Printed::Constant("1")),
            ("LeadType", Printed::Constant("OT_0")),
        ] {
            printed.insert(name.to_owned(), member);
        }
        Self {
            fields,
            printed: printed.into_iter().map(|(name, from)| PrintedMember::new(name, from)).collect(),
        }
    }

    /// The members a lookup prints, in name order; with `columns`, only
    /// those it names (each once).
    pub(crate) fn printed(&self, columns: Option<&[String]>) -> impl Iterator<Item = &PrintedMember> {
        let picked: Option<Vec<usize>> = columns.map(|columns| {
            let mut found: Vec<usize> = columns
                .iter()
                .filter_map(|c| self.printed.binary_search_by(|member| member.name.as_str().cmp(c)).ok())
                .collect();
            found.sort_unstable();
            found.dedup();
            found
        });
        // Every member when no columns are named: no list to make per lead.
        let all = picked.is_none().then_some(self.printed.iter()).into_iter().flatten();
        all.chain(picked.into_iter().flatten().map(|i| &self.printed[i]))
    }

    /// The field a schema name names (case-sensitive, as LeadSquared's are).
    pub(crate) fn get(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.schema_name == name)
    }

    /// `LeadsMetaData.Get`'s entry for a field.
    pub(crate) fn metadata(&self, def: &FieldDef, with_options: bool) -> Json {
        let (render, render_text) = def.data_type.render();
        let mut entry = json!({
            "SchemaName": def.schema_name,
            "DisplayName": def.display_name,
            "DataType": def.data_type.name(),
            "IsMandatory": false,
            "MaxLength": def.max_length.to_string(),
            "RenderType": render,
            "RenderTypeTextValue": render_text,
            "IsReadOnly": !def.writable,
            "IsSearchable": true,
            "IsLeadIdentifier": matches!(def.schema_name.as_str(), "EmailAddress" | "Phone" | "Mobile" | "ProspectID"),
            "IsUnique": matches!(def.schema_name.as_str(), "EmailAddress" | "Phone"),
        });
        if with_options && !def.options.is_empty() {
            entry["Options"] = Json::Array(def.options.iter().map(|o| json!({"Value": o, "Text": o})).collect());
        }
        entry
    }
}

/// The request date-time format (`yyyy-MM-dd HH:mm:ss`, UTC), or a date alone.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A number's digits, for matching phones written with `+`, spaces or
/// hyphens (`+1-415-555-0101` and `14155550101` are one number).
pub(crate) fn phone_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Lower-case, trimmed: emails match without regard to case (leadsim's
/// choice; no source states LeadSquared's).
pub(crate) fn email_key(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A written value, checked against its field's type: what is kept, as
/// the analytics engine's value and as text.
pub(crate) fn read_value(def: &FieldDef, raw: &Json) -> Result<Value, LsqError> {
    let text = match raw {
        Json::Null => return Ok(Value::Null),
        Json::String(s) => s.trim().to_owned(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        _ => return Err(bad_value(def, &raw.to_string(), "is not a text, number or boolean value")),
    };
    if text.is_empty() {
        return Ok(Value::Null);
    }
    if text.chars().count() > def.max_length {
        return Err(bad_value(def, &text, &format!("is longer than {} characters", def.max_length)));
    }
    let value = match def.data_type {
        DataType::Number => {
            let number: f64 = text.parse().map_err(|_| bad_value(def, &text, "is not a number"))?;
            if !number.is_finite() || number.abs() > 1e15 {
                return Err(bad_value(def, &text, "is not a number"));
            }
            // The engine keeps whole numbers; a fraction is rounded.
            Value::Number(number.round() as i64)
        }
        DataType::Email => {
            let (local, domain) = text.split_once('@').unwrap_or(("", ""));
            let valid = !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(char::is_whitespace)
                && text.matches('@').count() == 1;
            if !valid {
                return Err(bad_value(def, &text, "is not a valid email address"));
            }
            Value::text(text)
        }
        DataType::Phone => {
            let digits = phone_digits(&text);
            let allowed = text.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
            if !allowed || !(4..=20).contains(&digits.len()) {
                return Err(bad_value(def, &text, "is not a valid phone number"));
            }
            Value::text(text)
        }
        DataType::Boolean => match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Value::text("1"),
            "0" | "false" | "no" => Value::text("0"),
            _ => return Err(bad_value(def, &text, "is not a boolean (0 or 1)")),
        },
        DataType::Date | DataType::Time => {
            let at = parse_date(&text)
                .ok_or_else(|| bad_value(def, &text, "is not a date as yyyy-MM-dd HH:mm:ss"))?;
            if def.field.is_some() {
                Value::DateTime(at)
            } else {
                Value::text(at.format("%Y-%m-%d %H:%M:%S").to_string())
            }
        }
        DataType::Select if !def.options.is_empty() && def.schema_name != "ProspectStage" => {
            if !def.options.contains(&text.as_str()) {
                return Err(bad_value(
                    def,
                    &text,
                    &format!("is not one of its options ({})", def.options.join(", ")),
                ));
            }
            Value::text(text)
        }
        _ => Value::text(text),
    };
    Ok(value)
}

fn bad_value(def: &FieldDef, given: &str, reason: &str) -> LsqError {
    let shown: String = given.chars().take(100).collect();
    LsqError::invalid_input(&def.schema_name, format!("'{shown}' {reason}."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_prints_every_member_once_in_name_order_and_columns_pick_from_them() {
        let schema = Schema::new(&[]);
        let names = |printed: &mut dyn Iterator<Item = &PrintedMember>| printed.map(|m| m.name.clone()).collect::<Vec<_>>();
        let all = names(&mut schema.printed(None));
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(all, sorted, "name order, each once");
        assert_eq!(all.len(), schema.fields.len() + 8);
        let wanted: Vec<String> = ["ProspectID", "Nope", "FirstName", "IsLead", "FirstName", "ProspectActivityId_Max"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            names(&mut schema.printed(Some(&wanted))),
            ["FirstName", "IsLead", "ProspectActivityId_Max", "ProspectID"]
        );
        assert_eq!(schema.printed(Some(&[])).count(), 0);
    }

    #[test]
    fn every_standard_field_in_the_engine_is_one_of_its_fields() {
        let schema = Schema::new(&[]);
        for def in &schema.fields {
            if let Some(field) = def.field {
                assert_eq!(field.name(), def.schema_name);
            }
        }
        assert!(schema.get("emailaddress").is_none(), "names are case-sensitive");
    }

    #[test]
    fn values_are_checked_by_type() {
        let schema = Schema::new(&[CustomField {
            schema_name: "mx_Joined".into(),
            display_name: None,
            data_type: DataType::Date,
        }]);
        let read = |name: &str, v: Json| read_value(schema.get(name).unwrap_or_else(|| panic!("{name}")), &v);
        assert_eq!(read("Score", json!("12.6")).ok(), Some(Value::Number(13)));
        assert!(read("Score", json!("twelve")).is_err());
        assert!(read("EmailAddress", json!("a@b")).is_err());
        assert!(read("EmailAddress", json!("a@b.co")).is_ok());
        assert!(read("Phone", json!("+91-98765 43210")).is_ok());
        assert!(read("Phone", json!("call me")).is_err());
        assert_eq!(read("DoNotEmail", json!(true)).ok(), Some(Value::text("1")));
        assert_eq!(read("mx_Joined", json!("2024-02-03")).ok(), Some(Value::text("2024-02-03 00:00:00")));
        assert!(read("mx_Joined", json!("03/02/2024")).is_err());
        assert!(read("mx_Product_Interest", json!("Gold")).is_err());
        assert_eq!(read("FirstName", json!("")).ok(), Some(Value::Null));
        assert!(read("FirstName", json!({"a": 1})).is_err());
    }
}
