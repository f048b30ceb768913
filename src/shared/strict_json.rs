//! A deserializer wrapper under which a struct can be read only from a JSON
//! object.
//!
//! serde's derived structs also accept a sequence of their fields in order,
//! so `["2020-01-01T00:00:00Z"]` reads as `{"now": "2020-01-01T00:00:00Z"}`
//! and `{"rateLimit": [5, 1]}` as `{"rateLimit": {"calls": 5, "seconds": 1}}`.
//! No vendor and no fixture format means that; wrapping the deserializer
//! asks for a map wherever a struct is wanted, at every depth, so every such
//! array is refused as "invalid type: sequence, expected a map/struct".

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// Deserializes `T` from `de`, refusing sequences where structs belong.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(de: D) -> Result<T, D::Error> {
    T::deserialize(Strict(de))
}

/// The wrapped deserializer.
pub(crate) struct Strict<D>(pub(crate) D);

struct Wrap<X>(X);

macro_rules! forward {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
                self.0.$method(Wrap(visitor))
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    /// The point of the wrapper: a struct is read as a map, never a sequence.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(Wrap(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! visit {
    ($($method:ident: $ty:ty)*) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
                self.0.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64
        visit_i128: i128 visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64
        visit_u128: u128 visit_f32: f32 visit_f64: f64 visit_char: char
        visit_str: &str visit_borrowed_str: &'de str visit_string: String
        visit_bytes: &[u8] visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        // Internally tagged enums read through `deserialize_any`, never
        // `deserialize_struct`; their visitors (and structs') say what they
        // expect, and that is how they are told from real sequences.
        let expecting = Expecting(&self.0).to_string();
        if expecting.starts_with("struct ") || expecting.starts_with("internally tagged enum") {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        self.0.visit_seq(Wrap(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Wrap(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Wrap(data))
    }
}

/// A visitor's `expecting`, as text.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Wrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Wrap(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Wrap(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<A> {
    type Error = A::Error;
    type Variant = Wrap<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        self.0
            .variant_seed(Wrap(seed))
            .map(|(value, variant)| (value, Wrap(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Wrap(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        // A struct variant's body is a struct: a map, as above.
        self.0.newtype_variant_seed(MapOf(visitor))
    }
}

/// Reads a struct variant's body with `deserialize_map`.
struct MapOf<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for MapOf<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(Wrap(self.0))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Limit {
        calls: u32,
        seconds: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Tenant {
        name: String,
        rate_limit: Option<Limit>,
        limits: Vec<Limit>,
    }

    fn read<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        super::deserialize(&mut de).map_err(|e| e.to_string())
    }

    #[test]
    fn structs_are_read_from_objects_at_any_depth() {
        let ok = read::<Tenant>(
            r#"{"name": "a", "rateLimit": {"calls": 5, "seconds": 1}, "limits": [{"calls": 1, "seconds": 2}]}"#,
        );
        assert_eq!(
            ok,
            Ok(Tenant {
                name: "a".into(),
                rate_limit: Some(Limit { calls: 5, seconds: 1 }),
                limits: vec![Limit { calls: 1, seconds: 2 }],
            })
        );
        for bad in [
            r#"["a", null, []]"#,
            r#"{"name": "a", "rateLimit": [5, 1], "limits": []}"#,
            r#"{"name": "a", "limits": [[1, 2]]}"#,
        ] {
            let err = read::<Tenant>(bad).err().unwrap_or_default();
            assert!(
                err.starts_with("invalid type: sequence, expected"),
                "{bad}: {err}"
            );
        }
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(tag = "type", rename_all = "lowercase")]
        enum Effect {
            Status { status: u16 },
        }
        assert_eq!(
            read::<Effect>(r#"{"type": "status", "status": 500}"#),
            Ok(Effect::Status { status: 500 })
        );
        let tagged = read::<Effect>(r#"["status", 500]"#).err().unwrap_or_default();
        assert!(
            tagged.starts_with("invalid type: sequence, expected internally tagged enum"),
            "{tagged}"
        );
        // Sequences still read where a sequence belongs.
        assert_eq!(read::<Vec<u32>>("[1, 2]"), Ok(vec![1, 2]));
        assert_eq!(read::<(u32, String)>(r#"[1, "x"]"#), Ok((1, "x".into())));
    }
}
