//! Reading what clients send, without framework-default rejections: each
//! family turns these errors into its own vendor shape.

use std::borrow::Cow;
use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, StatusCode, Uri};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::shared::strict_json::{self, Strict};

/// A request's headers and URI, moved out of it. axum's `HeaderMap` and
/// `RawQuery` extractors copy them (a map and a string a request, on the
/// routes clients poll most). Like every extractor that takes the request,
/// it comes last among a handler's arguments, after every one that reads
/// the headers in place (authentication among them).
pub(crate) struct Head {
    pub(crate) headers: HeaderMap,
    pub(crate) uri: Uri,
}

impl Head {
    fn of(parts: http::request::Parts) -> Self {
        Head {
            headers: parts.headers,
            uri: parts.uri,
        }
    }

    /// The query as sent, if any (what `RawQuery` holds).
    pub(crate) fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

impl<S: Send + Sync> FromRequest<S> for Head {
    type Rejection = Infallible;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Head::of(request.into_parts().0))
    }
}

/// A request's body, which the journal layer has read whole before any
/// handler runs (bounded, with its own timeout and errors): taken as the
/// one buffer it is. axum's `Bytes` extractor would collect it again
/// through a body limit and a list of buffers, on every POST.
pub(crate) struct Buffered(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for Buffered {
    type Rejection = Unreadable;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        buffered(request.into_body()).await.map(Buffered)
    }
}

/// A body that failed while read, which only a router called without the
/// journal layer can meet: 400, as axum's `Bytes` extractor answers it.
#[derive(Debug)]
pub(crate) struct Unreadable(axum::Error);

impl IntoResponse for Unreadable {
    fn into_response(self) -> Response {
        let message = format!("Failed to buffer the request body: {}", self.0);
        (StatusCode::BAD_REQUEST, message).into_response()
    }
}

/// The bytes of a body the journal layer buffered: one frame, normally
/// (gathered frame by frame otherwise).
async fn buffered(mut body: Body) -> Result<Bytes, Unreadable> {
    let mut gathered = Bytes::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(Unreadable)?.into_data() else {
            continue;
        };
        gathered = if gathered.is_empty() {
            data
        } else {
            [gathered, data].concat().into()
        };
    }
    Ok(gathered)
}

/// [`Head`] and the [`Buffered`] body.
pub(crate) struct HeadAndBody {
    pub(crate) head: Head,
    pub(crate) body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for HeadAndBody {
    type Rejection = Unreadable;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        Ok(HeadAndBody {
            head: Head::of(parts),
            body: buffered(body).await?,
        })
    }
}

/// Why a JSON body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Not JSON at all (syntax error or truncated).
    Malformed { reason: String },
    /// Valid JSON, but a field is missing or has the wrong type.
    Invalid { path: String, reason: String },
}

/// Parses a JSON body that must be an object (or `null`, for an optional
/// one), naming the JSON path of the first problem.
/// An empty (or all-whitespace) body is read as `empty_as` (e.g. `{}`),
/// because generated SDKs send empty bodies with a JSON content type.
/// Anything after the JSON value but whitespace is malformed, and so is a
/// body that is not UTF-8 anywhere, even inside a member nobody reads.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], empty_as: Option<&str>) -> Result<T, BodyError> {
    let text = utf8_body(body, empty_as)?;
    // serde reads a JSON array into a struct's fields in order: refuse every
    // root but an object before serde sees it.
    if let Some(kind) = non_object_root(text) {
        return Err(BodyError::Invalid {
            path: ".".to_owned(),
            reason: format!("invalid type: {kind}, expected a JSON object"),
        });
    }
    // Tracking the path costs every POST a wrapper around each value, so it
    // is only done again, to describe the problem, once a parse has failed.
    let mut de = serde_json::Deserializer::from_str(text);
    strict_json::deserialize(&mut de)
        .and_then(|value| de.end().map(|()| value))
        .map_err(|error| describe_failure::<T>(text.as_bytes(), error))
}

