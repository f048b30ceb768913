//! `LeadCreateData` as 1.106.0 defines it: checked member by member against
//! the spec's types, enums and patterns, every invalid one named in the
//! vendor's words (`Invalid fields present: 123 is not a valid ssn`), and
//! read into what underwriting needs.

use chrono::NaiveDate;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::super::error::{ApiError, shorten};
use super::super::models::ProductType;

/// Credit as the lead states it, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CreditBand {
    Excellent,
    Good,
    Fair,
    Poor,
    Limited,
}

impl CreditBand {
    fn of_rating(rating: &str) -> Option<Self> {
        Some(match rating {
            "excellent" => Self::Excellent,
            "good" => Self::Good,
            "fair" => Self::Fair,
            "poor" => Self::Poor,
            "limited" | "unknown" => Self::Limited,
            _ => return None,
        })
    }

    /// A FICO-like score: what `providedNumericCreditScore` says, banded.
    fn of_score(score: i64) -> Self {
        match score {
            760.. => Self::Excellent,
            700..=759 => Self::Good,
            640..=699 => Self::Fair,
            580..=639 => Self::Poor,
            _ => Self::Limited,
        }
    }

    /// 0.0 for the best band, 1.0 for the worst: where in a lender's APR range.
    pub(crate) fn position(self) -> f64 {
        f64::from(self as u8) / 4.0
    }
}

/// What a scripted lead's email asks for (`+decline`, `+fund`, `+slow`,
/// `+nofund` in its local part): the path a test wants, forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Script {
    #[default]
    None,
    /// Every lender declines.
    Decline,
    /// Every lender answers late (on the virtual clock).
    Slow,
    /// A clicked offer's lender funds (or opens) three days after the click.
    Fund,
    /// A clicked offer goes no further.
    NoFund,
}

impl Script {
    /// Its name in admin listings (the email word that selects it).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Decline => "decline",
            Self::Slow => "slow",
            Self::Fund => "fund",
            Self::NoFund => "nofund",
        }
    }
}

/// What underwriting reads from a lead.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LeadInput {
    pub(crate) products: Vec<ProductType>,
    pub(crate) loan_amount: Option<i64>,
    pub(crate) loan_purpose: Option<String>,
    pub(crate) band: CreditBand,
    pub(crate) annual_income: Option<i64>,
    pub(crate) state: Option<String>,
    pub(crate) card_purposes: Vec<String>,
    pub(crate) allow_annual_fee: bool,
    pub(crate) min_deposit: Option<i64>,
    pub(crate) script: Script,
}

/// A checked lead: its sections as sent (for `GET /leads/{uuid}`) and what
/// underwriting reads.
#[derive(Debug, Clone)]
pub(crate) struct CheckedLead {
    pub(crate) uuid: Option<Uuid>,
    /// Links the lead to the UI's session inits.
    pub(crate) session_uuid: Option<Uuid>,
    /// The sections as compact JSON text: a stored lead keeps a few hundred
    /// bytes rather than a tree of maps (the store holds many).
    pub(crate) sections: Sections,
    pub(crate) client_tags: Vec<(String, String)>,
    pub(crate) input: LeadInput,
}

/// A lead's sections (`personalInformation`, …) as compact JSON text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Sections(Box<str>);

impl Sections {
    pub(crate) fn new(map: &Map<String, Value>) -> Self {
        // A map of JSON values: serializing it cannot fail.
        Self(serde_json::to_string(map).unwrap_or_default().into_boxed_str())
    }

    /// Sections already written as compact JSON, as [`Sections::new`]
    /// writes them (keys in order, serde_json's escaping).
    pub(super) fn from_json_text(text: String) -> Self {
        Self(text.into_boxed_str())
    }

    /// Bytes of the compact JSON kept.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The sections as a map again (what was stored is an object).
    pub(crate) fn map(&self) -> Map<String, Value> {
        match serde_json::from_str(&self.0) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// Members of a section and what each must be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Text,
    Email,
    Phone,
    Zip,
    Date,
    Ssn,
    Int { min: i64 },
    Bool,
    OneOf(&'static [&'static str]),
    ListOf(&'static [&'static str]),
}

