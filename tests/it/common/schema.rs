//! Validation of response bodies against the vendors' OpenAPI schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

const ENGINE_SPEC: &str = include_str!("../../vendor/engine-openapi.json");
const BASE: &str = "urn:leadsim:vendor:engine";
const FINICITY_SPEC: &str = include_str!("../../vendor/finicity-openapi.yaml");
const FINICITY_BASE: &str = "urn:leadsim:vendor:finicity";

/// Asserts `instance` is valid against `#/components/schemas/{name}` of the
/// Engine spec, with `format` (uuid, date-time) checked.
#[track_caller]
pub fn assert_engine_schema(name: &str, instance: &Value) {
    assert_valid(
        json!({ "$ref": format!("{BASE}#/components/schemas/{name}") }),
        instance,
    );
}

/// Asserts `instance` is an array of Engine `ApiError`s.
#[track_caller]
pub fn assert_engine_errors(instance: &Value) {
    assert_valid(
        json!({ "type": "array", "minItems": 1, "items": { "$ref": format!("{BASE}#/components/schemas/ApiError") } }),
        instance,
    );
}

/// The violations of `instance` against Engine's `name` schema (empty when valid).
pub fn engine_schema_violations(name: &str, instance: &Value) -> Vec<String> {
    violations(
        json!({ "$ref": format!("{BASE}#/components/schemas/{name}") }),
        instance,
    )
}

/// Asserts `instance` is valid against `#/components/schemas/{name}` of the
/// Finicity spec (OpenAPI 3.0 YAML; `allOf` branches all checked).
#[track_caller]
pub fn assert_finicity_schema(name: &str, instance: &Value) {
    let errors = finicity_schema_violations(name, instance);
    assert!(
        errors.is_empty(),
        "schema violations: {errors:#?}\ninstance (first 2000 chars): {:.2000}",
        instance.to_string()
    );
}

/// The violations of `instance` against `name` in leadsim's own spec of a
/// family (`openapi/<family>.yaml`).
pub fn leadsim_schema_violations(family: &str, name: &str, instance: &Value) -> Vec<String> {
    let path = format!("{}/openapi/{family}.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("our spec exists");
    let spec: Value = serde_yaml_ng::from_str(&text).expect("our spec parses");
    let base = format!("urn:leadsim:own:{family}");
    let schema = json!({ "$ref": format!("{base}#/components/schemas/{name}") });
    violations_in(&base, &spec, schema, instance)
}

/// The violations of `instance` against Finicity's `name` schema.
pub fn finicity_schema_violations(name: &str, instance: &Value) -> Vec<String> {
    let spec: Value = serde_yaml_ng::from_str(FINICITY_SPEC).expect("Finicity spec parses");
    let schema = json!({ "$ref": format!("{FINICITY_BASE}#/components/schemas/{name}") });
    violations_in(FINICITY_BASE, &spec, schema, instance)
}

#[track_caller]
fn assert_valid(schema: Value, instance: &Value) {
    let errors = violations(schema, instance);
    assert!(
        errors.is_empty(),
        "schema violations: {errors:#?}\ninstance: {instance}"
    );
}

fn violations(schema: Value, instance: &Value) -> Vec<String> {
    let spec: Value = serde_json::from_str(ENGINE_SPEC).unwrap();
    violations_in(BASE, &spec, schema, instance)
}

fn violations_in(base: &str, spec: &Value, schema: Value, instance: &Value) -> Vec<String> {
    let registry = jsonschema::Registry::new()
        .add(base, spec)
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .with_registry(&registry)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

const ENGINE_V3_SPEC: &str = include_str!("../../vendor/engine-openapi-1.106.0.json");
const ENGINE_V3_BASE: &str = "urn:leadsim:vendor:engine-1.106.0";

/// The violations of `instance` against `name` in the vendor's current
/// Engine spec (1.106.0: Supply Analytics v3).
pub fn engine_v3_schema_violations(name: &str, instance: &Value) -> Vec<String> {
    let spec: Value = serde_json::from_str(ENGINE_V3_SPEC).expect("Engine 1.106.0 parses");
    let schema = json!({ "$ref": format!("{ENGINE_V3_BASE}#/components/schemas/{name}") });
    violations_in(ENGINE_V3_BASE, &spec, schema, instance)
}

const FINICITY_1_42_SPEC: &str = include_str!("../../vendor/finicity-openapi-1.42.0.yaml");
const FINICITY_1_42_BASE: &str = "urn:leadsim:vendor:finicity-1.42.0";

/// The violations of `instance` against `name` in the vendor's current
/// Finicity spec (1.42.0: the `/decisioning` flow).
pub fn finicity_1_42_schema_violations(name: &str, instance: &Value) -> Vec<String> {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let spec =
        SPEC.get_or_init(|| serde_yaml_ng::from_str(FINICITY_1_42_SPEC).expect("Finicity 1.42.0 parses"));
    let schema = json!({ "$ref": format!("{FINICITY_1_42_BASE}#/components/schemas/{name}") });
    violations_in(FINICITY_1_42_BASE, spec, schema, instance)
}

/// Asserts `instance` is valid against `name` in Finicity 1.42.0.
#[track_caller]
pub fn assert_finicity_1_42_schema(name: &str, instance: &Value) {
    let errors = finicity_1_42_schema_violations(name, instance);
    assert!(
        errors.is_empty(),
        "schema violations: {:#?}\ninstance (first 2000 chars): {:.2000}",
        &errors[..errors.len().min(20)],
        instance.to_string()
    );
}

const FINICITY_CONNECT_SPEC: &str = include_str!("../../vendor/finicity-connect-openapi-1.42.0.yaml");
const FINICITY_CONNECT_BASE: &str = "urn:leadsim:vendor:finicity-connect-1.42.0";

/// Asserts `instance` is valid against `name` in the vendor's 1.42.0 Data
/// Connect excerpt.
#[track_caller]
pub fn assert_finicity_connect_schema(name: &str, instance: &Value) {
    static SPEC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let spec = SPEC
        .get_or_init(|| serde_yaml_ng::from_str(FINICITY_CONNECT_SPEC).expect("the Connect excerpt parses"));
    let schema = json!({ "$ref": format!("{FINICITY_CONNECT_BASE}#/components/schemas/{name}") });
    let errors = violations_in(FINICITY_CONNECT_BASE, spec, schema, instance);
    assert!(
        errors.is_empty(),
        "schema violations: {:#?}\ninstance (first 2000 chars): {:.2000}",
        &errors[..errors.len().min(20)],
        instance.to_string()
    );
}
