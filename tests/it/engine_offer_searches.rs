//! What Engine's offer carousel calls: its configuration, channel offers,
//! and Offer Searches polled until the late partners have answered; the
//! lead a search creates lives on in supply analytics like a submitted one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::http::Method;
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use serde_json::{Value, json};

const VERSION: (&str, &str) = ("Api-Version", "2026-02-25");
const SANDBOX_PUBLISHABLE: &str = "demo-test-publishable-token";

/// The body the carousel 2.1.1 sends with its bundled context (captured
/// from the package's own code, reference note).
fn carousel_body() -> Value {
    json!({"deviceId":"77449c35-820c-4132-9615-5c67656ce754",
        "sessionInformation":{"ipAddress":"","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
        "productTypes":["EarnedWageAccess","CashAdvance"],
        "clientTags":{"test":["123"],"os":["Mac OS - Chrome - 131.0.0.0"],"isMobile":["false"],
            "evReferrer":[""],"consumerBrand":["fiona.com"],"app":["apps/dynamic-offers"],
            "system":["cnf-apps"],"cnfEnvironment":["local"],"subid":["abc"],"clickid":["1","2"]},
        "personalInformation":{"state":"NY","email":"ada@example.com"}})
}

async fn configuration(app: &TestApp, token: &str) -> Value {
    let response = app.get_as("/network/web/main/api/configuration", token).await;
    response.assert_status(200);
    response.json()["serializableContext"].clone()
}

async fn call(app: &TestApp, method: Method, uri: &str, token: &str, body: &str) -> common::TestResponse {
    let auth = format!("Bearer {token}");
    app.call(
        method,
        uri,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
            VERSION,
        ],
        body.to_owned(),
    )
    .await
}

async fn search(app: &TestApp, lead: &str, body: &Value) -> Value {
    search_as(app, PUBLISHABLE, lead, body).await
}

async fn search_as(app: &TestApp, token: &str, lead: &str, body: &Value) -> Value {
    let response = call(
        app,
        Method::POST,
        &format!("/leads/{lead}/offerSearches"),
        token,
        &body.to_string(),
    )
    .await;
    response.assert_status(200);
    response.json()
}

async fn poll(app: &TestApp, search: &str) -> Value {
    poll_as(app, PUBLISHABLE, search).await
}

async fn poll_as(app: &TestApp, token: &str, search: &str) -> Value {
    let response = call(app, Method::GET, &format!("/offerSearches/{search}"), token, "").await;
    response.assert_status(200);
    response.json()
}

