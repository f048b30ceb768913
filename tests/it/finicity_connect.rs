//! Finicity Data Connect (spec 1.42.0): Connect URLs and their errors, the
//! Connect experience through form posts and the admin walk, webhook
//! events in order with their envelope and signature, the test logins'
//! paths, and what a client reads after a link: accounts, transactions
//! that explain the balances, refreshes, institutions and deletions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use common::schema::assert_finicity_connect_schema;
use common::{TestApp, TestResponse};
use serde_json::{Value, json};

const NOW: &str = "2026-11-23T18:00:00Z";
/// 2026-11-23T18:00:00Z in epoch seconds.
const NOW_EPOCH: i64 = 1_795_456_800;

struct Client {
    app: TestApp,
    token: String,
}

impl Client {
    async fn new() -> Self {
        let app = TestApp::at(NOW);
        let token = app.finicity_token().await;
        Self { app, token }
    }

    async fn call(&self, method: Method, uri: &str, body: &str) -> TestResponse {
        let headers = [
            ("finicity-app-key", "demo-app-key"),
            ("finicity-app-token", self.token.as_str()),
            ("content-type", "application/json"),
            ("host", "127.0.0.1:8080"),
        ];
        self.app.call(method, uri, &headers, body.to_owned()).await
    }

    async fn get(&self, uri: &str) -> TestResponse {
        self.call(Method::GET, uri, "").await
    }

    async fn post(&self, uri: &str, body: &str) -> TestResponse {
        self.call(Method::POST, uri, body).await
    }

    async fn testing_customer(&self, username: &str) -> String {
        let created = self
            .post(
                "/aggregation/v2/customers/testing",
                &json!({"username": username}).to_string(),
            )
            .await;
        created.assert_status(201);
        created.json()["id"].as_str().unwrap().to_owned()
    }

    /// The customer's accounts, as `GET …/customers/{customerId}/accounts` answers.
    async fn accounts(&self, customer: &str) -> Value {
        let response = self
            .get(&format!("/aggregation/v1/customers/{customer}/accounts"))
            .await;
        response.assert_status(200);
        response.json()
    }

    async fn link(&self, path: &str, body: Value) -> String {
        let response = self.post(path, &body.to_string()).await;
        response.assert_status(200);
        response.json()["link"].as_str().unwrap().to_owned()
    }

    /// The page's path and query (the link without its origin).
    fn page(link: &str) -> &str {
        link.trim_start_matches("http://127.0.0.1:8080")
    }

    async fn form(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let response = self
            .app
            .call(
                Method::POST,
                action,
                &[("content-type", "application/x-www-form-urlencoded")],
                body,
            )
            .await;
        response.assert_status(200);
        Page::of(&response)
    }

    async fn walk(&self, body: Value) -> TestResponse {
        self.app
            .post_json("/__admin/finicity/connect/complete", &body.to_string())
            .await
    }
}

/// A Connect screen: its name, what it told the SDK, and where it posts.
struct Page {
    screen: String,
    messages: Vec<Value>,
    action: Option<String>,
    html: String,
}

impl Page {
    fn of(response: &TestResponse) -> Self {
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
        let html = response.text();
        let attribute = |name: &str| {
            let start = html.find(&format!("{name}=\"")).map(|i| i + name.len() + 2)?;
            let end = html[start..].find('"')? + start;
            Some(html[start..end].replace("&quot;", "\"").replace("&amp;", "&"))
        };
        Self {
            screen: attribute("data-screen").unwrap(),
            messages: serde_json::from_str(&attribute("data-messages").unwrap()).unwrap(),
            action: attribute("action"),
            html: html.clone(),
        }
    }

    fn types(&self) -> Vec<String> {
        self.messages
            .iter()
            .map(|m| match m["type"].as_str().unwrap() {
                "route" => format!("route:{}", m["data"]["screen"].as_str().unwrap()),
                "user" => format!("user:{}", m["data"]["action"].as_str().unwrap()),
                other => other.to_owned(),
            })
            .collect()
    }
}

/// A webhook receiver on a loopback port: every body and its headers.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

impl Receiver {
    async fn start(status: u16) -> (Self, String) {
        let receiver = Self::default();
        let sink = receiver.received.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push((headers, body));
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        (receiver, format!("http://{address}/hook"))
    }

    /// Waits until `count` bodies arrived; all of them as JSON.
    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, Value)> {
        for _ in 0..250 {
            if self.received.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(h, b)| (h.clone(), serde_json::from_str(b).unwrap()))
            .collect()
    }
}

