//! Test helpers: an in-process leadsim (`TestApp`, driven with `oneshot`)
//! and small assertions on responses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use leadsim::Fixtures;
use leadsim::config::Config;
use leadsim::parse_rfc3339;
use leadsim::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

pub mod schema;

pub const CONFIDENTIAL: &str = "demo-confidential-token";
pub const PUBLISHABLE: &str = "demo-publishable-token";

/// leadsim in-process, on the embedded fixtures. Clones share one server.
#[derive(Clone)]
pub struct TestApp {
    pub state: AppState,
    router: leadsim::App,
}

impl TestApp {
    /// Real time, seed 42.
    pub fn new() -> Self {
        Self::with(
            Config::defaults(),
            Fixtures::embedded().expect("embedded fixtures"),
        )
    }

    /// The clock frozen at `now` (RFC 3339).
    pub fn at(now: &str) -> Self {
        let mut config = Config::defaults();
        config.now = Some(parse_rfc3339(now).expect("valid --now"));
        Self::with(config, Fixtures::embedded().expect("embedded fixtures"))
    }

    pub fn with(config: Config, fixtures: Fixtures) -> Self {
        let state = AppState::new(&config, fixtures);
        Self {
            router: app(state.clone()),
            state,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        self.try_send(request).await.expect("a readable body")
    }

    /// `None` when the body fails to arrive (an injected drop or truncation).
    pub async fn try_send(&self, request: Request<Body>) -> Option<TestResponse> {
        let response = self.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some(TestResponse {
            status,
            headers,
            body,
        })
    }

    /// A request with headers given as pairs and a raw body.
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder.body(body.into()).expect("request")).await
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.call(Method::GET, uri, &[], Body::empty()).await
    }

    pub async fn get_as(&self, uri: &str, token: &str) -> TestResponse {
        let auth = format!("Bearer {token}");
        self.call(Method::GET, uri, &[("authorization", &auth)], Body::empty())
            .await
    }

    pub async fn post_json(&self, uri: &str, body: &str) -> TestResponse {
        self.call(
            Method::POST,
            uri,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }

    pub async fn post_json_as(&self, uri: &str, token: &str, body: &str) -> TestResponse {
        let auth = format!("Bearer {token}");
        self.call(
            Method::POST,
            uri,
            &[("content-type", "application/json"), ("authorization", &auth)],
            body.to_owned(),
        )
        .await
    }

    pub async fn put_json(&self, uri: &str, body: &str) -> TestResponse {
        self.call(
            Method::PUT,
            uri,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }

    pub async fn delete(&self, uri: &str) -> TestResponse {
        self.call(Method::DELETE, uri, &[], Body::empty()).await
    }

    /// Serves this app on a loopback port, for tests that need a real
    /// connection; the server lives as long as the test's runtime.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let router = self.router.clone();
        tokio::spawn(async move { axum::serve(listener, Router::new().fallback_service(router)).await });
        address
    }

    /// Serves this app with leadsim's own server (hyper's connection
    /// handling, the header and body limits), not `axum::serve`.
    pub async fn serve_under(&self, limits: leadsim::server::Limits) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let router = app(self.state.clone());
        tokio::spawn(leadsim::server::serve(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        address
    }

    /// Moves the virtual clock on by `seconds`.
    pub async fn advance(&self, seconds: i64) {
        let body = serde_json::json!({ "seconds": seconds }).to_string();
        self.post_json("/__admin/clock/advance", &body)
            .await
            .assert_status(200);
    }

    /// A Finicity partner token of the demo partner.
    pub async fn finicity_token(&self) -> String {
        let response = self
            .call(
                Method::POST,
                "/aggregation/v2/partners/authentication",
                &[
                    ("content-type", "application/json"),
                    ("finicity-app-key", "demo-app-key"),
                ],
                r#"{"partnerId":"demo-partner","partnerSecret":"demo-partner-secret"}"#.to_owned(),
            )
            .await;
        response.assert_status(200);
        response.json()["token"].as_str().expect("a token").to_owned()
    }

    /// The journal (`GET /__admin/requests{query}`) without each request's
    /// `latencyMs`: a measured float, whose digits may spell a number a
    /// test looks for (`0.385829000…` holds "90000"), so checks that a
    /// value never shows read only what could leak.
    pub async fn journal(&self, query: &str) -> Value {
        let mut journal: Value = self.get(&format!("/__admin/requests{query}")).await.json();
        for request in journal["requests"].as_array_mut().into_iter().flatten() {
            if let Some(request) = request.as_object_mut() {
                request.remove("latencyMs");
            }
        }
        journal
    }

    /// The virtual time as the admin API reports it.
    pub async fn now(&self) -> String {
        let clock = self.get("/__admin/clock").await.json();
        clock["now"].as_str().expect("now").to_owned()
    }
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "body: {}", self.text());
        self
    }
}

/// Sends one raw request on a fresh connection and reads until the server
/// closes it (10 s at most). A reset after a dropped connection is as good
/// as a close.
pub async fn raw_exchange(address: std::net::SocketAddr, request: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut received = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut received),
    )
    .await;
    received
}
