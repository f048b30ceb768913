//! LeadSquared's v2 lead management over the same leads the distribution
//! analytics report: writes, lookups, searches, activities, users, and a
//! captured lead counted by the analytics on the same virtual clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use axum::http::Method;
use common::TestApp;
use serde_json::{Value, json};

const KEYS: &str = "accessKey=demo-access-key&secretKey=demo-secret-key";
const LM: &str = "/v2/LeadManagement.svc";

fn uri(method: &str, extra: &str) -> String {
    let path = if method.contains(".svc/") {
        format!("/v2/{method}")
    } else {
        format!("{LM}/{method}")
    };
    format!("{path}?{KEYS}{extra}")
}

async fn post(app: &TestApp, method: &str, extra: &str, body: &Value) -> common::TestResponse {
    app.post_json(&uri(method, extra), &body.to_string()).await
}

fn pairs(attributes: &[(&str, &str)]) -> Value {
    Value::Array(
        attributes
            .iter()
            .map(|(a, v)| json!({"Attribute": a, "Value": v}))
            .collect(),
    )
}

#[track_caller]
fn assert_mx(response: &common::TestResponse, status: u16, exception: &str, message: &str) {
    response.assert_status(status);
    let body = response.json();
    assert_eq!(body["Status"], "Error", "{body}");
    assert_eq!(body["ExceptionType"], exception, "{body}");
    assert!(
        body["ExceptionMessage"].as_str().unwrap().contains(message),
        "{body}"
    );
}

async fn lead_by_email(app: &TestApp, email: &str) -> Value {
    let found = app
        .get(&uri("Leads.GetByEmailaddress", &format!("&emailaddress={email}")))
        .await;
    found.assert_status(200);
    found.json()
}

/// Count by source of the leads created today: what the analytics endpoint reports.
async fn created_today_by_source(app: &TestApp) -> Value {
    let body = json!({
        "DateFilter": [{"DateField": "LeadCreatedOn", "FromDate": "2026-11-23 00:00:00", "ToDate": "2026-11-23 23:59:59"}],
        "Output": {"Type": "aggregate", "GroupBy": "Source", "AggregateFunction": "Count", "AggregateField": "ProspectAutoId"}
    });
    let response = app
        .post_json(
            &format!("/Leads/LeadDistribution/FilterByLeadField?{KEYS}"),
            &body.to_string(),
        )
        .await;
    response.assert_status(200);
    response.json()
}

fn count_of(table: &Value, source: &str) -> i64 {
    table["Results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Source"] == source)
        .map_or(0, |r| r["Count"].as_i64().unwrap())
}

/// A captured lead is the analytics' lead: counted under its source on the
/// same virtual clock, moved by an update, never served stale from the
/// analytics' cache; reset forgets it.
#[tokio::test]
async fn a_captured_lead_is_counted_by_the_distribution_analytics() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let before = created_today_by_source(&app).await;
    assert_eq!(count_of(&before, "Webinar"), 0);
    let captured = post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[
            ("FirstName", "Bret"),
            ("LastName", "Lee"),
            ("EmailAddress", "bret.lee@australia.com"),
            ("Phone", "8888888888"),
            ("Source", "Webinar"),
            ("SearchBy", "Phone"),
        ]),
    )
    .await;
    captured.assert_status(200);
    let message = &captured.json()["Message"];
    assert_eq!(message["IsCreated"], true);
    let id = message["Id"].as_str().unwrap().to_owned();
    let after = created_today_by_source(&app).await;
    assert_eq!(count_of(&after, "Webinar"), 1, "{after}");
    assert_eq!(
        after["TotalCount"].as_str().unwrap().parse::<i64>().unwrap(),
        before["TotalCount"].as_str().unwrap().parse::<i64>().unwrap() + 1
    );

    // An update moves it: now in the "Trade Show" group, stage Opportunity.
    let updated = post(
        &app,
        "Lead.Update",
        &format!("&leadId={id}"),
        &pairs(&[("Source", "Trade Show"), ("ProspectStage", "Opportunity")]),
    )
    .await;
    updated.assert_status(200);
    assert_eq!(
        updated.json(),
        json!({"Status": "Success", "Message": {"AffectedRows": 1}})
    );
    let moved = created_today_by_source(&app).await;
    assert_eq!(count_of(&moved, "Webinar"), 0, "{moved}");
    assert_eq!(
        count_of(&moved, "Trade Show"),
        count_of(&before, "Trade Show") + 1
    );
    let lead = &lead_by_email(&app, "BRET.LEE@australia.com").await[0];
    assert_eq!(lead["ProspectStage"], "Opportunity");
    assert_eq!(lead["CreatedOn"], "2026-11-23 18:00:00.000");
    assert_eq!(lead["Origin"], "API");
    assert_eq!(lead["Score"], "0", "numbers are strings on the wire");

    app.post_json("/__admin/reset", "").await.assert_status(200);
    app.advance(0).await;
    assert_eq!(lead_by_email(&app, "bret.lee@australia.com").await, json!([]));
}

