//! `POST /uiEvent/offerDisplays`, `POST /uiEvent/sessionInits` and the pixel
//! `GET /uiEvent/offerDisplays/{leadUuid}/{rateTableUuid}/{offerUuid}/pixel.gif`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Engine;
use super::auth::Publishable;
use super::error::{ApiError, EngineError};
use super::ui_store::{DisplayedOffer, Source};
use crate::shared::http::json_written;
use crate::shared::request::{Buffered, parse_json_plain, parse_json_value};

/// A transparent 1x1 GIF89a: the smallest image every browser renders.
pub(crate) const PIXEL_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, // "GIF89a"
    0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, // 1x1, 2-colour global table
    0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // black, white
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, // colour 0 is transparent
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image descriptor
    0x02, 0x02, 0x44, 0x01, 0x00, // LZW data
    0x3b, // trailer
];

pub(crate) async fn create_offer_display(
    State(state): State<Engine>,
    Publishable { company, .. }: Publishable,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, EngineError> {
    let offer = read_offer(&body)?;
    let ui = &state.engine.ui;
    let recorded = ui.record_display(Some(company.uuid), offer, Source::Api, state.clock.now());
    // The 201 echoes the body's members, plus the display's own.
    let mut out = Vec::with_capacity(body.len() + 256);
    ui.offer_display(&recorded).write(&mut out);
    Ok(json_written(StatusCode::CREATED, out))
}

pub(crate) async fn create_session_init(
    State(state): State<Engine>,
    Publishable { company, .. }: Publishable,
    Buffered(body): Buffered,
) -> Result<impl IntoResponse, EngineError> {
    // Generated SDKs send an empty body when the optional body is omitted.
    let fields = read_object(&body)?;
    let mut errors = Vec::new();
    let session_uuid = match fields.get("sessionUuid") {
        None | Some(Value::Null) => None,
        Some(value) => uuid_value("sessionUuid", value, &mut errors),
    };
    if !errors.is_empty() {
        return Err(EngineError::Attributes(errors));
    }
    let session = state
        .engine
        .ui
        .record_session(Some(company.uuid), session_uuid, state.clock.now());
    Ok((StatusCode::CREATED, Json(session)))
}

/// Always answers the GIF, as the vendor promises; records a display only
/// for a GET whose three segments are uuids. The display is credited to the
/// token's company, else the lead's company, else nobody (unattributed).
///
/// Takes the whole request rather than `HeaderMap`/`Uri` extractors, which
/// would clone them on the hottest route.
pub(crate) async fn pixel(State(state): State<Engine>, request: Request) -> Response {
    if request.method() == Method::GET
        && let Some(offer) = offer_from_pixel_path(request.uri().path())
    {
        let catalog = state.engine.peek();
        let owner = catalog
            .companies
            .identify(request.headers())
            .map(|c| c.uuid)
            .or_else(|| catalog.owner_of_lead(offer.lead_uuid));
        state
            .engine
            .ui
            .record_display(owner, offer, Source::Pixel, state.clock.now());
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        PIXEL_GIF.as_slice(),
    )
        .into_response()
}

/// `/uiEvent/offerDisplays/{lead}/{rateTable}/{offer}/pixel.gif`, with
/// three hyphenated uuids; read by position because the route already
/// matched the shape.
fn offer_from_pixel_path(path: &str) -> Option<DisplayedOffer> {
    const UUID_LEN: usize = 36;
    let segments = path
        .strip_prefix("/uiEvent/offerDisplays/")?
        .strip_suffix("/pixel.gif")?;
    let (lead, rest) = segments.split_at_checked(UUID_LEN)?;
    let rest = rest.strip_prefix('/')?;
    let (rate_table, rest) = rest.split_at_checked(UUID_LEN)?;
    let offer = rest.strip_prefix('/')?;
    Some(DisplayedOffer {
        lead_uuid: strict_uuid(lead)?,
        rate_table_uuid: strict_uuid(rate_table)?,
        offer_uuid: strict_uuid(offer)?,
    })
}

fn read_offer(body: &[u8]) -> Result<DisplayedOffer, EngineError> {
    read_plain_offer(body).map_or_else(|| read_offer_tree(body), Ok)
}

/// The three uuids as clients send them: strings with no escapes.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlainDisplay<'a> {
    lead_uuid: &'a str,
    rate_table_uuid: &'a str,
    offer_uuid: &'a str,
}

/// A body of three valid uuids, read without a JSON tree; `None` for
/// anything else, which [`read_offer_tree`] reads to word its error.
fn read_plain_offer(body: &[u8]) -> Option<DisplayedOffer> {
    let plain: PlainDisplay = parse_json_plain(body)?;
    Some(DisplayedOffer {
        lead_uuid: strict_uuid(plain.lead_uuid)?,
        rate_table_uuid: strict_uuid(plain.rate_table_uuid)?,
        offer_uuid: strict_uuid(plain.offer_uuid)?,
    })
}

