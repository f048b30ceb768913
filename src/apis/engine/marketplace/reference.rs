//! The marketplace's read-only helpers: prefills, approval probability
//! reports, offer previews and the UI utilities (universities, vehicles,
//! featured institutions), over the same lender catalogue as rate tables.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde_json::{Value, json};
use uuid::Uuid;

use super::super::Engine;
use super::super::auth::Publishable;
use super::super::error::{ApiError, EngineError};
use super::super::models::ProductType;
use super::lead::{CARD_PURPOSES, CREDIT_RATINGS, CreditBand, LOAN_PURPOSES, LeadInput, STATES, Script, invalid};
use super::leads::{path_uuid, read_lead};
use super::lenders;
use super::render::{self, Links, RateTableWire};
use super::store::{Prefill, RateTable, SubmittedLead};
use super::underwriting::{self, Decision};
use super::vehicles;
use crate::shared::request::{Buffered, Head, parse_json_value, public_base_url, query_pairs, query_value};

/// How long a prefill token lives and how often it may be used (the
/// vendor's example values).
const PREFILL_SECONDS: i64 = 180;

/// `POST /originator/prefills`: a token standing for the lead data sent.
pub(crate) async fn create_prefill(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Buffered(body): Buffered,
) -> Result<Response, EngineError> {
    let checked = read_lead(&body, false)?;
    let value = parse_json_value(&body, None).unwrap_or(Value::Null);
    let marketplace = &state.engine.marketplace;
    let token = marketplace.seed().uuid("engine.marketplace.prefill", (company.uuid, marketplace.next_number()));
    marketplace.add_prefill(token, Prefill {
        company: company.uuid,
        sub_account: scope.sub_account(),
        body: value.to_string().into(),
        created_at: state.clock.now(),
    });
    // No `partnerPageUrl` or `embedSnippet`: the vendor gives them only to
    // channels with a hosted page, which leadsim does not serve.
    let products: Vec<&str> = checked.input.products.iter().map(|p| p.as_str()).collect();
    Ok(Json(json!({
        "productTypes": products,
        "prefillToken": token,
        "expiresInSeconds": PREFILL_SECONDS,
        "maxUses": 1,
    }))
    .into_response())
}

/// `GET /originator/prefills/{prefillToken}`: the data, while the token lives.
pub(crate) async fn get_prefill(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Path(token): Path<String>,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("prefillToken", &token)?;
    let now = state.clock.now();
    let found = state
        .engine
        .marketplace
        .prefill(uuid, scope.viewer(&company))
        .filter(|p| now < p.created_at + chrono::TimeDelta::seconds(PREFILL_SECONDS));
    match found {
        Some(prefill) => Ok(json_text(prefill.body.to_string())),
        None => Err(EngineError::plain(StatusCode::NOT_FOUND, "Prefill token not found")),
    }
}