/// Capture's documented matching: ProspectID, then EmailAddress, then
/// Phone, or `SearchBy`; a differing email under a known id is a new lead;
/// an unknown id is a visitor's, taken by the new lead; a repeat capture
/// keeps the source; a clash of unique fields is a duplicate.
#[tokio::test]
async fn capture_matches_as_documented() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let capture = |attributes: Vec<(&'static str, &'static str)>| {
        let app = &app;
        async move {
            let response = post(app, "Lead.Capture", "", &pairs(&attributes)).await;
            response.assert_status(200);
            let message = response.json()["Message"].clone();
            (
                message["Id"].as_str().unwrap().to_owned(),
                message["IsCreated"].as_bool().unwrap(),
            )
        }
    };
    let (ada, created) = capture(vec![
        ("EmailAddress", "ada@example.com"),
        ("Source", "Partner"),
        ("Mobile", "+44 20 7946 0000"),
    ])
    .await;
    assert!(created);
    // By email, in another case: the same lead; its source stays.
    let (again, created) = capture(vec![
        ("EmailAddress", "ADA@example.com"),
        ("Source", "Other"),
        ("Company", "Engines Ltd"),
    ])
    .await;
    assert_eq!((again.as_str(), created), (ada.as_str(), false));
    let lead = &lead_by_email(&app, "ada@example.com").await[0];
    assert_eq!(
        (lead["Source"].as_str(), lead["Company"].as_str()),
        (Some("Partner"), Some("Engines Ltd"))
    );
    // By mobile through SearchBy, written another way.
    let (by_phone, created) = capture(vec![
        ("Mobile", "442079460000"),
        ("SearchBy", "Mobile"),
        ("JobTitle", "Analyst"),
    ])
    .await;
    assert_eq!((by_phone.as_str(), created), (ada.as_str(), false));
    // The id with another email: a new lead.
    let ada_id: &'static str = Box::leak(ada.clone().into_boxed_str());
    let (other, created) = capture(vec![
        ("ProspectID", ada_id),
        ("EmailAddress", "charles@example.com"),
    ])
    .await;
    assert!(created && other != ada);
    // An id nobody has: the new lead takes it.
    let (visitor, created) = capture(vec![
        ("ProspectID", "11111111-2222-4333-8444-555555555555"),
        ("FirstName", "Vis"),
    ])
    .await;
    assert_eq!(
        (visitor.as_str(), created),
        ("11111111-2222-4333-8444-555555555555", true)
    );
    // Email of one lead, phone of another: a duplicate, nothing written.
    post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[("EmailAddress", "p1@example.com"), ("Phone", "5550001")]),
    )
    .await
    .assert_status(200);
    post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[("EmailAddress", "p2@example.com"), ("Phone", "5550002")]),
    )
    .await
    .assert_status(200);
    let clash = post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[("EmailAddress", "p1@example.com"), ("Phone", "5550002")]),
    )
    .await;
    assert_mx(
        &clash,
        500,
        "MXDuplicateEntryException",
        "Duplicate entry '5550002' for key 'UQ_Prospect_Base_Phone'",
    );
    assert_eq!(lead_by_email(&app, "p1@example.com").await[0]["Phone"], "5550001");
    // DoNotUpdate leaves an existing lead as it was.
    let kept = post(
        &app,
        "Lead.Capture",
        "&LeadUpdateBehavior=DoNotUpdate",
        &pairs(&[("EmailAddress", "ada@example.com"), ("Company", "Other Co")]),
    )
    .await;
    kept.assert_status(200);
    assert_eq!(
        lead_by_email(&app, "ada@example.com").await[0]["Company"],
        "Engines Ltd"
    );
    // Every capture posted its "Lead Capture" activity.
    let activities = app
        .post_json(
            &uri("ProspectActivity.svc/Retrieve", &format!("&leadId={ada}")),
            "",
        )
        .await
        .json();
    assert_eq!(activities["RecordCount"], 4, "{activities}");
    assert!(
        activities["ProspectActivities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["EventName"] == "Lead Capture")
    );
}

