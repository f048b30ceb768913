//! Generated lead uuids carry a 4-byte tag of their company and the hour
//! the lead was created in, so a pixel hit or a leadsInfo call that names
//! only a lead finds its company and its records without remembering every
//! lead ever generated or scanning history. Both are masked with hashes of
//! the uuid's other bytes, so the uuids still look entirely random.

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use crate::shared::seed::Seed;

pub type CompanyTag = [u8; 4];

/// The tag of a company's generated leads under `seed`.
pub fn company_tag(seed: Seed, company: Uuid) -> CompanyTag {
    let full = seed.uuid("engine.companyTag", company);
    let mut tag = [0u8; 4];
    tag.copy_from_slice(&full.as_bytes()[..4]);
    tag
}

/// Hours since 1970 fit 24 bits until the year 3883, past the clock's range.
const HOUR_BYTES: [usize; 3] = [4, 5, 7];

/// A random (version 4) lead uuid that carries `tag` and the creation `hour`
/// (bytes 4, 5 and 7: byte 6 holds the version).
pub fn tagged_lead_uuid(tag: CompanyTag, hour: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Uuid {
    let mut bytes = *uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .as_bytes();
    let hours = u32::try_from(hour.timestamp().div_euclid(3600)).unwrap_or(0).to_le_bytes();
    let hour_mask = mask(&low_bytes(&bytes));
    for (i, at) in HOUR_BYTES.into_iter().enumerate() {
        bytes[at] = hours[i] ^ hour_mask[i];
    }
    let mask = mask(&bytes);
    for i in 0..4 {
        bytes[i] = tag[i] ^ mask[i];
    }
    Uuid::from_bytes(bytes)
}

pub fn tag_of(lead: Uuid) -> CompanyTag {
    let bytes = lead.as_bytes();
    let mask = mask(bytes);
    [
        bytes[0] ^ mask[0],
        bytes[1] ^ mask[1],
        bytes[2] ^ mask[2],
        bytes[3] ^ mask[3],
    ]
}

/// The creation hour a generated lead's uuid carries (any uuid decodes to
/// some hour: check that the lead exists there).
pub fn hour_of(lead: Uuid) -> DateTime<Utc> {
    let bytes = lead.as_bytes();
    let hour_mask = mask(&low_bytes(bytes));
    let mut hours = [0u8; 4];
    for (i, at) in HOUR_BYTES.into_iter().enumerate() {
        hours[i] = bytes[at] ^ hour_mask[i];
    }
    DateTime::from_timestamp(i64::from(u32::from_le_bytes(hours)) * 3600, 0).unwrap_or_default()
}

/// Bytes 8..16 alone (what the hour's mask hashes), in place.
fn low_bytes(bytes: &[u8; 16]) -> [u8; 16] {
    let mut low = [0u8; 16];
    low[8..].copy_from_slice(&bytes[8..]);
    low
}

/// A keyless mix (splitmix64 finaliser) of bytes 4..16.
fn mask(bytes: &[u8; 16]) -> [u8; 4] {
    let mut high = [0u8; 8];
    high[..4].copy_from_slice(&bytes[4..8]);
    let mut low = [0u8; 8];
    low.copy_from_slice(&bytes[8..16]);
    let mut z = u64::from_le_bytes(high) ^ u64::from_le_bytes(low).rotate_left(29);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let [a, b, c, d, ..] = z.to_le_bytes();
    [a, b, c, d]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_uuids_are_valid_v4_and_keep_their_tag() {
        let tag = company_tag(Seed::new(42), Uuid::from_u128(5));
        let mut rng = Seed::new(42).rng("t", ());
        let hour = DateTime::from_timestamp(1_600_002_000, 0).unwrap_or_default();
        let lead = tagged_lead_uuid(tag, hour, &mut rng);
        assert_eq!(lead.get_version_num(), 4);
        assert_eq!(tag_of(lead), tag);
        assert_eq!(hour_of(lead), hour);
        let last = DateTime::from_timestamp(7_258_114_800, 0).unwrap_or_default(); // 2199-12-31T23:00Z
        assert_eq!(hour_of(tagged_lead_uuid(tag, last, &mut rng)), last);
        let other = tagged_lead_uuid(tag, hour, &mut rng);
        assert_ne!(
            lead.as_bytes()[..4],
            other.as_bytes()[..4],
            "the tag is not visible"
        );
        assert_ne!(lead.as_bytes()[4..8], other.as_bytes()[4..8], "nor is the hour");
        assert_ne!(company_tag(Seed::new(42), Uuid::from_u128(6)), tag);
    }
}