/// `POST /approvalProbability/loanReports`: how likely each loan lender is
/// to approve such a lead, from the same underwriting as rate tables.
pub(crate) async fn create_loan_report(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Buffered(body): Buffered,
) -> Result<Response, EngineError> {
    let value = parse_json_value(&body, None).map_err(|e| EngineError::from(e).into_bad_request())?;
    let Value::Object(fields) = &value else {
        return Err(EngineError::Rejected { status: StatusCode::BAD_REQUEST, errors: vec![invalid("body", &value)] });
    };
    let mut errors = Vec::new();
    let int = |name: &str, errors: &mut Vec<ApiError>| match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|n| *n >= 0 && i32::try_from(*n).is_ok()) {
            Some(n) => Some(n),
            None => {
                errors.push(invalid(name, v));
                None
            }
        },
    };
    let one_of = |name: &str, allowed: &[&str], errors: &mut Vec<ApiError>| match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
        Some(v) => {
            errors.push(invalid(name, v));
            None
        }
    };
    let income = int("annualIncome", &mut errors);
    let rating = one_of("creditRating", CREDIT_RATINGS, &mut errors);
    let total_debt = int("totalDebt", &mut errors);
    let derogatories = int("countOfDerogatories", &mut errors);
    let us_state = one_of("state", STATES, &mut errors);
    let purpose = one_of("loanPurpose", LOAN_PURPOSES, &mut errors);
    let amount = int("loanAmount", &mut errors);
    for (name, present) in [("annualIncome", fields.get("annualIncome")), ("creditRating", fields.get("creditRating"))] {
        if present.is_none_or(Value::is_null) {
            errors.push(ApiError::missing(name));
        }
    }
    if !errors.is_empty() {
        return Err(EngineError::Rejected { status: StatusCode::UNPROCESSABLE_ENTITY, errors });
    }
    let band = rating.as_deref().map_or(CreditBand::Limited, band_of);
    let income = income.unwrap_or_default();
    let mut institutions = Vec::new();
    let mut network = (0.0, f64::MAX, 0.0f64, i64::MAX, 0i64);
    for lender in lenders::offering(ProductType::Loan) {
        let Some(loan) = &lender.loan else { continue };
        let eligible = band <= lender.min_band
            && income >= lender.min_income
            && !us_state.as_deref().is_some_and(|s| lender.excluded_states.contains(&s))
            && amount.is_none_or(|a| a >= loan.amount.0);
        let debt_load = total_debt.map_or(0.0, |d| d as f64 / income.max(1) as f64).min(1.0);
        let probability = if eligible {
            let p = lender.approval * (1.0 - 0.25 * band.position()) * (1.0 - 0.5 * debt_load)
                * 0.85f64.powi(derogatories.unwrap_or(0).min(10) as i32);
            (p * 100_000.0).round() / 1000.0
        } else {
            0.0
        };
        let low = loan.apr.0 + (loan.apr.1 - loan.apr.0) * band.position() * 0.8;
        let (apr_min, apr_max) = (round2(low), round2((low + 5.0).min(loan.apr.1)));
        let (term_min, term_max) = (loan.terms_months[0], loan.terms_months[loan.terms_months.len() - 1]);
        network.0 += probability;
        network.1 = network.1.min(apr_min);
        network.2 = network.2.max(apr_max);
        network.3 = network.3.min(term_min);
        network.4 = network.4.max(term_max);
        institutions.push(json!({
            "uuid": lender.institution.uuid,
            "name": lender.institution.name,
            "logoUrl": render::logo(lender),
            "probabilities": [probability_json(probability, apr_min, apr_max, term_min, term_max)],
        }));
    }
    let count = institutions.len().max(1) as f64;
    let marketplace = &state.engine.marketplace;
    let uuid = marketplace.seed().uuid("engine.marketplace.loanReport", (company.uuid, marketplace.next_number()));
    let mut report = json!({
        "uuid": uuid,
        "annualIncome": income,
        "creditRating": rating,
        "networkProbabilities": [probability_json(round3(network.0 / count), network.1, network.2, network.3, network.4)],
        "financialInsitutions": institutions,
        "createdAt": crate::shared::time::format_seconds(state.clock.now()),
    });
    if let Value::Object(out) = &mut report {
        for (name, value) in [
            ("totalDebt", total_debt.map(Value::from)),
            ("countOfDerogatories", derogatories.map(Value::from)),
            ("state", us_state.map(Value::from)),
            ("loanPurpose", purpose.map(Value::from)),
            ("loanAmount", amount.map(Value::from)),
        ] {
            if let Some(value) = value {
                out.insert(name.into(), value);
            }
        }
    }
    marketplace.add_report(uuid, scope.viewer(&company), &report);
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

