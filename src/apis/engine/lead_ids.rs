//! Generated lead uuids carry a 4-byte tag of their company, so a pixel hit
//! that names only a lead can be credited to the right company without
//! remembering every lead ever generated.

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

/// A random (version 4) lead uuid whose first four bytes are `tag`.
pub fn tagged_lead_uuid(tag: CompanyTag, rng: &mut ChaCha8Rng) -> Uuid {
    let mut bytes: [u8; 16] = rng.random();
    bytes[..4].copy_from_slice(&tag);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn tag_of(lead: Uuid) -> CompanyTag {
    let mut tag = [0u8; 4];
    tag.copy_from_slice(&lead.as_bytes()[..4]);
    tag
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
        assert_ne!(company_tag(Seed::new(42), Uuid::from_u128(6)), tag);
    }
}