fn event_types(events: &[(HeaderMap, Value)]) -> Vec<&str> {
    events
        .iter()
        .map(|(_, e)| e["eventType"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_link_is_walked_through_by_form_posts_and_its_webhook_events_arrive_in_order() {
    let client = Client::new().await;
    let (receiver, webhook) = Receiver::start(200).await;
    let customer = client.testing_customer("connect-user-1").await;
    let link = client
        .link(
            "/connect/v2/generate",
            json!({
                "partnerId": "demo-partner", "customerId": customer, "webhook": webhook,
                "webhookContentType": "application/json",
                "webhookData": {"uniqueRequestId": "234567890"},
                "webhookHeaders": {"X-Partner-Auth": "hook-secret"},
                "redirectUri": "http://127.0.0.1:3000/done",
            }),
        )
        .await;
    // The ping came during the call, before the link.
    let ping = receiver.wait_for(1).await;
    assert_eq!(ping[0].1, json!({"eventType": "ping", "payload": {}}));
    assert_eq!(ping[0].0["x-partner-auth"], "hook-secret");

    // The link: on the origin the call reached, with the vendor's members.
    assert!(
        link.starts_with("http://127.0.0.1:8080/connect/experience?customerId="),
        "{link}"
    );
    let query: Vec<(String, String)> = form_urlencoded::parse(link.split_once('?').unwrap().1.as_bytes())
        .into_owned()
        .collect();
    let member = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(member("customerId"), customer);
    assert_eq!(member("partnerId"), "demo-partner");
    assert_eq!(member("origin"), "url");
    assert_eq!(member("webhookContentType"), "application/json");
    let timestamp: i64 = member("timestamp").parse().unwrap();
    assert_eq!(timestamp, NOW_EPOCH * 1000);
    assert_eq!(member("ttl").parse::<i64>().unwrap() - timestamp, 7_200_000);
    assert_eq!(member("signature").len(), 64);

    // The consumer's way, as plain form posts.
    let page = Page::of(&client.app.get(Client::page(&link)).await);
    assert_eq!(
        (page.screen.as_str(), page.types()),
        ("search", vec!["route:Search".to_owned()])
    );
    let action = page.action.clone().unwrap();
    let searched = client
        .form(&action, &[("action", "search"), ("query", "finbank")])
        .await;
    assert_eq!(
        searched.messages[0]["data"]["params"],
        json!({"query": "finbank", "found": 5})
    );
    assert!(searched.html.contains("FinBank Profiles - A"));
    let sign_in = client
        .form(&action, &[("action", "institution"), ("institutionId", "102105")])
        .await;
    assert_eq!(sign_in.screen, "sign-in");
    let wrong = client
        .form(
            &action,
            &[
                ("action", "signin"),
                ("username", "profile_03"),
                ("password", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.screen, "sign-in");
    assert_eq!(wrong.types(), ["user:DisplayAlert"]);
    assert!(wrong.html.contains("error 103"));
    let accounts = client
        .form(
            &action,
            &[
                ("action", "signin"),
                ("username", "profile_03"),
                ("password", "profile_03"),
            ],
        )
        .await;
    assert_eq!(accounts.screen, "accounts");
    assert_eq!(accounts.types(), ["user:AddAccounts", "route:Add-Accounts"]);
    let added = client.form(&action, &[("action", "accounts")]).await;
    assert_eq!(added.screen, "added");
    assert!(added.html.contains("Your submission was successful. Thank you!"));
    let user = &added.messages[0]["data"];
    assert_eq!(
        (
            user["action"].as_str(),
            user["success"].as_bool(),
            user["accounts"].as_u64()
        ),
        (Some("AddAccounts"), Some(true), Some(3))
    );
    let login = user["institutionLoginId"].as_i64().unwrap();
    let done = client.form(&action, &[("action", "submit")]).await;
    assert_eq!(done.screen, "done");
    assert_eq!(done.types(), ["user:End", "done"]);
    assert_eq!(
        done.messages[1]["data"],
        json!({"code": 200, "reason": "complete", "reportData": []})
    );
    assert!(done.html.contains("data-redirect=\"http://127.0.0.1:3000/done\""));

    // The events, in the documented order, each in the documented envelope.
    let events = receiver.wait_for(8).await;
    assert_eq!(
        event_types(&events),
        [
            "ping",
            "started",
            "institutionSupported",
            "invalidCredentials",
            "discovered",
            "adding",
            "added",
            "done"
        ]
    );
    assert_eq!(events.len(), 8, "{:?}", event_types(&events));
    for (headers, event) in &events[1..] {
        assert_eq!(event["customerId"], customer.as_str());
        assert_eq!(event["webhookData"], json!({"uniqueRequestId": "234567890"}));
        let id = event["eventId"].as_str().unwrap();
        let (ms, hex) = id.split_once('-').unwrap();
        assert_eq!(ms.parse::<i64>().unwrap(), NOW_EPOCH * 1000);
        assert!(
            hex.len() == 24 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        // The body's HMAC-SHA256 with the partner secret.
        let body = serde_json::to_string(event).unwrap();
        assert_eq!(headers["x-finicity-signature"].len(), 64, "{body}");
        assert_eq!(headers["content-type"], "application/json");
    }
    assert_eq!(
        events[3].1["payload"],
        json!({"institutionId": "102105", "code": 103})
    );
    let added_event = &events[6].1["payload"];
    assert_eq!(added_event["institutionId"], "102105");
    let added_accounts = added_event["accounts"].as_array().unwrap();
    assert_eq!(added_accounts.len(), 3);
    for account in added_accounts {
        assert_finicity_connect_schema("CustomerAccount", account);
        assert_eq!(account["status"], "active");
        assert_eq!(account["institutionLoginId"], login);
    }

    // The accounts API reads what `added` carried.
    let by_login = client
        .get(&format!(
            "/aggregation/v1/customers/{customer}/institutionLogins/{login}/accounts"
        ))
        .await;
    by_login.assert_status(200);
    assert_finicity_connect_schema("CustomerAccounts", &by_login.json());
    let ids = |accounts: &Value| -> Vec<String> {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&by_login.json()["accounts"]),
        ids(&Value::Array(added_accounts.clone()))
    );
    // The testing customer's enrolment accounts are still there, beside them.
    let all = client.accounts(&customer).await;
    assert_eq!(all["accounts"].as_array().unwrap().len(), 6);

    // Every delivery is listed with the receiver's answer.
    let listing = client.app.get("/__admin/finicity/webhooks").await.json();
    let deliveries = listing["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 8);
    assert!(
        deliveries
            .iter()
            .all(|d| d["outcome"] == "delivered" && d["attempts"][0]["status"] == 200)
    );

    // A link stays usable until it expires; then its page says so.
    client.app.advance(7_201).await;
    let expired = Page::of(&client.app.get(Client::page(&link)).await);
    assert_eq!(expired.screen, "problem");
    assert_eq!(
        expired.messages,
        [json!({"type": "error", "data": {"code": 1440, "reason": "timeout"}})]
    );
}

#[tokio::test]
async fn a_webhook_that_does_not_answer_2xx_fails_the_generate_call_and_nothing_is_created() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-2").await;
    let (_, failing) = Receiver::start(500).await;
    for (webhook, why) in [
        (failing.as_str(), "(it answered 500)"),
        ("http://127.0.0.1:9/nobody", "request failed"),
        ("https://example.com/hook", "https URLs are not supported"),
    ] {
        let response = client
            .post(
                "/connect/v2/generate",
                &json!({"partnerId": "demo-partner", "customerId": customer, "webhook": webhook}).to_string(),
            )
            .await;
        response.assert_status(400);
        let body = response.json();
        assert_eq!(body["code"], "10010");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with("The webhook did not answer the ping event with a 2xx status")
                && message.contains(why),
            "{message}"
        );
    }
    let listing = client.app.get("/__admin/finicity/webhooks").await.json();
    let outcomes: Vec<&str> = listing["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failed", "failed", "refused"]);
}

#[tokio::test]
async fn generate_calls_validate_as_the_connect_service_does() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-3").await;
    let error = |code: &str, message: &str| {
        json!({"code": code, "status": "400", "message": message,
               "user_message": "One or more of the fields could not be validated. Please ensure you have entered the correct data.",
               "tags": ""})
    };
    let cases = [
        (
            "/connect/v2/generate",
            json!({"customerId": customer}),
            error("10010", "\"partnerId\" is required"),
        ),
        (
            "/connect/v2/generate",
            json!({"partnerId": "other", "customerId": customer}),
            error("10010", "Invalid \"partnerId\" in request body"),
        ),
        (
            "/connect/v2/generate/lite",
            json!({"partnerId": "demo-partner", "customerId": "1234", "institutionId": 102105}),
            error(
                "10010",
                "Request failed with status code 404 GET /aggregation/v1/customers/1234",
            ),
        ),
        (
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer, "experience": "nope"}),
            error("10010", "\"experience\" must be a valid GUID"),
        ),
        (
            "/connect/v2/generate/lite",
            json!({"partnerId": "demo-partner", "customerId": customer, "institutionId": "102105"}),
            error("10010", "\"institutionId\" must be a number"),
        ),
        (
            "/connect/v2/send/email",
            json!({"partnerId": "demo-partner", "customerId": customer, "consumerId": "0bf46322c167b562e6cbed9d40e19a4c"}),
            error("10010", "\"email\" is required"),
        ),
        (
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer, "isWebView": true}),
            error("10010", "\"redirectUri\" is required when \"isWebView\" is true"),
        ),
    ];
    for (path, body, expected) in cases {
        let response = client.post(path, &body.to_string()).await;
        response.assert_status(400);
        assert_eq!(response.json(), expected, "{path} {body}");
    }
    // Fix for a login the customer does not have: the vendor's 404, code a string.
    let fix = client
        .post(
            "/connect/v2/generate/fix",
            &json!({"partnerId": "demo-partner", "customerId": customer, "institutionLoginId": "1234"})
                .to_string(),
        )
        .await;
    fix.assert_status(404);
    assert_eq!(
        fix.json(),
        json!({"code": "38007", "message": "Customer does not have any accounts associated with institutionLoginId."})
    );
    // Lite, Fix and email links carry their type, institution and origin.
    let lite = client
        .link(
            "/connect/v2/generate/lite",
            json!({"partnerId": "demo-partner", "customerId": customer, "institutionId": 102105}),
        )
        .await;
    assert!(
        lite.contains("institutionId=102105") && lite.contains("type=lite"),
        "{lite}"
    );
    let accounts = client.accounts(&customer).await;
    let login = accounts["accounts"][0]["institutionLoginId"]
        .as_i64()
        .unwrap()
        .to_string();
    let fix = client
        .link(
            "/connect/v2/generate/fix",
            json!({"partnerId": "demo-partner", "customerId": customer, "institutionLoginId": login}),
        )
        .await;
    assert!(
        fix.contains(&format!("institutionLoginId={login}")) && fix.contains("type=fix"),
        "{fix}"
    );
    let email = client
        .post(
            "/connect/v2/send/email",
            &json!({"partnerId": "demo-partner", "customerId": customer, "consumerId": "0bf46322c167b562e6cbed9d40e19a4c",
                    "email": {"to": "someone@example.com", "subject": "Connect"}})
            .to_string(),
        )
        .await;
    email.assert_status(200);
    assert!(email.json()["link"].as_str().unwrap().contains("origin=email"));
    assert_eq!(
        email.json()["emailConfig"],
        json!({"to": "someone@example.com", "subject": "Connect"})
    );
    // No token: 401.
    let anonymous = client
        .app
        .post_json(
            "/connect/v2/generate",
            &json!({"partnerId": "demo-partner", "customerId": customer}).to_string(),
        )
        .await;
    anonymous.assert_status(401);
}