fn probability_json(probability: f64, apr_min: f64, apr_max: f64, term_min: i64, term_max: i64) -> Value {
    json!({
        "probability": probability,
        "aprPercentMin": apr_min,
        "aprPercentMax": apr_max,
        "termMonthsMin": term_min,
        "termMonthsMax": term_max,
        "productSubType": "personal_loan",
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn band_of(rating: &str) -> CreditBand {
    match rating {
        "excellent" => CreditBand::Excellent,
        "good" => CreditBand::Good,
        "fair" => CreditBand::Fair,
        "poor" => CreditBand::Poor,
        _ => CreditBand::Limited,
    }
}

/// `GET /approvalProbability/loanReports/{uuid}`.
pub(crate) async fn get_loan_report(
    State(state): State<Engine>,
    Publishable { company, scope }: Publishable,
    Path(report): Path<String>,
) -> Result<Response, EngineError> {
    let uuid = path_uuid("uuid", &report)?;
    match state.engine.marketplace.report(uuid, scope.viewer(&company)) {
        Some(report) => Ok(json_text(report)),
        None => Err(EngineError::plain(StatusCode::NOT_FOUND, format!("Loan report {uuid} not found"))),
    }
}

/// An offer preview: a rate table for an anonymous lead with what the
/// query says, every lender answering at once, without storing anything.
fn preview(state: &Engine, headers: &HeaderMap, company: Uuid, input: LeadInput, key: &str) -> RateTableWire {
    let seed = state.engine.marketplace.seed();
    let lead_uuid = seed.uuid("engine.marketplace.preview", (company, key));
    let table_uuid = seed.uuid("engine.marketplace.previewTable", (company, key));
    let now = state.clock.now();
    let mut answers = underwriting::answers(seed, table_uuid, &input, now);
    for answer in &mut answers {
        answer.late = false;
    }
    answers.retain(|a| matches!(a.decision, Decision::Offer(_)));
    let table = RateTable {
        uuid: table_uuid,
        built_at: now,
        loan_amount: input.loan_amount,
        answers,
        search: None,
    };
    let lead = SubmittedLead::of_input(lead_uuid, company, input, now);
    let base = public_base_url(state.settings.public_url.as_deref(), headers);
    render::rate_table(&lead, &table, now, &Links { base: &base })
}

fn preview_input(products: Vec<ProductType>) -> LeadInput {
    LeadInput {
        products,
        loan_amount: None,
        loan_purpose: None,
        band: CreditBand::Good,
        annual_income: Some(1_000_000),
        state: None,
        card_purposes: Vec::new(),
        allow_annual_fee: true,
        min_deposit: None,
        script: Script::None,
    }
}

/// Query values checked against the spec: the ones a preview reads.
struct PreviewQuery {
    pairs: Vec<(String, String)>,
    errors: Vec<ApiError>,
}

impl PreviewQuery {
    fn new(raw: Option<&str>) -> Self {
        Self { pairs: query_pairs(raw), errors: Vec::new() }
    }

    /// A non-negative int32.
    fn int(&mut self, name: &str) -> Option<i64> {
        self.int_from(name, 0)
    }

    /// An int32 of at least `min`.
    fn int_from(&mut self, name: &str, min: i64) -> Option<i64> {
        let text = query_value(&self.pairs, name)?;
        let parsed = text.parse::<i64>().ok().filter(|n| *n >= min && i32::try_from(*n).is_ok());
        if parsed.is_none() {
            self.errors.push(invalid(name, &Value::String(text.to_owned())));
        }
        parsed
    }

    fn one_of(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let text = query_value(&self.pairs, name)?;
        if allowed.contains(&text) {
            Some(text.to_owned())
        } else {
            self.errors.push(invalid(name, &Value::String(text.to_owned())));
            None
        }
    }

    fn finish(self) -> Result<(), EngineError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Rejected { status: StatusCode::BAD_REQUEST, errors: self.errors })
        }
    }
}