/// A generated lead is the API's too: found by email and phone, updated,
/// and then seen updated by the analytics.
#[tokio::test]
async fn generated_leads_are_read_and_updated_like_written_ones() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let listed = lead_by_email(&app, "ada.lovelace@example.com").await;
    assert_eq!(
        listed[0]["ProspectID"], "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c",
        "{listed}"
    );
    let by_phone = app
        .get(&uri("RetrieveLeadByPhoneNumber", "&phone=14155550101"))
        .await
        .json();
    assert_eq!(by_phone[0]["ProspectID"], "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c");
    let by_id = app
        .get(&uri("Leads.GetById", "&id=6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c"))
        .await
        .json();
    assert_eq!(by_id, listed);
    post(
        &app,
        "Lead.Update",
        "&leadId=6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c",
        &pairs(&[("ProspectStage", "Customer"), ("Revenue", "1200")]),
    )
    .await
    .assert_status(200);
    let body = json!({
        "ReportFilter": {"LeadFilters": [{"LookUpName": "ProspectID", "LookUpValue": "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c", "SqlOperator": "="}]},
        "Output": {"Type": "list", "IncludeCSV": "ProspectID,ProspectStage,Revenue,ModifiedOn"}
    });
    let report = app
        .post_json(
            &format!("/Leads/LeadDistribution/FilterByLeadField?{KEYS}"),
            &body.to_string(),
        )
        .await
        .json();
    assert_eq!(report["Results"][0]["ProspectStage"], "Customer", "{report}");
    assert_eq!(report["Results"][0]["Revenue"], "1200");
    assert_eq!(report["Results"][0]["ModifiedOn"], "2026-11-23 18:00:00.000");
    // A generated lead, found by quick search, keeps its id through an update.
    let generated = app.post_json(&uri("Leads.Get", ""), &json!({"Parameter": {"LookupName": "Source", "LookupValue": "Partner", "SqlOperator": "="}, "Paging": {"PageIndex": 1, "PageSize": 1}}).to_string()).await.json();
    let email = generated[0]["EmailAddress"].as_str().unwrap().to_owned();
    let found = app
        .get(&uri(
            "Leads.GetByQuickSearch",
            &format!("&key={}", &email[..email.find('@').unwrap()]),
        ))
        .await
        .json();
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["EmailAddress"] == email.as_str()),
        "{found}"
    );
}