pub(super) const PRODUCT_TYPES: &[&str] = &[
    "credit_card", "generic", "auto_insurance", "insurance", "life_insurance", "loan", "mortgage", "savings", "other",
    "unknown",
];
pub(crate) const STATES: &[&str] = &[
    "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA",
    "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR",
    "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
];
pub(crate) const LOAN_PURPOSES: &[&str] = &[
    "auto", "auto_purchase", "auto_refinance", "baby", "boat", "business", "car_repair", "cosmetic",
    "credit_card_refi", "debt_consolidation", "emergency", "engagement", "green", "home_improvement", "home_purchase",
    "home_refi", "household_expenses", "large_purchases", "life_event", "medical_dental", "motorcycle",
    "moving_relocation", "other", "rv", "special_occasion", "student_loan", "student_loan_refi", "taxes", "vacation",
    "wedding",
];
pub(crate) const CREDIT_RATINGS: &[&str] = &["excellent", "good", "fair", "poor", "limited", "unknown"];
pub(crate) const CARD_PURPOSES: &[&str] = &[
    "balance_transfer", "cash_back", "earning_rewards", "improve_credit", "low_interest", "new_to_credit", "student",
    "travel_incentives",
];
const EMPLOYMENT_STATUSES: &[&str] = &[
    "employed", "employed_full_time", "employed_part_time", "military", "not_employed", "self_employed", "retired",
    "other",
];
const PAY_FREQUENCIES: &[&str] = &["weekly", "biweekly", "twice_monthly", "monthly"];

const PERSONAL: &[(&str, Kind)] = &[
    ("firstName", Kind::Text),
    ("lastName", Kind::Text),
    ("email", Kind::Email),
    ("city", Kind::Text),
    ("state", Kind::OneOf(STATES)),
    ("workPhone", Kind::Phone),
    ("primaryPhone", Kind::Phone),
    ("bestTimeToCall", Kind::OneOf(&["morning", "afternoon", "evening", "night"])),
    ("address1", Kind::Text),
    ("address2", Kind::Text),
    ("addressMoveInDate", Kind::Date),
    ("zipcode", Kind::Zip),
    ("monthsAtAddress", Kind::Int { min: 0 }),
    ("driversLicenseNumber", Kind::Text),
    ("driversLicenseState", Kind::Text),
    ("ipAddress", Kind::Text),
    ("activeMilitary", Kind::Bool),
    ("militaryVeteran", Kind::Bool),
    ("dateOfBirth", Kind::Date),
    ("ssn", Kind::Ssn),
    ("citizenshipStatus", Kind::OneOf(&["citizen", "permanent_resident", "other"])),
];
const LOAN: &[(&str, Kind)] = &[("purpose", Kind::OneOf(LOAN_PURPOSES)), ("loanAmount", Kind::Int { min: 0 })];
const CREDIT: &[(&str, Kind)] = &[
    ("providedCreditRating", Kind::OneOf(CREDIT_RATINGS)),
    ("providedNumericCreditScore", Kind::Int { min: 300 }),
];
const FINANCIAL: &[(&str, Kind)] = &[
    ("employmentStatus", Kind::OneOf(EMPLOYMENT_STATUSES)),
    ("employmentPayFrequency", Kind::OneOf(PAY_FREQUENCIES)),
    ("annualIncome", Kind::Int { min: 0 }),
    ("monthlyNetIncome", Kind::Int { min: 0 }),
    ("bankName", Kind::Text),
    ("bankRoutingNumber", Kind::Text),
    ("bankAccountType", Kind::OneOf(&["checking", "savings", "other"])),
    ("creditCardDebt", Kind::Int { min: 0 }),
    ("monthsAtBank", Kind::Int { min: 0 }),
    ("bankAccountNumber", Kind::Text),
    ("monthlyDebt", Kind::Int { min: 0 }),
    ("totalAssets", Kind::Int { min: 0 }),
    ("monthlyHousingPayment", Kind::Int { min: 0 }),
    ("availableAssets", Kind::Int { min: 0 }),
    ("additionalIncome", Kind::Int { min: 0 }),
    ("additionalIncomeFrequency", Kind::OneOf(PAY_FREQUENCIES)),
    ("hasDirectDeposit", Kind::Bool),
    ("totalUnsecuredDebt", Kind::Int { min: 0 }),
];
const CARD: &[(&str, Kind)] = &[("allowAnnualFee", Kind::Bool), ("cardPurposes", Kind::ListOf(CARD_PURPOSES))];
const SAVINGS: &[(&str, Kind)] = &[
    ("minDepositAmount", Kind::Int { min: 0 }),
    ("maxDepositAmount", Kind::Int { min: 0 }),
];
const SESSION: &[(&str, Kind)] = &[("ipAddress", Kind::Text), ("userAgent", Kind::Text), ("browserFingerprint", Kind::Text)];
const EMPLOYMENT: &[(&str, Kind)] = &[
    ("employerName", Kind::Text),
    ("jobTitle", Kind::Text),
    ("monthsEmployed", Kind::Int { min: 0 }),
    ("directDeposit", Kind::Bool),
    ("payDate1", Kind::Date),
    ("payDate2", Kind::Date),
    ("startDate", Kind::Date),
];
const LEGAL: &[(&str, Kind)] = &[
    ("consentsToFcra", Kind::Bool),
    ("consentsToTcpa", Kind::Bool),
    ("consentsToSms", Kind::Bool),
    ("fcraLanguage", Kind::Text),
    ("tcpaLanguage", Kind::Text),
];
const CO_APPLICANT: &[(&str, Kind)] = &[
    ("firstName", Kind::Text),
    ("lastName", Kind::Text),
    ("dateOfBirth", Kind::Date),
    ("annualIncome", Kind::Int { min: 0 }),
    ("state", Kind::OneOf(STATES)),
    ("zipcode", Kind::Zip),
];

