//! Version 3 records written as JSON by hand: a full page is 40,000
//! records and 20 MB, and serde's derived serializer (string escaping,
//! chrono's formatter) was over half of a cold page's time. The output is
//! exactly what serde writes for the derived `LeadEventV3`, `LeadPayoutV3`
//! and `LeadClientTagV3`, which the tests hold it to.

use super::models::{LeadClientTag, LeadEvent, LeadPayout, SubAccountName};
use crate::shared::json_writer::Object;

pub(crate) fn write_event(out: &mut Vec<u8>, e: &LeadEvent, sub_account: &SubAccountName<'_>) {
    let mut o = Object::new(out);
    o.plain("id", &e.id);
    o.boolean("isTest", e.is_test);
    o.uuid("leadUuid", e.lead_uuid);
    o.time("leadCreatedAt", e.lead_created_at);
    o.plain("eventType", e.event_type.as_str());
    o.time("eventCreatedAt", e.event_created_at);
    o.time("paginationTimestamp", e.v3.ingestion.pagination_timestamp);
    o.uuid("supplySubAccountUuid", sub_account.uuid);
    o.text("supplySubAccountName", sub_account.name);
    if let Some(deleted_at) = e.v3.deleted_at {
        o.time("eventDeletedAt", deleted_at);
    }
    if let Some(data) = &e.event_data {
        o.serialized("eventData", data);
    }
    if let Some(amount) = e.amount_in_cents {
        o.serialized("amountInCents", amount);
    }
    if let Some(fi) = e.financial_institution_uuid {
        o.uuid("financialInstitutionUuid", fi);
    }
    if let Some(name) = &e.financial_institution_name {
        o.text("financialInstitutionName", name);
    }
    if let Some(product) = e.product_type {
        let (unified, sub_type) = e.v3.product.v3_names();
        o.plain("unifiedProductType", unified);
        o.plain("productType", product.as_str());
        o.plain("productSubType", sub_type);
    }
    if let Some(offer) = e.v3.offer_uuid {
        o.uuid("offerUuid", offer);
    }
    o.end();
}

pub(crate) fn write_payout(out: &mut Vec<u8>, p: &LeadPayout, sub_account: &SubAccountName<'_>) {
    let mut o = Object::new(out);
    o.uuid("leadUuid", p.lead_uuid);
    o.time("bookedAt", p.booked_at);
    o.serialized("payoutInCents", p.payout_in_cents);
    o.uuid("uuid", p.uuid);
    if let Some(deleted_at) = p.deleted_at {
        o.time("deletedAt", deleted_at);
    }
    o.time("paginationTimestamp", p.ingestion.pagination_timestamp);
    o.uuid("supplySubAccountUuid", sub_account.uuid);
    o.text("supplySubAccountName", sub_account.name);
    if let Some(name) = &p.financial_institution_name {
        o.text("financialInstitutionName", name);
    }
    if let Some(fi) = p.financial_institution_uuid {
        o.uuid("financialInstitutionUuid", fi);
    }
    o.plain("unifiedProductType", p.product.v3_names().0);
    o.plain("productType", p.product.as_str());
    o.end();
}

pub(crate) fn write_tag(out: &mut Vec<u8>, t: &LeadClientTag) {
    let mut o = Object::new(out);
    o.plain("hash", &t.hash);
    o.uuid("leadUuid", t.lead_uuid);
    o.text("key", &t.key);
    o.text("value", &t.value);
    o.time("createdAt", t.created_at);
    o.time("paginationTimestamp", t.ingestion.pagination_timestamp);
    o.end();
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::apis::engine::auth::Companies;
    use crate::apis::engine::fixtures::EngineFixtures;
    use crate::apis::engine::generator::{self, Simulation};
    use crate::apis::engine::lead_ids;
    use crate::apis::engine::models::{LeadClientTagV3, LeadEventV3, LeadPayoutV3};
    use crate::shared::seed::Seed;
    use crate::shared::time::parse_rfc3339;

    #[test]
    fn hand_written_records_are_byte_for_byte_what_serde_writes() {
        let fixtures: EngineFixtures = serde_json::from_value(serde_json::json!({"companies": [{
            "name": "T", "uuid": "3f1a6c2e-8b4d-4e7a-9c21-5d0b7e9f4a10",
            "confidentialToken": "c", "publishableToken": "p", "leadsPerDay": 2000, "eventData": true,
            "leads": [{
                "uuid": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "createdAt": "2021-03-01T00:00:00Z", "productType": "mortgage",
                "events": [{"eventType": "offerClicked", "eventCreatedAt": "2021-03-01T00:00:05.5Z",
                            "financialInstitutionUuid": "0f0e5c3a-7d64-4b8e-a3c1-9e2b6d5f8a71",
                            "financialInstitutionName": "Quote \"and\" back\\slash \u{1}\u{e9}"}],
                "payouts": [{"bookedAt": "2021-03-02T00:00:00Z", "payoutInCents": 0.1, "deletedAt": "2021-03-03T00:00:00Z"}],
                "clientTags": {"k\"ey": ["v\nalue"]}
            }]
        }]}))
        .unwrap_or_default();
        let companies = Companies::from_fixtures(&fixtures);
        let company = companies.all()[0].clone();
        let seed = Seed::new(9);
        let simulation = Simulation {
            seed,
            company: &company,
            tag: lead_ids::company_tag(seed, company.uuid),
        };
        let start = parse_rfc3339("2021-03-01T00:00:00Z").unwrap_or_default();
        let mut batches = vec![generator::scripted(seed, &company)];
        batches.extend((0..48).map(|h| simulation.hour(start + chrono::TimeDelta::hours(h))));
        let sub = SubAccountName {
            uuid: Uuid::from_u128(5),
            name: "Sub \"account\"",
        };
        let (mut events, mut payouts, mut tags) = (Vec::new(), Vec::new(), Vec::new());
        for batch in &batches {
            batch.events_in(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &mut events);
            batch.payouts_in(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &mut payouts);
            batch.tags_in(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &mut tags);
        }
        assert!(events.len() > 10_000 && !payouts.is_empty() && !tags.is_empty());
        assert!(events.iter().any(|e| e.v3.deleted_at.is_some() && e.event_data.is_some()));
        let mut out = Vec::new();
        for e in &events {
            out.clear();
            write_event(&mut out, e, &sub);
            let serde = serde_json::to_vec(&LeadEventV3::of(e, &sub)).unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&serde));
        }
        for (_, p) in &payouts {
            out.clear();
            write_payout(&mut out, p, &sub);
            let serde = serde_json::to_vec(&LeadPayoutV3::of(p, &sub)).unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&serde));
        }
        for t in &tags {
            out.clear();
            write_tag(&mut out, t);
            let serde = serde_json::to_vec(&LeadClientTagV3::of(t)).unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&serde));
        }
    }
}
