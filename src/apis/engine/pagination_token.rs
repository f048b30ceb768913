//! Supply Analytics v3's `paginationToken`: opaque to clients, and
//! self-contained for leadsim. It carries the position in the feed and the
//! call's filters (a `nextUrl` carries nothing else), sealed with a MAC
//! keyed by the seed, the company and what the token sees: the same seed
//! reads it after a restart, and a garbled token, or one issued to another
//! credential, is refused rather than misread.

use chrono::{DateTime, Utc};
use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::auth::Scope;
use super::windows::{Feed, Position};
use crate::shared::seed::Seed;

/// Bumped when the layout changes; older tokens are then refused by name.
const FORMAT: u8 = 1;
const MAC_BYTES: usize = 12;
/// format, feed, position (seconds, nanoseconds, skip), flags, until
/// (seconds, nanoseconds), types.
const PAYLOAD_BYTES: usize = 1 + 1 + 8 + 4 + 4 + 1 + 8 + 4 + 4;

/// What a token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) feed: Feed,
    pub(crate) position: Position,
    pub(crate) until: Option<DateTime<Utc>>,
    /// Event types asked for, as [`super::models::EventType::bit`]s.
    pub(crate) types: Option<u32>,
}

/// Who a token belongs to: it opens only for them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Holder {
    pub(crate) seed: Seed,
    pub(crate) company: Uuid,
    pub(crate) scope: Scope,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a token of this format, or altered, or issued to another credential.
    Unreadable,
    /// A sound token of another feed.
    OtherFeed(Feed),
}

impl Holder {
    pub(crate) fn seal(&self, cursor: &Cursor) -> String {
        let payload = encode(cursor);
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&self.mac(&payload));
        BASE64URL_NOPAD.encode(&bytes)
    }

    pub(crate) fn open(&self, token: &str, feed: Feed) -> Result<Cursor, TokenError> {
        let bytes = BASE64URL_NOPAD
            .decode(token.as_bytes())
            .map_err(|_| TokenError::Unreadable)?;
        if bytes.len() != PAYLOAD_BYTES + MAC_BYTES {
            return Err(TokenError::Unreadable);
        }
        let (payload, mac) = bytes.split_at(PAYLOAD_BYTES);
        let payload: [u8; PAYLOAD_BYTES] = payload.try_into().map_err(|_| TokenError::Unreadable)?;
        if payload[0] != FORMAT || self.mac(&payload) != mac {
            return Err(TokenError::Unreadable);
        }
        let cursor = decode(&payload).ok_or(TokenError::Unreadable)?;
        if cursor.feed != feed {
            return Err(TokenError::OtherFeed(cursor.feed));
        }
        Ok(cursor)
    }

    fn mac(&self, payload: &[u8]) -> [u8; MAC_BYTES] {
        let scope = match self.scope {
            Scope::Company => u32::MAX,
            Scope::SubAccount(i) => u32::from(i),
        };
        let digest = Sha256::new()
            .chain_update(b"leadsim/engine/paginationToken/")
            .chain_update(self.seed.value().to_le_bytes())
            .chain_update(self.company.as_bytes())
            .chain_update(scope.to_le_bytes())
            .chain_update(payload)
            .finalize();
        let mut mac = [0u8; MAC_BYTES];
        mac.copy_from_slice(&digest[..MAC_BYTES]);
        mac
    }
}

fn feed_byte(feed: Feed) -> u8 {
    match feed {
        Feed::Events => 1,
        Feed::Payouts => 2,
        Feed::ClientTags => 3,
    }
}

fn encode(cursor: &Cursor) -> [u8; PAYLOAD_BYTES] {
    let mut out = [0u8; PAYLOAD_BYTES];
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        out[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(&[FORMAT, feed_byte(cursor.feed)]);
    put(&cursor.position.at.timestamp().to_le_bytes());
    put(&cursor.position.at.timestamp_subsec_nanos().to_le_bytes());
    put(&cursor.position.skip.to_le_bytes());
    let flags = u8::from(cursor.until.is_some()) | u8::from(cursor.types.is_some()) << 1;
    put(&[flags]);
    let until = cursor.until.unwrap_or_default();
    put(&until.timestamp().to_le_bytes());
    put(&until.timestamp_subsec_nanos().to_le_bytes());
    put(&cursor.types.unwrap_or_default().to_le_bytes());
    out
}

fn decode(payload: &[u8; PAYLOAD_BYTES]) -> Option<Cursor> {
    let i64_at = |at: usize| Some(i64::from_le_bytes(payload.get(at..at + 8)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(payload.get(at..at + 4)?.try_into().ok()?));
    let feed = match payload[1] {
        1 => Feed::Events,
        2 => Feed::Payouts,
        3 => Feed::ClientTags,
        _ => return None,
    };
    let position = Position {
        at: DateTime::from_timestamp(i64_at(2)?, u32_at(10)?)?,
        skip: u32_at(14)?,
    };
    let flags = payload[18];
    let until = DateTime::from_timestamp(i64_at(19)?, u32_at(27)?)?;
    Some(Cursor {
        feed,
        position,
        until: (flags & 1 != 0).then_some(until),
        types: (flags & 2 != 0).then_some(u32_at(31)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::time::parse_rfc3339;

    fn holder(scope: Scope) -> Holder {
        Holder {
            seed: Seed::new(42),
            company: Uuid::from_u128(7),
            scope,
        }
    }

    fn cursor() -> Cursor {
        Cursor {
            feed: Feed::Events,
            position: Position {
                at: parse_rfc3339("2020-01-02T03:04:05.123456789Z").unwrap_or_default(),
                skip: 3,
            },
            until: parse_rfc3339("2020-02-01T00:00:00Z"),
            types: Some(0b101),
        }
    }

    #[test]
    fn tokens_round_trip_and_are_url_safe_and_deterministic() {
        let h = holder(Scope::Company);
        let token = h.seal(&cursor());
        assert_eq!(token, h.seal(&cursor()));
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        assert_eq!(h.open(&token, Feed::Events), Ok(cursor()));
        let plain = Cursor {
            until: None,
            types: None,
            ..cursor()
        };
        assert_eq!(h.open(&h.seal(&plain), Feed::Events), Ok(plain));
    }

    #[test]
    fn garbled_foreign_and_other_feed_tokens_are_refused() {
        let h = holder(Scope::Company);
        let token = h.seal(&cursor());
        assert_eq!(h.open(&token, Feed::Payouts), Err(TokenError::OtherFeed(Feed::Events)));
        for other in [
            holder(Scope::SubAccount(0)),
            Holder {
                company: Uuid::from_u128(8),
                ..h
            },
            Holder {
                seed: Seed::new(43),
                ..h
            },
        ] {
            assert_eq!(other.open(&token, Feed::Events), Err(TokenError::Unreadable));
        }
        let mut flipped = token.clone().into_bytes();
        flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        for garbled in ["", "abc", "!!!!", &token[1..], &flipped, &format!("{token}A")] {
            assert_eq!(h.open(garbled, Feed::Events), Err(TokenError::Unreadable), "{garbled}");
        }
    }
}
