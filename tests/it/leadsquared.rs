//! LeadSquared Lead Distribution Analytics over HTTP: the seed's example,
//! aggregates against a brute-force recount, CSV = JSON, errors, paging and
//! the 25-in-5-seconds rate limit driven by the virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use axum::http::Method;
use common::{TestApp, TestResponse};
use leadsim::Fixtures;
use leadsim::config::Config;
use leadsim::parse_rfc3339;
use proptest::prelude::*;
use serde_json::{Value, json};

const PATH: &str = "/Leads/LeadDistribution/FilterByLeadField";
const KEYS: &str = "accessKey=demo-access-key&secretKey=demo-secret-key";
const SEED_NOW: &str = "2018-11-10T12:00:00Z";

/// The seed's example request, verbatim.
const SEED_REQUEST: &str = r#"{ "ReportFilter": { "UserFilter": { "GroupConditions": [ { "Condition": [ { "LookupName": "UserID", "Operator": "eq", "LookupValue": "01f131a5-7746-11e6-bcaf-0677ec402fcf,07934579-8551-11e6-88b9-0677ec402fcf,090529bc-862c-11e6-88b9-0677ec402fcf,0ec2b1d5-3d0f-11e5-b982-22000aa68b6f" } ] } ] }, "LeadFilters": [ { "LookUpName": "EngagementScore", "LookUpValue": "0", "SqlOperator": "" } ] }, "DateFilter": [ { "DateField": "LeadCreatedOn", "FromDate": "2017-11-10 12:00:00", "ToDate": "2018-11-10 12:00:00" } ], "Output": { "Type": "aggregate", "GroupBy": "OwnerId", "AggregateFunction": "Average", "AggregateField": "EngagementScore", "IncludeCSV": "" }, "Paging": { "PageIndex": 1, "PageSize": 10 } }"#;

async fn query(app: &TestApp, params: &str, body: &str) -> TestResponse {
    let uri = format!("{PATH}?{params}");
    app.post_json(&uri, body).await
}

async fn ok_json(app: &TestApp, body: &str) -> Value {
    let response = query(app, KEYS, body).await;
    response.assert_status(200);
    response.json()
}

fn assert_mx(response: &TestResponse, status: u16, exception: &str, message: &str) {
    response.assert_status(status);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.json(),
        json!({"Status": "Error", "ExceptionType": exception, "ExceptionMessage": message}),
    );
}

fn keys_of(row: &Value) -> Vec<String> {
    row.as_object().unwrap().keys().cloned().collect()
}