/// Sections checked member by member; other object sections are kept as sent.
pub(super) const SECTIONS: &[(&str, &[(&str, Kind)])] = &[
    ("personalInformation", PERSONAL),
    ("loanInformation", LOAN),
    ("creditInformation", CREDIT),
    ("financialInformation", FINANCIAL),
    ("creditCardInformation", CARD),
    ("savingsInformation", SAVINGS),
    ("sessionInformation", SESSION),
    ("employmentInformation", EMPLOYMENT),
    ("legalInformation", LEGAL),
    ("coApplicantInformation", CO_APPLICANT),
];
pub(super) const OTHER_SECTIONS: &[&str] = &[
    "personalReferenceInformation",
    "mortgageInformation",
    "educationInformation",
    "healthInformation",
    "autoInsuranceInformation",
    "identificationInformation",
    "lifeInsuranceInformation",
];
pub(super) const UUIDS: &[&str] = &["uuid", "sessionUuid", "deviceId", "referralCompanyUuid", "trackingUuid"];
/// The spec sets no length on a lead's text; the vendor's store does have
/// one, and leadsim's memory needs one. Past these a member is refused
/// like any invalid one (400, `Invalid fields present`), so a stored lead
/// stays small whatever a client sends.
pub(crate) const MAX_TEXT_CHARS: usize = 1_024;
/// Consent language (`fcraLanguage`, `tcpaLanguage`) is quoted whole.
pub(crate) const MAX_LANGUAGE_CHARS: usize = 16_384;
/// `refinanceLoans` entries.
pub(crate) const MAX_REFINANCE_LOANS: usize = 20;
/// A lead's sections together, as compact JSON (sections leadsim keeps
/// as sent, such as `mortgageInformation`, count here).
pub(crate) const MAX_SECTIONS_BYTES: usize = 64 << 10;
/// Client tags a lead may carry (keys, and values per key), and their length.
pub(super) const MAX_TAG_KEYS: usize = 20;
pub(super) const MAX_TAG_VALUES: usize = 20;
const MAX_TAG_CHARS: usize = 255;

/// The vendor's message for an invalid member: the value as JSON text (a
/// string bare), and the member's own name.
pub(crate) fn invalid(path: &str, value: &Value) -> ApiError {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let field = path.rsplit('.').next().unwrap_or(path);
    ApiError {
        attribute: Some(path.to_owned()),
        kind: Some("invalid".into()),
        details: Default::default(),
        message: format!("Invalid fields present: {} is not a valid {field}", shorten(&shown)),
    }
}

