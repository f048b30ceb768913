//! Which API family a request belongs to, and what the shared mechanisms
//! (journal, faults, framework errors, CORS) need to know of each family.
//!
//! Each family declares its facts once, as a [`FamilySpec`] in its own
//! module; the crate root lists the families in a [`Families`] registry that
//! the shared mechanisms read. Nothing here names a vendor.

use std::fmt;
use std::hash::{Hash, Hasher};

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Serialize, Serializer};

use crate::shared::admin::AdminError;
use crate::shared::plugin::Plugin;

/// A family's facts, declared once in its module.
pub struct FamilySpec {
    /// On the wire: journal entries, fault matchers, tenants (`engine`).
    pub(crate) name: &'static str,
    /// Path prefixes the family's routes live under. Paths of different
    /// families never collide, so the prefix alone decides; a test holds
    /// every route against its family's prefixes.
    pub(crate) prefixes: &'static [&'static str],
    /// Where its requests carry credentials.
    pub(crate) credentials: CredentialNames,
    /// A framework error (unknown route, wrong method, body too large) in
    /// the family's own error shape.
    pub(crate) framework_error: fn(StatusCode, &str) -> Response,
    /// leadsim's OpenAPI descriptions of the family, `(file stem, YAML)`,
    /// served under `/__admin/openapi/<stem>.yaml`.
    pub(crate) openapi: &'static [(&'static str, &'static str)],
    /// How the server builds the family from its fixtures; `None` for the
    /// control plane and for paths no family serves.
    pub(crate) plugin: Option<Plugin>,
}

impl fmt::Debug for FamilySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FamilySpec")
            .field("name", &self.name)
            .field("prefixes", &self.prefixes)
            .finish_non_exhaustive()
    }
}

/// The names under which requests carry credentials, lower-case. Every
/// spelling is compared without regard to case (query names and JSON
/// members after decoding), as the families read them.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CredentialNames {
    /// Headers whose value says who calls: redacted, and matched by the
    /// journal's and faults' `credential` filters.
    pub(crate) identity_headers: &'static [&'static str],
    /// Query parameters that say who calls: redacted and matched.
    pub(crate) identity_query: &'static [&'static str],
    /// Headers holding secrets: redacted.
    pub(crate) secret_headers: &'static [&'static str],
    /// Query parameters holding secrets: redacted.
    pub(crate) secret_query: &'static [&'static str],
    /// JSON body members holding credentials, at any depth: redacted,
    /// with a fingerprint (so a wrong key can be told from a right one).
    pub(crate) secret_members: &'static [&'static str],
    /// JSON body members that say something about a person, at any
    /// depth: redacted, with no fingerprint (an SSN's would be guessable).
    pub(crate) personal_members: &'static [&'static str],
    /// Query parameters that say something about a person: redacted.
    pub(crate) personal_query: &'static [&'static str],
    /// Members that say something about a person in this family's bodies
    /// only (a name too common elsewhere to hide everywhere, such as `Name`).
    pub(crate) own_personal_members: &'static [&'static str],
}

impl CredentialNames {
    /// A family whose credentials travel only where HTTP carries them.
    pub(crate) const NONE: CredentialNames = CredentialNames {
        identity_headers: &[],
        identity_query: &[],
        secret_headers: &[],
        secret_query: &[],
        secret_members: &[],
        personal_members: &[],
        personal_query: &[],
        own_personal_members: &[],
    };
}

/// What HTTP itself and the control plane use to carry credentials, for
/// every family: bearer tokens, cookies, the admin token and filter; and
/// the personal members every family hides alike.
pub(crate) const COMMON_CREDENTIALS: CredentialNames = CredentialNames {
    identity_headers: &["authorization"],
    identity_query: &[],
    secret_headers: &["proxy-authorization", "cookie", "x-leadsim-admin-token"],
    secret_query: &["access_token", "token", "credential"],
    secret_members: &[],
    personal_members: PERSONAL_MEMBERS,
    personal_query: &[],
    own_personal_members: &[],
};

/// JSON members that identify a person, hidden in every family's bodies
/// wherever requests are shown. Engine's own definition of PII is "names,
/// email addresses, phone numbers, or social security numbers" (its client
/// tags documentation); Finicity's consumers and customers carry the same
/// members under the same names. Families add their own (birth dates,
/// incomes, account numbers).
pub(crate) const PERSONAL_MEMBERS: &[&str] = &[
    "password",
    "firstName",
    "lastName",
    "aliasFirstName",
    "aliasLastName",
    "email",
    "emailAddress",
    "phone",
    "phoneNumber",
    "primaryPhone",
    "workPhone",
    "mobilePhone",
    "ssn",
];

