//! Struct readers that take only a JSON object.
//!
//! serde's derived struct readers also accept a sequence of the fields in declaration order, so
//! `"retryPolicy": [3, 5, 2]` would read as a retry policy. The payload's schema has objects
//! there, and the document reader ([`crate::document`]) refuses the array; these helpers make the derive's
//! fast path agree with it.

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};

/// A deserializer that reads structs only from maps and forwards everything else.
pub(crate) struct MapOnly<D>(pub(crate) D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// Reads one struct field that must be given as an object.
pub(super) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(MapOnly(d))
}

/// Reads a list whose items must each be given as an object.
pub(super) fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    struct Item<T>(T);
    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            object(d).map(Item)
        }
    }
    Ok(Vec::<Item<T>>::deserialize(d)?
        .into_iter()
        .map(|item| item.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::{DeliveryRetry, ResolvePayload};

    #[test]
    fn a_sequence_is_not_a_struct() {
        assert!(serde_json::from_str::<DeliveryRetry>("[3, 5, 2]").is_ok());
        let array = r#"{"name":"n","type":"webhook","uri":"https://a.example","retryPolicy":[3,5,2],"eventFilters":[]}"#;
        assert!(serde_json::from_str::<ResolvePayload>(array).is_err());
        let filters = r#"{"name":"n","type":"webhook","uri":"https://a.example","retryPolicy":{"maxRetries":3,"retryInterval":5,"backoffFactor":2},"eventFilters":[["v2.a"]]}"#;
        assert!(serde_json::from_str::<ResolvePayload>(filters).is_err());
        let ok = r#"{"name":"n","type":"webhook","uri":"https://a.example","retryPolicy":{"maxRetries":3,"retryInterval":5,"backoffFactor":2},"eventFilters":[{"eventType":"v2.a"}]}"#;
        assert!(serde_json::from_str::<ResolvePayload>(ok).is_ok());
    }

    #[test]
    fn the_text_reader_names_the_array() {
        let array = br#"{"name":"n","type":"webhook","uri":"https://a.example","retryPolicy":[3,5,2],"eventFilters":[]}"#;
        let err = ResolvePayload::from_json(array).expect_err("an array is not a retry policy");
        assert!(err.to_string().contains("retryPolicy"), "{err}");
        assert!(ResolvePayload::from_json(b"[\"n\"]").is_err());
    }
}