/// Each refused write says why as LeadSquared does, and writes nothing.
#[tokio::test]
async fn refused_writes_answer_the_vendors_exceptions_and_change_nothing() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    post(
        &app,
        "Lead.Create",
        "",
        &pairs(&[("EmailAddress", "john.smith@acmeconsulting.co")]),
    )
    .await
    .assert_status(200);
    let cases = [
        (
            "Lead.Create",
            "",
            pairs(&[("EmailAddress", "john.smith@acmeconsulting.co")]),
            500,
            "MXDuplicateEntryException",
            "Duplicate entry 'john.smith@acmeconsulting.co' for key 'UQ_Prospect_Base_EmailAddress'",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("FirstName", "A"), ("mx_A", "1"), ("mx_B", "2")]),
            500,
            "MXUnknownAttributeException",
            "Attribute(s) does not exist - mx_A, mx_B.",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("emailaddress", "x@example.com")]),
            500,
            "MXUnknownAttributeException",
            "emailaddress",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("EmailAddress", "not-an-email")]),
            500,
            "MXInvalidInputException",
            "EmailAddress. 'not-an-email' is not a valid email address.",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("FirstName", "A"), ("mx_Budget", "lots")]),
            500,
            "MXInvalidInputException",
            "mx_Budget. 'lots' is not a number.",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("FirstName", "A"), ("OwnerId", "nobody")]),
            500,
            "MXInvalidInputException",
            "No user of this account is 'nobody'",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("FirstName", "A"), ("CreatedOn", "2020-01-01 00:00:00")]),
            500,
            "MXInvalidInputException",
            "system field",
        ),
        (
            "Lead.Create",
            "",
            pairs(&[("Company", "A")]),
            500,
            "MXMandatoryAttributeMissingException",
            "One of FirstName",
        ),
        (
            "Lead.Update",
            "",
            pairs(&[("FirstName", "A")]),
            500,
            "MXMandatoryAttributeMissingException",
            "'leadId' is mandatory for updating lead",
        ),
        (
            "Lead.Update",
            "&leadId=00000000-0000-4000-8000-000000000000",
            pairs(&[("FirstName", "A")]),
            500,
            "MXInvalidEntityException",
            "Lead does not exist in the system",
        ),
        (
            "Lead.CreateOrUpdate",
            "",
            pairs(&[("FirstName", "A")]),
            500,
            "MXMandatoryAttributeMissingException",
            "unique field",
        ),
        (
            "Lead.Capture",
            "&LeadUpdateBehavior=Sometimes",
            pairs(&[("FirstName", "A")]),
            500,
            "MXInvalidInputException",
            "LeadUpdateBehavior",
        ),
        (
            "Lead.Capture",
            "",
            json!({"Attribute": "FirstName"}),
            400,
            "MXInvalidRequestException",
            "JSON array",
        ),
        (
            "Lead.Capture",
            "",
            json!([{"Value": "x"}]),
            400,
            "MXInvalidRequestException",
            "no \"Attribute\"",
        ),
        (
            "Leads.Get",
            "",
            json!({"Columns": {}}),
            500,
            "MXInvalidInputException",
            "You have not passed Parameter.",
        ),
        (
            "Leads.RecentlyModified",
            "",
            json!({"Parameter": {"FromDate": "2026-11-02 00:00:00", "ToDate": "2026-11-01 00:00:00"}}),
            500,
            "MXInvalidInputException",
            "FromDate can't be greater than ToDate.",
        ),
        (
            "Leads.RecentlyModified",
            "",
            json!({"Parameter": {"FromDate": "2026-11-01 00:00:00", "ToDate": "2026-11-02 00:00:00"}, "Paging": {"PageIndex": 1, "PageSize": 5001}}),
            500,
            "MXInvalidInputException",
            "PageSize can not be more than 5000.",
        ),
        (
            "ProspectActivity.svc/Create",
            "",
            json!({"RelatedProspectId": "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c", "ActivityEvent": 9999}),
            500,
            "MXInvalidActivityException",
            "Event Code is invalid or empty",
        ),
    ];
    let before = app.get("/__admin/requests?limit=1").await.json();
    drop(before);
    for (method, extra, body, status, exception, message) in &cases {
        let response = post(&app, method, extra, body).await;
        assert_mx(&response, *status, exception, message);
    }
    // Nothing of those was written.
    // (Generated leads last changed at midnight at the latest.)
    let leads = app
        .post_json(
            &uri("Leads.RecentlyModified", ""),
            &json!({"Parameter": {"FromDate": "2026-11-23 00:00:01", "ToDate": "2026-11-24 00:00:00"}})
                .to_string(),
        )
        .await
        .json();
    assert_eq!(leads["RecordCount"], 1, "{leads}");
    // Bad keys, in the query or the headers.
    let denied = app
        .get(&format!(
            "{LM}/LeadsMetaData.Get?accessKey=demo-access-key&secretKey=wrong"
        ))
        .await;
    assert_mx(
        &denied,
        401,
        "MXInvalidAccessDetailsException",
        "Invalid Access Details provided.",
    );
    let headers = app
        .call(
            Method::GET,
            &format!("{LM}/LeadsMetaData.Get"),
            &[
                ("x-LSQ-AccessKey", "demo-access-key"),
                ("x-LSQ-SecretKey", "demo-secret-key"),
            ],
            "",
        )
        .await;
    headers.assert_status(200);
    // Unknown v2 method: the family's 404 shape.
    let missing = app.get(&format!("{LM}/Leads.GetByPhoneNumber?{KEYS}")).await;
    missing.assert_status(404);
    assert_eq!(missing.json()["Status"], "Error");
}