/// Reads a body exactly as [`parse_json`] would accept it (any root,
/// structs from objects only, UTF-8 throughout, nothing after the value),
/// or `None` without working out why: for a fast path whose caller reads
/// any other body as a JSON tree, to word its error in the vendor's way.
/// May borrow strings from `body`.
pub(crate) fn parse_json_plain<'a, T: serde::Deserialize<'a>>(body: &'a [u8]) -> Option<T> {
    // Checked whole first: serde_json skips ignored members' strings
    // without checking their encoding.
    let text = std::str::from_utf8(body).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = strict_json::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Parses a JSON body of any shape (the caller decides what a non-object
/// means in its vendor's words), with [`parse_json`]'s other rules.
pub(crate) fn parse_json_value(body: &[u8], empty_as: Option<&str>) -> Result<serde_json::Value, BodyError> {
    let text = utf8_body(body, empty_as)?;
    serde_json::from_str(text).map_err(|error| describe_failure::<serde_json::Value>(text.as_bytes(), error))
}

/// The body as text (`empty_as` for an empty one): serde_json skips ignored
/// strings without checking their encoding, so the whole body is checked.
fn utf8_body<'a>(body: &'a [u8], empty_as: Option<&'a str>) -> Result<&'a str, BodyError> {
    let body = match empty_as {
        Some(default) if body.iter().all(u8::is_ascii_whitespace) => default.as_bytes(),
        _ => body,
    };
    std::str::from_utf8(body).map_err(|e| BodyError::Malformed {
        reason: format!("body is not valid UTF-8 (at byte {})", e.valid_up_to()),
    })
}

/// What the document is when it is valid JSON but not an object or `null`.
fn non_object_root(text: &str) -> Option<&'static str> {
    let kind = match text.trim_start().as_bytes().first()? {
        b'[' => "array",
        b'"' => "string",
        b't' | b'f' => "boolean",
        b'-' | b'0'..=b'9' => "number",
        _ => return None,
    };
    // Only a well-formed document is "the wrong type"; anything else is malformed.
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .ok()
        .map(|_| kind)
}

fn describe_failure<T: DeserializeOwned>(body: &[u8], error: serde_json::Error) -> BodyError {
    // Syntax first: a broken document is malformed whatever its shape.
    if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return BodyError::Malformed {
            reason: syntax.to_string(),
        };
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let error = match serde_path_to_error::deserialize::<_, T>(Strict(&mut de)) {
        Err(e) => {
            let path = crate::shared::fixtures::json_path(e.path());
            let inner = e.into_inner();
            if !(inner.is_syntax() || inner.is_eof() || inner.is_io()) {
                return BodyError::Invalid {
                    path,
                    reason: strip_position(&inner.to_string()),
                };
            }
            inner
        }
        // The value parsed: what failed is what follows it.
        Ok(_) => de.end().err().unwrap_or(error),
    };
    BodyError::Malformed {
        reason: error.to_string(),
    }
}

/// serde_json appends " at line 1 column 42"; for a single field that is noise.
fn strip_position(reason: &str) -> String {
    match reason.rfind(" at line ") {
        Some(i) => reason[..i].to_owned(),
        None => reason.to_owned(),
    }
}

/// Decoded query pairs in order (`+` and `%2B` handled as HTML forms do).
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|query| {
        decoded_pairs(query)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
}

/// [`query_pairs`], borrowed from the query where nothing was escaped.
pub(crate) fn decoded_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    // Most queries escape nothing, and then decoding changes nothing:
    // split them in place. `form_urlencoded` walks every byte through an
    // iterator chain, about a thousand instructions a pair of keys.
    let plain = memchr::memchr2(b'%', b'+', query.as_bytes()).is_none();
    let split = plain.then_some(PlainPairs { rest: query });
    let decoded = (!plain).then(|| form_urlencoded::parse(query.as_bytes()));
    split.into_iter().flatten().chain(decoded.into_iter().flatten())
}

/// The pairs of a query that escapes nothing, split at `&` and `=` as
/// `form_urlencoded` splits them (empty pairs skipped, a pair without `=`
/// an empty value). Found with `memchr`: `str::split` with a char pattern
/// walked a query at about 15 instructions a byte.
struct PlainPairs<'a> {
    rest: &'a str,
}

impl<'a> Iterator for PlainPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            // `&` and `=` are ASCII: every cut is at a character boundary.
            let end = self
                .rest
                .bytes()
                .position(|b| b == b'&')
                .unwrap_or(self.rest.len());
            let (pair, rest) = self.rest.split_at(end);
            self.rest = rest.get(1..).unwrap_or_default();
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match memchr::memchr(b'=', pair.as_bytes()) {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, ""),
            };
            return Some((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
    }
}