/// `GET /offerPreview/loanOffers`.
pub(crate) async fn preview_loans(
    State(state): State<Engine>,
    Publishable { company, .. }: Publishable,
    Head { headers, uri }: Head,
) -> Result<Response, EngineError> {
    let mut q = PreviewQuery::new(uri.query());
    let amount = q.int("loanAmount");
    let rating = q.one_of("providedCreditRating", CREDIT_RATINGS);
    let purpose = q.one_of("loanPurpose", LOAN_PURPOSES);
    q.finish()?;
    let mut input = preview_input(vec![ProductType::Loan]);
    input.loan_amount = Some(amount.unwrap_or(10_000));
    input.loan_purpose = purpose;
    input.band = rating.as_deref().map_or(CreditBand::Good, band_of);
    let key = format!("loan:{input:?}");
    Ok(Json(preview(&state, &headers, company.uuid, input, &key).loan_offers).into_response())
}

/// `GET /offerPreview/creditCardOffers`.
pub(crate) async fn preview_cards(
    State(state): State<Engine>,
    Publishable { company, .. }: Publishable,
    Head { headers, uri }: Head,
) -> Result<Response, EngineError> {
    let mut q = PreviewQuery::new(uri.query());
    let rating = q.one_of("providedCreditRating", CREDIT_RATINGS);
    let purposes: Vec<String> = q
        .pairs
        .iter()
        .filter(|(k, _)| k == "cardPurposes")
        .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for purpose in &purposes {
        if !CARD_PURPOSES.contains(&purpose.as_str()) {
            q.errors.push(invalid("cardPurposes", &Value::String(purpose.clone())));
        }
    }
    q.finish()?;
    let mut input = preview_input(vec![ProductType::CreditCard]);
    input.band = rating.as_deref().map_or(CreditBand::Good, band_of);
    input.card_purposes = purposes;
    let key = format!("card:{input:?}");
    let mut offers = preview(&state, &headers, company.uuid, input.clone(), &key).credit_card_offers;
    if !input.card_purposes.is_empty() {
        offers.retain(|offer| offer.details.card_purposes.iter().any(|p| input.card_purposes.iter().any(|w| w == p)));
    }
    Ok(Json(offers).into_response())
}

/// `GET /offerPreview/savingsOffers`: 404 when no account fits the deposits.
pub(crate) async fn preview_savings(
    State(state): State<Engine>,
    Publishable { company, .. }: Publishable,
    Head { headers, uri }: Head,
) -> Result<Response, EngineError> {
    let mut q = PreviewQuery::new(uri.query());
    let min = q.int("minDepositAmount");
    let max = q.int("maxDepositAmount");
    q.finish()?;
    let mut input = preview_input(vec![ProductType::Savings]);
    input.min_deposit = min;
    let key = format!("savings:{min:?}:{max:?}");
    let mut offers = preview(&state, &headers, company.uuid, input, &key).savings_offers;
    if let Some(max) = max {
        offers.retain(|o| o.details.minimum_deposit <= max as f64);
    }
    if offers.is_empty() {
        return Err(EngineError::plain(StatusCode::NOT_FOUND, "No savings offers match the deposit amounts"));
    }
    Ok(Json(offers).into_response())
}

/// `GET /uiUtil/featuredFinancialInstitutions`.
pub(crate) async fn featured_institutions(_: Publishable) -> Response {
    let featured: Vec<Value> = lenders::all()
        .iter()
        .filter(|l| l.sponsored || l.loan.is_some())
        .map(|l| json!({"uuid": l.institution.uuid, "name": l.institution.name, "logoUrl": render::logo(l)}))
        .collect();
    Json(featured).into_response()
}