/// Checks a `LeadCreateData` body (already parsed as JSON). `required`
/// names what this operation needs (`productTypes` on submission).
pub(crate) fn check(body: Value, require_products: bool) -> Result<CheckedLead, Vec<ApiError>> {
    // The body is the caller's to give up: sections move into what is kept.
    let Value::Object(mut fields) = body else {
        return Err(vec![invalid("body", &body)]);
    };
    let mut errors = Vec::new();
    let mut sections = Map::new();
    for (name, members) in SECTIONS {
        match fields.remove(*name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(section)) => {
                for (member, kind) in *members {
                    if let Some(value) = section.get(*member).filter(|v| !v.is_null()) {
                        let path = Path { section: Some(name), member };
                        check_value(path, value, *kind, &mut errors);
                    }
                }
                sections.insert((*name).to_owned(), Value::Object(section));
            }
            Some(other) => errors.push(invalid(name, &other)),
        }
    }
    for name in OTHER_SECTIONS {
        match fields.remove(*name) {
            None | Some(Value::Null) => {}
            Some(Value::Object(section)) => {
                sections.insert((*name).to_owned(), Value::Object(section));
            }
            Some(other) => errors.push(invalid(name, &other)),
        }
    }
    match fields.get("refinanceLoans") {
        None | Some(Value::Null) => {}
        Some(Value::Array(loans)) if loans.len() > MAX_REFINANCE_LOANS => {
            errors.push(too_long("refinanceLoans", format!("more than {MAX_REFINANCE_LOANS} entries")));
        }
        Some(Value::Array(loans)) if loans.iter().all(Value::is_object) => {
            sections.insert("refinanceLoans".into(), Value::Array(loans.clone()));
        }
        Some(other) => errors.push(invalid("refinanceLoans", other)),
    }
    let mut uuids = [None; 5];
    for (slot, name) in uuids.iter_mut().zip(UUIDS) {
        if let Some(value) = fields.get(*name).filter(|v| !v.is_null()) {
            *slot = parse_uuid(value);
            if slot.is_none() {
                errors.push(invalid(name, value));
            } else if *name != "uuid" {
                sections.insert((*name).to_owned(), value.clone());
            }
        }
    }
    for name in ["partnerUserId"] {
        match fields.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => {
                sections.insert(name.to_owned(), Value::String(s.clone()));
            }
            Some(other) => errors.push(invalid(name, other)),
        }
    }
    let products = match fields.get("productTypes") {
        None | Some(Value::Null) if require_products => {
            errors.push(ApiError::missing("productTypes"));
            Vec::new()
        }
        None | Some(Value::Null) => Vec::new(),
        Some(value) => {
            let path = Path { section: None, member: "productTypes" };
            check_value(path, value, Kind::ListOf(PRODUCT_TYPES), &mut errors);
            let products: Vec<ProductType> = value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().and_then(ProductType::parse))
                .collect();
            if require_products && products.is_empty() && value.as_array().is_some_and(Vec::is_empty) {
                errors.push(invalid("productTypes", value));
            }
            products
        }
    };
    let client_tags = client_tags(fields.get("clientTags"), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let kept = Sections::new(&sections);
    if kept.len() > MAX_SECTIONS_BYTES {
        return Err(vec![too_long(
            "body",
            format!("{} bytes of lead information, over the limit of {MAX_SECTIONS_BYTES}", kept.len()),
        )]);
    }
    let input = read_input(&sections, products);
    Ok(CheckedLead {
        uuid: uuids[0],
        session_uuid: uuids[1],
        sections: kept,
        client_tags,
        input,
    })
}

fn client_tags(value: Option<&Value>, errors: &mut Vec<ApiError>) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return tags;
    };
    let Value::Object(keys) = value else {
        errors.push(invalid("clientTags", value));
        return tags;
    };
    if keys.len() > MAX_TAG_KEYS {
        errors.push(invalid("clientTags", &Value::String(format!("{} keys", keys.len()))));
        return tags;
    }
    for (key, values) in keys {
        let list = values
            .as_array()
            .filter(|l| l.len() <= MAX_TAG_VALUES && l.iter().all(|v| v.as_str().is_some_and(tag_fits)));
        match list {
            Some(list) if tag_key_fits(key) => push_tags(&mut tags, key, list.iter().filter_map(Value::as_str)),
            _ => errors.push(invalid(&format!("clientTags.{key}"), values)),
        }
    }
    tags
}

/// Whether a client tag's value is one leadsim keeps.
pub(super) fn tag_fits(value: &str) -> bool {
    value.chars().count() <= MAX_TAG_CHARS
}

/// Whether a client tag's key is one leadsim keeps.
pub(super) fn tag_key_fits(key: &str) -> bool {
    !key.is_empty() && tag_fits(key)
}

/// Keeps a key's values sorted, repeats dropped, each paired with its key.
pub(super) fn push_tags<'a>(tags: &mut Vec<(String, String)>, key: &str, values: impl Iterator<Item = &'a str>) {
    let mut values: Vec<&str> = values.collect();
    values.sort_unstable();
    values.dedup();
    tags.extend(values.into_iter().map(|v| (key.to_owned(), v.to_owned())));
}

/// A checked lead's members, as underwriting looks them up: in a JSON
/// tree, or in a lead read without one ([`super::plain_lead`]).
pub(crate) trait Members {
    fn text(&self, section: &str, member: &str) -> Option<&str>;
    fn int(&self, section: &str, member: &str) -> Option<i64>;
    fn flag(&self, section: &str, member: &str) -> Option<bool>;
    /// The strings of a list member.
    fn texts(&self, section: &str, member: &str) -> Option<Vec<String>>;
}

impl Members for Map<String, Value> {
    fn text(&self, section: &str, member: &str) -> Option<&str> {
        self.get(section)?.get(member)?.as_str()
    }

    fn int(&self, section: &str, member: &str) -> Option<i64> {
        self.get(section)?.get(member)?.as_i64()
    }

    fn flag(&self, section: &str, member: &str) -> Option<bool> {
        self.get(section)?.get(member)?.as_bool()
    }

