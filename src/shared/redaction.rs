//! Where requests carry credentials, across every family: what the journal,
//! the admin page and the logs hide, and what `credential` filters match.
//! Names are compared as the server reads them: without regard to case,
//! query names after percent-decoding, JSON members after unescaping.

use std::borrow::Cow;

use crate::shared::family::{CredentialNames, Families};

const REDACTED: &str = "[redacted]";

/// Every family's credential names, merged and lower-cased.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redaction {
    identity_headers: Vec<String>,
    identity_query: Vec<String>,
    secret_headers: Vec<String>,
    secret_query: Vec<String>,
    secret_members: Vec<String>,
}

impl Redaction {
    /// What every family of `families` (and HTTP itself) uses.
    pub(crate) fn of(families: Families) -> Self {
        Self::from_names(families.credentials())
    }

    pub(crate) fn from_names<'a>(names: impl IntoIterator<Item = &'a CredentialNames>) -> Self {
        let mut redaction = Self::default();
        for names in names {
            extend(&mut redaction.identity_headers, names.identity_headers);
            extend(&mut redaction.identity_query, names.identity_query);
            extend(&mut redaction.secret_headers, names.secret_headers);
            extend(&mut redaction.secret_query, names.secret_query);
            extend(&mut redaction.secret_members, names.secret_members);
        }
        redaction
    }

    /// `name: value` header lines (lower-case names) as the journal shows them.
    pub(crate) fn headers(&self, lines: &str) -> Vec<(String, String)> {
        lines
            .lines()
            .filter_map(|line| line.split_once(": "))
            .map(|(name, value)| {
                let value = if self.is_secret_header(name) {
                    redact_header_value(value)
                } else {
                    value.to_owned()
                };
                (name.to_owned(), value)
            })
            .collect()
    }

    fn is_secret_header(&self, name: &str) -> bool {
        self.identity_headers
            .iter()
            .chain(&self.secret_headers)
            .any(|secret| secret == name)
    }

    /// The body as text, with secret members of JSON objects replaced at
    /// any depth. Done when the journal is read, so recording stays a copy.
    pub(crate) fn body(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        // No secret's name in any case and no escape: nothing to hide, and
        // no parse (the `body` filter runs this on every entry it examines).
        if !self.may_hold_secret(&text) {
            return text.into_owned();
        }
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) else {
            // Not JSON (or cut at the size limit): nothing can be checked
            // member by member, so text that may spell a secret is hidden whole.
            return REDACTED.to_owned();
        };
        if self.redact_members(&mut value) {
            value.to_string()
        } else {
            text.into_owned()
        }
    }

    /// Replaces secret members' values; true when any was found.
    fn redact_members(&self, value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(members) => {
                let mut found = false;
                for (name, member) in members.iter_mut() {
                    if is_one_of(name, &self.secret_members) {
                        *member = REDACTED.into();
                        found = true;
                    } else {
                        found |= self.redact_members(member);
                    }
                }
                found
            }
            serde_json::Value::Array(items) => items
                .iter_mut()
                .fold(false, |found, v| self.redact_members(v) | found),
            _ => false,
        }
    }

    /// Whether text may carry a secret in some spelling: a secret's name in
    /// any case, a JSON escape, or a percent-encoding.
    fn may_hold_secret(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        lower.contains('\\')
            || lower.contains('%')
            || self
                .secret_members
                .iter()
                .chain(&self.secret_query)
                .chain(&self.identity_query)
                .any(|name| lower.contains(name.as_str()))
    }

    /// The query with credential values replaced, the rest kept as sent.
    pub(crate) fn query(&self, query: &str) -> String {
        query
            .split('&')
            .map(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name);
                let decoded = form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(decoded, _)| decoded)
                    .unwrap_or_default();
                let secret =
                    is_one_of(&decoded, &self.secret_query) || is_one_of(&decoded, &self.identity_query);
                if pair.contains('=') && secret {
                    format!("{name}={REDACTED}")
                } else {
                    pair.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A request target (path and query) as logs may show it.
    pub(crate) fn target(&self, uri: &http::Uri) -> String {
        match uri.query() {
            Some(query) => format!("{}?{}", uri.path(), self.query(query)),
            None => uri.path().to_owned(),
        }
    }

    /// The credentials that say who sent a request, among its headers
    /// (lower-case names) and query: a bearer token, an app key, an access
    /// key. For matching only; never shown.
    pub(crate) fn identities<'a>(
        &'a self,
        headers: impl Iterator<Item = (&'a str, &'a str)> + 'a,
        query: Option<&'a str>,
    ) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        let from_headers = headers.filter_map(|(name, value)| {
            if name == "authorization" {
                Some(value.split_once(' ').map_or(value, |(_, token)| token.trim()))
            } else if self.identity_headers.iter().any(|h| h == name) {
                Some(value.trim())
            } else {
                None
            }
        });
        let from_query = query
            .into_iter()
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
            .filter(|(name, _)| is_one_of(name, &self.identity_query))
            .map(|(_, value)| value);
        from_headers.map(Cow::Borrowed).chain(from_query)
    }
}