/// The searches: one condition with paging, sorting and columns, and the
/// modified window as attribute lists with the true total.
#[tokio::test]
async fn searches_page_sort_and_pick_columns() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    for n in 0..7 {
        let email = format!("page{n}@example.com");
        post(
            &app,
            "Lead.Create",
            "",
            &pairs(&[
                ("EmailAddress", &email),
                ("Company", "Paging Co"),
                ("Revenue", &format!("{}", n * 100)),
            ]),
        )
        .await
        .assert_status(200);
    }
    let body = json!({
        "Parameter": {"LookupName": "Company", "LookupValue": "paging%", "SqlOperator": "LIKE"},
        "Columns": {"Include_CSV": "EmailAddress, Revenue"},
        "Sorting": {"ColumnName": "Revenue", "Direction": "1"},
        "Paging": {"PageIndex": 2, "PageSize": 3}
    });
    let page = app
        .post_json(&uri("Leads.Get", ""), &body.to_string())
        .await
        .json();
    assert_eq!(
        page,
        json!([
            {"EmailAddress": "page3@example.com", "Revenue": "300"},
            {"EmailAddress": "page2@example.com", "Revenue": "200"},
            {"EmailAddress": "page1@example.com", "Revenue": "100"}
        ])
    );
    // A LookupName in another case matches nothing, as live accounts answer.
    let wrong_case =
        json!({"Parameter": {"LookupName": "company", "LookupValue": "Paging Co", "SqlOperator": "="}});
    assert_eq!(
        app.post_json(&uri("Leads.Get", ""), &wrong_case.to_string())
            .await
            .json(),
        json!([])
    );
    let window = json!({
        "Parameter": {"FromDate": "2026-11-23 18:00:00", "ToDate": "2026-11-23 18:00:00"},
        "Columns": {"Include_CSV": "ProspectID,EmailAddress"},
        "Paging": {"PageIndex": 1, "PageSize": 2}
    });
    let recent = app
        .post_json(&uri("Leads.RecentlyModified", ""), &window.to_string())
        .await
        .json();
    assert_eq!(recent["RecordCount"], 7);
    let leads = recent["Leads"].as_array().unwrap();
    assert_eq!(leads.len(), 2);
    let list = leads[0]["LeadPropertyList"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|p| p["Attribute"].as_str().unwrap()).collect();
    assert_eq!(names, ["EmailAddress", "ProspectID", "Total"]);
    assert_eq!(list[2], json!({"Attribute": "Total", "Value": "7"}));
    let empty = json!({"Parameter": {"FromDate": "2030-01-01 00:00:00", "ToDate": "2030-01-02 00:00:00"}});
    assert_eq!(
        app.post_json(&uri("Leads.RecentlyModified", ""), &empty.to_string())
            .await
            .json(),
        json!({"RecordCount": 0})
    );
}