    fn texts(&self, section: &str, member: &str) -> Option<Vec<String>> {
        let items = self.get(section)?.get(member)?.as_array()?;
        Some(items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    }
}

/// What underwriting reads from a lead's sections.
pub(crate) fn read_input(sections: &impl Members, products: Vec<ProductType>) -> LeadInput {
    let band = sections
        .text("creditInformation", "providedCreditRating")
        .and_then(CreditBand::of_rating)
        .or_else(|| sections.int("creditInformation", "providedNumericCreditScore").map(CreditBand::of_score))
        .unwrap_or(CreditBand::Limited);
    let script = sections.text("personalInformation", "email").map_or(Script::None, script_of);
    let text = |section: &str, member: &str| sections.text(section, member).map(str::to_owned);
    LeadInput {
        products,
        loan_amount: sections.int("loanInformation", "loanAmount"),
        loan_purpose: text("loanInformation", "purpose"),
        band,
        annual_income: sections.int("financialInformation", "annualIncome"),
        state: text("personalInformation", "state"),
        card_purposes: sections.texts("creditCardInformation", "cardPurposes").unwrap_or_default(),
        allow_annual_fee: sections.flag("creditCardInformation", "allowAnnualFee").unwrap_or(true),
        min_deposit: sections.int("savingsInformation", "minDepositAmount"),
        script,
    }
}

/// `name+decline@example.com` (the plus-tag of the local part) or
/// `name@decline.example.com` (the domain's first label), and the like.
fn script_of(email: &str) -> Script {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let plus_tag = local.split_once('+').map(|(_, tag)| tag);
    let first_label = domain.split('.').next();
    [plus_tag, first_label]
        .into_iter()
        .flatten()
        .map(|word| match word.to_ascii_lowercase().as_str() {
            "decline" => Script::Decline,
            "slow" => Script::Slow,
            "fund" => Script::Fund,
            "nofund" => Script::NoFund,
            _ => Script::None,
        })
        .find(|script| *script != Script::None)
        .unwrap_or_default()
}

/// A `format: uuid` member: the hyphenated form only (the uuid crate
/// would also take the simple, braced and URN forms, which JSON Schema's
/// `uuid` and the vendor's Java `UUID.fromString` refuse).
pub(crate) fn parse_uuid(value: &Value) -> Option<Uuid> {
    value.as_str().and_then(parse_uuid_text)
}

/// [`parse_uuid`] of a string.
pub(super) fn parse_uuid_text(s: &str) -> Option<Uuid> {
    Some(s).filter(|s| is_uuid(s)).and_then(|s| Uuid::parse_str(s).ok())
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// A `format: date` member: RFC 3339's full-date, `YYYY-MM-DD` exactly
/// (chrono alone would take `2020-1-2`), and a real day.
fn is_date(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
        // Digits in place: a real day is all that is left to ask (without
        // chrono's format parser, which showed in submitLead's profile).
        && match (s[..4].parse(), s[5..7].parse(), s[8..].parse()) {
            (Ok(year), Ok(month), Ok(day)) => NaiveDate::from_ymd_opt(year, month, day).is_some(),
            _ => false,
        }
}

/// A member over one of leadsim's size limits, in the vendor's words for
/// an invalid member.
pub(crate) fn too_long(path: &str, what: String) -> ApiError {
    ApiError {
        attribute: Some(path.to_owned()),
        kind: Some("invalid".into()),
        details: Default::default(),
        message: format!("Invalid fields present: {path} has {what}"),
    }
}

/// Where a checked value sits (`section.member`), spelled out only for an
/// error: most leads have none.
#[derive(Clone, Copy)]
struct Path<'a> {
    section: Option<&'a str>,
    member: &'a str,
}

impl Path<'_> {
    fn text(self) -> String {
        match self.section {
            Some(section) => format!("{section}.{}", self.member),
            None => self.member.to_owned(),
        }
    }
}

/// The most characters a member's text may have.
pub(super) fn char_limit(member: &str) -> usize {
    if member.ends_with("Language") {
        MAX_LANGUAGE_CHARS
    } else {
        MAX_TEXT_CHARS
    }
}

/// Whether text is over `max` characters; counting stops at the limit, so
/// a megabyte of text costs no more.
pub(super) fn over(max: usize, s: &str) -> bool {
    s.len() > max && s.chars().take(max + 1).count() > max
}

/// Whether a string is what a member of `kind` takes (only the text kinds do).
pub(super) fn text_fits(kind: Kind, s: &str) -> bool {
    match kind {
        Kind::Text => true,
        Kind::Email => is_email(s),
        Kind::Phone => is_phone(s),
        Kind::Zip => is_zip(s),
        Kind::Date => is_date(s),
        Kind::Ssn => is_ssn(s),
        Kind::OneOf(allowed) => allowed.contains(&s),
        Kind::Int { .. } | Kind::Bool | Kind::ListOf(_) => false,
    }
}

