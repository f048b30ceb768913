//! The financial institutions accounts can live at: Finicity's FinBank test
//! institutions, which testing customers connect to, and a fixed directory
//! of live-looking institutions that `GET /institution/v2/institutions`
//! searches and pages like the vendor's (testing customers cannot connect
//! to those, as on the vendor's sandbox).

use std::sync::LazyLock;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::Finicity;
use super::auth::Partner;
use super::error::ApiError;
use crate::shared::request::{query_pairs, query_value};

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Institution {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    /// `#RRGGBB`, exactly 7 characters as the spec requires.
    pub(crate) primary_color: &'static str,
    /// A FinBank: the only institutions testing customers may connect to.
    pub(crate) test: bool,
    /// Signs in through the bank's own page (OAuth) rather than a form.
    pub(crate) oauth: bool,
    pub(crate) city: &'static str,
    pub(crate) state: &'static str,
}

impl Institution {
    pub(crate) fn icon_url(&self) -> String {
        format!(
            "https://prod-carpintero-branding.s3.us-west-2.amazonaws.com/{}/icon.svg",
            self.id
        )
    }

    /// A FinBank testing customers may link (not the billable one, as the
    /// vendor's spec says, nor the OAuth one, which needs a registered app).
    pub(crate) fn connectable_by_testing_customers(&self) -> bool {
        self.test && !self.oauth && self.id != FINBANK_BILLABLE
    }
}

pub(crate) const FINBANK: u64 = 101_732;
pub(crate) const FINBANK_PROFILES_A: u64 = 102_105;
pub(crate) const FINBANK_PROFILES_B: u64 = 102_106;
pub(crate) const FINBANK_BILLABLE: u64 = 102_107;
pub(crate) const FINBANK_OAUTH: u64 = 102_224;

/// Live-looking institutions in the directory, after the FinBanks.
const DIRECTORY_SIZE: usize = PLACES.len() * FORMS.len();

const FINBANKS: [(u64, &str, &str, bool); 5] = [
    (FINBANK, "FinBank", "#1B3E4A", false),
    (FINBANK_PROFILES_A, "FinBank Profiles - A", "#0A6E4F", false),
    (FINBANK_PROFILES_B, "FinBank Profiles - B", "#5B2C83", false),
    (FINBANK_BILLABLE, "FinBank Billable", "#7A5C00", false),
    (FINBANK_OAUTH, "FinBank Oauth", "#C0392B", true),
];

const PLACES: [(&str, &str); 24] = [
    ("Springfield", "IL"),
    ("Riverside", "CA"),
    ("Franklin", "TN"),
    ("Greenville", "SC"),
    ("Bristol", "CT"),
    ("Clinton", "IA"),
    ("Fairview", "OR"),
    ("Salem", "MA"),
    ("Madison", "WI"),
    ("Georgetown", "TX"),
    ("Arlington", "VA"),
    ("Ashland", "KY"),
    ("Dover", "DE"),
    ("Milford", "NH"),
    ("Oxford", "MS"),
    ("Jackson", "WY"),
    ("Burlington", "VT"),
    ("Manchester", "NH"),
    ("Lexington", "NE"),
    ("Auburn", "AL"),
    ("Marion", "OH"),
    ("Newport", "RI"),
    ("Hudson", "NY"),
    ("Lakewood", "CO"),
];

const FORMS: [&str; 8] = [
    "First National Bank of {}",
    "{} Savings Bank",
    "{} Community Credit Union",
    "{} Federal Credit Union",
    "Bank of {}",
    "{} Trust Company",
    "Citizens Bank of {}",
    "{} Valley Bank",
];

static DIRECTORY: LazyLock<Vec<Institution>> = LazyLock::new(|| {
    let mut all: Vec<Institution> = FINBANKS
        .iter()
        .map(|&(id, name, color, oauth)| Institution {
            id,
            name,
            primary_color: color,
            test: true,
            oauth,
            city: "Salt Lake City",
            state: "UT",
        })
        .collect();
    // The same directory for every seed: institutions are the vendor's, not
    // the scenario's. Names are built once and live as long as the process.
    let mut rng = ChaCha8Rng::seed_from_u64(0x0F1C_1717);
    let mut id = 1_000;
    for n in 0..DIRECTORY_SIZE {
        let (city, state) = PLACES[n % PLACES.len()];
        let form = FORMS[(n / PLACES.len()) % FORMS.len()];
        id += rng.random_range(7..400);
        let color = format!("#{:06X}", rng.random_range(0..0x100_0000_u32));
        all.push(Institution {
            id,
            name: form.replace("{}", city).leak(),
            primary_color: color.leak(),
            test: false,
            oauth: rng.random_bool(0.3),
            city,
            state,
        });
    }
    all
});

pub(crate) fn find(id: u64) -> Option<&'static Institution> {
    DIRECTORY.iter().find(|i| i.id == id)
}

/// Every institution, FinBanks first.
#[cfg(test)]
pub(crate) fn all() -> &'static [Institution] {
    &DIRECTORY
}

