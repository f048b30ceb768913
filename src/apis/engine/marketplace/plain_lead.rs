//! A lead read straight from its bytes, without a JSON tree, when it is
//! what lead forms (and the offer carousel, for an Offer Search) send:
//! every member one that leadsim checks, each of the right type and valid,
//! none repeated or `null`. Reading the tree and checking it was the
//! largest part of submitLead's own work.
//!
//! Anything else (an error to word, a section kept as sent, an unknown
//! member, a `null`) is not read here: [`read`] and [`read_search`] answer
//! `None`, and the tree is read as before ([`lead::check`]), so every
//! error has one wording. Property tests hold the two readings equal.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use uuid::Uuid;

use super::super::models::ProductType;
use super::lead::{self, CheckedLead, Kind, Members, Sections};
use crate::shared::json_writer::{Object, write_str};

/// Reads a `LeadCreateData` body that needs no error and no tree; `None`
/// for any other body, which [`lead::check`] then reads.
pub(crate) fn read(body: &[u8], require_products: bool) -> Option<CheckedLead> {
    let lead = parse(body)?;
    let products = match &lead.products {
        None if require_products => return None,
        None => Vec::new(),
        Some(list) if require_products && list.is_empty() => return None,
        Some(list) if !list.iter().all(|p| lead::PRODUCT_TYPES.contains(&p.as_ref())) => return None,
        Some(list) => list.iter().filter_map(|p| ProductType::parse(p)).collect(),
    };
    lead.checked(products, body.len())
}

/// Reads an Offer Search body (`LeadRequestOfferCatalog`) as
/// [`read`] does a lead, its `productTypes` being catalogue slugs (any
/// non-empty strings, repeats dropped); `None` for any other body.
pub(crate) fn read_search(body: &[u8], max_slugs: usize, max_slug_chars: usize) -> Option<(CheckedLead, Vec<String>)> {
    let lead = parse(body)?;
    let mut slugs: Vec<String> = Vec::new();
    if let Some(list) = &lead.products {
        if list.len() > max_slugs || !list.iter().all(|s| !s.is_empty() && s.chars().count() <= max_slug_chars) {
            return None;
        }
        for slug in list {
            if !slugs.iter().any(|s| s == slug) {
                slugs.push(slug.to_string());
            }
        }
    }
    // A search's slugs are not the lead's product types.
    Some((lead.checked(Vec::new(), body.len())?, slugs))
}

fn parse(body: &[u8]) -> Option<PlainLead<'_>> {
    // serde_json skips ignored members without checking their encoding:
    // the whole body is checked first, as the tree's reading does.
    let text = std::str::from_utf8(body).ok()?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let lead = deserializer.deserialize_map(LeadVisitor).ok()?;
    deserializer.end().ok()?;
    Some(lead)
}

/// A member's value as sent (already valid for its kind).
#[derive(Debug)]
enum Plain<'de> {
    Text(Cow<'de, str>),
    Int(i64),
    Bool(bool),
    Texts(Vec<Cow<'de, str>>),
}

#[derive(Debug)]
struct Section<'de> {
    name: &'static str,
    members: Vec<(&'static str, Plain<'de>)>,
}

/// `clientTags` as sent: each key's strings.
type Tags<'de> = Vec<(Cow<'de, str>, Vec<Cow<'de, str>>)>;

#[derive(Debug, Default)]
struct PlainLead<'de> {
    sections: Vec<Section<'de>>,
    /// `productTypes` as sent: what they must be is the reader's to say.
    products: Option<Vec<Cow<'de, str>>>,
    /// Top-level members kept with the sections (the uuids but `uuid`,
    /// `partnerUserId`), as the tree's reading keeps them.
    kept: Vec<(&'static str, Cow<'de, str>)>,
    uuid: Option<Uuid>,
    session_uuid: Option<Uuid>,
    tags: Option<Tags<'de>>,
}