fn read_offer_tree(body: &[u8]) -> Result<DisplayedOffer, EngineError> {
    let fields = read_object(body)?;
    let mut errors = Vec::new();
    let mut required = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => {
            errors.push(ApiError::missing(name));
            None
        }
        Some(value) => uuid_value(name, value, &mut errors),
    };
    let (lead, rate_table, offer) = (
        required("leadUuid"),
        required("rateTableUuid"),
        required("offerUuid"),
    );
    match (lead, rate_table, offer) {
        (Some(lead_uuid), Some(rate_table_uuid), Some(offer_uuid)) => Ok(DisplayedOffer {
            lead_uuid,
            rate_table_uuid,
            offer_uuid,
        }),
        _ => Err(EngineError::Attributes(errors)),
    }
}

/// The body as a JSON object; an empty body is `{}`.
fn read_object(body: &[u8]) -> Result<Map<String, Value>, EngineError> {
    match parse_json_value(body, Some("{}"))? {
        Value::Object(fields) => Ok(fields),
        other => Err(EngineError::Malformed {
            attribute: None,
            specified: Some(other.to_string()),
            message: "Request body must be a JSON object".into(),
        }),
    }
}

fn uuid_value(name: &str, value: &Value, errors: &mut Vec<ApiError>) -> Option<Uuid> {
    match value {
        Value::String(text) => strict_uuid(text).or_else(|| {
            errors.push(ApiError::malformed(
                name,
                text,
                format!("{name} must be a UUID, but is '{}'", super::error::shorten(text)),
            ));
            None
        }),
        other => {
            let text = other.to_string();
            errors.push(ApiError::malformed(
                name,
                &text,
                format!(
                    "{name} must be a string containing a UUID, but is {}",
                    super::error::shorten(&text)
                ),
            ));
            None
        }
    }
}

/// Only the hyphenated form the spec's `format: uuid` means.
fn strict_uuid(text: &str) -> Option<Uuid> {
    (text.len() == 36).then(|| Uuid::try_parse(text).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Well-formed displays read without a tree give what the tree gives;
    /// anything else is left to the tree, which words its error.
    #[test]
    fn plain_displays_read_as_their_trees_do() {
        let u = "39197a3f-d2f4-43eb-9999-7f7a154d79bc";
        let plain = [
            format!(r#"{{"leadUuid":"{u}","rateTableUuid":"{u}","offerUuid":"{u}"}}"#),
            format!(r#" {{"offerUuid":"{u}","extra":[1,{{}}],"rateTableUuid":"{u}","leadUuid":"{u}"}} "#),
        ];
        for body in &plain {
            let read = read_plain_offer(body.as_bytes()).unwrap_or_else(|| panic!("plain: {body}"));
            let tree = read_offer_tree(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}: {body}"));
            assert_eq!(read, tree, "{body}");
        }
        let simple = "39197a3fd2f443eb99997f7a154d79bc";
        let other = [
            format!(r#"{{"leadUuid":"{u}","rateTableUuid":"{u}"}}"#),
            format!(r#"{{"leadUuid":"{simple}","rateTableUuid":"{u}","offerUuid":"{u}"}}"#),
            format!(r#"{{"leadUuid":"{u}","rateTableUuid":"{u}","offerUuid":null}}"#),
            format!(r#"{{"leadUuid":"{u}","rateTableUuid":"{u}","offerUuid":7}}"#),
            format!(r#"{{"leadUuid":"\u0033{}","rateTableUuid":"{u}","offerUuid":"{u}"}}"#, &u[1..]),
            format!(r#"{{"leadUuid":"{u}","leadUuid":"{u}","rateTableUuid":"{u}","offerUuid":"{u}"}}"#),
            format!(r#"["{u}","{u}","{u}"]"#),
            format!(r#"{{"leadUuid":"{u}","rateTableUuid":"{u}","offerUuid":"{u}"}} x"#),
            String::new(),
        ];
        for body in &other {
            assert_eq!(read_plain_offer(body.as_bytes()), None, "{body}");
        }
    }

    #[test]
    fn pixel_path_needs_three_hyphenated_uuids() {
        let u = "39197a3f-d2f4-43eb-9999-7f7a154d79bc";
        let ok = format!("/uiEvent/offerDisplays/{u}/{u}/{u}/pixel.gif");
        assert!(offer_from_pixel_path(&ok).is_some());
        let simple = "39197a3fd2f443eb99997f7a154d79bc";
        for bad in [
            format!("/uiEvent/offerDisplays/x/{u}/{u}/pixel.gif"),
            format!("/uiEvent/offerDisplays/{simple}/{u}/{u}/pixel.gif"),
            format!("/uiEvent/offerDisplays/{u}/{u}/{simple}/pixel.gif"),
            format!("/uiEvent/offerDisplays/{u}/{u}/{u}x/pixel.gif"),
            format!("/uiEvent/offerDisplays/{u}{u}/{u}/pixel.gif"),
            format!("/uiEvent/offerDisplays/{u}/é{}/{u}/pixel.gif", &u[2..]),
        ] {
            assert!(offer_from_pixel_path(&bad).is_none(), "{bad}");
        }
    }
}