/// The ids of the test institutions, for error messages.
pub(crate) fn ids() -> String {
    FINBANKS
        .iter()
        .map(|(id, ..)| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The institutions whose name contains every word of `query` (case
/// ignored), in directory order; all of them for an empty query or `*`.
pub(crate) fn search(query: &str) -> impl Iterator<Item = &'static Institution> + '_ {
    let words: Vec<String> = query
        .split_whitespace()
        .filter(|w| *w != "*")
        .map(str::to_lowercase)
        .collect();
    DIRECTORY.iter().filter(move |i| {
        let name = i.name.to_lowercase();
        words.iter().all(|w| name.contains(w.as_str()))
    })
}

/// `Institution` as the API renders it.
fn body(i: &Institution, now: i64) -> Value {
    let slug: String = i
        .name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    json!({
        "id": i.id,
        "name": i.name,
        "transAgg": true,
        "ach": true,
        "stateAgg": !i.test,
        "voi": true,
        "voa": true,
        "aha": !i.test,
        "availBalance": true,
        "accountOwner": true,
        "displayName": i.name,
        "accountTypeDescription": "Banking",
        "urlHomeApp": format!("https://www.{slug}.example"),
        "urlLogonApp": format!("https://online.{slug}.example/login"),
        "oauthEnabled": i.oauth,
        "class": "banking",
        "timeZone": "America/Denver",
        "address": {"city": i.city, "state": i.state, "country": "USA", "postalCode": "84101", "addressLine1": "1 Main Street"},
        "currency": "USD",
        "status": if i.test { "testing" } else { "online" },
        "branding": {"logo": i.icon_url(), "icon": i.icon_url(), "primaryColor": i.primary_color},
        "createdDate": now,
    })
}

fn invalid_parameter(name: &str) -> ApiError {
    ApiError::bad(10100, format!("Invalid parameter ({name})"))
}

/// `GET /institution/v2/institutions`: `search` (every word, case
/// ignored), `start` (the page, from 1), `limit` (1 to 1000, 25), `type`
/// (a product the institution supports) and `supportedCountries`.
pub(crate) async fn list(
    State(state): State<Finicity>,
    Partner(..): Partner<ApiError>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let get = |name: &str| query_value(&pairs, name).filter(|v| !v.is_empty());
    let number = |name: &str, default: usize, max: usize| -> Result<usize, ApiError> {
        match get(name) {
            None => Ok(default),
            Some(t) => t.parse().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| invalid_parameter(name)),
        }
    };
    let start = number("start", 1, i32::MAX as usize)?;
    let limit = number("limit", 25, 1_000)?;
    let product = match get("type") {
        None => None,
        Some(t @ ("transAgg" | "ach" | "stateAgg" | "voi" | "voa" | "aha" | "availBalance" | "accountOwner")) => Some(t),
        Some(_) => return Err(invalid_parameter("type")),
    };
    let countries_ok = match get("supportedCountries") {
        None | Some("*") => true,
        Some(list) => list.split(',').any(|c| c.trim().eq_ignore_ascii_case("us")),
    };
    let now = state.clock.now().timestamp();
    let matching: Vec<Value> = search(get("search").unwrap_or_default())
        .filter(|_| countries_ok)
        .map(|i| body(i, now))
        .filter(|b| product.is_none_or(|p| b[p] == Value::Bool(true)))
        .collect();
    let found = matching.len();
    let skip = (start - 1).saturating_mul(limit);
    let shown: Vec<Value> = matching.into_iter().skip(skip).take(limit).collect();
    Ok(Json(json!({
        "found": found,
        "displaying": shown.len(),
        "moreAvailable": skip + shown.len() < found,
        "createdDate": now,
        "institutions": shown,
    }))
    .into_response())
}

/// `GET /institution/v2/institutions/{institutionId}`.
pub(crate) async fn one(
    State(state): State<Finicity>,
    Partner(..): Partner<ApiError>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id.map(|Path(id)| id).unwrap_or_default();
    let institution = id
        .parse::<u64>()
        .ok()
        .and_then(find)
        .ok_or_else(|| ApiError::not_found(14006, format!("Institution not found. (institutionId = {id})")))?;
    Ok(Json(json!({"institution": body(institution, state.clock.now().timestamp())})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_has_unique_ids_and_finds_the_finbanks_first() {
        let mut ids: Vec<u64> = all().iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all().len());
        let finbanks: Vec<&str> = search("finbank").map(|i| i.name).collect();
        assert_eq!(
            finbanks,
            ["FinBank", "FinBank Profiles - A", "FinBank Profiles - B", "FinBank Billable", "FinBank Oauth"]
        );
        assert_eq!(search("springfield savings").count(), 1);
        assert!(find(FINBANK_PROFILES_A).is_some_and(Institution::connectable_by_testing_customers));
        assert!(!find(FINBANK_BILLABLE).is_some_and(Institution::connectable_by_testing_customers));
        assert!(all().iter().all(|i| i.primary_color.len() == 7));
    }
}