#[tokio::test]
async fn the_test_logins_take_their_documented_paths() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-4").await;
    let generate = || {
        client.link(
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer}),
        )
    };

    // MFA: a text question (`mfa` asks again), then success.
    let link = generate().await;
    let walked = client
        .walk(json!({"link": link, "institutionId": 101732, "username": "tfa_text", "password": "go", "mfaAnswers": ["mfa", "Paris"]}))
        .await;
    walked.assert_status(200);
    assert_eq!(walked.json()["finished"], "done");
    // A choice answered `fail`: error 187, the session stops on the sign-in.
    let link = generate().await;
    let failed = client
        .walk(json!({"link": link, "institutionId": 101732, "username": "tfa_choice", "password": "go", "mfaAnswers": ["fail"]}))
        .await;
    failed.assert_status(409);
    assert_eq!(failed.json()["screen"], "sign-in");
    assert!(failed.json()["alert"].as_str().unwrap().contains("error 187"));
    // A wrong password.
    let link = generate().await;
    let wrong = client.walk(json!({"link": link, "password": "wrong"})).await;
    wrong.assert_status(409);
    assert!(wrong.json()["alert"].as_str().unwrap().contains("error 103"));
    // Unable to connect, then leaving: the SDK hears `error`.
    let link = generate().await;
    let unable = client
        .walk(json!({"link": link, "institutionId": 101732, "username": "demo", "password": "127"}))
        .await;
    unable.assert_status(409);
    assert_eq!(unable.json()["screen"], "unable");
    let signature = link
        .split("signature=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let left = client
        .form(
            &format!("/connect/experience?signature={signature}"),
            &[("action", "fail")],
        )
        .await;
    assert_eq!(
        left.messages,
        [json!({"type": "error", "data": {"code": 500, "reason": "error"}})]
    );
    // Cancelled at once.
    let link = generate().await;
    let cancelled = client.walk(json!({"link": link, "outcome": "cancel"})).await;
    cancelled.assert_status(200);
    let messages = cancelled.json()["messages"].as_array().unwrap().clone();
    assert_eq!(
        messages.last().unwrap(),
        &json!({"type": "cancel", "data": {"code": 100, "reason": "exit"}})
    );
    // A live institution cannot be linked by a testing customer.
    let link = generate().await;
    let live = client
        .walk(json!({"link": link, "institutionId": 1_500_000_000u64}))
        .await;
    live.assert_status(409);
    // Only the successful walk linked accounts: 3 enrolment + 2 FinBank.
    let all = client.accounts(&customer).await;
    assert_eq!(all["accounts"].as_array().unwrap().len(), 5);
    // Single-use links are used up by a successful session.
    let once = client
        .link(
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer, "singleUseUrl": true}),
        )
        .await;
    client
        .walk(json!({"link": once, "username": "profile_01"}))
        .await
        .assert_status(200);
    let again = Page::of(&client.app.get(Client::page(&once)).await);
    assert_eq!(again.screen, "problem");
    assert_eq!(
        again.messages,
        [json!({"type": "error", "data": {"code": 500, "reason": "error"}})]
    );
}