/// Activities move the lead's scores by their type's score; types are
/// listed and created; users are the analytics' owners; the keys' user
/// names leadsim's own host.
#[tokio::test]
async fn activities_users_and_the_keys_user() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let created = app
        .post_json(
            &uri("ProspectActivity.svc/CreateType", ""),
            &json!({"ActivityEventName": "Demo Booked", "Score": 15}).to_string(),
        )
        .await;
    created.assert_status(200);
    assert_eq!(
        created.json(),
        json!({"Status": "Success", "Message": {"Id": "201"}})
    );
    let types = app
        .get(&uri("ProspectActivity.svc/ActivityTypes.Get", ""))
        .await
        .json();
    assert!(
        types
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["ActivityEvent"] == 201 && t["ActivityEventName"] == "Demo Booked")
    );
    let lead = "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c";
    let before = app
        .get(&uri("Leads.GetById", &format!("&id={lead}")))
        .await
        .json()[0]
        .clone();
    assert_eq!(
        (before["Score"].as_str(), before["EngagementScore"].as_str()),
        (Some("120"), Some("37"))
    );
    for _ in 0..2 {
        let posted = app
            .post_json(&uri("ProspectActivity.svc/Create", ""), &json!({"RelatedProspectId": lead, "ActivityEvent": 201, "ActivityNote": "Booked", "ActivityDateTime": "2026-11-23 17:00:00", "Fields": [{"SchemaName": "mx_Custom_1", "Value": "x"}]}).to_string())
            .await;
        posted.assert_status(200);
        assert!(posted.json()["Message"]["Id"].is_string());
    }
    let after = app
        .get(&uri("Leads.GetById", &format!("&id={lead}")))
        .await
        .json()[0]
        .clone();
    assert_eq!(
        (after["Score"].as_str(), after["EngagementScore"].as_str()),
        (Some("150"), Some("67"))
    );
    assert_eq!(after["ProspectActivityName_Max"], "Demo Booked");
    assert_eq!(
        after["ModifiedOn"], before["ModifiedOn"],
        "an activity does not modify the lead"
    );
    let retrieved = app
        .post_json(
            &uri("ProspectActivity.svc/Retrieve", &format!("&leadId={lead}")),
            &json!({"Parameter": {"ActivityEvent": 201}, "Paging": {"Offset": "1", "RowCount": "10"}})
                .to_string(),
        )
        .await
        .json();
    assert_eq!(retrieved["RecordCount"], 2);
    assert_eq!(retrieved["ProspectActivities"].as_array().unwrap().len(), 1);
    assert_eq!(
        retrieved["ProspectActivities"][0]["Data"],
        json!([{"Key": "mx_Custom_1", "Value": "x"}])
    );
    // The email form creates the lead it names.
    let by_email = app
        .post_json(
            &uri("ProspectActivity.svc/Create", ""),
            &json!({"EmailAddress": "new.person@example.com", "FirstName": "New", "ActivityEvent": 201})
                .to_string(),
        )
        .await;
    by_email.assert_status(200);
    assert_eq!(
        lead_by_email(&app, "new.person@example.com").await[0]["Score"],
        "15"
    );

    let users = app.get(&uri("UserManagement.svc/Users.Get", "")).await.json();
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 25);
    assert_eq!(users[3]["ID"], "0ec2b1d5-3d0f-11e5-b982-22000aa68b6f");
    assert_eq!(users[3]["StatusCode"], 1);
    let me = app
        .call(
            Method::GET,
            &uri("Authentication.svc/UserByAccessKey.Get", ""),
            &[("host", "lsq.test:8080")],
            "",
        )
        .await
        .json();
    assert_eq!(me["LSQCommonServiceURLs"]["api"], "lsq.test:8080");
    assert_eq!(me["Role"], "Administrator");
    // The owner of a captured lead is that user, and the analytics' owner.
    post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[("EmailAddress", "owned@example.com")]),
    )
    .await
    .assert_status(200);
    assert_eq!(
        lead_by_email(&app, "owned@example.com").await[0]["OwnerId"],
        me["Id"]
    );
    // An owner given by email is that user.
    post(
        &app,
        "Lead.Update",
        &format!("&leadId={lead}"),
        &pairs(&[("OwnerId", "marcus.webb@demo-account.example.com")]),
    )
    .await
    .assert_status(200);
    assert_eq!(
        app.get(&uri("Leads.GetById", &format!("&id={lead}")))
            .await
            .json()[0]["OwnerIdName"],
        "Marcus Webb"
    );
}

