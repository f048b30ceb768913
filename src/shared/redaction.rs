//! Where requests carry credentials, across every family: what the journal,
//! the admin page and the logs hide, and what `credential` filters match.
//! Names are compared as the server reads them: without regard to case,
//! query names after percent-decoding, JSON members after unescaping.

use std::borrow::Cow;

use crate::shared::family::{CredentialNames, Families};

const REDACTED: &str = "[redacted]";
const REDACTED_WORD: &str = "redacted";

/// Every family's credential names, merged and lower-cased.
#[derive(Debug, Clone, Default)]
pub(crate) struct Redaction {
    identity_headers: Vec<String>,
    identity_query: Vec<String>,
    secret_headers: Vec<String>,
    secret_query: Vec<String>,
    secret_members: Vec<String>,
    personal_members: Vec<String>,
    personal_query: Vec<String>,
    /// Per family: members hidden in that family's bodies only.
    own_personal_members: Vec<(&'static str, Vec<String>)>,
}

impl Redaction {
    /// What every family of `families` (and HTTP itself) uses.
    pub(crate) fn of(families: Families) -> Self {
        let mut redaction = Self::from_names(families.credentials());
        for (family, members) in families.own_personal_members() {
            let mut names = Vec::new();
            extend(&mut names, members);
            if !names.is_empty() {
                redaction.own_personal_members.push((family, names));
            }
        }
        redaction
    }

    /// [`Redaction::body`] for a body of `family`'s, which hides that
    /// family's own personal members too.
    pub(crate) fn body_of(&self, family: &str, body: &[u8]) -> String {
        let own = self
            .own_personal_members
            .iter()
            .find(|(name, _)| *name == family)
            .map_or(&[][..], |(_, members)| members.as_slice());
        self.body_with(body, own)
    }

    pub(crate) fn from_names<'a>(names: impl IntoIterator<Item = &'a CredentialNames>) -> Self {
        let mut redaction = Self::default();
        for names in names {
            extend(&mut redaction.identity_headers, names.identity_headers);
            extend(&mut redaction.identity_query, names.identity_query);
            extend(&mut redaction.secret_headers, names.secret_headers);
            extend(&mut redaction.secret_query, names.secret_query);
            extend(&mut redaction.secret_members, names.secret_members);
            extend(&mut redaction.personal_members, names.personal_members);
            extend(&mut redaction.personal_query, names.personal_query);
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
                    redact_userinfo(value).into_owned()
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

    /// The body as text, with the value of every secret member of a JSON
    /// object replaced, at any depth, and the userinfo of every URL in a
    /// string. Done when the journal is read, so recording stays a copy.
    ///
    /// What is shown is the text as sent, rewritten where a secret stands:
    /// a parse would keep only the last of two members of the same name
    /// and so miss the first, and could not read a body cut at the
    /// journal's size limit.
    #[cfg(test)]
    pub(crate) fn body(&self, body: &[u8]) -> String {
        self.body_with(body, &[])
    }

    fn body_with(&self, body: &[u8], own: &[String]) -> String {
        let text = String::from_utf8_lossy(body);
        // No secret's name in any case, no escape and no URL: nothing to
        // hide, and no scan (the `body` filter runs this on every entry).
        if !text.contains('@') && !self.may_spell_secret(&text, own) {
            return text.into_owned();
        }
        // JSON, or JSON cut short (the journal keeps 64 KiB): anything else
        // cannot be read member by member.
        let json = match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => true,
            Err(e) => e.is_eof(),
        };
        let hidden = |name: &str| {
            if is_one_of(name, &self.secret_members) {
                Some(Hide::Credential)
            } else if is_one_of(name, &self.personal_members) || is_one_of(name, own) {
                Some(Hide::Personal)
            } else {
                None
            }
        };
        let shown = json.then(|| json_text::redact(&text, hidden));
        match shown.flatten() {
            Some(shown) => shown,
            // Not JSON: nothing can be checked member by member, so text
            // that may spell a secret is hidden whole.
            None if self.may_spell_secret(&text, own) => REDACTED.to_owned(),
            None => redact_userinfo(&text).into_owned(),
        }
    }

    /// Whether text may carry a secret in some spelling: a secret's name
    /// (or one of `own`) in any case, a JSON escape, or a percent-encoding.
    fn may_spell_secret(&self, text: &str, own: &[String]) -> bool {
        let lower = text.to_ascii_lowercase();
        lower.contains('\\')
            || lower.contains('%')
            || self
                .secret_members
                .iter()
                .chain(&self.personal_members)
                .chain(&self.secret_query)
                .chain(&self.identity_query)
                .chain(own)
                .any(|name| lower.contains(name.as_str()))
    }

    /// The query with credential values replaced, and the userinfo of any
    /// URL in a value, the rest kept as sent.
    pub(crate) fn query(&self, query: &str) -> String {
        query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let decoded = form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(decoded, _)| decoded)
                    .unwrap_or_default();
                let secret =
                    is_one_of(&decoded, &self.secret_query) || is_one_of(&decoded, &self.identity_query);
                if pair.contains('=') && is_one_of(&decoded, &self.personal_query) {
                    return format!("{name}={REDACTED}");
                }
                let pair_text = format!("v={value}");
                let value = form_urlencoded::parse(pair_text.as_bytes())
                    .next()
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                if pair.contains('=') && secret {
                    return format!("{name}={}", fingerprinted(&value));
                }
                match redact_userinfo(&value) {
                    Cow::Owned(shown) => {
                        format!(
                            "{name}={}",
                            form_urlencoded::byte_serialize(shown.as_bytes()).collect::<String>()
                        )
                    }
                    Cow::Borrowed(_) => pair.to_owned(),
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

/// `text` with the userinfo (`user:password@`) of every URL in it
/// replaced: a password in a callback URL is as secret as a token.
pub(crate) fn redact_userinfo(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        shown.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                shown.push_str(REDACTED);
                shown.push_str(&authority[userinfo_end..]);
            }
            None => shown.push_str(authority),
        }
        rest = &tail[end..];
    }
    shown.push_str(rest);
    if shown == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(shown)
    }
}

