//! Finicity Data Connect: Connect URLs (`/connect/v2/generate` and its
//! lite, fix and email variants), the Connect experience those links open
//! (served by leadsim on the link's own origin, so the vendor's Web SDK
//! accepts its messages), and the webhook events a session raises.
//!
//! A link names a session; the session is a state machine
//! ([`session::Session`]) driven by the page, by plain form posts, or by
//! the admin call `POST /__admin/finicity/connect/complete`, all through
//! the same steps. Linked accounts join the customer's accounts, so the
//! accounts, transactions and reports read them like any other.

pub(crate) mod experience;
pub(crate) mod generate;
pub(crate) mod logins;
pub(crate) mod page;
pub(crate) mod session;
pub(crate) mod webhooks;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};

use crate::shared::clock::Clock;
use crate::shared::outbound::Outbound;
use crate::shared::seed::{Seed, sha256_hex};
use session::Session;
use webhooks::{Event, Target, Webhooks};

/// Links kept at once; the oldest is forgotten first (its page then says
/// the link is unknown, as an expired one would).
pub(crate) const MAX_LINKS: usize = 10_000;
/// A link's lifetime: the vendor's example link has `ttl - timestamp` of
/// two hours.
pub(crate) const LINK_LIFETIME_MS: i64 = 7_200_000;

/// Linked accounts and institution logins get ids from these bases, clear
/// of fixture and testing-customer ids.
const ACCOUNT_BASE: u64 = 5_030_000_000;
const LOGIN_BASE: i64 = 1_008_000_000;

/// What kind of Connect a link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkKind {
    Full,
    /// Straight to one institution's sign-in.
    Lite { institution: u64 },
    /// Repairs an institution login's credentials.
    Fix { institution: u64, login: i64 },
    /// Sent by email (`origin=email`): a Full experience.
    Email,
}

#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) signature: String,
    pub(crate) customer_id: i64,
    pub(crate) kind: LinkKind,
    pub(crate) expires: DateTime<Utc>,
    pub(crate) single_use: bool,
    /// A single-use link that completed.
    pub(crate) used: bool,
    pub(crate) target: Option<Arc<Target>>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) session: Session,
    /// Events raised so far, for their ids.
    pub(crate) raised: u64,
}

#[derive(Debug, Default)]
struct Links {
    by_signature: HashMap<String, Link>,
    order: VecDeque<String>,
}

/// Data Connect's state: links and their sessions, id counters, webhooks.
#[derive(Debug)]
pub(crate) struct Connect {
    pub(crate) seed: Seed,
    links: Mutex<Links>,
    pub(crate) webhooks: Arc<Webhooks>,
    made: AtomicU64,
    accounts: AtomicU64,
    logins: AtomicU64,
}

impl Connect {
    pub(crate) fn new(seed: Seed, clock: Clock, outbound: Outbound) -> Self {
        Self {
            seed,
            links: Mutex::default(),
            webhooks: Arc::new(Webhooks::new(clock, outbound)),
            made: AtomicU64::new(0),
            accounts: AtomicU64::new(0),
            logins: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Links> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Links, ids and webhooks start over.
    pub(crate) fn reset(&self) {
        *self.lock() = Links::default();
        self.made.store(0, Ordering::SeqCst);
        self.accounts.store(0, Ordering::SeqCst);
        self.logins.store(0, Ordering::SeqCst);
        self.webhooks.reset();
    }

    /// A new link's signature: 64 hex digits, from the seed and the count
    /// of links made.
    pub(crate) fn next_signature(&self) -> String {
        let n = self.made.fetch_add(1, Ordering::SeqCst);
        sha256_hex(&["finicity.connect.link", &self.seed.value().to_string(), &n.to_string()])
    }

    pub(crate) fn next_account_id(&self) -> u64 {
        ACCOUNT_BASE + self.accounts.fetch_add(1, Ordering::SeqCst)
    }

    pub(crate) fn next_login_id(&self) -> i64 {
        LOGIN_BASE + self.logins.fetch_add(1, Ordering::SeqCst) as i64
    }

    pub(crate) fn insert(&self, link: Link) {
        let mut links = self.lock();
        while links.order.len() >= MAX_LINKS {
            if let Some(oldest) = links.order.pop_front() {
                links.by_signature.remove(&oldest);
            }
        }
        links.order.push_back(link.signature.clone());
        links.by_signature.insert(link.signature.clone(), link);
    }

    /// Runs `f` on the link, if it is known.
    pub(crate) fn with_link<T>(&self, signature: &str, f: impl FnOnce(&mut Link) -> T) -> Option<T> {
        self.lock().by_signature.get_mut(signature).map(f)
    }

    /// Queues `events` for the link's webhook, if it has one, with ids of
    /// the documented form `<epoch ms>-<24 hex>`.
    pub(crate) fn raise(&self, link: &mut Link, events: Vec<Event>) {
        let Some(target) = link.target.clone() else { return };
        let events: Vec<(Event, String)> = events
            .into_iter()
            .map(|event| {
                link.raised += 1;
                let hex = sha256_hex(&["finicity.connect.event", &link.signature, &link.raised.to_string()]);
                let id = format!("{}-{}", event.due.timestamp_millis(), &hex[..24]);
                (event, id)
            })
            .collect();
        self.webhooks.raise(&link.signature, &target, events);
    }
}
