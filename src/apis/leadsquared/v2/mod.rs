//! LeadSquared's v2 API (`/v2/<Service>.svc/<Method>`): the lead
//! management, activity, user and authentication calls integrators make,
//! over the same leads the distribution analytics endpoint reports. What
//! clients write is kept per account ([`store`]) and laid over the
//! account's generated and listed leads, so a captured lead is counted by
//! the analytics on the same virtual clock.

pub(crate) mod activities;
pub(crate) mod leads;
pub(crate) mod schema;
pub(crate) mod store;

use std::sync::Arc;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

pub(crate) use super::distribution::param;
use super::distribution::{Caller, Class};
use super::error::LsqError;
use super::model::Dataset;
use super::{Account, Catalog, LeadSquared};
use crate::shared::http::json_written;
use crate::shared::routes::Routes;

/// A v2 call: its account (keys in the query or the `x-LSQ-*` headers),
/// admitted within the account's limit, and what it reads.
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) lsq: LeadSquared,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) index: usize,
    pub(crate) account: Arc<Account>,
    pub(crate) at: DateTime<Utc>,
    pub(crate) query: Vec<(String, String)>,
}

impl FromRequestParts<LeadSquared> for Call {
    type Rejection = LsqError;

    async fn from_request_parts(parts: &mut Parts, state: &LeadSquared) -> Result<Self, LsqError> {
        Self::admit(parts, state, Class::Standard)
    }
}

/// A bulk call: counted against the account's bulk budget instead.
pub(crate) struct BulkCall(pub(crate) Call);

impl FromRequestParts<LeadSquared> for BulkCall {
    type Rejection = LsqError;

    async fn from_request_parts(parts: &mut Parts, state: &LeadSquared) -> Result<Self, LsqError> {
        Call::admit(parts, state, Class::Bulk).map(BulkCall)
    }
}

impl Call {
    fn admit(parts: &Parts, state: &LeadSquared, class: Class) -> Result<Self, LsqError> {
        let Caller {
            catalog,
            index,
            now,
            query,
        } = Caller::admit(parts, state, class)?;
        let account = catalog.shared_account(index).ok_or(LsqError::InvalidAccess)?;
        Ok(Self {
            lsq: state.clone(),
            catalog,
            index,
            account,
            at: now,
            query,
        })
    }
}

impl Call {
    pub(crate) fn now(&self) -> NaiveDateTime {
        self.at.naive_utc()
    }

    /// The account's generated and listed leads for today (no writes).
    pub(crate) fn base(&self) -> Arc<Dataset> {
        self.catalog.leads(self.index, self.at.date_naive())
    }

    /// Every lead of the account, writes included.
    pub(crate) fn dataset(&self) -> Arc<Dataset> {
        self.lsq.dataset(&self.catalog, self.index, self.at)
    }

    /// The records of `ids`, in that order (writes, else the base).
    pub(crate) fn records(&self, ids: impl IntoIterator<Item = String>) -> Vec<store::Record> {
        let base = self.base();
        let session = self.lsq.leadsquared.writes.lock(&self.account.access_key);
        ids.into_iter().filter_map(|id| session.by_id(&base, &id)).collect()
    }
}


/// `{"Message":{…},"Status":"Success"}`: members in name order, as the
/// JSON trees of the other answers have theirs.
/// Written around the message in a buffer sized for it, not through
/// axum's `Json` (128 bytes, grown by copying, on every write).
pub(crate) fn success(message: impl Serialize) -> Response {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Success<M> {
        message: M,
        status: &'static str,
    }
    let mut body = Vec::with_capacity(256);
    body.extend_from_slice(b"{\"Message\":");
    match serde_json::to_writer(&mut body, &message) {
        Ok(()) => {
            body.extend_from_slice(b",\"Status\":\"Success\"}");
            json_written(StatusCode::OK, body)
        }
        // What `Json` answers for a message serde cannot write.
        Err(_) => Json(Success {
            message,
            status: "Success",
        })
        .into_response(),
    }
}

pub(crate) fn routes(routes: Routes<LeadSquared>) -> Routes<LeadSquared> {
    const LM: &str = "/v2/LeadManagement.svc";
    const PA: &str = "/v2/ProspectActivity.svc";
    routes
        .post(&format!("{LM}/Lead.Capture"), leads::capture)
        .post(&format!("{LM}/Lead.Create"), leads::create)
        .post(&format!("{LM}/Lead.CreateOrUpdate"), leads::create_or_update)
        .post(&format!("{LM}/Lead.Update"), leads::update)
        .post(&format!("{LM}/Lead.Convert"), leads::convert)
        .post(&format!("{LM}/Lead/Bulk/CreateOrUpdate"), leads::bulk_create_or_update)
        .get(&format!("{LM}/Leads.GetById"), leads::get_by_id)
        .get(&format!("{LM}/Leads.GetByEmailaddress"), leads::get_by_email)
        .get(&format!("{LM}/RetrieveLeadByEmailAddress"), leads::get_by_email)
        .get(&format!("{LM}/RetrieveLeadByPhoneNumber"), leads::get_by_phone)
        .get(&format!("{LM}/Leads.GetByQuickSearch"), leads::quick_search)
        .post(&format!("{LM}/Leads.Get"), leads::search)
        .post(&format!("{LM}/Leads.RecentlyModified"), leads::recently_modified)
        .get(&format!("{LM}/LeadsMetaData.Get"), leads::metadata)
        .post(&format!("{PA}/Create"), activities::create)
        .post(&format!("{PA}/Retrieve"), activities::retrieve)
        .get(&format!("{PA}/ActivityTypes.Get"), activities::types)
        .post(&format!("{PA}/CreateType"), activities::create_type)
        .get("/v2/UserManagement.svc/Users.Get", activities::users)
        .get("/v2/Authentication.svc/UserByAccessKey.Get", activities::user_by_access_key)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::success;

    #[test]
    fn success_wraps_its_message_as_serde_would() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap_or_else(|e| panic!("{e}"));
        for message in [json!({"Id": "a\"b", "IsCreated": true}), json!("text ✓\n"), json!(null), json!([1, 2.5])] {
            let response = success(message.clone());
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["content-type"], "application/json");
            let body = runtime
                .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap_or_default();
            let expected = serde_json::to_vec(&json!({"Message": message, "Status": "Success"})).unwrap_or_default();
            assert_eq!(String::from_utf8_lossy(&body), String::from_utf8_lossy(&expected));
        }
    }
}