/// Redaction over JSON as sent: one pass over the text, copying it as it
/// is but for the values it hides.
mod json_text {
    use super::{Hide, REDACTED, fingerprinted, redact_userinfo};

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Container {
        /// `true` when the object is an attribute/value pair naming a
        /// hidden field: its value members are hidden too.
        Object(bool),
        Array,
    }

    /// Members that name a field in an attribute/value pair, as LeadSquared
    /// writes every lead (`{"Attribute":"EmailAddress","Value":"…"}`), and
    /// the members holding the value.
    const PAIR_NAMES: [&str; 3] = ["Attribute", "SchemaName", "LookupName"];
    const PAIR_VALUES: [&str; 2] = ["Value", "LookupValue"];

    /// Whether the object at `start` names a hidden field in one of its
    /// pair-naming members (a shallow look at its own members).
    fn names_hidden_field(text: &str, start: usize, secret: &impl Fn(&str) -> Option<Hide>) -> Option<Hide> {
        let bytes = text.as_bytes();
        let mut i = start + 1;
        let mut key: Option<String> = None;
        while i < bytes.len() {
            match bytes[i] {
                b'}' => return None,
                b'"' => {
                    let (end, closed) = string_end(bytes, i);
                    let token = unescape(&text[i..end]);
                    match key.take() {
                        None => key = Some(token),
                        Some(name) => {
                            if closed
                                && PAIR_NAMES.iter().any(|n| n.eq_ignore_ascii_case(&name))
                                && let Some(hide) = secret(&token)
                            {
                                return Some(hide);
                            }
                        }
                    }
                    i = end;
                }
                b'{' | b'[' => {
                    key = None;
                    i = skip_value(bytes, i)?;
                }
                b',' => {
                    key = None;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// `text` with the value of every member `secret` names replaced by
    /// `"[redacted]"` and URLs' userinfo hidden in strings; `None` when it
    /// is not JSON. A text cut short (the journal keeps 64 KiB) is JSON up
    /// to its end: what it holds is shown, a secret it cuts is hidden.
    pub(super) fn redact(text: &str, secret: impl Fn(&str) -> Option<Hide>) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut stack: Vec<Container> = Vec::new();
        let mut expect_key = false;
        // A secret member's name was read; its value comes after the colon.
        let mut secret_name = None;
        let mut hide_next = None;
        // Pairs hide their value as the field they name is hidden.
        let mut pair_hide: Vec<Option<Hide>> = Vec::new();
        let lower = text.to_ascii_lowercase();
        let pairs_possible = PAIR_NAMES.iter().any(|n| lower.contains(&n.to_ascii_lowercase()));
        let mut i = 0;
        let first = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
        if !matches!(bytes[first], b'{' | b'[') {
            return None;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_whitespace() {
                out.push(b as char);
                i += 1;
                continue;
            }
            if let Some(hide) = hide_next.take() {
                let end = skip_value(bytes, i)?;
                let value = &text[i..end];
                // A whole string credential shows its fingerprint; anything
                // else (personal data, a container, a cut value) shows nothing.
                let credential =
                    hide == Hide::Credential && bytes[i] == b'"' && end > i + 1 && value.ends_with('"');
                out.push('"');
                if credential {
                    out.push_str(&fingerprinted(&unescape(value)));
                } else {
                    out.push_str(REDACTED);
                }
                out.push('"');
                i = end;
                continue;
            }
            match b {
                b'{' | b'[' => {
                    if b == b'{' {
                        let hide = if pairs_possible {
                            names_hidden_field(text, i, &secret)
                        } else {
                            None
                        };
                        stack.push(Container::Object(hide.is_some()));
                        pair_hide.push(hide);
                    } else {
                        stack.push(Container::Array);
                    }
                    expect_key = b == b'{';
                    out.push(b as char);
                    i += 1;
                }
                b'}' | b']' => {
                    if let Some(Container::Object(_)) = stack.pop() {
                        pair_hide.pop();
                    }
                    expect_key = false;
                    out.push(b as char);
                    i += 1;
                }
                b',' => {
                    expect_key = matches!(stack.last(), Some(Container::Object(_)));
                    out.push(',');
                    i += 1;
                }
                b':' => {
                    hide_next = std::mem::take(&mut secret_name);
                    out.push(':');
                    i += 1;
                }
                b'"' => {
                    let (end, closed) = string_end(bytes, i);
                    let token = &text[i..end];
                    if expect_key {
                        expect_key = false;
                        let name = unescape(token);
                        secret_name = if closed { secret(&name) } else { None };
                        if secret_name.is_none()
                            && matches!(stack.last(), Some(Container::Object(true)))
                            && PAIR_VALUES.iter().any(|v| v.eq_ignore_ascii_case(&name))
                        {
                            secret_name = pair_hide.last().copied().flatten();
                        }
                        out.push_str(token);
                    } else if closed && (token.contains('@') || token.contains('\\')) {
                        let value = unescape(token);
                        match redact_userinfo(&value) {
                            std::borrow::Cow::Owned(shown) => {
                                out.push_str(&serde_json::to_string(&shown).unwrap_or_default());
                            }
                            std::borrow::Cow::Borrowed(_) => out.push_str(token),
                        }
                    } else {
                        out.push_str(token);
                    }
                    i = end;
                }
                b if b == b'-' || b.is_ascii_alphanumeric() => {
                    let end = literal_end(bytes, i);
                    out.push_str(&text[i..end]);
                    i = end;
                }
                _ => return None,
            }
        }
        if hide_next.is_some() {
            // Cut between a secret's name and its value.
            out.push('"');
            out.push_str(REDACTED);
            out.push('"');
        }
        Some(out)
    }

    /// Where the string starting at `start` (a quote) ends, after its
    /// closing quote, and whether it closes; the text's end if it is cut.
    fn string_end(bytes: &[u8], start: usize) -> (usize, bool) {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return (i + 1, true),
                _ => i += 1,
            }
        }
        (bytes.len(), false)
    }

    fn literal_end(bytes: &[u8], start: usize) -> usize {
        bytes[start..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')))
            .map_or(bytes.len(), |n| start + n)
    }

    /// Past the value at `start` (any kind, nested to any depth), or the
    /// text's end if it is cut; `None` when it is not JSON.
    fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
        match bytes[start] {
            b'"' => Some(string_end(bytes, start).0),
            b'{' | b'[' => {
                let mut depth = 0usize;
                let mut i = start;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => {
                            i = string_end(bytes, i).0;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(i + 1);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                Some(bytes.len())
            }
            b if b == b'-' || b.is_ascii_alphanumeric() => Some(literal_end(bytes, start)),
            _ => None,
        }
    }

    /// A string token's text (with its quotes), unescaped; as written if
    /// its escapes are broken.
    fn unescape(token: &str) -> String {
        if !token.contains('\\') {
            return token.trim_matches('"').to_owned();
        }
        serde_json::from_str::<String>(token).unwrap_or_else(|_| token.trim_matches('"').to_owned())
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
        Some((scheme, secret)) if !scheme.is_empty() => format!("{scheme} {}", fingerprinted(secret.trim())),
        _ => fingerprinted(value.trim()),
    }
}

/// `[redacted:1a2b3c4d]`: a credential hidden, with the first eight hex
/// digits of its SHA-256, so a reader can tell which credential was sent
/// (`printf %s "$TOKEN" | sha256sum | cut -c1-8`) without the journal
/// holding anything that gives it back. Personal data gets no fingerprint.
pub(crate) fn fingerprinted(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(secret.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("[{REDACTED_WORD}:{hex}]")
}

/// What a hidden JSON member is: a credential shows a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hide {
    Credential,
    Personal,
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
            personal_members: &["ssn", "Mobile"],
            personal_query: &["emailaddress"],
            own_personal_members: &[],
        };
        Redaction::from_names([&COMMON_CREDENTIALS, &SAMPLE])
    }