/// Custom fields come from fixtures: listed by the metadata call, written
/// and read like standard ones, typed.
#[tokio::test]
async fn custom_fields_from_fixtures_are_listed_written_and_typed() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let fixtures = json!({"leadsquared": {"accounts": [{
        "name": "Custom", "accessKey": "custom-access", "secretKey": "custom-secret", "generatedLeads": 0, "generatedUsers": 1,
        "customFields": [{"schemaName": "mx_City_Code", "dataType": "Number"}, {"schemaName": "mx_Joined", "displayName": "Joined", "dataType": "Date"}]
    }]}});
    app.post_json("/__admin/fixtures", &fixtures.to_string())
        .await
        .assert_status(200);
    let keys = "accessKey=custom-access&secretKey=custom-secret";
    let field = app
        .get(&format!("{LM}/LeadsMetaData.Get?{keys}&schemaName=mx_Joined"))
        .await
        .json();
    assert_eq!(field[0]["DataType"], "Date");
    assert_eq!(field[0]["DisplayName"], "Joined");
    let all = app.get(&format!("{LM}/LeadsMetaData.Get?{keys}")).await.json();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|f| f["SchemaName"] == "mx_City_Code")
    );
    let written = app
        .post_json(
            &format!("{LM}/Lead.Create?{keys}"),
            &pairs(&[
                ("FirstName", "C"),
                ("mx_City_Code", "42"),
                ("mx_Joined", "2024-02-03"),
            ])
            .to_string(),
        )
        .await;
    written.assert_status(200);
    let id = written.json()["Message"]["Id"].as_str().unwrap().to_owned();
    let lead = app
        .get(&format!("{LM}/Leads.GetById?{keys}&id={id}"))
        .await
        .json();
    assert_eq!(
        (lead[0]["mx_City_Code"].as_str(), lead[0]["mx_Joined"].as_str()),
        (Some("42"), Some("2024-02-03 00:00:00"))
    );
    let bad = app
        .post_json(
            &format!("{LM}/Lead.Create?{keys}"),
            &pairs(&[("FirstName", "C"), ("mx_Joined", "03/02/2024")]).to_string(),
        )
        .await;
    assert_mx(
        &bad,
        500,
        "MXInvalidInputException",
        "mx_Joined. '03/02/2024' is not a date as yyyy-MM-dd HH:mm:ss.",
    );
    // Another account's keys see none of it.
    assert_eq!(
        app.get(&uri("Leads.GetById", &format!("&id={id}"))).await.json(),
        json!([])
    );
    // A custom field that is not mx_ is refused at load.
    let refused = app
        .post_json("/__admin/fixtures", &json!({"leadsquared": {"accounts": [{"name": "X", "accessKey": "x", "secretKey": "y", "customFields": [{"schemaName": "City", "dataType": "Text"}]}]}}).to_string())
        .await;
    refused.assert_status(400);
}

/// Personal data in v2 bodies and lookups never shows in the journal.
#[tokio::test]
async fn contact_details_are_redacted_from_the_journal() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[
            ("EmailAddress", "secret.person@example.com"),
            ("Mobile", "+1 555 010 9999"),
            ("Source", "Web"),
        ]),
    )
    .await
    .assert_status(200);
    app.get(&uri(
        "Leads.GetByEmailaddress",
        "&emailaddress=secret.person@example.com",
    ))
    .await
    .assert_status(200);
    app.get(&uri("RetrieveLeadByPhoneNumber", "&phone=15550109999"))
        .await
        .assert_status(200);
    let journal = app.journal("").await.to_string();
    for hidden in ["secret.person", "555 010 9999", "15550109999", "demo-secret-key"] {
        assert!(!journal.contains(hidden), "{hidden} in {journal}");
    }
    assert!(journal.contains("Web"), "non-personal values stay: {journal}");
}

/// The same calls on the same seed write the same leads, byte for byte.
#[tokio::test]
async fn writes_are_deterministic() {
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let app = TestApp::at("2026-11-23T18:00:00Z");
        let captured = post(
            &app,
            "Lead.Capture",
            "",
            &pairs(&[("EmailAddress", "same@example.com")]),
        )
        .await
        .json();
        let lead = lead_by_email(&app, "same@example.com").await;
        bodies.push((captured, lead));
    }
    assert_eq!(bodies[0], bodies[1]);
}