/// The first value of `name` in the query, if any.
pub(crate) fn query_value<'a>(
    pairs: &'a [(impl AsRef<str>, impl AsRef<str>)],
    name: &str,
) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.as_ref() == name)
        .map(|(_, v)| v.as_ref())
}

/// The scheme and authority clients reach leadsim at, for absolute links:
/// `--public-url` when set, else `X-Forwarded-Proto` / `X-Forwarded-Host` /
/// `Host` (so links work behind Docker port maps and proxies).
pub(crate) fn public_base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    // Names made once: a `&str` name is parsed and hashed anew on each look-up.
    const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    if let Some(url) = configured {
        return url.to_owned();
    }
    let first = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let scheme = match first(&X_FORWARDED_PROTO) {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = first(&X_FORWARDED_HOST)
        .filter(|h| is_authority(h))
        .or_else(|| first(&http::header::HOST).filter(|h| is_authority(h)))
        .unwrap_or("localhost");
    [scheme, "://", host].concat()
}

/// Host headers are client input: accept only what a URL authority may hold.
fn is_authority(host: &str) -> bool {
    host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_'))
}

#[cfg(test)]
impl BodyError {
    /// The JSON path of the offending value (`.` for the document), if known.
    fn path(&self) -> &str {
        match self {
            BodyError::Malformed { .. } => ".",
            BodyError::Invalid { path, .. } => path,
        }
    }