    /// A family's own personal members are hidden in its bodies whatever
    /// their form: member by member in JSON, and the whole body when it is
    /// not JSON (a form post, text) and spells one of them, as for secrets.
    #[test]
    fn a_familys_own_members_hide_a_body_that_is_not_json() {
        let mut redaction = sample();
        redaction
            .own_personal_members
            .push(("connect", vec!["username".to_owned()]));
        assert_eq!(
            redaction.body_of("connect", b"action=signin&username=lonely_user"),
            REDACTED
        );
        assert_eq!(
            redaction.body_of("connect", br#"{"username":"lonely_user","action":"signin"}"#),
            format!(r#"{{"username":"{REDACTED}","action":"signin"}}"#)
        );
        // Another family's bodies keep the member.
        assert_eq!(
            redaction.body_of("other", b"action=signin&username=lonely_user"),
            "action=signin&username=lonely_user"
        );
    }

    /// LeadSquared writes a lead as attribute/value pairs: the value of a
    /// pair naming a personal field is hidden, wherever its name stands
    /// in the object, in any case, and so is a personal lookup's query.
    #[test]
    fn pairs_naming_a_personal_field_hide_their_value() {
        let redaction = sample();
        let body = br#"[{"Attribute":"EmailAddress","Value":"ada@example.com"},{"Value":"0123456789","attribute":"mobile"},
            {"Attribute":"Source","Value":"Web"},{"SchemaName":"Phone","Value":{"x":"555"}},
            {"Parameter":{"LookupName":"FirstName","LookupValue":"Ada","SqlOperator":"="}}]"#;
        let shown = redaction.body(body);
        for hidden in ["ada@example.com", "0123456789", "555", r#""Ada""#] {
            assert!(!shown.contains(hidden), "{hidden}: {shown}");
        }
        assert!(shown.contains(r#""Value":"Web""#), "{shown}");
        assert_eq!(shown.matches("[redacted]").count(), 4, "{shown}");
        // Cut short, a pair's hidden value stays hidden.
        let cut = redaction.body(br#"[{"Attribute":"EmailAddress","Value":"ada@exa"#);
        assert!(!cut.contains("ada@exa"), "{cut}");
        assert_eq!(
            redaction.query("emailAddress=ada%40example.com&x=1"),
            "emailAddress=[redacted]&x=1"
        );
    }

    #[test]
    fn secret_members_never_show_in_any_spelling() {
        let redaction = sample();
        let shown = redaction.body(br#"{"partnerId":"demo-partner","partnerSecret":"s3cret"}"#);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("demo-partner") && shown.contains("[redacted:1ec1c26b]"),
            "{shown}"
        );
        // A body cut at the journal's limit shows what it holds; a cut
        // credential gets no fingerprint.
        assert_eq!(
            redaction.body(br#"{"partnerSecret": "s3cret"#),
            r#"{"partnerSecret": "[redacted]""#
        );
        // Which credential was sent: the first 8 hex digits of its SHA-256.
        assert_eq!(fingerprinted("demo-confidential-token"), "[redacted:13d23f5f]");
        let headers = redaction.headers("authorization: Bearer demo-confidential-token\nx-app-key: k3y");
        assert_eq!(headers[0].1, "Bearer [redacted:13d23f5f]");
        assert_ne!(
            redaction.headers("authorization: Bearer wrong")[0].1,
            headers[0].1,
            "a wrong token shows another fingerprint"
        );
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
    fn every_occurrence_of_a_secret_member_is_hidden_in_the_text_as_sent() {
        let redaction = sample();
        let cases = [
            // Duplicates: a parse keeps the last; the text shows both.
            (
                r#"{"p":{"partnerSecret":"s3cret","a":1},"p":{"state":"TX"}}"#,
                r#"{"p":{"partnerSecret":"[redacted:1ec1c26b]","a":1},"p":{"state":"TX"}}"#,
            ),
            (
                r#"{"partnerSecret":"s3cret","partnerSecret":"other"}"#,
                r#"{"partnerSecret":"[redacted:1ec1c26b]","partnerSecret":"[redacted:d9298a10]"}"#,
            ),
            // A secret member whose value is a container hides it whole.
            (
                r#"{"partnerSecret":{"x":["s3cret",{"y":"}"}]},"k":[1,2]}"#,
                r#"{"partnerSecret":"[redacted]","k":[1,2]}"#,
            ),
            // Deep nesting, arrays of objects, numbers and literals.
            (
                r#"[{"a":[{"b":{"secretKey":12.5e3}}]},null,true,-1]"#,
                r#"[{"a":[{"b":{"secretKey":"[redacted]"}}]},null,true,-1]"#,
            ),
            // A string value that spells a secret's name is not a member.
            (r#"{"note":"partnerSecret"}"#, r#"{"note":"partnerSecret"}"#),
            // Escaped quotes inside strings do not end them.
            (
                r#"{"a":"x\"partnerSecret\":\"s3cret","partnerSecret":"s3cret"}"#,
                r#"{"a":"x\"partnerSecret\":\"s3cret","partnerSecret":"[redacted:1ec1c26b]"}"#,
            ),
            // Not JSON (only a cut is forgiven): hidden whole.
            (r#"{"a":"x"partnerSecret":"s3cret"}"#, "[redacted]"),
            (r#"{"partnerSecret" "s3cret"}"#, "[redacted]"),
            // Cut bodies: in a secret's value, between its name and value,
            // in a nested container.
            (
                r#"{"a":1,"partnerSecret":"s3c"#,
                r#"{"a":1,"partnerSecret":"[redacted]""#,
            ),
            (r#"{"partnerSecret":"#, r#"{"partnerSecret":"[redacted]""#),
            (r#"{"partnerSecret":{"x":"s3"#, r#"{"partnerSecret":"[redacted]""#),
            // Whitespace as sent.
            (
                "{ \"partnerSecret\" :\n \"s3cret\" }",
                "{ \"partnerSecret\" :\n \"[redacted:1ec1c26b]\" }",
            ),
            // Personal data: hidden, never fingerprinted.
            (r#"{"ssn":"123-45-6789"}"#, r#"{"ssn":"[redacted]"}"#),
        ];
        for (sent, shown) in cases {
            assert_eq!(redaction.body(sent.as_bytes()), shown, "{sent}");
        }
    }

    #[test]
    fn url_userinfo_is_hidden_wherever_it_is_shown() {
        let redaction = sample();
        assert_eq!(
            redact_userinfo("http://user:pw@host:8/cb?x=1 and https://a@b/"),
            "http://[redacted]@host:8/cb?x=1 and https://[redacted]@b/"
        );
        assert_eq!(redact_userinfo("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_userinfo("mail me: a@b.example"), "mail me: a@b.example");
        assert_eq!(
            redaction.query("callbackUrl=http://user:password@127.0.0.1:9/cb&a=1"),
            "callbackUrl=http%3A%2F%2F%5Bredacted%5D%40127.0.0.1%3A9%2Fcb&a=1"
        );
        assert_eq!(
            redaction.query("callbackUrl=http%3A%2F%2Fuser%3Apassword%40h%2Fcb"),
            "callbackUrl=http%3A%2F%2F%5Bredacted%5D%40h%2Fcb"
        );
        assert_eq!(
            redaction.body(br#"{"callbackUrl":"http://u:p4ss@h/cb","n":"a@b"}"#),
            r#"{"callbackUrl":"http://[redacted]@h/cb","n":"a@b"}"#
        );
        assert_eq!(
            redaction.body(br#"{"callbackUrl":"http:\/\/u:p4ss@h\/cb"}"#),
            r#"{"callbackUrl":"http://[redacted]@h/cb"}"#
        );
        assert_eq!(
            redaction.body(b"see http://u:p4ss@h/x"),
            "see http://[redacted]@h/x"
        );
        let headers = redaction.headers("referer: http://u:p4ss@h/x\naccept: */*");
        assert_eq!(headers[0].1, "http://[redacted]@h/x");
    }

    #[test]
    fn query_credentials_are_redacted_in_every_spelling_the_server_accepts() {
        let redaction = sample();
        assert_eq!(
            redaction.query("secret%4Bey=s1&%61ccessKey=s2&SecretKey=s3&ACCESSKEY=s4&credential=s5&page=2"),
            "secret%4Bey=[redacted:e8bc163c]&%61ccessKey=[redacted:ad328846]&SecretKey=[redacted:41242b9f]&\
             ACCESSKEY=[redacted:5b840157]&credential=[redacted:3b96fc06]&page=2"
        );
        assert_eq!(
            redaction.query("secret+key=x&accessKey"),
            "secret+key=x&accessKey"
        );
        let uri: http::Uri = "/Leads/x?%73ecretKey=s3cret&a=1".parse().unwrap_or_default();
        assert_eq!(
            redaction.target(&uri),
            "/Leads/x?%73ecretKey=[redacted:1ec1c26b]&a=1"
        );
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