/// The bulk call: one result per row, a refused row inline, counted
/// against its own limit (5 in 5 seconds by default), apart from the other
/// calls' (25 in 5 seconds, shared with the analytics endpoint).
#[tokio::test]
async fn bulk_rows_report_inline_and_count_against_the_bulk_limit() {
    let app = TestApp::at("2026-11-23T18:00:00Z");
    let rows = json!([
        pairs(&[("EmailAddress", "b1@example.com"), ("FirstName", "One")]),
        pairs(&[("EmailAddress", "not-an-email")]),
        pairs(&[
            ("EmailAddress", "ada.lovelace@example.com"),
            ("Company", "Analytical Engines"),
            ("SearchBy", "EmailAddress")
        ]),
    ]);
    let bulk = post(&app, "Lead/Bulk/CreateOrUpdate", "", &rows).await;
    bulk.assert_status(200);
    let results = bulk.json();
    assert_eq!(results[0]["RowNumber"], 1);
    assert_eq!(
        (
            results[0]["LeadCreated"].as_bool(),
            results[0]["AffectedRows"].as_i64()
        ),
        (Some(true), Some(1))
    );
    assert_eq!(results[1]["ExceptionType"], "MXInvalidInputException");
    assert_eq!(results[1]["AffectedRows"], 0);
    assert_eq!(results[2]["LeadId"], "6f1c2a9e-4b7d-4e21-9a3c-1d2e3f4a5b6c");
    assert_eq!(results[2]["LeadUpdated"], true);
    assert_eq!(
        lead_by_email(&app, "ada.lovelace@example.com").await[0]["Company"],
        "Analytical Engines"
    );
    let too_many = Value::Array((0..26).map(|_| pairs(&[("FirstName", "x")])).collect());
    assert_mx(
        &post(&app, "Lead/Bulk/CreateOrUpdate", "", &too_many).await,
        500,
        "MXInvalidInputException",
        "Pass 1 to 25 leads; got 26.",
    );
    // Two bulk calls so far (the refused one counts too); three more are
    // let through, the sixth is not.
    for _ in 0..3 {
        post(
            &app,
            "Lead/Bulk/CreateOrUpdate",
            "",
            &json!([pairs(&[("FirstName", "x")])]),
        )
        .await
        .assert_status(200);
    }
    let limited = post(
        &app,
        "Lead/Bulk/CreateOrUpdate",
        "",
        &json!([pairs(&[("FirstName", "x")])]),
    )
    .await;
    assert_mx(
        &limited,
        429,
        "MXAPIRateLimitExceededException",
        "API calls exceeded the limit of 5 in 5 second(s)",
    );
    assert!(limited.header("retry-after").is_some());
    // The standard budget is untouched by bulk calls: with the lookup
    // above, 25 go through, shared with the analytics endpoint, then the
    // 26th is refused.
    for _ in 0..23 {
        app.get(&uri("LeadsMetaData.Get", "")).await.assert_status(200);
    }
    created_today_by_source(&app).await;
    let refused = app.get(&uri("LeadsMetaData.Get", "")).await;
    assert_mx(
        &refused,
        429,
        "MXAPIRateLimitExceededException",
        "API calls exceeded the limit of 25 in 5 second(s)",
    );
    app.advance(5).await;
    post(
        &app,
        "Lead/Bulk/CreateOrUpdate",
        "",
        &json!([pairs(&[("FirstName", "x")])]),
    )
    .await
    .assert_status(200);
}

/// With `--journal-responses`, what v2 answered is kept redacted too:
/// flat leads, attribute lists and the keys' user.
#[tokio::test]
async fn answered_contact_details_are_redacted_from_the_journal() {
    let mut config = leadsim::config::Config::defaults();
    config.now = leadsim::parse_rfc3339("2026-11-23T18:00:00Z");
    config.journal_responses = true;
    let app = TestApp::with(config, leadsim::Fixtures::embedded().unwrap());
    post(
        &app,
        "Lead.Capture",
        "",
        &pairs(&[
            ("EmailAddress", "hidden.one@example.com"),
            ("FirstName", "Hiddenfirst"),
            ("Phone", "5550123"),
        ]),
    )
    .await
    .assert_status(200);
    app.get(&uri(
        "Leads.GetByEmailaddress",
        "&emailaddress=hidden.one@example.com",
    ))
    .await
    .assert_status(200);
    let window = json!({"Parameter": {"FromDate": "2026-11-23 18:00:00", "ToDate": "2026-11-23 18:00:00"}});
    app.post_json(&uri("Leads.RecentlyModified", ""), &window.to_string())
        .await
        .assert_status(200);
    let me = app
        .get(&uri("Authentication.svc/UserByAccessKey.Get", ""))
        .await
        .json();
    let journal = app.journal("").await.to_string();
    for hidden in [
        "hidden.one",
        "Hiddenfirst",
        "5550123",
        me["PassPhrase"].as_str().unwrap(),
        me["LastName"].as_str().unwrap(),
    ] {
        assert!(!journal.contains(hidden), "{hidden} in {journal}");
    }
    assert!(
        journal.contains("Lead Capture"),
        "the rest of the answers stays: {journal}"
    );
}