impl PlainLead<'_> {
    fn checked(&self, products: Vec<ProductType>, body_len: usize) -> Option<CheckedLead> {
        let client_tags = self.client_tags()?;
        let sections = Sections::from_json_text(self.sections_text(body_len)?);
        if sections.len() > lead::MAX_SECTIONS_BYTES {
            return None;
        }
        let input = lead::read_input(self, products);
        Some(CheckedLead {
            uuid: self.uuid,
            session_uuid: self.session_uuid,
            sections,
            client_tags,
            input,
        })
    }

    /// The tags in key order, as the tree's reading keeps them (no more
    /// than `MAX_TAG_KEYS` keys: [`TagsSeed`] stops there).
    fn client_tags(&self) -> Option<Vec<(String, String)>> {
        let Some(keys) = &self.tags else {
            return Some(Vec::new());
        };
        let fine = keys.iter().all(|(key, values)| {
            lead::tag_key_fits(key) && values.len() <= lead::MAX_TAG_VALUES && values.iter().all(|v| lead::tag_fits(v))
        });
        if !fine {
            return None;
        }
        let mut keys: Vec<_> = keys.iter().collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut tags = Vec::new();
        for (key, values) in keys {
            lead::push_tags(&mut tags, key, values.iter().map(|v| v.as_ref()));
        }
        Some(tags)
    }

    /// The sections and kept members as [`Sections::new`] writes their
    /// tree: compact, every object's keys in order.
    fn sections_text(&self, body_len: usize) -> Option<String> {
        enum Entry<'a, 'de> {
            Section(&'a Section<'de>),
            Kept(&'a str),
        }
        let mut entries: Vec<(&str, Entry)> = self.sections.iter().map(|s| (s.name, Entry::Section(s))).collect();
        entries.extend(self.kept.iter().map(|(name, text)| (*name, Entry::Kept(text))));
        entries.sort_unstable_by_key(|(name, _)| *name);
        let mut out = Vec::with_capacity(body_len);
        let mut object = Object::new(&mut out);
        for (name, entry) in entries {
            match entry {
                Entry::Kept(text) => object.text(name, text),
                Entry::Section(section) => write_section(object.key(name), section),
            }
        }
        object.end();
        String::from_utf8(out).ok()
    }

    fn member(&self, section: &str, member: &str) -> Option<&Plain<'_>> {
        let section = self.sections.iter().find(|s| s.name == section)?;
        section.members.iter().find(|(name, _)| *name == member).map(|(_, value)| value)
    }
}

fn write_section(out: &mut Vec<u8>, section: &Section) {
    let mut members: Vec<&(&str, Plain)> = section.members.iter().collect();
    members.sort_unstable_by_key(|(name, _)| *name);
    let mut object = Object::new(out);
    for (name, value) in members {
        match value {
            Plain::Text(text) => object.text(name, text),
            Plain::Int(n) => object.int(name, *n),
            Plain::Bool(b) => object.boolean(name, *b),
            Plain::Texts(items) => object.array(name, items, |out, item| write_str(out, item)),
        }
    }
    object.end();
}