/// One string member of every offer, in the order listed.
fn offer_strings(search: &Value, member: &str) -> Vec<String> {
    search["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o[member].as_str().unwrap().to_owned())
        .collect()
}

fn offer_uuids(search: &Value) -> Vec<String> {
    let mut uuids = offer_strings(search, "uuid");
    uuids.sort();
    uuids
}

fn pending(search: &Value) -> usize {
    search["pendingResponses"].as_array().map_or(0, Vec::len)
}

#[track_caller]
fn assert_base_offer(offer: &Value) {
    for member in [
        "uuid",
        "url",
        "productType",
        "productDisplayName",
        "financialInstitutionUuid",
        "financialInstitutionDisplayName",
        "financialInstitutionImageUrl",
        "recommendationScore",
        "status",
        "version",
        "productVersions",
        "createdAt",
        "updatedAt",
        "internalName",
        "unmonetizedUrl",
    ] {
        assert!(
            offer.get(member).is_some_and(|v| !v.is_null()),
            "{member} in {offer}"
        );
    }
    assert!(offer["recommendationScore"].is_number());
    assert_eq!(offer["status"], "active");
    assert!(offer["url"].as_str().unwrap().starts_with("http"));
}

/// The carousel's search-and-poll mode, on a frozen clock (the usual test
/// setup): partners answer by the third poll, offers only grow, and after
/// `pendingResponses` is empty nothing changes again.
#[tokio::test]
async fn a_carousel_search_converges_within_its_five_polls_on_a_frozen_clock() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let context = configuration(&app, PUBLISHABLE).await;
    assert_eq!(context["subaccount"]["publicToken"], PUBLISHABLE);
    assert_eq!(context["signals"]["deviceSignals"]["country"], "US");
    assert_eq!(
        context["configuration"]["configuration"]["enableUseCachedOffers"],
        false
    );
    assert_eq!(
        context["configuration"]["configuration"]["defaultProductTypeSlug"],
        "EarnedWageAccess"
    );
    assert!(context["configuration"]["configuration"]["productTypesDefinition"].is_array());
    assert!(context["configuration"]["configuration"]["partnersOverrideDefinition"].is_array());
    assert_eq!(context["brand"]["isLicensed"], true);
    let lead = context["signals"]["lead"]["uuid"].as_str().unwrap().to_owned();
    assert_ne!(
        configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"],
        lead.as_str(),
        "each configuration hands out a new lead"
    );

    let created = search(&app, &lead, &carousel_body()).await;
    assert_eq!(created["leadUuid"], lead.as_str());
    assert!(pending(&created) > 0, "{created}");
    for offer in created["offers"].as_array().unwrap() {
        assert_base_offer(offer);
        assert!(["EarnedWageAccess", "CashAdvance"].contains(&offer["productType"].as_str().unwrap()));
    }
    for entry in created["pendingResponses"].as_array().unwrap() {
        for member in [
            "uuid",
            "name",
            "description",
            "disclaimer",
            "supportsPreSelect",
            "shouldDisplayPreSelect",
            "supportsPersonalizedOffers",
            "imageUrl",
        ] {
            assert!(entry["partner"].get(member).is_some(), "{member}");
        }
        assert!(!entry["offerCatalogProductTypes"].as_array().unwrap().is_empty());
    }
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    let mut seen = offer_uuids(&created);
    let mut polls = 0;
    let mut last = created;
    while pending(&last) > 0 {
        polls += 1;
        assert!(
            polls <= 5,
            "still pending after the carousel's fifth poll: {last}"
        );
        last = poll(&app, &uuid).await;
        let now = offer_uuids(&last);
        assert!(seen.iter().all(|o| now.contains(o)), "offers only grow");
        seen = now;
    }
    assert!(polls <= 3, "{polls}");
    assert!(seen.len() >= 4, "the late partners' offers arrived: {seen:?}");
    // Once empty, never again anything new.
    for _ in 0..3 {
        let again = poll(&app, &uuid).await;
        assert_eq!(offer_uuids(&again), seen);
        assert_eq!(pending(&again), 0);
    }
    // Offers are sorted best first, as the carousel sorts them too.
    let scores: Vec<f64> = last["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["recommendationScore"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

/// On a running clock the late partners answer within ten seconds, polled or not.
#[tokio::test]
async fn late_partners_answer_on_the_virtual_clock_too() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let lead = configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = search(&app, &lead, &carousel_body()).await;
    assert!(pending(&created) > 0);
    app.advance(10).await;
    let admin = app.get("/__admin/engine/leads").await.json();
    let polls = admin.to_string();
    assert!(polls.contains("\"polls\":0"), "{polls}");
    let answered = poll(&app, created["uuid"].as_str().unwrap()).await;
    assert_eq!(pending(&answered), 0);
}

/// A search's lead is a marketplace lead: a followed offer is its
/// `offerClicked`, in leadsInfo (v3) and in v1's window.
#[tokio::test]
async fn a_followed_search_offer_enters_the_leads_funnel() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let lead = configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = search(&app, &lead, &carousel_body()).await;
    let offer = &created["offers"][0];
    let url = offer["url"].as_str().unwrap();
    let path = &url[url.find("/ref/").unwrap()..];
    let followed = app.get(path).await;
    followed.assert_status(302);
    assert_eq!(
        followed.header("location"),
        Some(format!("{path}/landing").as_str())
    );
    let landing = app.get(&format!("{path}/landing")).await;
    landing.assert_status(200);
    let lender = offer["financialInstitutionDisplayName"]
        .as_str()
        .unwrap()
        .replace('&', "&amp;");
    assert!(landing.text().contains(&lender), "{}", landing.text());

    app.advance(3_700).await;
    let info = app
        .call(
            Method::GET,
            &format!("/supplyAnalytics/leadsInfo/{lead}"),
            &[
                ("authorization", &format!("Bearer {CONFIDENTIAL}")),
                ("api-version", "2025-04-01"),
            ],
            "",
        )
        .await;
    info.assert_status(200);
    let events = info.json()["data"]["events"].as_array().unwrap().clone();
    let clicked: Vec<&Value> = events
        .iter()
        .filter(|e| e["eventType"] == "offerClicked")
        .collect();
    assert_eq!(clicked.len(), 1, "{events:?}");
    assert_eq!(clicked[0]["offerUuid"], offer["uuid"]);
    assert_eq!(
        clicked[0]["financialInstitutionName"],
        offer["financialInstitutionDisplayName"]
    );
    assert!(events.iter().any(|e| e["eventType"] == "leadCreated"));
    // The client tags the carousel sent are the lead's.
    let tags = info.json()["data"]["clientTags"].to_string();
    assert!(tags.contains("cnf-apps") && tags.contains("clickid"), "{tags}");
    // And v1's hourly window of the click has it too.
    app.advance(3_600).await;
    let window = app
        .get_as(
            "/supplyAnalytics/leadEvents?timestamp=2026-03-02T10:00:00Z",
            CONFIDENTIAL,
        )
        .await;
    window.assert_status(200);
    let clicks: Vec<Value> = window.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["leadUuid"] == lead.as_str() && e["eventType"] == "offerClicked")
        .cloned()
        .collect();
    assert_eq!(clicks.len(), 1);
}