/// A family, as requests, journal entries and faults carry it: a handle on
/// its spec, compared by name.
#[derive(Clone, Copy)]
pub struct Family(&'static FamilySpec);

/// The control plane under `/__admin`.
const CONTROL_PLANE: FamilySpec = FamilySpec {
    name: "admin",
    prefixes: &["/__admin"],
    credentials: CredentialNames::NONE,
    framework_error: admin_framework_error,
    openapi: &[],
    plugin: None,
};

static ADMIN: FamilySpec = CONTROL_PLANE;

/// Paths nobody serves; answered in the admin shape.
static UNKNOWN: FamilySpec = FamilySpec {
    name: "unknown",
    prefixes: &[],
    ..CONTROL_PLANE
};

impl Family {
    pub(crate) const ADMIN: Family = Family(&ADMIN);
    pub(crate) const UNKNOWN: Family = Family(&UNKNOWN);

    pub(crate) const fn of(spec: &'static FamilySpec) -> Self {
        Self(spec)
    }

    pub fn as_str(self) -> &'static str {
        self.0.name
    }

    pub(crate) fn spec(self) -> &'static FamilySpec {
        self.0
    }

    /// A framework error in this family's shape.
    pub(crate) fn framework_error(self, status: StatusCode, message: &str) -> Response {
        (self.0.framework_error)(status, message)
    }

    /// Whether `path` is under one of the family's prefixes.
    pub(crate) fn owns(self, path: &str) -> bool {
        self.0.prefixes.iter().any(|prefix| path.starts_with(prefix))
    }
}

impl PartialEq for Family {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0) || self.0.name == other.0.name
    }
}

impl Eq for Family {}

impl Hash for Family {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl Serialize for Family {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name)
    }
}

/// Every vendor family the server simulates, in the order listings show
/// them. Listed once, at the crate root.
#[derive(Debug, Clone, Copy)]
pub struct Families(&'static [&'static FamilySpec]);

impl Families {
    pub(crate) const fn new(vendors: &'static [&'static FamilySpec]) -> Self {
        Self(vendors)
    }

    /// The simulated vendor families.
    pub(crate) fn vendors(self) -> impl Iterator<Item = Family> {
        self.0.iter().map(|spec| Family(spec))
    }

    /// The family whose prefix `path` starts with; the control plane for
    /// `/__admin`; [`Family::UNKNOWN`] otherwise.
    pub fn of_path(self, path: &str) -> Family {
        self.vendors()
            .chain([Family::ADMIN])
            .find(|family| family.owns(path))
            .unwrap_or(Family::UNKNOWN)
    }

    /// The vendor family called `name` on the wire.
    pub(crate) fn vendor(self, name: &str) -> Option<Family> {
        self.vendors().find(|family| family.as_str() == name)
    }

    /// Any family called `name`, the control plane and `unknown` included.
    pub(crate) fn named(self, name: &str) -> Option<Family> {
        self.vendors()
            .chain([Family::ADMIN, Family::UNKNOWN])
            .find(|family| family.as_str() == name)
    }

    /// `engine, data_analytics, …` for error messages; `last` joins the
    /// final name (`or`, `and`), or `None` to list with commas only.
    pub(crate) fn names(self, last: Option<&str>) -> String {
        let names: Vec<&str> = self.vendors().map(Family::as_str).collect();
        match (last, names.split_last()) {
            (Some(word), Some((final_name, rest))) if !rest.is_empty() => {
                format!("{} {word} {final_name}", rest.join(", "))
            }
            _ => names.join(", "),
        }
    }

    /// Every family's credential names, with the ones HTTP itself uses.
    /// Each family's name with the members hidden in its bodies only.
    pub(crate) fn own_personal_members(
        self,
    ) -> impl Iterator<Item = (&'static str, &'static [&'static str])> {
        self.0
            .iter()
            .map(|spec| (spec.name, spec.credentials.own_personal_members))
    }

    pub(crate) fn credentials(self) -> impl Iterator<Item = &'static CredentialNames> {
        std::iter::once(&COMMON_CREDENTIALS).chain(self.0.iter().map(|spec| &spec.credentials))
    }
}

fn admin_framework_error(status: StatusCode, message: &str) -> Response {
    AdminError::response(status, framework_code(status), message)
}

fn framework_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        _ => "bad_request",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static ALPHA: FamilySpec = FamilySpec {
        name: "alpha",
        prefixes: &["/alpha/", "/a/"],
        ..CONTROL_PLANE
    };
    static BETA: FamilySpec = FamilySpec {
        name: "beta",
        prefixes: &["/beta/"],
        ..CONTROL_PLANE
    };
    static FAMILIES: Families = Families::new(&[&ALPHA, &BETA]);

    #[test]
    fn names_on_the_wire_match_serialization() {
        for family in FAMILIES.vendors().chain([Family::ADMIN, Family::UNKNOWN]) {
            let serialized = serde_json::to_value(family).unwrap();
            assert_eq!(serialized, family.as_str());
            assert_eq!(FAMILIES.named(family.as_str()), Some(family));
        }
        assert_eq!(FAMILIES.vendor("admin"), None);
        assert_eq!(FAMILIES.named("gamma"), None);
    }

    #[test]
    fn each_family_is_found_by_its_prefixes() {
        assert_eq!(FAMILIES.of_path("/alpha/x").as_str(), "alpha");
        assert_eq!(FAMILIES.of_path("/a/y").as_str(), "alpha");
        assert_eq!(FAMILIES.of_path("/beta/z").as_str(), "beta");
        assert_eq!(FAMILIES.of_path("/__admin/health"), Family::ADMIN);
        assert_eq!(FAMILIES.of_path("/nope"), Family::UNKNOWN);
        assert_eq!(FAMILIES.of_path("/alphabet"), Family::UNKNOWN);
    }

    #[test]
    fn names_list_reads_as_prose() {
        assert_eq!(FAMILIES.names(Some("or")), "alpha or beta");
        assert_eq!(FAMILIES.names(None), "alpha, beta");
    }
}