impl Members for PlainLead<'_> {
    fn text(&self, section: &str, member: &str) -> Option<&str> {
        match self.member(section, member)? {
            Plain::Text(text) => Some(text),
            _ => None,
        }
    }

    fn int(&self, section: &str, member: &str) -> Option<i64> {
        match self.member(section, member)? {
            Plain::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn flag(&self, section: &str, member: &str) -> Option<bool> {
        match self.member(section, member)? {
            Plain::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn texts(&self, section: &str, member: &str) -> Option<Vec<String>> {
        match self.member(section, member)? {
            Plain::Texts(items) => Some(items.iter().map(|s| s.to_string()).collect()),
            _ => None,
        }
    }
}

/// Stops the reading: the body is for the tree's reading.
fn not_plain<E: de::Error>() -> E {
    E::custom("not a plain lead")
}

struct LeadVisitor;

impl<'de> Visitor<'de> for LeadVisitor {
    type Value = PlainLead<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lead")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut lead = PlainLead {
            sections: Vec::with_capacity(4),
            ..PlainLead::default()
        };
        while let Some(key) = map.next_key_seed(Text)? {
            if let Some((name, members)) = lead::SECTIONS.iter().find(|(name, _)| *name == key) {
                if lead.sections.iter().any(|s| s.name == *name) {
                    return Err(not_plain());
                }
                let members = map.next_value_seed(SectionSeed(members))?;
                lead.sections.push(Section { name, members });
            } else if let Some(name) = lead::UUIDS.iter().find(|name| **name == key) {
                let text = map.next_value_seed(Text)?;
                let uuid = lead::parse_uuid_text(&text).ok_or_else(not_plain)?;
                let fresh = match *name {
                    "uuid" => lead.uuid.replace(uuid).is_none(),
                    "sessionUuid" => lead.session_uuid.replace(uuid).is_none(),
                    _ => !lead.kept.iter().any(|(kept, _)| kept == name),
                };
                if !fresh {
                    return Err(not_plain());
                }
                if *name != "uuid" {
                    lead.kept.push((name, text));
                }
            } else if key == "partnerUserId" {
                if lead.kept.iter().any(|(kept, _)| *kept == "partnerUserId") {
                    return Err(not_plain());
                }
                lead.kept.push(("partnerUserId", map.next_value_seed(Text)?));
            } else if key == "productTypes" {
                if lead.products.is_some() {
                    return Err(not_plain());
                }
                lead.products = Some(map.next_value_seed(TextList)?);
            } else if key == "clientTags" {
                if lead.tags.is_some() {
                    return Err(not_plain());
                }
                lead.tags = Some(map.next_value_seed(TagsSeed)?);
            } else if lead::OTHER_SECTIONS.contains(&key.as_ref()) || key == "refinanceLoans" {
                // Kept as sent: the tree's reading keeps their JSON.
                return Err(not_plain());
            } else {
                // Members the lead does not read, as the tree's reading ignores them.
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(lead)
    }
}

/// A string, borrowed from the body when it has no escapes.
#[derive(Clone, Copy)]
struct Text;

impl<'de> DeserializeSeed<'de> for Text {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Text {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

/// A list of strings.
struct TextList;

impl<'de> DeserializeSeed<'de> for TextList {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TextList {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Text)? {
            items.push(item);
        }
        Ok(items)
    }
}

/// An integer that fits an `i64` (a float or a larger number is not plain).
struct Int;

impl<'de> Visitor<'de> for Int {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<i64, E> {
        Ok(n)
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<i64, E> {
        i64::try_from(n).map_err(|_| not_plain())
    }
}

struct Bool;

impl<'de> Visitor<'de> for Bool {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<bool, E> {
        Ok(b)
    }
}

/// A checked section: every member known, valid for its kind, and once.
struct SectionSeed(&'static [(&'static str, Kind)]);

impl<'de> DeserializeSeed<'de> for SectionSeed {
    type Value = Vec<(&'static str, Plain<'de>)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SectionSeed {
    type Value = Vec<(&'static str, Plain<'de>)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a section")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(&'static str, Plain<'de>)> = Vec::with_capacity(self.0.len().min(8));
        while let Some(key) = map.next_key_seed(Text)? {
            let (name, kind) = self.0.iter().find(|(name, _)| *name == key).ok_or_else(not_plain)?;
            if members.iter().any(|(seen, _)| seen == name) {
                return Err(not_plain());
            }
            let value = match *kind {
                Kind::Int { min } => {
                    let n = map.next_value_seed(Typed(Int))?;
                    Plain::Int(n).fits(lead::int_fits(min, n))
                }
                Kind::Bool => Plain::Bool(map.next_value_seed(Typed(Bool))?).fits(true),
                Kind::ListOf(allowed) => {
                    let items = map.next_value_seed(TextList)?;
                    let fits = items.iter().all(|item| allowed.contains(&item.as_ref()));
                    Plain::Texts(items).fits(fits)
                }
                kind => {
                    let text = map.next_value_seed(Text)?;
                    let fits = !lead::over(lead::char_limit(name), &text) && lead::text_fits(kind, &text);
                    Plain::Text(text).fits(fits)
                }
            };
            members.push((name, value.ok_or_else(not_plain)?));
        }
        Ok(members)
    }
}

impl<'de> Plain<'de> {
    fn fits(self, fits: bool) -> Option<Self> {
        fits.then_some(self)
    }
}

/// A scalar read through its visitor.
struct Typed<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for Typed<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self.0)
    }
}

/// `clientTags`: lists of strings by key.
struct TagsSeed;