/// An error status for the widget's degraded path is a fault away, with
/// Engine's own error body.
#[tokio::test]
async fn a_fault_gives_a_search_an_error_status_with_engines_body() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let fault = json!({"match": {"path": "/offerSearches/*"}, "effect": {"type": "status", "status": 503}, "times": 1});
    app.post_json("/__admin/faults", &fault.to_string())
        .await
        .assert_status(201);
    let lead = configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = search(&app, &lead, &carousel_body()).await;
    let failed = call(
        &app,
        Method::GET,
        &format!("/offerSearches/{}", created["uuid"].as_str().unwrap()),
        PUBLISHABLE,
        "",
    )
    .await;
    failed.assert_status(503);
    assert_eq!(failed.header("content-type"), Some("application/json"));
    assert!(failed.json()[0]["message"].is_string(), "{}", failed.text());
    // Once spent, the next poll answers again.
    poll(&app, created["uuid"].as_str().unwrap()).await;
}

/// Every error on the new routes is Engine's JSON `ApiError` array (the
/// carousel reads the body before the status), framework ones included.
#[tokio::test]
async fn every_error_is_a_json_api_error_array_with_its_status() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let lead = "8895affa-bc9c-4fdd-bb1f-c279f2b56065";
    let body = carousel_body().to_string();
    let search_uri = format!("/leads/{lead}/offerSearches");
    let cases: Vec<(common::TestResponse, u16, &str)> = vec![
        (app.get("/network/web/main/api/configuration").await, 401, "Access token is missing"),
        (app.get_as("/network/web/main/api/configuration", "undefined").await, 401, "Access token is invalid"),
        (app.call(Method::POST, &search_uri, &[("content-type", "application/json")], body.clone()).await, 401, "Access token is missing"),
        (call(&app, Method::GET, "/offerSearches/8895affa-bc9c-4fdd-bb1f-c279f2b56065", PUBLISHABLE, "").await, 404, "OfferSearch 8895affa-bc9c-4fdd-bb1f-c279f2b56065 not found"),
        (call(&app, Method::GET, "/offerSearches/nope", PUBLISHABLE, "").await, 400, "Cannot parse parameter uuid"),
        (call(&app, Method::POST, "/leads/undefined/offerSearches", PUBLISHABLE, &body).await, 400, "Cannot parse parameter leadUuid"),
        (call(&app, Method::POST, &search_uri, PUBLISHABLE, r#"{"productTypes":[null]}"#).await, 400, "not a valid productTypes"),
        (call(&app, Method::POST, &search_uri, PUBLISHABLE, r#"{"deviceId":"abc"}"#).await, 400, "not a valid deviceId"),
        (call(&app, Method::POST, &search_uri, PUBLISHABLE, "[]").await, 400, "not a valid body"),
        (call(&app, Method::POST, &search_uri, PUBLISHABLE, "{").await, 400, ""),
        (app.call(Method::POST, &search_uri, &[("authorization", &format!("Bearer {PUBLISHABLE}")), ("api-version", "2024-01-01")], body.clone()).await, 422, "Api-Version must be one of"),
        (call(&app, Method::DELETE, "/offerSearches/8895affa-bc9c-4fdd-bb1f-c279f2b56065", PUBLISHABLE, "").await, 405, "Method not allowed"),
        (call(&app, Method::GET, "/offerSearches/a/b", PUBLISHABLE, "").await, 404, ""),
        (app.get("/network/web/main/api/nothing").await, 404, ""),
        (app.get("/leads/public/channelOffers").await, 400, "productType must be specified"),
        (app.get("/leads/public/channelOffers?productType=").await, 400, "not a valid productType"),
        (app.get("/leads/public/channelOffers?productType=CashAdvance&channelUuid=x").await, 400, "not a valid channelUuid"),
        (app.get("/leads/public/channelOffers?productType=CashAdvance&channelUuid=8895affa-bc9c-4fdd-bb1f-c279f2b56065").await, 404, "Channel 8895affa-bc9c-4fdd-bb1f-c279f2b56065 not found"),
    ];
    for (i, (response, status, message)) in cases.iter().enumerate() {
        response.assert_status(*status);
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "case {i}"
        );
        let errors = response.json();
        let first = &errors.as_array().unwrap_or_else(|| panic!("case {i}: {errors}"))[0];
        assert!(
            first["message"].as_str().unwrap().contains(message),
            "case {i}: {errors}"
        );
    }
    // A lead of another company's is not this company's to search.
    let theirs = configuration(&app, SANDBOX_PUBLISHABLE).await["signals"]["lead"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {SANDBOX_PUBLISHABLE}");
    app.call(
        Method::POST,
        &format!("/leads/{theirs}/offerSearches"),
        &[("authorization", &auth)],
        body.clone(),
    )
    .await
    .assert_status(200);
    let refused = call(
        &app,
        Method::POST,
        &format!("/leads/{theirs}/offerSearches"),
        PUBLISHABLE,
        &body,
    )
    .await;
    refused.assert_status(400);
    assert_eq!(refused.json(), json!([{"message": "Lead UUID is invalid"}]));
    // Nor is another company's search.
    let ours = search(&app, lead, &carousel_body()).await;
    app.get_as(
        &format!("/offerSearches/{}", ours["uuid"].as_str().unwrap()),
        SANDBOX_PUBLISHABLE,
    )
    .await
    .assert_status(404);
}

/// Without `Api-Version` a call is the current version's; 2025-10-15's
/// `POST /offerSearches` takes the lead from the body.
#[tokio::test]
async fn every_published_version_and_the_older_create_are_served() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let lead = "5d7c8a1e-3b2f-4c6d-9e8f-0a1b2c3d4e5f";
    let mut body = carousel_body();
    body["uuid"] = json!(lead);
    for (i, version) in ["2025-10-15", "2025-12-09", "2026-02-25"].into_iter().enumerate() {
        let auth = format!("Bearer {PUBLISHABLE}");
        let created = app
            .call(
                Method::POST,
                "/offerSearches",
                &[("authorization", &auth), ("api-version", version)],
                body.to_string(),
            )
            .await;
        created.assert_status(200);
        assert_eq!(created.json()["leadUuid"], lead);
        let admin = app.get("/__admin/engine/leads").await.json();
        assert_eq!(
            admin["leads"][0]["rateTables"].as_array().unwrap().len(),
            i + 1,
            "{admin}"
        );
        assert_eq!(
            admin["leads"][0]["rateTables"][i]["offerSearch"]["apiVersion"],
            version
        );
    }
    let plain = app
        .post_json_as("/offerSearches", PUBLISHABLE, r#"{"productTypes":["TaxFiling"]}"#)
        .await;
    plain.assert_status(200);
    assert_ne!(plain.json()["leadUuid"], lead, "a new lead");
    let unknown = app
        .post_json_as(
            "/offerSearches",
            PUBLISHABLE,
            r#"{"productTypes":["NoSuchThing"]}"#,
        )
        .await;
    unknown.assert_status(200);
    assert_eq!(unknown.json()["offers"], json!([]));
    assert_eq!(unknown.json()["pendingResponses"], json!([]));
    // A generated lead's uuid is taken, as `submitLead` says.
    let generated = app
        .get_as(
            "/supplyAnalytics/leadEvents?timestamp=2026-03-01T08:00:00Z",
            CONFIDENTIAL,
        )
        .await
        .json();
    let taken = generated["data"][0]["leadUuid"].as_str().unwrap().to_owned();
    call(
        &app,
        Method::POST,
        &format!("/leads/{taken}/offerSearches"),
        PUBLISHABLE,
        "{}",
    )
    .await
    .assert_status(409);
}

/// Fixtures script the degraded paths: a silent partner keeps the search
/// pending past the fifth poll, a product type with no offers answers none,
/// a slow partner answers only on the clock; a sub-account's own token and
/// context overlay pick its channel.
#[tokio::test]
async fn fixtures_script_silent_slow_and_empty_partners_per_sub_account() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let channel = "6e0c4a2f-1d3b-4f5a-8c7e-9b0a1d2c3e4f";
    let fixtures = json!({"engine": {"companies": [{
        "name": "Carousel Partner", "uuid": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "confidentialToken": "cp-conf", "publishableToken": "cp-pub", "leadsPerDay": 0,
        "carousel": {"silentPartners": ["Granite Peak Bank"], "noOffers": ["CashAdvance"],
                     "context": {"configuration": {"configuration": {"enableUseCachedOffers": true}}}},
        "supplySubAccounts": [
            {"uuid": "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70", "name": "app"},
            {"uuid": channel, "name": "web", "confidentialToken": "cp-web",
             "carousel": {"slowPartners": ["Bluepeak Credit"], "silentPartners": [],
                          "context": {"brand": {"domain": "web.example"}}}}
        ]
    }]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);

    // The company's token: its first sub-account, the company's scripts.
    let context = configuration(&app, "cp-pub").await;
    assert_eq!(
        context["configuration"]["configuration"]["enableUseCachedOffers"],
        true
    );
    assert_eq!(
        context["subaccount"]["supplySubaccountUuid"],
        "0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70"
    );
    let lead = context["signals"]["lead"]["uuid"].as_str().unwrap().to_owned();
    let created = search_as(&app, "cp-pub", &lead, &carousel_body()).await;
    assert!(
        created["offers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["productType"] == "EarnedWageAccess")
    );
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    let mut last = created;
    for _ in 0..5 {
        last = poll_as(&app, "cp-pub", &uuid).await;
    }
    let silent: Vec<&Value> = last["pendingResponses"].as_array().unwrap().iter().collect();
    assert_eq!(silent.len(), 1, "{last}");
    assert_eq!(silent[0]["partner"]["name"], "Granite Peak Bank");
    app.advance(86_400).await;
    let later = poll_as(&app, "cp-pub", &uuid).await;
    assert_eq!(pending(&later), 1, "a silent partner never answers");

    // The web sub-account's own token: its overlay and its slow partner.
    let web = configuration(&app, "cp-web").await;
    assert_eq!(web["subaccount"]["supplySubaccountUuid"], channel);
    assert_eq!(web["brand"]["domain"], "web.example");
    assert_eq!(web["subaccount"]["publicToken"], "cp-pub");
    let lead = web["signals"]["lead"]["uuid"].as_str().unwrap().to_owned();
    let mut body = carousel_body();
    body["productTypes"] = json!(["UnsecuredPersonalLoan"]);
    let created = search_as(&app, "cp-pub", &lead, &body).await;
    let uuid = created["uuid"].as_str().unwrap().to_owned();
    let mut last = created;
    for _ in 0..5 {
        last = poll_as(&app, "cp-pub", &uuid).await;
    }
    assert_eq!(
        last["pendingResponses"][0]["partner"]["name"], "Bluepeak Credit",
        "{last}"
    );
    app.advance(91).await;
    let later = poll_as(&app, "cp-pub", &uuid).await;
    assert_eq!(pending(&later), 0);
    // The lead was filed under the sub-account its configuration named.
    let leads = app.get("/__admin/engine/leads").await.json();
    assert!(leads.to_string().contains(&lead));

    // The channel's cached offers honour its company's `noOffers`.
    let offers = app
        .get(&format!(
            "/leads/public/channelOffers?productType=CashAdvance%2CEarnedWageAccess&channelUuid={channel}"
        ))
        .await;
    offers.assert_status(200);
    assert!(
        offers.json()["offers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["productType"] == "EarnedWageAccess")
    );

    // A fixture naming a partner or product type leadsim lacks is refused.
    let bad = json!({"engine": {"companies": [{"name": "X", "uuid": "1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "confidentialToken": "x1", "publishableToken": "x2", "carousel": {"noOffers": ["Nope"]}}]}});
    let refused = app.post_json("/__admin/fixtures", &bad.to_string()).await;
    refused.assert_status(400);
    assert!(
        refused.text().contains("'Nope' is not a catalog product type"),
        "{}",
        refused.text()
    );
}

/// Channel offers: no token, the comma percent-encoded, the same answer for
/// every caller; their links reach a landing page.
#[tokio::test]
async fn channel_offers_are_cached_per_channel_and_need_no_token() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let context = configuration(&app, PUBLISHABLE).await;
    let channel = context["subaccount"]["supplySubaccountUuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!(
        "/leads/public/channelOffers?productType=EarnedWageAccess%2CCashAdvance&channelUuid={channel}"
    );
    let first = app.get(&uri).await;
    first.assert_status(200);
    let body = first.json();
    assert!(body["uuid"].is_string());
    let offers = body["offers"].as_array().unwrap();
    assert!(offers.len() >= 4, "{body}");
    for offer in offers {
        assert_base_offer(offer);
        assert!(
            !offer["url"].as_str().unwrap().contains('?'),
            "no query: the carousel appends one"
        );
    }
    assert_eq!(
        app.get(&uri).await.json(),
        body,
        "cached: the same for every caller"
    );
    let url = offers[0]["url"].as_str().unwrap();
    let followed = app.get(&url[url.find("/ref/").unwrap()..]).await;
    followed.assert_status(302);
    app.get(followed.header("location").unwrap())
        .await
        .assert_status(200);
    // Without a channel: the catalogue's own.
    app.get("/leads/public/channelOffers?productType=TaxFiling")
        .await
        .assert_status(200);
}

/// The same calls on the same seed answer the same bytes.
#[tokio::test]
async fn searches_are_deterministic_from_the_seed_and_the_calls() {
    let mut answers = Vec::new();
    for _ in 0..2 {
        let app = TestApp::at("2026-03-02T10:00:00Z");
        let lead = configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        let created = search(&app, &lead, &carousel_body()).await;
        let polled = poll(&app, created["uuid"].as_str().unwrap()).await;
        answers.push((created, polled));
    }
    assert_eq!(answers[0], answers[1]);
}

/// The configuration hands out the publishable token: with
/// `--journal-responses` the journal keeps its fingerprint only, and the
/// search's email never shows.
#[tokio::test]
async fn the_handed_out_token_and_the_searchs_email_are_redacted() {
    let mut config = leadsim::config::Config::defaults();
    config.now = leadsim::parse_rfc3339("2026-03-02T10:00:00Z");
    config.journal_responses = true;
    let app = TestApp::with(config, leadsim::Fixtures::embedded().unwrap());
    let lead = configuration(&app, PUBLISHABLE).await["signals"]["lead"]["uuid"]
        .as_str()
        .unwrap()
        .to_owned();
    search(&app, &lead, &carousel_body()).await;
    let journal = app.journal("").await.to_string();
    assert!(!journal.contains(PUBLISHABLE), "{journal}");
    assert!(!journal.contains("ada@example.com"), "{journal}");
    assert!(journal.contains("[redacted:"), "{journal}");
}

/// A poll answered as before (leadsim keeps rendered polls) still follows
/// what the answer shows besides arrivals: the host its links are on; and a
/// reset that issues the same search uuid again answers the new search.
#[tokio::test]
async fn a_repeated_poll_follows_the_host_and_a_reset() {
    let app = TestApp::at("2026-03-02T10:00:00Z");
    let create = |body: Value| {
        let app = &app;
        async move {
            let response = call(
                app,
                Method::POST,
                "/offerSearches",
                PUBLISHABLE,
                &body.to_string(),
            )
            .await;
            response.assert_status(200);
            response.json()["uuid"].as_str().unwrap().to_owned()
        }
    };
    let poll_on = |search: String, host: &'static str| {
        let app = &app;
        async move {
            let auth = format!("Bearer {PUBLISHABLE}");
            let response = app
                .call(
                    Method::GET,
                    &format!("/offerSearches/{search}"),
                    &[("authorization", &auth), ("host", host), VERSION],
                    "",
                )
                .await;
            response.assert_status(200);
            response.json()
        }
    };
    let first = create(carousel_body()).await;
    // Every partner has answered by the third poll; from then on the same.
    for _ in 0..3 {
        poll_on(first.clone(), "a.example:8080").await;
    }
    let on_a = poll_on(first.clone(), "a.example:8080").await;
    assert_eq!(pending(&on_a), 0);
    assert_eq!(poll_on(first.clone(), "a.example:8080").await, on_a);
    let on_b = poll_on(first.clone(), "b.example:9090").await;
    assert!(!offer_strings(&on_a, "url").is_empty());
    for (answer, base) in [
        (&on_a, "http://a.example:8080/"),
        (&on_b, "http://b.example:9090/"),
    ] {
        let urls = offer_strings(answer, "url");
        assert!(urls.iter().all(|u| u.starts_with(base)), "{urls:?}");
    }

    app.post_json("/__admin/reset", "").await.assert_status(200);
    let mut loans = carousel_body();
    loans["productTypes"] = json!(["UnsecuredPersonalLoan"]);
    let second = create(loans).await;
    assert_eq!(second, first, "the same calls after a reset issue the same uuid");
    let after = poll_on(second, "a.example:8080").await;
    let types = offer_strings(&after, "productType");
    assert!(!types.is_empty());
    assert!(types.iter().all(|t| *t == "UnsecuredPersonalLoan"), "{types:?}");
}
