//! Every request example the vendors publish in the specs leadsim serves
//! (Engine 1.106.0, Finicity 1.42.0) is accepted as the vendor would
//! accept it: read from the spec files, sent as written, answered 2xx.
//! The only exception is an example that contradicts its own schema's
//! `required` list: it gets the vendor's 400 for the missing member, and
//! the test lists each such example by name.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::http::Method;
use common::{CONFIDENTIAL, PUBLISHABLE, TestApp};
use serde_json::{Value, json};

const NOW: &str = "2026-03-02T10:20:00Z";

/// `(method, path, name, example, missing)` for every request body example
/// of `spec` (named examples, inline or `$ref`, and the body schema's own
/// `example`), with the members its schema requires that it lacks.
fn request_examples(spec: &Value) -> Vec<(String, String, String, Value, Vec<String>)> {
    let resolve = |value: &Value| -> Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                spec.pointer(pointer).cloned().unwrap_or(Value::Null)
            }
            None => value.clone(),
        }
    };
    let mut found = Vec::new();
    for (path, operations) in spec["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let Some(body) = operation.get("requestBody").map(&resolve) else {
                continue;
            };
            let Some(json_body) = body["content"].get("application/json") else {
                continue;
            };
            let schema = resolve(&json_body["schema"]);
            let required: Vec<String> = std::iter::once(&schema)
                .chain(schema["allOf"].as_array().into_iter().flatten())
                .map(&resolve)
                .flat_map(|s| s["required"].as_array().cloned().unwrap_or_default())
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            let missing = |example: &Value| -> Vec<String> {
                required
                    .iter()
                    .filter(|r| example.get(r.as_str()).is_none())
                    .cloned()
                    .collect()
            };
            for (name, example) in json_body
                .get("examples")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let value = resolve(example)["value"].clone();
                let lacks = missing(&value);
                found.push((method.to_uppercase(), path.clone(), name.clone(), value, lacks));
            }
            if let Some(example) = schema.get("example") {
                let lacks = missing(example);
                found.push((
                    method.to_uppercase(),
                    path.clone(),
                    "schema example".into(),
                    example.clone(),
                    lacks,
                ));
            }
        }
    }
    found
}

fn vendor_spec(file: &str) -> Value {
    let path = format!("{}/tests/vendor/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    if file.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_yaml_ng::from_str(&text).unwrap()
    }
}