fn extend(into: &mut Vec<String>, names: &[&str]) {
    for name in names {
        let name = name.to_ascii_lowercase();
        if !into.contains(&name) {
            into.push(name);
        }
    }
}

fn is_one_of(name: &str, names: &[String]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Keeps an auth scheme (`Bearer`, `Basic`) so the journal still shows how
/// a client authenticated, but never the secret itself.
fn redact_header_value(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} {REDACTED}"),
        _ => REDACTED.to_owned(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::shared::family::COMMON_CREDENTIALS;

    /// Credential names shaped like the families' (an app-key header, an
    /// access key in the query, a partner secret in the body).
    pub(crate) fn sample() -> Redaction {
        const SAMPLE: CredentialNames = CredentialNames {
            identity_headers: &["x-app-key"],
            identity_query: &["accessKey"],
            secret_headers: &[],
            secret_query: &["secretKey", "partnerSecret"],
            secret_members: &["partnerSecret", "secretKey", "accessKey"],
        };
        Redaction::from_names([&COMMON_CREDENTIALS, &SAMPLE])
    }

    #[test]
    fn secret_members_never_show_in_any_spelling() {
        let redaction = sample();
        let shown = redaction.body(br#"{"partnerId":"demo-partner","partnerSecret":"s3cret"}"#);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("demo-partner") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert_eq!(redaction.body(br#"{"partnerSecret": "s3cret"#), "[redacted]");
        for spelling in [
            r#"{"partner\u0053ecret":"s3cret"}"#,
            r#"{"PARTNERSECRET":"s3cret"}"#,
            r#"{"nested":[{"partnerSecret":"s3cret"}]}"#,
            r#"{"partner\u0053ecret":"s3cret""#,
            "partnerSecret=s3cret",
            "partner%53ecret=s3cret",
        ] {
            let shown = redaction.body(spelling.as_bytes());
            assert!(!shown.contains("s3cret"), "{spelling} showed {shown}");
        }
        assert_eq!(redaction.body(b"plain text"), "plain text");
    }

    #[test]
    fn query_credentials_are_redacted_in_every_spelling_the_server_accepts() {
        let redaction = sample();
        assert_eq!(
            redaction.query("secret%4Bey=s1&%61ccessKey=s2&SecretKey=s3&ACCESSKEY=s4&credential=s5&page=2"),
            "secret%4Bey=[redacted]&%61ccessKey=[redacted]&SecretKey=[redacted]&\
             ACCESSKEY=[redacted]&credential=[redacted]&page=2"
        );
        assert_eq!(
            redaction.query("secret+key=x&accessKey"),
            "secret+key=x&accessKey"
        );
        let uri: http::Uri = "/Leads/x?%73ecretKey=s3cret&a=1".parse().unwrap_or_default();
        assert_eq!(redaction.target(&uri), "/Leads/x?%73ecretKey=[redacted]&a=1");
    }

    #[test]
    fn the_credential_filter_matches_decoded_query_values_and_identity_headers() {
        let redaction = sample();
        let found: Vec<_> = redaction
            .identities(std::iter::empty(), Some("%61ccessKey=a%2Bb&x=1"))
            .collect();
        assert_eq!(found, ["a+b"]);
        let headers = [
            ("authorization", "Bearer t0k"),
            ("x-app-key", " k3y "),
            ("accept", "x"),
        ];
        let found: Vec<_> = redaction.identities(headers.into_iter(), None).collect();
        assert_eq!(found, ["t0k", "k3y"]);
    }
}