/// `GET /leads/universities?name=&offset=&limit=` (`limit` required, 1–100).
pub(crate) async fn universities(_: Publishable, RawQuery(query): RawQuery) -> Result<Response, EngineError> {
    let mut q = PreviewQuery::new(query.as_deref());
    let limit = match query_value(&q.pairs, "limit") {
        None => {
            q.errors.push(ApiError::missing("limit"));
            None
        }
        Some(text) => match text.parse::<usize>().ok().filter(|n| (1..=100).contains(n)) {
            Some(n) => Some(n),
            None => {
                q.errors.push(invalid("limit", &Value::String(text.to_owned())));
                None
            }
        },
    };
    let offset = q.int("offset").unwrap_or(0) as usize;
    let name = query_value(&q.pairs, "name").map(str::to_lowercase);
    q.finish()?;
    // Whole-word matches first, then words that start with the fragment,
    // then any other match; alphabetical within each.
    let rank = |university: &str| -> Option<u8> {
        let Some(fragment) = name.as_deref() else { return Some(0) };
        let lower = university.to_lowercase();
        let words = || lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
        if words().any(|w| w == fragment) {
            Some(0)
        } else if words().any(|w| w.starts_with(fragment)) {
            Some(1)
        } else {
            lower.contains(fragment).then_some(2)
        }
    };
    let mut ranked: Vec<(u8, &str)> = vehicles::UNIVERSITIES
        .iter()
        .filter_map(|u| rank(u).map(|r| (r, *u)))
        .collect();
    ranked.sort();
    let names: Vec<&str> = ranked
        .into_iter()
        .map(|(_, u)| u)
        .skip(offset)
        .take(limit.unwrap_or(100))
        .collect();
    Ok(Json(names).into_response())
}

fn vehicle_query(query: Option<&str>, names: &[&str]) -> Result<(Option<i64>, Vec<Option<String>>), EngineError> {
    let mut q = PreviewQuery::new(query);
    let year = q.int_from("year", i64::from(i32::MIN));
    let texts = names.iter().map(|n| query_value(&q.pairs, n).map(str::to_owned)).collect();
    q.finish()?;
    Ok((year, texts))
}

/// `GET /leads/vehicles/years?minYear=&maxYear=`: newest first.
pub(crate) async fn vehicle_years(
    State(state): State<Engine>,
    _: Publishable,
    RawQuery(query): RawQuery,
) -> Result<Response, EngineError> {
    let mut q = PreviewQuery::new(query.as_deref());
    // Any year is a bound; one outside the catalogue just lists nothing.
    let min = q.int_from("minYear", i64::from(i32::MIN));
    let max = q.int_from("maxYear", i64::from(i32::MIN));
    q.finish()?;
    let newest = i64::from(state.clock.now().year()) + 1;
    let years: Vec<i64> = vehicles::years(newest)
        .filter(|y| min.is_none_or(|m| *y >= m) && max.is_none_or(|m| *y <= m))
        .collect();
    Ok(Json(years).into_response())
}

/// `GET /leads/vehicles/makes?year=`.
pub(crate) async fn vehicle_makes(_: Publishable, RawQuery(query): RawQuery) -> Result<Response, EngineError> {
    let (year, _) = vehicle_query(query.as_deref(), &[])?;
    Ok(Json(vehicles::makes(year)).into_response())
}

/// `GET /leads/vehicles/models?year=&make=`.
pub(crate) async fn vehicle_models(_: Publishable, RawQuery(query): RawQuery) -> Result<Response, EngineError> {
    let (year, texts) = vehicle_query(query.as_deref(), &["make"])?;
    Ok(Json(vehicles::models(year, texts[0].as_deref())).into_response())
}

/// `GET /leads/vehicles/trims?year=&make=&model=`.
pub(crate) async fn vehicle_trims(_: Publishable, RawQuery(query): RawQuery) -> Result<Response, EngineError> {
    let (year, texts) = vehicle_query(query.as_deref(), &["make", "model"])?;
    Ok(Json(vehicles::trims(year, texts[0].as_deref(), texts[1].as_deref())).into_response())
}


/// A stored JSON text as a response.
fn json_text(text: String) -> Response {
    crate::shared::http::json_written(StatusCode::OK, text.into_bytes())
}