fn cents(amount: &Value) -> i64 {
    (amount.as_f64().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn transactions_page_by_record_and_explain_every_daily_balance() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-5").await;
    let link = client
        .link(
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer}),
        )
        .await;
    client.walk(json!({"link": link})).await.assert_status(200);
    let accounts = client.accounts(&customer).await;
    let linked = accounts["accounts"].as_array().unwrap()[3].clone();
    let account = linked["id"].as_str().unwrap();
    let from = NOW_EPOCH - 30 * 86_400;
    let window = format!("fromDate={from}&toDate={NOW_EPOCH}");

    // The account's transactions and its daily balances agree, cent for cent.
    let read = client
        .get(&format!(
            "/aggregation/v4/customers/{customer}/accounts/{account}/transactions?{window}&limit=1000&showDailyBalance=true"
        ))
        .await;
    read.assert_status(200);
    let body = read.json();
    assert_finicity_connect_schema("Transactions", &body);
    assert_eq!(body["fromDate"], from.to_string());
    assert_eq!(body["moreAvailable"], "false");
    let transactions = body["transactions"].as_array().unwrap();
    assert!(transactions.len() > 30, "{}", transactions.len());
    for balance in body["dailyBalances"].as_array().unwrap() {
        let day = balance["date"].as_i64().unwrap();
        let moved: i64 = transactions
            .iter()
            .filter(|t| t["postedDate"].as_i64().unwrap() == day)
            .map(|t| cents(&t["amount"]))
            .sum();
        assert_eq!(
            moved,
            cents(&balance["ending"]) - cents(&balance["beginning"]),
            "day {day}"
        );
    }
    // The last day's ending balance is the account's balance.
    let last = body["dailyBalances"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(cents(&last["ending"]), cents(&linked["balance"]));

    // `start` counts records: pages of 15 line up with the whole.
    let page = |start: usize| {
        let client = &client;
        let customer = customer.clone();
        let window = window.clone();
        async move {
            client
                .get(&format!(
                    "/aggregation/v3/customers/{customer}/transactions?{window}&limit=15&start={start}"
                ))
                .await
                .json()
        }
    };
    let whole = client
        .get(&format!(
            "/aggregation/v3/customers/{customer}/transactions?{window}&limit=1000"
        ))
        .await
        .json();
    let first = page(1).await;
    let second = page(16).await;
    assert_eq!(first["found"], whole["found"]);
    assert_eq!(first["displaying"], 15);
    assert_eq!(first["moreAvailable"], "true");
    assert_eq!(second["transactions"][0], whole["transactions"][15]);
    assert_eq!(first["transactions"][14], whole["transactions"][14]);
    let ascending = client
        .get(&format!(
            "/aggregation/v3/customers/{customer}/transactions?{window}&limit=1000&sort=asc"
        ))
        .await
        .json();
    let reversed: Vec<Value> = whole["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .cloned()
        .collect();
    assert_eq!(ascending["transactions"].as_array().unwrap(), &reversed);

    // One transaction, by id and by unique id.
    let one = &whole["transactions"][3];
    let by_id = client
        .get(&format!(
            "/aggregation/v2/customers/{customer}/transactions/{}",
            one["id"]
        ))
        .await;
    by_id.assert_status(200);
    assert_eq!(&by_id.json(), one);
    let unique = one["uniqueTransactionId"].as_str().unwrap();
    assert_eq!(
        &client
            .get(&format!(
                "/aggregation/customers/{customer}/transactions/{unique}"
            ))
            .await
            .json(),
        one
    );
    client
        .get(&format!("/aggregation/v2/customers/{customer}/transactions/1234"))
        .await
        .assert_status(404);

    // The documented refusals.
    for (query, expected) in [
        (
            format!("toDate={NOW_EPOCH}"),
            json!({"code": 10005, "message": "Missing parameter (fromDate)"}),
        ),
        (
            format!("{window}&limit=1001"),
            json!({"code": 10100, "message": "Invalid parameter (limit)"}),
        ),
        (
            format!("{window}&start=0"),
            json!({"code": 10100, "message": "Invalid parameter (start)"}),
        ),
        (
            format!("{window}&sort=up"),
            json!({"code": 10100, "message": "Invalid parameter (sort)"}),
        ),
        (
            format!("fromDate={NOW_EPOCH}&toDate={from}"),
            json!({"code": 41002, "message": "Invalid date range: fromDate must not be after toDate"}),
        ),
    ] {
        let refused = client
            .get(&format!(
                "/aggregation/v3/customers/{customer}/transactions?{query}"
            ))
            .await;
        refused.assert_status(400);
        assert_eq!(refused.json(), expected, "{query}");
    }

    // 180 days before the account was added, 730 after a historic load.
    let year = format!("fromDate={}&toDate={NOW_EPOCH}", NOW_EPOCH - 365 * 86_400);
    let oldest = |body: Value| {
        body["transactions"].as_array().unwrap().last().unwrap()["postedDate"]
            .as_i64()
            .unwrap()
    };
    let standard = client
        .get(&format!(
            "/aggregation/v4/customers/{customer}/accounts/{account}/transactions?{year}&limit=1000"
        ))
        .await
        .json();
    assert!(NOW_EPOCH - oldest(standard) <= 181 * 86_400);
    client
        .post(
            &format!("/aggregation/v1/customers/{customer}/accounts/{account}/transactions/historic"),
            "",
        )
        .await
        .assert_status(204);
    let historic = client
        .get(&format!(
            "/aggregation/v4/customers/{customer}/accounts/{account}/transactions?{year}&limit=1000&sort=asc"
        ))
        .await
        .json();
    assert!(NOW_EPOCH - historic["transactions"][0]["postedDate"].as_i64().unwrap() >= 364 * 86_400);
}

#[tokio::test]
async fn refreshes_institutions_and_deletions_answer_as_documented() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-6").await;
    let accounts = client.accounts(&customer).await;
    let login = accounts["accounts"][0]["institutionLoginId"].as_i64().unwrap();
    let account = accounts["accounts"][0]["id"].as_str().unwrap().to_owned();

    let refreshed = client
        .post(&format!("/aggregation/v1/customers/{customer}/accounts"), "{}")
        .await;
    refreshed.assert_status(200);
    assert_eq!(refreshed.json()["accounts"].as_array().unwrap().len(), 3);
    let v2 = client
        .post(&format!("/aggregation/v2/customers/{customer}/accounts"), "")
        .await;
    v2.assert_status(204);
    assert!(v2.body.is_empty());
    client
        .post(
            &format!("/aggregation/v2/customers/{customer}/institutionLogins/{login}/accounts"),
            "",
        )
        .await
        .assert_status(204);
    let unknown_login = client
        .get(&format!(
            "/aggregation/v1/customers/{customer}/institutionLogins/1234/accounts"
        ))
        .await;
    unknown_login.assert_status(404);
    assert_eq!(
        unknown_login.json(),
        json!({"code": 38007, "message": "Customer does not have any accounts associated with institutionLoginId = (1234)"})
    );
    let bad_status = client
        .get(&format!(
            "/aggregation/v1/customers/{customer}/institutionLogins/{login}/accounts?status=closed"
        ))
        .await;
    bad_status.assert_status(400);
    assert_eq!(bad_status.json()["code"], "18017");

    // The asynchronous transaction refresh: 202, in progress, completed 30 s later.
    let started = client
        .post(
            &format!("/aggregation/customers/{customer}/transactions/refreshes"),
            &json!({"accountIds": [account], "mode": "standard"}).to_string(),
        )
        .await;
    started.assert_status(202);
    let refresh = started.json();
    assert_finicity_connect_schema("TransactionRefreshInitiated", &refresh);
    assert_eq!(refresh["status"], "NEW");
    let status_path = format!(
        "/aggregation/customers/{customer}/transactions/refreshes/{}",
        refresh["refreshId"].as_str().unwrap()
    );
    assert_eq!(client.get(&status_path).await.json()["status"], "IN_PROGRESS");
    client.app.advance(30).await;
    let completed = client.get(&status_path).await.json();
    assert_finicity_connect_schema("TransactionRefreshStatusDetails", &completed);
    assert_eq!(completed["accounts"][0]["institutionLoginId"], login.to_string());
    assert_eq!(
        (completed["status"].as_str(), completed["successCount"].as_u64()),
        (Some("COMPLETED"), Some(1))
    );
    assert_eq!(
        client
            .get(&format!(
                "/aggregation/customers/{customer}/transactions/refreshes/nope"
            ))
            .await
            .json(),
        json!({"code": 10008, "message": "data not found"})
    );

    // Institutions: `start` is a page here.
    let finbanks = client
        .get("/institution/v2/institutions?search=finbank")
        .await
        .json();
    assert_finicity_connect_schema("Institutions", &finbanks);
    assert_eq!(finbanks["found"], 5);
    let default = client.get("/institution/v2/institutions").await.json();
    assert_eq!(
        (default["displaying"].as_u64(), default["moreAvailable"].as_bool()),
        (Some(25), Some(true))
    );
    let paged = client
        .get("/institution/v2/institutions?start=2&limit=3")
        .await
        .json();
    assert_eq!(paged["displaying"], 3);
    assert_eq!(paged["institutions"][0], default["institutions"][3]);
    let one = client.get("/institution/v2/institutions/102105").await.json();
    assert_eq!(one["institution"]["name"], "FinBank Profiles - A");
    client
        .get("/institution/v2/institutions/1")
        .await
        .assert_status(404);

    // Deletions: an account, a login, the customer.
    client
        .call(
            Method::DELETE,
            &format!("/aggregation/v1/customers/{customer}/accounts/{account}"),
            "",
        )
        .await
        .assert_status(204);
    let gone = client
        .get(&format!(
            "/aggregation/v2/customers/{customer}/accounts/{account}"
        ))
        .await;
    gone.assert_status(404);
    assert_eq!(
        gone.json(),
        json!({"code": 38003, "message": format!("customer does not have given account (customerId = {customer}, accountId = [{account}])")})
    );
    client
        .call(
            Method::DELETE,
            &format!("/aggregation/v1/customers/{customer}/institutionLogins/{login}"),
            "",
        )
        .await
        .assert_status(204);
    let left = client.accounts(&customer).await;
    assert_eq!(left["accounts"], json!([]));
    client
        .call(
            Method::DELETE,
            &format!("/aggregation/v1/customers/{customer}"),
            "",
        )
        .await
        .assert_status(204);
    let deleted = client.get(&format!("/aggregation/v1/customers/{customer}")).await;
    deleted.assert_status(404);
    assert_eq!(
        deleted.json(),
        json!({"code": 14001, "message": "Customer not found."})
    );
}

