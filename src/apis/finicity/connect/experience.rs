//! The Connect experience's routes: the page a link opens
//! (`GET /connect/experience?…&signature=…`), its form posts
//! (`POST /connect/experience?signature=…`: the signature stays in the
//! query, where the journal hides it), and the admin call that
//! completes a link without a browser. All three drive the same session.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::Finicity;
use super::generate::EXPERIENCE_PATH;
use super::page::{self, Screen};
use super::session::{Action, Context, Finish, Session, Step};
use super::{Link, LinkKind};
use crate::shared::admin::AdminError;
use crate::shared::request::{Buffered, parse_json_value, query_pairs, query_value};

/// A form post's fields at most (a consumer's answers are a few).
const MAX_FIELDS: usize = 64;

/// `GET /connect/experience`: the link's current screen.
pub(crate) async fn open(State(state): State<Finicity>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref());
    let signature = query_value(&pairs, "signature").unwrap_or_default().to_owned();
    html(&visit(&state, &signature, Visit::Open))
}

/// `POST /connect/experience?signature=…`: one step, as a form post.
pub(crate) async fn step(State(state): State<Finicity>, RawQuery(query): RawQuery, Buffered(body): Buffered) -> Response {
    let pairs = query_pairs(query.as_deref());
    let signature = query_value(&pairs, "signature").unwrap_or_default().to_owned();
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
        .take(MAX_FIELDS)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let action = action_of(&fields);
    html(&visit(&state, &signature, Visit::Step(action)))
}