#[tokio::test]
async fn every_engine_request_example_is_accepted_as_written() {
    let app = TestApp::at(NOW);
    let examples = request_examples(&vendor_spec("engine-openapi-1.106.0.json"));
    assert!(examples.len() >= 6, "{examples:?}");
    // A lead of this token's to address the examples of per-lead operations to.
    let stored = app
        .post_json_as("/leads/rateTables", PUBLISHABLE, r#"{"productTypes":["loan"]}"#)
        .await
        .json();
    let lead = stored["leadUuid"].as_str().unwrap().to_owned();
    assert!(
        examples.iter().all(|(.., missing)| missing.is_empty()),
        "{examples:?}"
    );
    for (method, path, name, example, _) in &examples {
        let concrete = path.replace("{leadUuid}", &lead).replace("{uuid}", &lead);
        let token = if method == "PATCH" {
            CONFIDENTIAL
        } else {
            PUBLISHABLE
        };
        let auth = format!("Bearer {token}");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .call(
                method.clone(),
                &concrete,
                &[("authorization", &auth), ("content-type", "application/json")],
                example.to_string(),
            )
            .await;
        assert!(
            response.status.is_success(),
            "{method} {path} ({name}): {} {}",
            response.status,
            response.text()
        );
    }
    // The documented SSN is in the stored lead as sent.
    let lead_example = &examples
        .iter()
        .find(|(m, p, ..)| m == "POST" && p == "/leads/rateTables")
        .unwrap()
        .3;
    assert_eq!(
        examples
            .iter()
            .filter(|(.., n, _, _)| n == "schema example")
            .count(),
        4,
        "LeadCreateData's, on four operations"
    );
    assert_eq!(lead_example["personalInformation"]["ssn"], "111-22-3333");
}

#[tokio::test]
async fn every_finicity_request_example_is_accepted_as_written() {
    let app = TestApp::at(NOW);
    let spec = vendor_spec("finicity-openapi-1.42.0.yaml");
    let examples = request_examples(&spec);
    assert!(examples.len() >= 19, "{}", examples.len());
    let token = app.finicity_token().await;
    // The examples name accounts 1000535275 and 1000535276: as with the
    // vendor, they are accepted for a customer who has those accounts.
    let fixtures = json!({"finicity": {"customers": [
        {"id": "1005069001", "username": "example-business", "type": "business", "firstName": "Ann", "lastName": "Example",
         "business": {"id": 9001, "name": "Example Co"},
         "accounts": [{"id": 1000535275, "type": "checking", "name": "Checking", "institutionId": 101732},
                      {"id": 1000535276, "type": "savings", "name": "Savings", "institutionId": 101732}]},
        {"id": "1005069002", "username": "example-personal", "type": "personal", "firstName": "Bo", "lastName": "Example",
         "accounts": [{"id": 1000535277, "type": "checking", "name": "Checking", "institutionId": 101732}]}
    ]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    let call = |method: &str, uri: String, body: String| {
        let app = app.clone();
        let token = token.clone();
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        async move {
            let headers = [
                ("finicity-app-key", "demo-app-key"),
                ("finicity-app-token", token.as_str()),
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ];
            app.call(method, &uri, &headers, body).await
        }
    };
    // Consumers first (one per customer: each example on a fresh customer),
    // so the CRA report examples find theirs.
    let mut testing = 0;
    let mut contradicting = Vec::new();
    for (method, path, name, example, missing) in
        examples.iter().filter(|(_, p, ..)| p.ends_with("/consumer"))
    {
        testing += 1;
        let created = call(
            "POST",
            "/aggregation/v2/customers/testing".into(),
            json!({"username": format!("example-consumer-{testing}")}).to_string(),
        )
        .await
        .json();
        let customer = created["id"].as_str().unwrap();
        let response = call(
            method,
            path.replace("{customerId}", customer),
            example.to_string(),
        )
        .await;
        if missing.is_empty() {
            assert!(
                response.status.is_success(),
                "{method} {path} ({name}): {} {}",
                response.status,
                response.text()
            );
        } else {
            // The vendor's own 400 for the first member it lacks.
            let body = response.json();
            assert_eq!(response.status, 400, "{name}: {body}");
            assert_eq!(
                body["message"],
                format!("\"{}\" is required", missing[0]),
                "{name}"
            );
            contradicting.push(name.clone());
        }
    }
    // Listed: the vendor's one consumer example without `state`, which
    // `NewConsumer` requires.
    assert_eq!(contradicting, ["ConsumerWithSsnAndPhone"], "the exceptions");
    let consumer = examples
        .iter()
        .find(|(_, p, .., missing)| p.ends_with("/consumer") && missing.is_empty())
        .unwrap()
        .3
        .to_string();
    let business = r#"{"name": "Example Co", "personallyLiable": true,
        "address": {"addressLine1": "1 Main St", "city": "Portland", "state": "OR", "country": "US", "postalCode": "97205"},
        "phoneNumber": {"countryCode": "1", "phoneNo": "5035550100"}}"#;
    let business_customer = "/decisioning/v1/customers/1005069001/consumer";
    call("POST", business_customer.into(), consumer.clone())
        .await
        .assert_status(201);
    call(
        "POST",
        "/business-services/customers/1005069001/businesses".into(),
        business.into(),
    )
    .await
    .assert_status(200);
    for (method, path, name, example, missing) in examples.iter().filter(|(_, p, ..)| p.contains("/reports/"))
    {
        assert!(missing.is_empty(), "{name} lacks {missing:?}");
        let user_type = if name.contains("Business") {
            "business"
        } else {
            "personal"
        };
        let customer = "1005069001";
        let uri = path
            .replace("{customerId}", customer)
            .replace("{userType}", user_type);
        let response = call(method, uri, example.to_string()).await;
        assert!(
            response.status.is_success(),
            "{method} {path} ({name}): {} {}",
            response.status,
            response.text()
        );
    }
}
