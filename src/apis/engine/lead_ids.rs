//! Generated lead uuids carry a 4-byte tag of their company, so a pixel hit
//! that names only a lead can be credited to the right company without
//! remembering every lead ever generated. The tag is masked with a hash of
//! the uuid's other bytes, so the uuids still look entirely random.

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

/// A random (version 4) lead uuid that carries `tag`.
pub fn tagged_lead_uuid(tag: CompanyTag, rng: &mut ChaCha8Rng) -> Uuid {
    let mut bytes = *uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .as_bytes();
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
        let lead = tagged_lead_uuid(tag, &mut rng);
        assert_eq!(lead.get_version_num(), 4);
        assert_eq!(tag_of(lead), tag);
        let other = tagged_lead_uuid(tag, &mut rng);
        assert_ne!(
            lead.as_bytes()[..4],
            other.as_bytes()[..4],
            "the tag is not visible"
        );
        assert_ne!(company_tag(Seed::new(42), Uuid::from_u128(6)), tag);
    }
}