impl<'de> DeserializeSeed<'de> for TagsSeed {
    type Value = Tags<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TagsSeed {
    type Value = Tags<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("client tags")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tags: Self::Value = Vec::new();
        while let Some(key) = map.next_key_seed(Text)? {
            if tags.len() >= lead::MAX_TAG_KEYS || tags.iter().any(|(seen, _)| *seen == key) {
                return Err(not_plain());
            }
            let values = map.next_value_seed(TextList)?;
            tags.push((key, values));
        }
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::shared::request::parse_json_value;

    /// What the tree's reading makes of a body: `None` when it is not JSON.
    fn by_tree(body: &[u8], require_products: bool) -> Option<Result<CheckedLead, Vec<String>>> {
        let value = parse_json_value(body, None).ok()?;
        Some(lead::check(value, require_products).map_err(|errors| errors.into_iter().map(|e| e.message).collect()))
    }

    fn assert_same(plain: &CheckedLead, tree: &CheckedLead, body: &str) {
        assert_eq!(plain.uuid, tree.uuid, "{body}");
        assert_eq!(plain.session_uuid, tree.session_uuid, "{body}");
        assert_eq!(plain.sections, tree.sections, "{body}");
        assert_eq!(plain.client_tags, tree.client_tags, "{body}");
        assert_eq!(plain.input, tree.input, "{body}");
    }

    /// JSON texts a member of `kind` might be sent: valid ones, and
    /// invalid ones (other types, `null`, numbers of every form, text over
    /// the limit), mostly valid so that whole leads often are.
    fn value_for(member: &str, kind: Kind) -> BoxedStrategy<String> {
        let quoted = |s: &str| format!("\"{s}\"");
        let long = "é".repeat(lead::char_limit(member) + 1);
        let mut invalid: Vec<String> = vec!["null".into(), "{}".into(), "[\"a\"]".into(), "true".into(), quoted(&long)];
        let valid: Vec<String> = match kind {
            Kind::Text => {
                invalid.push("7".into());
                ["Bench", "a\\\"b", "\\u00e9t\\u00E9", "é", "", "tab\\tline\\n", "\\ud83d\\ude00"].map(quoted).into()
            }
            Kind::Email => {
                invalid.extend(["bad", "a@b", "a..b@example.com"].map(quoted));
                ["b@example.com", "a+decline@example.com", "a@fund.example.com", "b\\u0040example.com"].map(quoted).into()
            }
            Kind::Phone => {
                invalid.extend(["123", "22125556789"].map(quoted));
                ["2125556789", "12125556789"].map(quoted).into()
            }
            Kind::Zip => {
                invalid.extend(["7330", "73301-12"].map(quoted));
                ["73301", "73301-1234", "73301\\u00a01234"].map(quoted).into()
            }
            Kind::Date => {
                invalid.extend(["1990-02-30", "1990-1-2"].map(quoted));
                ["1990-01-02", "2020-02-29"].map(quoted).into()
            }
            Kind::Ssn => {
                invalid.extend(["123-45-6789", "1234"].map(quoted));
                ["123-45-6780", "111-22-3333"].map(quoted).into()
            }
            Kind::Int { min } => {
                invalid.extend(
                    ["-1", "299", "12000.0", "1e3", "-0", "2147483648", "99999999999999999999", "\"12\""].map(str::to_owned),
                );
                ["12000", "2147483647", &min.to_string(), "760"].map(str::to_owned).into()
            }
            Kind::Bool => {
                invalid.extend(["\"true\"", "0"].map(str::to_owned));
                ["false", "true"].map(str::to_owned).into()
            }
            Kind::OneOf(allowed) => {
                invalid.extend(["nope", "TX ", "7"].map(quoted));
                allowed.iter().take(3).map(|a| quoted(a)).collect()
            }
            Kind::ListOf(allowed) => {
                invalid.extend(["[\"nope\"]", "[1]", "[null]", "\"x\""].map(str::to_owned));
                let mut valid: Vec<String> = allowed.iter().take(2).map(|a| format!("[\"{a}\"]")).collect();
                valid.push(format!("[\"{}\",\"{}\",\"{}\"]", allowed[0], allowed[1], allowed[0]));
                valid.push("[]".into());
                valid
            }
        };
        prop_oneof![12 => proptest::sample::select(valid), 1 => proptest::sample::select(invalid)].boxed()
    }

    /// One top-level member of a body, as JSON text.
    fn member() -> BoxedStrategy<String> {
        let uuid = "0b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90";
        let section = proptest::sample::select(lead::SECTIONS.to_vec()).prop_flat_map(|(name, members)| {
            let one = proptest::sample::select(members.to_vec()).prop_flat_map(|(member, kind)| {
                (Just(member), value_for(member, kind))
            });
            let unknown = Just(("unknownMember", "1".to_owned()));
            let entry = prop_oneof![10 => one, 1 => unknown];
            proptest::collection::vec(entry, 0..6).prop_map(move |members| {
                let members: Vec<String> = members.iter().map(|(m, v)| format!("\"{m}\":{v}")).collect();
                format!("\"{name}\":{{{}}}", members.join(","))
            })
        });
        let uuids = (
            proptest::sample::select(lead::UUIDS.to_vec()),
            proptest::sample::select(vec![
                format!("\"{uuid}\""),
                format!("\"{}\"", uuid.to_uppercase()),
                format!("\"{{{uuid}}}\""),
                "\"nope\"".to_owned(),
                "null".to_owned(),
                "5".to_owned(),
            ]),
        )
            .prop_map(|(name, value)| format!("\"{name}\":{value}"));
        let products = proptest::sample::select(vec![
            "\"productTypes\":[\"loan\",\"savings\"]",
            "\"productTypes\":[\"credit_card\",\"loan\",\"credit_card\"]",
            "\"productTypes\":[\"unknown\"]",
            "\"clientTags\":{\"subid\":[\"s1\"]}",
            "\"clientTags\":{\"subid\":[\"b\",\"a\",\"a\"],\"aff\":[\"x\"]}",
        ])
        .prop_map(str::to_owned);
        let fixed = proptest::sample::select(vec![
            "\"productTypes\":[\"loan\",\"savings\"]",
            "\"productTypes\":[\"credit_card\",\"loan\",\"credit_card\"]",
            "\"productTypes\":[\"unknown\"]",
            "\"productTypes\":[]",
            "\"productTypes\":[\"boat\"]",
            "\"productTypes\":\"loan\"",
            "\"productTypes\":null",
            "\"clientTags\":{\"subid\":[\"s1\"]}",
            "\"clientTags\":{\"subid\":[\"b\",\"a\",\"a\"],\"aff\":[\"x\"]}",
            "\"clientTags\":{\"\":[\"x\"]}",
            "\"clientTags\":{\"k\":\"v\"}",
            "\"clientTags\":{\"k\":[1]}",
            "\"clientTags\":{\"k\":[]}",
            "\"clientTags\":[]",
            "\"clientTags\":null",
            "\"partnerUserId\":\"p-1\"",
            "\"partnerUserId\":\"\\u0000\\u001f\"",
            "\"partnerUserId\":3",
            "\"mortgageInformation\":{\"a\":1}",
            "\"refinanceLoans\":[{}]",
            "\"extra\":{\"a\":[1,2.5,null]}",
            "\"extra\":\"x\"",
            "\"personal\\u0049nformation\":{\"state\":\"TX\"}",
        ])
        .prop_map(str::to_owned);
        let many_tags = Just(format!(
            "\"clientTags\":{{{}}}",
            (0..=lead::MAX_TAG_KEYS).map(|i| format!("\"k{i}\":[\"v\"]")).collect::<Vec<_>>().join(",")
        ));
        prop_oneof![8 => section, 2 => uuids, 4 => products, 2 => fixed, 1 => many_tags].boxed()
    }

    #[test]
    fn a_plain_lead_reads_as_its_tree_does_and_anything_else_is_left_to_the_tree() {
        let body = proptest::collection::vec(member(), 0..8)
            .prop_map(|members| format!("{{{}}}", members.join(",")));
        let mut runner = TestRunner::deterministic();
        let (mut plain_reads, mut left_valid, mut left_invalid) = (0, 0, 0);
        for case in 0..20_000 {
            let Ok(tree) = body.new_tree(&mut runner) else { continue };
            let body = tree.current();
            let require_products = case % 3 != 0;
            let by_tree = by_tree(body.as_bytes(), require_products).expect("generated bodies are JSON");
            match (read(body.as_bytes(), require_products), by_tree) {
                (Some(plain), Ok(tree)) => {
                    assert_same(&plain, &tree, &body);
                    plain_reads += 1;
                }
                (Some(_), Err(errors)) => panic!("read plainly, but the tree's reading refuses it: {errors:?}\n{body}"),
                (None, Ok(_)) => left_valid += 1,
                (None, Err(_)) => left_invalid += 1,
            }
        }
        // Each way is taken often: the comparison is not vacuous.
        assert!(plain_reads > 2_000 && left_valid > 2_000 && left_invalid > 2_000, "{plain_reads} {left_valid} {left_invalid}");
    }

    #[test]
    fn a_plain_offer_search_reads_as_its_tree_does() {
        use super::super::offer_searches::{MAX_PRODUCT_TYPES, MAX_SLUG_CHARS, read_search_tree};
        let too_many = format!(
            "\"productTypes\":[{}]",
            (0..=MAX_PRODUCT_TYPES).map(|i| format!("\"P{i}\"")).collect::<Vec<_>>().join(",")
        );
        let slugs = proptest::sample::select(vec![
            "\"productTypes\":[\"UnsecuredPersonalLoan\",\"EarnedWageAccess\",\"UnsecuredPersonalLoan\"]".to_owned(),
            "\"productTypes\":[\"CashRewards\",\"NoSuchProduct\"]".to_owned(),
            "\"productTypes\":[\"\"]".to_owned(),
            "\"productTypes\":[1]".to_owned(),
            format!("\"productTypes\":[\"{}\"]", "s".repeat(MAX_SLUG_CHARS + 1)),
            too_many,
        ]);
        let member = prop_oneof![4 => member(), 1 => slugs];
        let body = proptest::collection::vec(member, 0..8).prop_map(|members| format!("{{{}}}", members.join(",")));
        let mut runner = TestRunner::deterministic();
        let (mut plain_reads, mut left) = (0, 0);
        for _ in 0..10_000 {
            let Ok(tree) = body.new_tree(&mut runner) else { continue };
            let body = tree.current();
            let by_tree = read_search_tree(body.as_bytes());
            match (read_search(body.as_bytes(), MAX_PRODUCT_TYPES, MAX_SLUG_CHARS), by_tree) {
                (Some((plain, plain_slugs)), Ok((tree, tree_slugs))) => {
                    assert_same(&plain, &tree, &body);
                    assert_eq!(plain_slugs, tree_slugs, "{body}");
                    plain_reads += 1;
                }
                (Some(_), Err(_)) => panic!("read plainly, but the tree's reading refuses it:\n{body}"),
                (None, _) => left += 1,
            }
        }
        assert!(plain_reads > 1_000 && left > 1_000, "{plain_reads} {left}");
    }

    #[test]
    fn what_lead_forms_send_is_read_plainly_and_odd_bodies_are_not() {
        let form = r#"{"productTypes":["loan","savings"],"personalInformation":{"firstName":"Bench","email":"b1@example.com","state":"TX","zipcode":"73301","dateOfBirth":"1990-01-02","ssn":"123-45-6780"},"loanInformation":{"purpose":"debt_consolidation","loanAmount":12000},"creditInformation":{"providedCreditRating":"good"},"financialInformation":{"annualIncome":60000},"clientTags":{"subid":["s1"]},"sessionUuid":"0b7e2d14-2f6c-4c3b-8a5e-1e4d6f7a8b90"}"#;
        let plain = read(form.as_bytes(), true).expect("read plainly");
        let Some(Ok(tree)) = by_tree(form.as_bytes(), true) else { panic!("valid") };
        assert_same(&plain, &tree, form);
        assert_eq!(plain.input.loan_amount, Some(12_000));
        // What Engine's offer carousel sends to create a search.
        let carousel = r#"{"deviceId":"77449c35-820c-4132-9615-5c67656ce754","sessionInformation":{"ipAddress":"","userAgent":"Mozilla/5.0"},"productTypes":["EarnedWageAccess","CashAdvance"],"clientTags":{"os":[""],"isMobile":["false"],"app":["apps/dynamic-offers"]},"personalInformation":{"state":"TX"}}"#;
        let (_, slugs) = read_search(carousel.as_bytes(), 64, 128).expect("read plainly");
        assert_eq!(slugs, ["EarnedWageAccess", "CashAdvance"]);
        // Invalid UTF-8 in a member the lead ignores, trailing text, other
        // roots, a repeated member: all left to the tree's reading.
        let odd: [&[u8]; 7] = [
            b"{\"extra\":\"\xff\"}",
            b"{\"productTypes\":[\"loan\"]} x",
            b"[]",
            b"null",
            b"",
            b"{\"productTypes\":[\"loan\"],\"productTypes\":[\"savings\"]}",
            b"{\"productTypes\":[\"loan\"],\"loanInformation\":{\"loanAmount\":1,\"loanAmount\":2}}",
        ];
        for body in odd {
            assert!(read(body, true).is_none(), "{}", String::from_utf8_lossy(body));
        }
    }
}