#[tokio::test]
async fn the_seeds_example_request_gets_the_seeds_response_shape() {
    let app = TestApp::at(SEED_NOW);
    let response = query(&app, KEYS, SEED_REQUEST).await;
    response.assert_status(200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["TotalCount"], "4", "a string, one row per filtered user");
    let rows = body["Results"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let text = response.text();
    let first = text.find("\"OwnerId\"").unwrap();
    assert!(
        first < text.find("\"Count\"").unwrap()
            && text.find("\"Count\"").unwrap() < text.find("\"Average_EngagementScore\"").unwrap()
    );
    let mut owners = BTreeSet::new();
    let mut last_count = i64::MAX;
    for row in rows {
        let mut keys = keys_of(row);
        keys.sort();
        assert_eq!(keys, ["Average_EngagementScore", "Count", "OwnerId"]);
        owners.insert(row["OwnerId"].as_str().unwrap().to_owned());
        let count = row["Count"].as_i64().expect("Count is an integer");
        assert!(count <= last_count, "most leads first");
        last_count = count;
        if count == 0 {
            assert_eq!(row["Average_EngagementScore"], Value::Null);
        } else {
            assert_eq!(row["Average_EngagementScore"], json!(0.0), "EngagementScore = 0");
        }
    }
    let expected: BTreeSet<String> = [
        "01f131a5-7746-11e6-bcaf-0677ec402fcf",
        "07934579-8551-11e6-88b9-0677ec402fcf",
        "090529bc-862c-11e6-88b9-0677ec402fcf",
        "0ec2b1d5-3d0f-11e5-b982-22000aa68b6f",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(owners, expected);
    assert!(
        rows[0]["Count"].as_i64().unwrap() > 0,
        "the demo account has such leads"
    );
}

#[tokio::test]
async fn same_seed_same_bytes_and_another_seed_other_data() {
    let body = r#"{"Output":{"Type":"list"},"Paging":{"PageIndex":1,"PageSize":50}}"#;
    let a = query(&TestApp::at(SEED_NOW), KEYS, body).await.text();
    let b = query(&TestApp::at(SEED_NOW), KEYS, body).await.text();
    assert_eq!(a, b);
    let mut config = Config::defaults();
    config.now = parse_rfc3339(SEED_NOW);
    config.seed = 7;
    let other = TestApp::with(config, Fixtures::embedded().unwrap());
    assert_ne!(query(&other, KEYS, body).await.text(), a);
}

#[tokio::test]
async fn list_output_pages_newest_first_with_default_and_chosen_columns() {
    let app = TestApp::at(SEED_NOW);
    let all = ok_json(
        &app,
        r#"{"Output":{"Type":"list"},"Paging":{"PageIndex":1,"PageSize":3}}"#,
    )
    .await;
    assert_eq!(all["TotalCount"], "20001", "20,000 generated + the listed lead");
    let rows = all["Results"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let mut keys = keys_of(&rows[0]);
    keys.sort();
    let mut expected = vec![
        "CreatedOn",
        "EmailAddress",
        "EngagementScore",
        "FirstName",
        "LastName",
        "ModifiedOn",
        "OwnerId",
        "Phone",
        "ProspectID",
        "ProspectStage",
        "Score",
        "Source",
    ];
    expected.sort();
    assert_eq!(keys, expected);
    let created: Vec<&str> = rows.iter().map(|r| r["CreatedOn"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    assert!(
        created[0].starts_with("2018-11-09"),
        "yesterday is the newest day"
    );
    assert_eq!(created[0].len(), "2018-11-09 22:29:13.000".len());
    assert!(rows[0]["Score"].is_string(), "lead values print as strings");

    let chosen = ok_json(
        &app,
        r#"{"ReportFilter":{"LeadFilters":[{"LookUpName":"EmailAddress","LookUpValue":"ADA.LOVELACE@example.com","SqlOperator":"="}]},
            "Output":{"Type":"list","IncludeCSV":" ProspectID,FirstName,LeadAge,OwnerIdName,Revenue"}}"#,
    )
    .await;
    assert_eq!(chosen["TotalCount"], "1");
    assert_eq!(
        chosen["Results"][0],
        json!({"ProspectID": "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c", "FirstName": "Ada",
               "LeadAge": "241", "OwnerIdName": "Priya Raman"}),
        "empty fields are left out; LeadAge counts days to the virtual now"
    );

    let past = ok_json(&app, r#"{"Paging":{"PageIndex":100000,"PageSize":10000}}"#).await;
    assert_eq!(past["TotalCount"], "20001");
    assert_eq!(past["Results"], json!([]));
    let last = ok_json(&app, r#"{"Paging":{"PageIndex":3,"PageSize":10000}}"#).await;
    assert_eq!(last["Results"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn csv_has_the_same_rows_as_json() {
    let app = TestApp::at(SEED_NOW);
    for body in [
        r#"{"Output":{"Type":"list","IncludeCSV":"ProspectID,FirstName,Company,Source,Score,mx_Budget,CreatedOn"},"Paging":{"PageIndex":2,"PageSize":40}}"#,
        r#"{"Output":{"Type":"aggregate","GroupBy":"ProspectStage","AggregateFunction":"Average,Sum,Min,Max","AggregateField":"Score"}}"#,
        SEED_REQUEST,
    ] {
        let json = ok_json(&app, body).await;
        for format in ["csv", "CSV", "Csv"] {
            let response = query(&app, &format!("{KEYS}&responseformat={format}"), body).await;
            response.assert_status(200);
            assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
            assert_eq!(
                response.header("content-disposition"),
                Some("attachment; filename=\"LeadDistribution.csv\"")
            );
            let text = response.text();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
            let rows = json["Results"].as_array().unwrap();
            let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert_eq!(records.len(), rows.len());
            for (record, row) in records.iter().zip(rows) {
                for (column, field) in headers.iter().zip(record.iter()) {
                    let expected = match &row[column] {
                        Value::Null => String::new(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    assert_eq!(field, expected, "{column}");
                }
            }
        }
        // Served again from the cached rendering: the same document.
        assert_eq!(ok_json(&app, body).await, json);
    }
}

#[tokio::test]
async fn keys_in_headers_work_and_bad_keys_get_401() {
    let app = TestApp::at(SEED_NOW);
    let body = r#"{"Paging":{"PageSize":1}}"#;
    let invalid = (
        "MXInvalidAccessDetailsException",
        "Invalid Access Details provided.",
    );
    for params in [
        "",
        "accessKey=demo-access-key",
        "accessKey=demo-access-key&secretKey=wrong",
        "accessKey=nobody&secretKey=demo-secret-key",
    ] {
        assert_mx(&query(&app, params, body).await, 401, invalid.0, invalid.1);
    }
    let via_headers = app
        .call(
            Method::POST,
            PATH,
            &[
                ("content-type", "application/json"),
                ("x-LSQ-AccessKey", "demo-access-key"),
                ("x-LSQ-SecretKey", "demo-secret-key"),
            ],
            body.to_owned(),
        )
        .await;
    via_headers.assert_status(200);
    let mixed_case = query(
        &app,
        "AccessKey=demo-access-key&SECRETKEY=demo-secret-key&ResponseFormat=json",
        body,
    )
    .await;
    mixed_case.assert_status(200);
}

#[tokio::test]
async fn structural_errors_are_400_and_invalid_values_500_with_mx_bodies() {
    let app = TestApp::at(SEED_NOW);
    let bad_request = query(&app, KEYS, "{not json").await;
    bad_request.assert_status(400);
    assert_eq!(bad_request.json()["ExceptionType"], "MXInvalidRequestException");
    let wrong_type = query(&app, KEYS, r#"{"Paging":{"PageIndex":"one"}}"#).await;
    wrong_type.assert_status(400);
    assert!(
        wrong_type.json()["ExceptionMessage"]
            .as_str()
            .unwrap()
            .contains("Paging.PageIndex")
    );
    query(&app, KEYS, "[1,2]").await.assert_status(400);
    query(&app, KEYS, r#"{"DateFilter":{"DateField":"LeadCreatedOn"}}"#)
        .await
        .assert_status(400);

    let invalid = "MXInvalidInputException";
    let cases: &[(&str, &str, &str)] = &[
        (
            "",
            invalid,
            "Invalid Input! Parameter Name: You have not passed Parameter.",
        ),
        (
            r#"{"Paging":{"PageIndex":1,"PageSize":10001}}"#,
            invalid,
            "Invalid Input! Parameter Name: PageSize can not be more than 10000.",
        ),
        (
            r#"{"DateFilter":[{"DateField":"LeadCreatedOn","FromDate":"2018-11-10 12:00:00","ToDate":"2017-11-10 12:00:00"}]}"#,
            invalid,
            "Invalid Input! Parameter Name: FromDate can't be greater than ToDate.",
        ),
        (
            r#"{"DateFilter":[{"DateField":"LeadCreatedOn","FromDate":"10/11/2017"}]}"#,
            invalid,
            "Invalid Input! Parameter Name: FromDate. '10/11/2017' is not a date in yyyy-MM-dd hh:mm:ss form.",
        ),
        (
            r#"{"ReportFilter":{"LeadFilters":[{"LookUpName":"Score","LookUpValue":"1","SqlOperator":"~"}]}}"#,
            invalid,
            "Invalid Input! Parameter Name: SqlOperator. '~' is not one of =, <>, <, <=, >, >=, LIKE.",
        ),
        (
            r#"{"ReportFilter":{"LeadFilters":[{"LookUpName":"Score","LookUpValue":"high"}]}}"#,
            invalid,
            "Invalid Input! Parameter Name: LookUpValue. 'high' is not a number, which Score needs.",
        ),
        (
            r#"{"ReportFilter":{"LeadFilters":[{"LookUpName":"Shoe_Size","LookUpValue":"9"}]}}"#,
            "MXUnknownAttributeException",
            "Invalid Input! Parameter Name: LookUpName. 'Shoe_Size' is not a lead field.",
        ),
        (
            r#"{"Output":{"Type":"list","IncludeCSV":"ProspectID,shoe"}}"#,
            "MXUnknownAttributeException",
            "Invalid Input! Parameter Name: IncludeCSV. 'shoe' is not a lead field.",
        ),
        (
            r#"{"Output":{"Type":"aggregate","AggregateFunction":"Median","AggregateField":"Score"}}"#,
            invalid,
            "Invalid Input! Parameter Name: AggregateFunction. 'Median' is not one of Count, Average, Sum, Min, Max.",
        ),
        (
            r#"{"Output":{"Type":"aggregate","AggregateFunction":"Sum","AggregateField":"Source"}}"#,
            invalid,
            "Invalid Input! Parameter Name: AggregateField. 'Source' is not a number field.",
        ),
        (
            r#"{"Output":{"Type":"pie"}}"#,
            invalid,
            "Invalid Input! Parameter Name: Type. 'pie' is not list or aggregate.",
        ),
    ];
    for (body, exception, message) in cases {
        assert_mx(&query(&app, KEYS, body).await, 500, exception, message);
    }
    assert_mx(
        &query(&app, &format!("{KEYS}&responseformat=xml"), "{}").await,
        500,
        invalid,
        "Invalid Input! Parameter Name: ResponseFormat. 'xml' is not JSON or CSV.",
    );

    let wrong_method = app.get(&format!("{PATH}?{KEYS}")).await;
    wrong_method.assert_status(405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    assert_eq!(wrong_method.json()["Status"], "Error");
    let unknown = app.post_json("/Leads/LeadDistribution/Nope", "{}").await;
    unknown.assert_status(404);
    assert_eq!(unknown.json()["ExceptionType"], "MXAPINotFoundException");
}

#[tokio::test]
async fn the_26th_call_in_five_seconds_gets_429_until_the_window_moves() {
    let app = TestApp::at(SEED_NOW);
    let body = r#"{"Paging":{"PageSize":1}}"#;
    for i in 0..25 {
        query(&app, KEYS, body).await.assert_status(200);
        if i == 9 {
            app.post_json("/__admin/clock/advance", r#"{"seconds": 2}"#).await;
        }
    }
    let refused = query(&app, KEYS, body).await;
    assert_mx(
        &refused,
        429,
        "MXAPIRateLimitExceededException",
        "API calls exceeded the limit of 25 in 5 second(s)",
    );
    assert_eq!(
        refused.header("retry-after"),
        Some("3"),
        "the first 10 calls leave in 3 s"
    );
    // Bad keys are not the account's calls and do not reset anything.
    query(&app, "accessKey=x&secretKey=y", body)
        .await
        .assert_status(401);
    app.post_json("/__admin/clock/advance", r#"{"seconds": 2}"#).await;
    query(&app, KEYS, body).await.assert_status(429);
    app.post_json("/__admin/clock/advance", r#"{"seconds": 1}"#).await;
    for _ in 0..10 {
        query(&app, KEYS, body).await.assert_status(200);
    }
    query(&app, KEYS, body).await.assert_status(429);
    app.call(Method::POST, "/__admin/reset", &[], "")
        .await
        .assert_status(200);
    query(&app, KEYS, body).await.assert_status(200);
}

const SMALL_ACCOUNTS: &str = r#"{"accounts": [
  {"name": "Small", "accessKey": "small-access", "secretKey": "small-secret", "generatedUsers": 6,
   "generatedLeads": 2500, "rateLimit": {"calls": 2, "seconds": 10},
   "users": [{"ID": "11111111-1111-4111-8111-111111111111", "FirstName": "Idle", "LastName": "Owner",
              "EmailAddress": "idle@small.example.com", "MemberOfGroups": ["Nobody"]}]},
  {"name": "Unlimited", "accessKey": "free-access", "secretKey": "free-secret", "rateLimit": null,
   "generatedUsers": 2, "generatedLeads": 10}
]}"#;

fn small_app() -> TestApp {
    let mut config = Config::defaults();
    config.now = parse_rfc3339("2026-11-23T10:00:00Z");
    TestApp::with(
        config,
        Fixtures::with_files(&[("leadsquared.json", SMALL_ACCOUNTS)]).unwrap(),
    )
}

#[tokio::test]
async fn limits_and_data_are_per_account_from_the_fixtures() {
    let app = small_app();
    let small = "accessKey=small-access&secretKey=small-secret";
    let free = "accessKey=free-access&secretKey=free-secret";
    query(&app, KEYS, "{}").await.assert_status(401);
    let by_owner = r#"{"Output":{"Type":"aggregate","GroupBy":"OwnerId"}}"#;
    let small_body = query(&app, small, by_owner).await.json();
    assert_eq!(small_body["TotalCount"], "7", "6 generated users + 1 listed");
    let total: i64 = small_body["Results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2500);
    let nothing = r#"{"DateFilter":[{"DateField":"LeadCreatedOn","FromDate":"2000-01-01 00:00:00","ToDate":"2000-01-02 00:00:00"}],
        "Output":{"Type":"aggregate","GroupBy":"OwnerId","AggregateFunction":"Max","AggregateField":"Score"}}"#;
    let idle = query(&app, small, nothing).await.json();
    assert_eq!(idle["TotalCount"], "7", "users without leads still have a row");
    for row in idle["Results"].as_array().unwrap() {
        assert_eq!((&row["Count"], &row["Max_Score"]), (&json!(0), &Value::Null));
    }
    let refused = query(&app, small, by_owner).await;
    assert_eq!(
        refused.json()["ExceptionMessage"],
        "API calls exceeded the limit of 2 in 10 second(s)"
    );
    assert_eq!(refused.header("retry-after"), Some("10"));
    for _ in 0..40 {
        query(&app, free, "{}").await.assert_status(200);
    }
}

#[tokio::test]
async fn user_filter_condition_groups_select_owners() {
    let app = unlimited_app();
    let small = "accessKey=small-access&secretKey=small-secret";
    let rows = |body: Value| -> BTreeSet<String> {
        body["Results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["OwnerId"].as_str().unwrap().to_owned())
            .collect()
    };
    let idle = "11111111-1111-4111-8111-111111111111";
    let everyone = rows(
        query(
            app,
            small,
            r#"{"Output":{"Type":"aggregate","GroupBy":"OwnerId"}}"#,
        )
        .await
        .json(),
    );
    let by_group = |operator: &str, value: &str| {
        format!(
            r#"{{"ReportFilter":{{"UserFilter":{{"GroupConditions":[{{"Condition":[{{"LookupName":"Groups","Operator":"{operator}","LookupValue":"{value}"}}]}}]}}}},
               "Output":{{"Type":"aggregate","GroupBy":"OwnerId"}}}}"#
        )
    };
    let nobody_group = rows(query(app, small, &by_group("eq", "NOBODY")).await.json());
    assert_eq!(
        nobody_group,
        BTreeSet::from([idle.to_owned()]),
        "values match case-insensitively"
    );
    let others = rows(query(app, small, &by_group("neq", "Nobody")).await.json());
    assert_eq!(others.len() + 1, everyone.len());
    assert!(!others.contains(idle));
    let or_groups = r#"{"ReportFilter":{"UserFilter":{"GroupConditions":[
        {"Condition":[{"LookupName":"FirstName","Operator":"lik","LookupValue":"dl","ConditionOperator":"OR"},
                      {"LookupName":"EmailAddress","Operator":"lik","LookupValue":"nomatch"}],"GroupOperator":"OR"},
        {"Condition":[{"LookupName":"StatusCode","Operator":"eq","LookupValue":"5"}]}]}},
        "Output":{"Type":"aggregate","GroupBy":"OwnerId"}}"#;
    assert_eq!(
        rows(query(app, small, or_groups).await.json()),
        BTreeSet::from([idle.to_owned()])
    );
}

// ---------------------------------------------------------------- brute force

/// Every lead of the small account with the fields the property test filters on.
struct Recount {
    leads: Vec<BTreeMap<String, String>>,
    owners: Vec<String>,
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}

fn unlimited_app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| {
        let fixtures = SMALL_ACCOUNTS.replace(
            r#""calls": 2, "seconds": 10"#,
            r#""calls": 1000000, "seconds": 1"#,
        );
        let mut config = Config::defaults();
        config.now = parse_rfc3339("2026-11-23T10:00:00Z");
        TestApp::with(
            config,
            Fixtures::with_files(&[("leadsquared.json", &fixtures)]).unwrap(),
        )
    })
}

const SMALL: &str = "accessKey=small-access&secretKey=small-secret";

fn recount() -> &'static Recount {
    static DATA: OnceLock<Recount> = OnceLock::new();
    DATA.get_or_init(|| {
        runtime().block_on(async {
            let app = unlimited_app();
            let body = r#"{"Output":{"Type":"list","IncludeCSV":"ProspectID,OwnerId,Source,ProspectStage,EngagementScore,Score,mx_Budget,CreatedOn"},"Paging":{"PageIndex":1,"PageSize":10000}}"#;
            let list = query(app, SMALL, body).await.json();
            let leads: Vec<BTreeMap<String, String>> = list["Results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    row.as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect()
                })
                .collect();
            assert_eq!(leads.len(), 2500);
            let mut owners: BTreeSet<String> = leads.iter().map(|l| l["OwnerId"].clone()).collect();
            owners.insert("11111111-1111-4111-8111-111111111111".to_owned());
            let owners: Vec<String> = owners.into_iter().collect();
            Recount { leads, owners }
        })
    })
}

#[derive(Debug, Clone)]
struct Case {
    owners: Vec<usize>,
    source: Option<(usize, &'static str)>,
    engagement: Option<(&'static str, i64)>,
    stage_like: Option<&'static str>,
    from_day: Option<u32>,
    to_day: Option<u32>,
    group_by: &'static str,
    field: &'static str,
    functions: &'static str,
}

const SOURCES: &[&str] = &[
    "Organic Search",
    "Paid Search",
    "Social Media",
    "Partner",
    "Trade Show",
];

fn cases() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(0usize..7, 0..4),
        proptest::option::of((0usize..SOURCES.len(), prop_oneof![Just("="), Just("<>")])),
        proptest::option::of((
            prop_oneof![Just(">"), Just(">="), Just("<"), Just("<="), Just("="), Just("")],
            0i64..40,
        )),
        proptest::option::of(prop_oneof![
            Just("%o%"),
            Just("Cust%"),
            Just("_nvalid"),
            Just("%interest%")
        ]),
        proptest::option::of(0u32..730),
        proptest::option::of(0u32..730),
        prop_oneof![Just("OwnerId"), Just("Source"), Just("ProspectStage"), Just("")],
        prop_oneof![Just("EngagementScore"), Just("Score"), Just("mx_Budget")],
        prop_oneof![
            Just("Average"),
            Just("Sum"),
            Just("Min,Max"),
            Just("Count"),
            Just("Average,Sum,Min,Max")
        ],
    )
        .prop_map(
            |(owners, source, engagement, stage_like, from_day, to_day, group_by, field, functions)| Case {
                owners,
                source,
                engagement,
                stage_like,
                from_day,
                to_day,
                group_by,
                field,
                functions,
            },
        )
}

fn day(offset: u32) -> String {
    let start = chrono::NaiveDate::from_ymd_opt(2024, 11, 23).unwrap();
    (start + chrono::Duration::days(i64::from(offset)))
        .format("%Y-%m-%d 00:00:00")
        .to_string()
}

fn like(text: &str, pattern: &str) -> bool {
    // A regex-free recursive matcher, independent of the server's.
    fn go(t: &[char], p: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|i| go(&t[i..], &p[1..])),
            Some('_') => !t.is_empty() && go(&t[1..], &p[1..]),
            Some(c) => t.first() == Some(c) && go(&t[1..], &p[1..]),
        }
    }
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&t, &p)
}

fn request_body(case: &Case, data: &Recount) -> String {
    let mut lead_filters = Vec::new();
    if let Some((s, op)) = case.source {
        lead_filters.push(json!({"LookUpName": "Source", "LookUpValue": SOURCES[s], "SqlOperator": op}));
    }
    if let Some((op, value)) = case.engagement {
        lead_filters.push(json!({"LookUpName": "EngagementScore", "LookUpValue": value, "SqlOperator": op}));
    }
    if let Some(pattern) = case.stage_like {
        lead_filters
            .push(json!({"LookUpName": "ProspectStage", "LookUpValue": pattern, "SqlOperator": "LIKE"}));
    }
    let mut body = json!({
        "ReportFilter": {"LeadFilters": lead_filters},
        "DateFilter": [{"DateField": "LeadCreatedOn",
                        "FromDate": case.from_day.map(day), "ToDate": case.to_day.map(day)}],
        "Output": {"Type": "aggregate", "GroupBy": case.group_by, "AggregateFunction": case.functions,
                   "AggregateField": case.field},
        "Paging": {"PageIndex": 1, "PageSize": 10000},
    });
    if !case.owners.is_empty() {
        let ids: Vec<&str> = case
            .owners
            .iter()
            .map(|i| data.owners[i % data.owners.len()].as_str())
            .collect();
        body["ReportFilter"]["UserFilter"] = json!({"GroupConditions": [{"Condition": [
            {"LookupName": "UserID", "Operator": "eq", "LookupValue": ids.join(",")}]}]});
    }
    body.to_string()
}

/// The expected rows, computed from the listed leads alone.
fn expected_rows(case: &Case, data: &Recount) -> BTreeMap<String, (i64, Vec<i64>)> {
    let owners: BTreeSet<&str> = if case.owners.is_empty() {
        data.owners.iter().map(String::as_str).collect()
    } else {
        case.owners
            .iter()
            .map(|i| data.owners[i % data.owners.len()].as_str())
            .collect()
    };
    let mut groups: BTreeMap<String, (i64, Vec<i64>)> = BTreeMap::new();
    if case.group_by == "OwnerId" {
        for owner in &owners {
            groups.insert((*owner).to_owned(), (0, Vec::new()));
        }
    }
    for lead in &data.leads {
        if !owners.contains(lead["OwnerId"].as_str()) {
            continue;
        }
        let created = &lead["CreatedOn"][..19];
        if case.from_day.is_some_and(|d| created < day(d).as_str())
            || case.to_day.is_some_and(|d| created > day(d).as_str())
        {
            continue;
        }
        if case.from_day.zip(case.to_day).is_some_and(|(f, t)| f > t) {
            continue;
        }
        if let Some((s, op)) = case.source {
            let equal = lead["Source"].eq_ignore_ascii_case(SOURCES[s]);
            if (op == "=") != equal {
                continue;
            }
        }
        if let Some((op, value)) = case.engagement {
            let score: i64 = lead["EngagementScore"].parse().unwrap();
            let holds = match op {
                ">" => score > value,
                ">=" => score >= value,
                "<" => score < value,
                "<=" => score <= value,
                _ => score == value,
            };
            if !holds {
                continue;
            }
        }
        if let Some(pattern) = case.stage_like
            && !like(&lead["ProspectStage"], pattern)
        {
            continue;
        }
        let key = if case.group_by.is_empty() {
            String::new()
        } else {
            lead[case.group_by].clone()
        };
        let entry = groups.entry(key).or_default();
        entry.0 += 1;
        if let Some(v) = lead.get(case.field) {
            entry.1.push(v.parse().unwrap());
        }
    }
    if case.group_by.is_empty() && groups.is_empty() {
        groups.insert(String::new(), (0, Vec::new()));
    }
    groups
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn aggregates_equal_a_brute_force_recount(case in cases()) {
        let data = recount();
        let invalid_range = case.from_day.zip(case.to_day).is_some_and(|(f, t)| f > t);
        let body = request_body(&case, data);
        let response = runtime().block_on(query(unlimited_app(), SMALL, &body));
        if invalid_range {
            prop_assert_eq!(response.status.as_u16(), 500);
            return Ok(());
        }
        prop_assert_eq!(response.status.as_u16(), 200);
        let json = response.json();
        let expected = expected_rows(&case, data);
        let rows = json["Results"].as_array().unwrap();
        prop_assert_eq!(json["TotalCount"].as_str().unwrap(), expected.len().to_string());
        prop_assert_eq!(rows.len(), expected.len());
        for row in rows {
            let key = if case.group_by.is_empty() { String::new() } else { row[case.group_by].as_str().unwrap_or_default().to_owned() };
            let (count, values) = expected.get(&key).cloned().unwrap_or_default();
            prop_assert_eq!(row["Count"].as_i64().unwrap(), count, "count of {}", key);
            for function in case.functions.split(',').filter(|f| *f != "Count") {
                let actual = &row[format!("{function}_{}", case.field)];
                let want = match function {
                    _ if values.is_empty() => Value::Null,
                    "Average" => json!(values.iter().sum::<i64>() as f64 / values.len() as f64),
                    "Sum" => json!(values.iter().sum::<i64>()),
                    "Min" => json!(values.iter().min()),
                    _ => json!(values.iter().max()),
                };
                if let (Some(a), Some(w)) = (actual.as_f64(), want.as_f64()) {
                    prop_assert!((a - w).abs() < 1e-9, "{} {}: {} vs {}", function, key, a, w);
                } else {
                    prop_assert_eq!(actual, &want, "{} of {}", function, key);
                }
            }
        }
    }
}