fn html(screen: &Screen) -> Response {
    let mut response = (StatusCode::OK, page::render(screen)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // A session's screen changes with every step: never from a cache.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The action a form post names; an unknown one changes nothing.
fn action_of(fields: &[(String, String)]) -> Option<Action> {
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let all = |name: &str| -> Vec<String> {
        fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    };
    Some(match field("action")? {
        "search" => Action::Search(field("query").unwrap_or_default().chars().take(100).collect()),
        "institution" => Action::Institution(field("institutionId")?.trim().parse().ok()?),
        "signin" => Action::SignIn {
            username: field("username").unwrap_or_default().to_owned(),
            password: field("password").unwrap_or_default().to_owned(),
        },
        "mfa" => Action::Mfa(all("answer")),
        "accounts" => {
            let chosen = all("accountId");
            let ids: Vec<u64> = chosen.iter().filter_map(|id| id.trim().parse().ok()).collect();
            if !chosen.is_empty() && ids.is_empty() {
                return None;
            }
            Action::AddAccounts(ids)
        }
        "back" => Action::Back,
        "submit" => Action::Submit,
        "cancel" => Action::Cancel,
        "fail" => Action::Fail,
        _ => return None,
    })
}

/// What a request to the experience does.
enum Visit {
    /// Opens the link's page.
    Open,
    /// Takes a step; `None` when the form named no action leadsim knows
    /// (which changes nothing).
    Step(Option<Action>),
}

/// Opens the link's page or takes a step; the screen to show.
fn visit(state: &Finicity, signature: &str, visit: Visit) -> Screen {
    let now = state.clock.now();
    let connect = &state.connect;
    let seen = connect.with_link(signature, |link| {
        let mut messages = Vec::new();
        let problem = if link.used {
            messages.push(json!({"type": "error", "data": {"code": 500, "reason": "error"}}));
            Some("This single-use link was used already. Ask the application for a new one.")
        } else if now > link.expires {
            if link.session.finished() != Some(Finish::Expired) {
                link.session.step = Step::Finished(Finish::Expired);
            }
            messages.push(json!({"type": "error", "data": {"code": 1440, "reason": "timeout"}}));
            Some("This link has expired. Ask the application for a new one.")
        } else {
            None
        };
        if problem.is_none() {
            let effects = match visit {
                Visit::Open => {
                    // A link stays usable until it expires: a finished
                    // session is followed by a new one.
                    if link.session.finished().is_some() {
                        link.session = Session::new(&link.kind);
                    }
                    link.session.open(now)
                }
                Visit::Step(None) => Default::default(),
                Visit::Step(Some(action)) => {
                    let ctx = Context {
                        connect,
                        customers: &state.finicity.customers,
                        customer_id: link.customer_id,
                        kind: &link.kind,
                        now,
                    };
                    link.session.act(action, &ctx)
                }
            };
            if link.single_use && link.session.finished() == Some(Finish::Done) {
                link.used = true;
            }
            messages.extend(effects.messages);
            connect.raise(link, effects.events);
        }
        screen_of(link, messages, problem)
    });
    seen.unwrap_or_else(|| Screen {
        action: None,
        step: Step::Finished(Finish::Expired),
        alert: None,
        messages: vec![json!({"type": "error", "data": {"code": 500, "reason": "error"}})],
        redirect_uri: None,
        can_search: false,
        problem: Some("This Connect link is not known to leadsim: it was never generated, or a reset forgot it."),
    })
}

fn screen_of(link: &Link, messages: Vec<Value>, problem: Option<&'static str>) -> Screen {
    Screen {
        action: Some(format!("{EXPERIENCE_PATH}?signature={}", link.signature)),
        step: link.session.step.clone(),
        alert: link.session.alert.clone(),
        messages,
        redirect_uri: link.redirect_uri.clone(),
        can_search: !matches!(link.kind, LinkKind::Lite { .. } | LinkKind::Fix { .. }),
        problem,
    }
}

/// `POST /__admin/finicity/connect/complete`: a consumer's whole way through
/// a link, without a browser. Body: `link` (the generated URL, or its
/// signature), and optionally `institutionId`, `username`, `password`,
/// `mfaAnswers`, `accountIds` and `outcome` (`done`, `cancel` or `error`).
pub(crate) async fn admin_complete(State(state): State<Finicity>, Buffered(body): Buffered) -> Result<Response, AdminError> {
    let value = parse_json_value(&body, None).map_err(|_| AdminError::bad_request("body must be a JSON object"))?;
    let Value::Object(fields) = value else {
        return Err(AdminError::bad_request("body must be a JSON object"));
    };
    let text = |name: &str| -> Result<Option<String>, AdminError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(AdminError::bad_request(format!("{name} must be a string"))),
        }
    };
    let link = text("link")?.ok_or_else(|| AdminError::bad_request("link is required: the URL a generate call answered"))?;
    let signature = signature_of(&link);
    let kind = state
        .connect
        .with_link(&signature, |l| l.kind.clone())
        .ok_or_else(|| AdminError::not_found("no such Connect link (never generated, or forgotten by a reset)"))?;
    let outcome = text("outcome")?.unwrap_or_else(|| "done".into());
    if !matches!(outcome.as_str(), "done" | "cancel" | "error") {
        return Err(AdminError::bad_request("outcome must be done, cancel or error"));
    }
    let institution = match fields.get("institutionId") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or_else(|| AdminError::bad_request("institutionId must be an integer"))?),
        Some(Value::String(s)) => Some(s.parse().map_err(|_| AdminError::bad_request("institutionId must be an integer"))?),
        Some(_) => return Err(AdminError::bad_request("institutionId must be an integer")),
    };
    let strings = |name: &str| -> Result<Vec<String>, AdminError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(AdminError::bad_request(format!("{name} must be an array of strings"))),
                })
                .collect(),
            Some(_) => Err(AdminError::bad_request(format!("{name} must be an array"))),
        }
    };
    let answers = strings("mfaAnswers")?;
    let accounts: Vec<u64> = strings("accountIds")?
        .iter()
        .map(|id| id.parse().map_err(|_| AdminError::bad_request("accountIds must be account ids")))
        .collect::<Result<_, _>>()?;
    let username = text("username")?.unwrap_or_else(|| "profile_03".into());
    let password = text("password")?.unwrap_or_else(|| username.clone());

    let mut messages = Vec::new();
    let mut walk = |action: Option<Action>| -> Screen {
        let screen = visit(&state, &signature, action.map_or(Visit::Open, |a| Visit::Step(Some(a))));
        messages.extend(screen.messages.iter().cloned());
        screen
    };
    let mut screen = walk(None);
    match outcome.as_str() {
        "cancel" => screen = walk(Some(Action::Cancel)),
        "error" => screen = walk(Some(Action::Fail)),
        _ => {
            if matches!(kind, LinkKind::Full | LinkKind::Email) {
                let id = institution.unwrap_or(super::super::institutions::FINBANK_PROFILES_A);
                screen = walk(Some(Action::Institution(id)));
            }
            if matches!(screen.step, Step::SignIn { .. }) {
                screen = walk(Some(Action::SignIn { username, password }));
            }
            let mut answers = answers.into_iter();
            while let Step::Mfa { challenge, .. } = &screen.step {
                let needed = challenge.questions().len();
                let given: Vec<String> = answers.by_ref().take(needed).collect();
                if given.len() < needed {
                    break;
                }
                screen = walk(Some(Action::Mfa(given)));
            }
            if matches!(screen.step, Step::Accounts { .. }) {
                screen = walk(Some(Action::AddAccounts(accounts)));
            }
            if matches!(screen.step, Step::Added { .. }) {
                screen = walk(Some(Action::Submit));
            }
        }
    }
    let finished = match &screen.step {
        Step::Finished(Finish::Done) => Some("done"),
        Step::Finished(Finish::Cancelled) => Some("cancelled"),
        Step::Finished(Finish::Failed) => Some("failed"),
        Step::Finished(Finish::Expired) => Some("expired"),
        _ => None,
    };
    let body = json!({
        "finished": finished,
        "screen": page::screen_name(&screen),
        "alert": screen.alert.clone().or_else(|| screen.problem.map(str::to_owned)),
        "messages": messages,
    });
    let status = if finished.is_some() { StatusCode::OK } else { StatusCode::CONFLICT };
    Ok((status, Json(body)).into_response())
}

/// The signature of a generated link, or the text itself.
fn signature_of(link: &str) -> String {
    match link.split_once('?') {
        Some((_, query)) => form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "signature")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default(),
        None => link.to_owned(),
    }
}

/// `GET /__admin/finicity/webhooks`: every Data Connect event delivery
/// (and `ping`), oldest first.
pub(crate) async fn admin_webhooks(State(state): State<Finicity>) -> Json<Value> {
    Json(json!({ "deliveries": state.connect.webhooks.deliveries() }))
}