#[tokio::test]
async fn a_stale_login_is_repaired_by_a_fix_link() {
    let client = Client::new().await;
    let (receiver, webhook) = Receiver::start(204).await;
    let customer = client.testing_customer("connect-user-7").await;
    let accounts = client.accounts(&customer).await;
    let login = accounts["accounts"][0]["institutionLoginId"].as_i64().unwrap();
    let stale = client
        .app
        .post_json(
            &format!("/__admin/finicity/customers/{customer}/institutionLogins/{login}/status"),
            r#"{"aggregationStatusCode": 185}"#,
        )
        .await;
    stale.assert_status(200);
    let read = client.accounts(&customer).await;
    assert!(
        read["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["aggregationStatusCode"] == 185)
    );
    let fix = client
        .link(
            "/connect/v2/generate/fix",
            json!({"partnerId": "demo-partner", "customerId": customer, "institutionLoginId": login.to_string(), "webhook": webhook}),
        )
        .await;
    client.walk(json!({"link": fix})).await.assert_status(200);
    let read = client.accounts(&customer).await;
    assert!(
        read["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["aggregationStatusCode"] == 0)
    );
    let events = receiver.wait_for(4).await;
    assert_eq!(
        event_types(&events),
        [
            "ping",
            "started",
            "institutionSupported",
            "credentialsUpdated",
            "done"
        ][..events.len()]
    );
    assert_eq!(events[3].1["payload"]["institutionLoginId"], login.to_string());
}

#[tokio::test]
async fn reset_forgets_links_and_linked_accounts_and_the_journal_hides_sign_ins() {
    let client = Client::new().await;
    let customer = client.testing_customer("connect-user-8").await;
    let link = client
        .link(
            "/connect/v2/generate",
            json!({"partnerId": "demo-partner", "customerId": customer}),
        )
        .await;
    let signature = link
        .split("signature=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let action = format!("/connect/experience?signature={signature}");
    client
        .form(&action, &[("action", "institution"), ("institutionId", "101732")])
        .await;
    client
        .form(
            &action,
            &[("action", "signin"), ("username", "tfa_text"), ("password", "go")],
        )
        .await;
    let mfa = client
        .form(&action, &[("action", "mfa"), ("answer", "Springfield")])
        .await;
    assert_eq!(mfa.screen, "accounts");
    // A sign-in without a password still names the consumer's bank username.
    client
        .form(&action, &[("action", "signin"), ("username", "lonely_user")])
        .await;
    let journal = client.app.journal("?family=finicity&limit=50").await.to_string();
    assert!(
        !journal.contains("tfa_text") && !journal.contains("Springfield") && !journal.contains("lonely_user"),
        "{journal}"
    );
    assert!(!journal.contains(&signature), "{journal}");

    client
        .app
        .post_json("/__admin/reset", "")
        .await
        .assert_status(200);
    let forgotten = Page::of(&client.app.get(Client::page(&link)).await);
    assert_eq!(forgotten.screen, "problem");
    assert!(forgotten.html.contains("not known to leadsim"));
}

/// Pages are served as rendered before only while nothing they show has
/// changed: the same read after an account is deleted leaves its records
/// out, and after the virtual clock moves on it shows the new days'.
#[tokio::test]
async fn a_repeated_transactions_read_follows_deletions_and_the_clock() {
    let mut client = Client::new().await;
    let customer = client.testing_customer("connect-user-9").await;
    let accounts = client.accounts(&customer).await;
    let deleted = accounts["accounts"][0]["id"].as_str().unwrap().to_owned();
    // Up to a week after now: the window ends today until the clock moves.
    let read = format!(
        "/aggregation/v3/customers/{customer}/transactions?fromDate={}&toDate={}&limit=1000",
        NOW_EPOCH - 30 * 86_400,
        NOW_EPOCH + 7 * 86_400
    );
    let records = |body: &Value| -> Vec<(String, i64)> {
        body["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["accountId"].to_string(), t["postedDate"].as_i64().unwrap()))
            .collect()
    };
    let first = client.get(&read).await;
    first.assert_status(200);
    let first = first.json();
    assert_eq!(client.get(&read).await.json(), first);
    let before = records(&first);
    assert!(before.iter().any(|(account, _)| *account == deleted));

    client
        .call(
            Method::DELETE,
            &format!("/aggregation/v1/customers/{customer}/accounts/{deleted}"),
            "",
        )
        .await
        .assert_status(204);
    let after_deletion = client.get(&read).await.json();
    let left = records(&after_deletion);
    assert!(!left.is_empty());
    assert!(left.iter().all(|(account, _)| *account != deleted));
    assert_eq!(
        left.len(),
        before.iter().filter(|(account, _)| *account != deleted).count()
    );
    assert_eq!(after_deletion["found"], left.len());

    client.app.advance(3 * 86_400).await;
    // Partner tokens last two hours of the virtual clock.
    client.token = client.app.finicity_token().await;
    let later = client.get(&read).await;
    later.assert_status(200);
    let later = records(&later.json());
    assert!(
        later.iter().any(|(_, posted)| *posted > NOW_EPOCH + 86_400),
        "the new days' postings are listed"
    );
    assert!(later.len() > left.len());
}