    fn reason(&self) -> &str {
        match self {
            BodyError::Malformed { reason } | BodyError::Invalid { reason, .. } => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::RawQuery;
    use serde::Deserialize;

    fn request(uri: &str, body: &'static str) -> Request {
        let mut request = Request::new(Body::from(body));
        *request.uri_mut() = uri.parse().unwrap_or_default();
        let headers = request.headers_mut();
        headers.insert("x-one", http::HeaderValue::from_static("1"));
        headers.append("x-one", http::HeaderValue::from_static("2"));
        headers.insert(http::header::HOST, http::HeaderValue::from_static("h:8"));
        request
    }

    #[tokio::test]
    async fn head_and_body_hold_what_axum_s_own_extractors_give() {
        for uri in ["/p?a=1&b=%20", "/p", "/p?", "http://x:1/p?q"] {
            let expected_headers = HeaderMap::from_request(request(uri, ""), &()).await;
            let RawQuery(expected_query) = RawQuery::from_request(request(uri, ""), &())
                .await
                .unwrap_or(RawQuery(None));
            let Ok(head) = Head::from_request(request(uri, ""), &()).await;
            assert_eq!(
                Ok(head.headers.clone()),
                expected_headers.map_err(|e| e.to_string())
            );
            assert_eq!(head.query(), expected_query.as_deref(), "{uri}");
            let Ok(both) = HeadAndBody::from_request(request(uri, "{\"a\":1}"), &()).await else {
                panic!("a small body is read");
            };
            assert_eq!(both.head.headers, head.headers);
            assert_eq!(both.head.uri, head.uri);
            assert_eq!(both.body, Bytes::from_static(b"{\"a\":1}"));
        }
    }

    #[tokio::test]
    async fn a_body_is_read_whole_and_a_failing_one_refused_as_bytes_does() {
        let streamed = |chunks: Vec<Result<&'static str, std::io::Error>>| {
            Request::new(Body::from_stream(futures_util::stream::iter(chunks)))
        };
        let parts = || vec![Ok("{\"a\""), Ok(""), Ok(":1}")];
        let Ok(Buffered(ours)) = Buffered::from_request(streamed(parts()), &()).await else {
            panic!("a body in frames is read");
        };
        let axum = Bytes::from_request(streamed(parts()), &()).await.ok();
        assert_eq!(Some(ours), axum);
        assert_eq!(axum.as_deref(), Some(&b"{\"a\":1}"[..]));

        let failing = || vec![Ok("{"), Err(std::io::Error::other("reset"))];
        let ours = Buffered::from_request(streamed(failing()), &())
            .await
            .map(|_| ())
            .map_err(IntoResponse::into_response);
        let axum = Bytes::from_request(streamed(failing()), &())
            .await
            .map(|_| ())
            .map_err(IntoResponse::into_response);
        let (Err(ours), Err(axum)) = (ours, axum) else {
            panic!("both refuse a body that fails");
        };
        assert_eq!(ours.status(), StatusCode::BAD_REQUEST);
        assert_eq!(ours.status(), axum.status());
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        seconds: i64,
    }

    #[test]
    fn malformed_and_invalid_bodies_are_told_apart() {
        assert!(matches!(
            parse_json::<Advance>(b"{", None),
            Err(BodyError::Malformed { .. })
        ));
        let err = parse_json::<Advance>(br#"{"seconds":"ten"}"#, None).err();
        assert_eq!(err.as_ref().map(BodyError::path), Some("seconds"));
        assert_eq!(
            err.as_ref().map(BodyError::reason),
            Some("invalid type: string \"ten\", expected i64")
        );
        let nested = parse_json::<serde_json::Value>(br#"{"a":[1,}"#, None).err();
        assert!(matches!(nested, Some(BodyError::Malformed { .. })), "{nested:?}");
    }

    #[test]
    fn only_an_object_is_a_body() {
        for (body, kind) in [
            ("[1]", "array"),
            (r#"["2020-01-01T00:00:00Z"]"#, "array"),
            ("\"x\"", "string"),
            ("true", "boolean"),
            ("12", "number"),
        ] {
            let err = parse_json::<Advance>(body.as_bytes(), None).err();
            assert_eq!(
                err,
                Some(BodyError::Invalid {
                    path: ".".into(),
                    reason: format!("invalid type: {kind}, expected a JSON object")
                }),
                "{body}"
            );
        }
        assert_eq!(parse_json::<Option<Advance>>(b"null", None), Ok(None));
        assert!(matches!(
            parse_json::<Advance>(b"[1,", None),
            Err(BodyError::Malformed { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_malformed_even_in_an_ignored_member() {
        let body = b"{\"seconds\":1,\"note\":\"\xff\"}";
        let err = parse_json::<serde_json::Map<String, serde_json::Value>>(body, None).err();
        assert_eq!(
            err,
            Some(BodyError::Malformed {
                reason: "body is not valid UTF-8 (at byte 21)".into()
            })
        );
        #[derive(Debug, Deserialize)]
        struct Lenient {
            #[allow(dead_code)]
            seconds: i64,
        }
        assert!(parse_json::<Lenient>(body, None).is_err());
    }

    #[test]
    fn trailing_characters_are_malformed() {
        let err = parse_json::<Advance>(br#"{"seconds":1} x"#, None).err();
        assert_eq!(
            err.as_ref().map(BodyError::reason),
            Some("trailing characters at line 1 column 15")
        );
        assert_eq!(
            parse_json::<Advance>(b"{\"seconds\":1}\n ", None),
            Ok(Advance { seconds: 1 })
        );
    }

    #[test]
    fn empty_body_can_stand_for_a_default() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Empty {
            name: Option<String>,
        }
        assert_eq!(parse_json::<Empty>(b"  ", Some("{}")), Ok(Empty { name: None }));
        assert!(parse_json::<Empty>(b"", None).is_err());
    }

    #[test]
    fn base_url_follows_proxies_and_ignores_hostile_hosts() {
        let mut headers = HeaderMap::new();
        headers.insert("host", http::HeaderValue::from_static("127.0.0.1:8080"));
        assert_eq!(public_base_url(None, &headers), "http://127.0.0.1:8080");
        headers.insert("x-forwarded-proto", http::HeaderValue::from_static("https"));
        headers.insert(
            "x-forwarded-host",
            http::HeaderValue::from_static("sim.example, inner"),
        );
        assert_eq!(public_base_url(None, &headers), "https://sim.example");
        headers.insert(
            "x-forwarded-host",
            http::HeaderValue::from_static("evil.example/path?"),
        );
        assert_eq!(public_base_url(None, &headers), "https://127.0.0.1:8080");
        assert_eq!(
            public_base_url(Some("https://fixed:1"), &headers),
            "https://fixed:1"
        );
    }

    #[test]
    fn query_values_are_percent_decoded() {
        let pairs = query_pairs(Some("timestamp=2020-01-09T00%3A00%3A00.000000%2B0000&x=1"));
        assert_eq!(
            query_value(&pairs, "timestamp"),
            Some("2020-01-09T00:00:00.000000+0000")
        );
        assert_eq!(query_value(&pairs, "missing"), None);
    }

    #[test]
    fn queries_without_escapes_split_as_forms_decode_them() {
        let decoded = |q: &str| -> Vec<(String, String)> {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        };
        let queries = [
            "",
            "&",
            "&&a=1&&",
            "a",
            "a=",
            "=b",
            "=",
            "a=b=c",
            "a=1&a=2&A=3",
            "accessKey=u$r1&secretKey=s3cr3t&id=f0e1",
            "x=é&y=日本&z=a;b",
            "k=v&empty&=v2",
            // Escaped, through form_urlencoded itself.
            "a=%41&b=c+d",
            "a+b=%2B&%ff=1",
        ];
        for query in queries {
            assert_eq!(query_pairs(Some(query)), decoded(query), "{query:?}");
        }
        assert!(query_pairs(None).is_empty());
        let borrowed =
            |q| decoded_pairs(q).all(|(k, v)| matches!((k, v), (Cow::Borrowed(_), Cow::Borrowed(_))));
        assert!(borrowed("a=1&b=x"));
        assert!(!borrowed("a=%41"));
    }

    #[test]
    fn any_query_splits_as_forms_decode_it() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            ..Config::default()
        });
        let query = proptest::collection::vec(
            proptest::sample::select(vec!["a", "B", "=", "&", "é", "%", "+", "1", ""]),
            0..24,
        )
        .prop_map(|parts| parts.concat());
        let outcome = runner.run(&query, |query| {
            let ours: Vec<(String, String)> = decoded_pairs(&query)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let theirs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            prop_assert_eq!(ours, theirs, "{:?}", query);
            Ok(())
        });
        assert!(outcome.is_ok(), "{outcome:?}");
    }
}

/// The path with every run of percent-escapes that does not decode to
/// UTF-8 replaced by the escapes of U+FFFD; `None` when every run decodes
/// (the common case, decided without allocating unless the path has a `%`).
///
/// A router cannot hand a parameter such as `%ff` to a handler as text, so
/// without this every route would answer it with the framework's own 400
/// instead of the vendor's error for a malformed value. Runs are replaced
/// whole and re-escaped, so an escaped `/` never becomes a separator.
pub(crate) fn lossy_utf8_path(path: &str) -> Option<String> {
    if !path.contains('%') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            let next = path[i..].find('%').map_or(path.len(), |n| i + n);
            out.push_str(&path[i..next]);
            i = next;
            continue;
        }
        // A run of escapes, decoded together (a UTF-8 character spans several).
        let start = i;
        let mut decoded = Vec::new();
        while i + 2 < bytes.len() && bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    decoded.push((h * 16 + l) as u8);
                    i += 3;
                }
                _ => break,
            }
        }
        if decoded.is_empty() {
            // A `%` that escapes nothing: kept as sent.
            out.push('%');
            i += 1;
            continue;
        }
        match std::str::from_utf8(&decoded) {
            Ok(_) => out.push_str(&path[start..i]),
            Err(_) => {
                changed = true;
                let text = String::from_utf8_lossy(&decoded);
                for byte in text.bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod lossy_path_tests {
    use super::lossy_utf8_path;

    #[test]
    fn runs_that_are_not_utf8_become_the_replacement_character() {
        assert_eq!(lossy_utf8_path("/leads/abc"), None);
        assert_eq!(lossy_utf8_path("/leads/%E2%82%AC%2F"), None);
        assert_eq!(lossy_utf8_path("/leads/%ff").as_deref(), Some("/leads/%EF%BF%BD"));
        assert_eq!(
            lossy_utf8_path("/a/%C3%28/b").as_deref(),
            Some("/a/%EF%BF%BD%28/b")
        );
        assert_eq!(
            lossy_utf8_path("/a/%ff%2F/b").as_deref(),
            Some("/a/%EF%BF%BD%2F/b")
        );
        assert_eq!(lossy_utf8_path("/a/100%/b"), None);
        assert_eq!(lossy_utf8_path("/a/%f"), None);
    }
}