/// Whether a number is what an `Int` member with this minimum takes.
pub(super) fn int_fits(min: i64, n: i64) -> bool {
    n >= min && i32::try_from(n).is_ok()
}

fn check_value(path: Path, value: &Value, kind: Kind, errors: &mut Vec<ApiError>) {
    if let Value::String(s) = value {
        let max = char_limit(path.member);
        if over(max, s) {
            errors.push(too_long(&path.text(), format!("more than {max} characters")));
            return;
        }
    }
    let ok = match (kind, value) {
        (kind, Value::String(s)) => text_fits(kind, s),
        (Kind::Int { min }, Value::Number(n)) => n.as_i64().is_some_and(|n| int_fits(min, n)),
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::ListOf(allowed), Value::Array(items)) => {
            for item in items {
                if !item.as_str().is_some_and(|s| allowed.contains(&s)) {
                    errors.push(invalid(&path.text(), item));
                }
            }
            true
        }
        _ => false,
    };
    if !ok {
        errors.push(invalid(&path.text(), value));
    }
}

/// The spec's email pattern: dot-separated atoms of RFC 5322's atext, `@`,
/// and at least two dot-separated labels of letters, digits and inner hyphens.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(atext));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    local_ok && labels.len() >= 2 && labels.iter().all(label_ok)
}

/// `^1?\d{10}$`
fn is_phone(s: &str) -> bool {
    let digits = s.strip_prefix('1').filter(|rest| rest.len() == 10).unwrap_or(s);
    digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `^\d{5}([-\s]\d{4})?$`, where `\d` is an ASCII digit and `\s` any
/// character ECMAScript counts as white space (JSON Schema's regex dialect).
fn is_zip(s: &str) -> bool {
    let five = |x: &str| x.len() == 5 && x.bytes().all(|b| b.is_ascii_digit());
    let four = |x: &str| x.len() == 4 && x.bytes().all(|b| b.is_ascii_digit());
    let Some(head) = s.get(..5).filter(|h| five(h)) else {
        return false;
    };
    let mut rest = s[head.len()..].chars();
    match rest.next() {
        None => true,
        Some(c) if c == '-' || is_ecmascript_space(c) => four(rest.as_str()),
        Some(_) => false,
    }
}

/// ECMAScript's `\s`: WhiteSpace and LineTerminator.
fn is_ecmascript_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}'
            | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// The spec's SSN pattern as written:
/// `^(?!\b(\d)\1+-(\d)\1+-(\d)\1+\b)(?!123-45-6789|219-09-9999|078-05-1120)(?!666|000|9\d{2})\d{3}-(?!00)\d{2}-(?!0{4})\d{4}$`.
/// All three back-references are `\1`, so the first look-ahead refuses
/// exactly `ddd-Xd-Yddd` (the area one digit `d` three times, the group
/// ending in `d`, the serial ending in `ddd`), not "three runs of repeated
/// digits": the spec's own example `111-22-3333` passes, `111-21-1111`
/// does not. Then: none of three famous numbers, no area 000, 666 or 9xx,
/// no group 00, no serial 0000.
fn is_ssn(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [area, group, serial] = parts.as_slice() else {
        return false;
    };
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(area, 3) && digits(group, 2) && digits(serial, 4)) {
        return false;
    }
    let d = area.as_bytes()[0];
    let back_referenced = area.bytes().all(|b| b == d)
        && group.as_bytes()[1] == d
        && serial.as_bytes()[1..].iter().all(|&b| b == d);
    let famous = ["123-45-6789", "219-09-9999", "078-05-1120"].contains(&s);
    !back_referenced
        && !famous
        && *area != "000"
        && *area != "666"
        && !area.starts_with('9')
        && *group != "00"
        && *serial != "0000"
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn patterns_follow_the_spec() {
        // The table in reference/engine/NOTES-offer-searches.md, checked
        // there with Node, Python and PCRE.
        for good in ["123-45-6780", "111-22-3333", "222-22-2223"] {
            assert!(is_ssn(good), "{good}");
        }
        for bad in [
            "111-11-1111", "222-22-2222", "111-21-1111", "222-52-7222", "123-45-6789", "219-09-9999", "078-05-1120",
            "000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "123456789", "123-45-678",
        ] {
            assert!(!is_ssn(bad), "{bad}");
        }
        assert!(is_email("john+fund@example.com"));
        for bad in ["123", "a@b", "a..b@example.com", "a@-x.com", "@example.com"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_phone("2125556789") && is_phone("12125556789") && !is_phone("212555678") && !is_phone("22125556789"));
        assert!(is_zip("10010") && is_zip("10010-1234") && is_zip("10010 1234") && !is_zip("1001") && !is_zip("10010-12"));
    }

    #[test]
    fn every_invalid_member_is_named_in_the_vendors_words() {
        let body = json!({
            "productTypes": ["loan", "boat"],
            "personalInformation": {"ssn": "123", "email": 5, "state": "XX"},
            "loanInformation": {"loanAmount": -1},
            "clientTags": {"subid": "not-a-list"},
            "uuid": "nope"
        });
        let errors = check(body, true).expect_err("invalid");
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Invalid fields present: 5 is not a valid email",
                "Invalid fields present: XX is not a valid state",
                "Invalid fields present: 123 is not a valid ssn",
                "Invalid fields present: -1 is not a valid loanAmount",
                "Invalid fields present: nope is not a valid uuid",
                "Invalid fields present: boat is not a valid productTypes",
                "Invalid fields present: not-a-list is not a valid subid",
            ]
        );
    }

    #[test]
    fn underwriting_reads_what_the_lead_says() {
        let body = json!({
            "productTypes": ["loan"],
            "personalInformation": {"email": "a+Decline@example.com", "state": "NY"},
            "creditInformation": {"providedNumericCreditScore": 705},
            "loanInformation": {"loanAmount": 12000, "purpose": "debt_consolidation"},
            "financialInformation": {"annualIncome": 70000},
            "clientTags": {"subid": ["b", "a", "a"]}
        });
        let lead = check(body, true).expect("valid");
        assert_eq!(lead.input.band, CreditBand::Good);
        assert_eq!(lead.input.script, Script::Decline);
        assert_eq!(script_of("a@fund.example.com"), Script::Fund);
        assert_eq!(script_of("a+slow@nofund.example.com"), Script::Slow);
        assert_eq!(script_of("a+other@example.com"), Script::None);
        assert_eq!(lead.input.loan_amount, Some(12_000));
        assert_eq!(lead.client_tags, [("subid".to_owned(), "a".to_owned()), ("subid".to_owned(), "b".to_owned())]);
    }

    /// A hand-written validator.
    type Check = fn(&str) -> bool;

    /// The spec's pattern in ECMAScript's reading (JSON Schema's dialect),
    /// for a backtracking engine: `\d` is ASCII, `\s` ECMAScript's white space.
    fn ecmascript(pattern: &str) -> String {
        const SPACE: &str = r"\t\n\x0B\x0C\r \xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
        let mut out = String::new();
        let mut in_class = false;
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('d') if in_class => out.push_str("0-9"),
                    Some('d') => out.push_str("[0-9]"),
                    Some('s') if in_class => out.push_str(SPACE),
                    Some('s') => out.push_str(&format!("[{SPACE}]")),
                    Some(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                '[' => {
                    in_class = true;
                    out.push(c);
                }
                ']' => {
                    in_class = false;
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Every `pattern` the 1.106.0 spec puts on a member leadsim checks.
    fn spec_patterns() -> Vec<(String, String)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/engine-openapi-1.106.0.json");
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
        let personal = &spec["components"]["schemas"]["LeadPersonalInformation"]["properties"];
        ["email", "primaryPhone", "workPhone", "zipcode", "ssn"]
            .into_iter()
            .filter_map(|member| Some((member.to_owned(), personal[member]["pattern"].as_str()?.to_owned())))
            .collect()
    }

    #[test]
    fn every_pattern_leadsim_enforces_agrees_with_the_specs_own_text() {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let patterns = spec_patterns();
        assert_eq!(patterns.len(), 5, "{patterns:?}");
        // Pieces the patterns care about, so generated inputs land near
        // their edges: digits (repeated ones), dashes, white space of both
        // dialects, e-mail punctuation and non-ASCII digits.
        let alphabet: Vec<&str> = vec![
            "0", "1", "2", "3", "6", "9", "00", "000", "111", "666", "-", " ", "\t", "\n", "\u{a0}", "\u{85}",
            "\u{feff}", "\u{2028}", "a", "Z", ".", "..", "@", "+", "_", "!", "~", "x-y", "é", "٣", "example", "com",
        ];
        let validators: [(&str, Check); 5] =
            [("email", is_email), ("primaryPhone", is_phone), ("workPhone", is_phone), ("zipcode", is_zip), ("ssn", is_ssn)];
        let mut runner = TestRunner::deterministic();
        for (member, pattern) in &patterns {
            let regex = fancy_regex::Regex::new(&ecmascript(pattern)).unwrap_or_else(|e| panic!("{member}: {e}"));
            let check = validators.iter().find(|(m, _)| m == member).map(|(_, f)| *f).unwrap_or(|_| false);
            let mut inputs: Vec<String> = Vec::new();
            // Structured: every SSN-shaped and ZIP-shaped string over a few digits.
            for a in ["000", "111", "123", "219", "666", "078", "912", "222"] {
                for g in ["00", "11", "21", "22", "45", "09", "05", "52"] {
                    for s in ["0000", "1111", "3333", "6789", "9999", "1120", "2223", "7222", "2222"] {
                        inputs.push(format!("{a}-{g}-{s}"));
                    }
                }
            }
            for sep in ["-", " ", "\t", "\n", "\u{a0}", "\u{85}", "\u{feff}", "\u{3000}", "_", ""] {
                inputs.push(format!("12345{sep}6789"));
                inputs.push(format!("1{sep}2125556789"));
            }
            // Generated: strings of up to 8 pieces from the alphabet.
            let pieces = proptest::sample::select(alphabet.clone());
            let strategy = proptest::collection::vec(pieces, 0..8).prop_map(|p| p.concat());
            for _ in 0..20_000 {
                if let Ok(tree) = strategy.new_tree(&mut runner) {
                    inputs.push(tree.current());
                }
            }
            for input in &inputs {
                let spec = regex.is_match(input).unwrap_or(false);
                assert_eq!(check(input), spec, "{member} {input:?}: the spec's pattern says {spec}");
            }
        }
    }

    #[test]
    fn date_and_uuid_members_agree_with_json_schemas_formats() {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let mut runner = TestRunner::deterministic();
        let cases: [(&str, Check, Vec<&str>); 2] = [
            ("date", is_date, vec!["2020", "1990", "0000", "-", "01", "1", "12", "13", "29", "02", "30", "31", "+", " ", "T", "Z", "٣"]),
            (
                "uuid",
                is_uuid,
                vec!["0b7e2d14", "2f6c", "4c3b", "8a5e", "1e4d6f7a8b90", "-", "{", "}", "urn:uuid:", "G", "ab", "0", "٣"],
            ),
        ];
        for (format, check, alphabet) in cases {
            let schema = serde_json::json!({"type": "string", "format": format});
            let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("a schema");
            let mut inputs: Vec<String> = vec![
                "2020-02-29".into(), "2021-02-29".into(), "2020-1-02".into(), "2020-01-2".into(), "20200102".into(),
                "0b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90".into(), "0b7e2d142f6c4c3b8a5e1e4d6f7a8b90".into(),
                "{0b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90}".into(), "urn:uuid:0b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90".into(),
                "0B7E2D14-2F6C-4C3B-8A5E-1E4D6F7A8B90".into(),
            ];
            let strategy = proptest::collection::vec(proptest::sample::select(alphabet), 0..10).prop_map(|p| p.concat());
            for _ in 0..20_000 {
                if let Ok(tree) = strategy.new_tree(&mut runner) {
                    inputs.push(tree.current());
                }
            }
            for input in &inputs {
                let spec = validator.is_valid(&Value::String(input.clone()));
                assert_eq!(check(input), spec, "{format} {input:?}: JSON Schema says {spec}");
            }
        }
    }

    /// A member's schema in the spec, `$ref`s followed (one level of
    /// `allOf` too, as the spec wraps some references).
    fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
        let schema = schema["allOf"].get(0).unwrap_or(schema);
        match schema["$ref"].as_str() {
            Some(reference) => spec.pointer(reference.trim_start_matches('#')).unwrap_or(&Value::Null),
            None => schema,
        }
    }

    #[test]
    fn every_enum_leadsim_enforces_is_the_specs_own_list() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/engine-openapi-1.106.0.json");
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
        let lead = &spec["components"]["schemas"]["LeadCreateData"]["properties"];
        let mut compared = 0;
        for (section, members) in SECTIONS {
            let schema = resolve(&spec, &lead[*section]);
            for (member, kind) in *members {
                let allowed: &[&str] = match kind {
                    Kind::OneOf(values) | Kind::ListOf(values) => values,
                    _ => continue,
                };
                let property = resolve(&spec, &schema["properties"][*member]);
                let property = match kind {
                    Kind::ListOf(_) => resolve(&spec, &property["items"]),
                    _ => property,
                };
                let mut theirs: Vec<&str> = property["enum"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let mut ours = allowed.to_vec();
                theirs.sort_unstable();
                ours.sort_unstable();
                assert_eq!(ours, theirs, "{section}.{member}");
                compared += 1;
            }
        }
        let products = resolve(&spec, &lead["productTypes"]["items"]);
        let mut theirs: Vec<&str> = products["enum"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut ours = PRODUCT_TYPES.to_vec();
        theirs.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, theirs, "productTypes");
        assert_eq!(compared, 11, "every OneOf and ListOf member");
    }
}
