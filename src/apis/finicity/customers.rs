//! Customers and their accounts: the fixture ones, plus testing customers
//! enrolled through `POST /aggregation/v2/customers/testing`, each given
//! three FinBank accounts with balance histories (see `enroll_testing`).

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use arc_swap::ArcSwap;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fake::Fake;
use fake::faker::address::en::{CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use rand::RngExt;

use super::balances::{BalanceModel, Profile};
use super::fixtures::{AccountFixture, Address, CustomerFixture, CustomerKind, FinicityFixtures, ReportOutcome};
use super::institutions::{self, Institution};
use crate::shared::persistent;
use crate::shared::seed::Seed;

/// Most testing customers enrolled between resets (each is a few hundred
/// bytes: names are at most 255 characters).
pub(crate) const MAX_TESTING_CUSTOMERS: usize = 10_000;

/// Why a testing customer was not enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    UsernameTaken,
    Full,
}

#[derive(Debug, Clone)]
pub(crate) struct Business {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// A customer's phone, email and application id, when it was given them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDetails {
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) application_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) partner: usize,
    pub(crate) kind: CustomerKind,
    pub(crate) testing: bool,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    /// What a testing customer was enrolled with (spec 1.42.0 shows them).
    pub(crate) contact: ContactDetails,
    pub(crate) created: DateTime<Utc>,
    pub(crate) business: Option<Business>,
    pub(crate) address: Address,
    pub accounts: Vec<Account>,
    /// What fixtures script for `/decisioning` reports.
    pub(crate) security_freeze: bool,
    pub(crate) report_outcome: Option<ReportOutcome>,
    pub(crate) report_generation_seconds: Option<u32>,
}

impl Customer {
    /// Who `accountOwner.name` names: the business, else the person.
    pub(crate) fn owner_name(&self) -> String {
        if let Some(business) = &self.business {
            return business.name.clone();
        }
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => self.username.clone(),
        }
    }

    pub(crate) fn account(&self, id: u64) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: u64,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) institution: &'static Institution,
    pub(crate) institution_login_id: i64,
    pub(crate) status: String,
    pub(crate) currency: String,
    pub(crate) created: DateTime<Utc>,
    /// The first day with data, if the account is younger than its reports.
    pub(crate) opened: Option<NaiveDate>,
    pub(crate) balances: BalanceModel,
    /// Days of transactions before `created` the aggregation holds: 180,
    /// or 730 once historic transactions were loaded.
    pub(crate) history_days: u16,
    /// `aggregationStatusCode`: 0, or the error the last aggregation met
    /// (set by the admin API to rehearse a stale login; a Fix link clears it).
    pub(crate) aggregation_status: i32,
}

impl Account {
    /// The last four digits, as `accountNumberDisplay` shows them.
    pub(crate) fn last4(&self) -> &str {
        let n = self.number.len();
        &self.number[n.saturating_sub(4)..]
    }

    /// Deposit accounts: what `?account_type=ava` (asset verification) lists.
    pub(crate) fn is_deposit(&self) -> bool {
        matches!(self.kind.as_str(), "checking" | "savings" | "moneyMarket" | "cd")
    }
}

/// "Standard consumer aggregation provides up to 180 days of transactions
/// prior to the date each account was added"; a historic load makes it 24 months.
pub(crate) const STANDARD_HISTORY_DAYS: u16 = 180;
pub(crate) const HISTORIC_DAYS: u16 = 730;

/// Fixture customers are on record from this instant unless they say.
fn default_created() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 1, 4, 16, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Testing customer ids start here (plus a seed-chosen offset).
const TESTING_CUSTOMER_BASE: i64 = 1_006_000_000;
const TESTING_ACCOUNT_BASE: u64 = 5_020_000_000;

/// Every customer, by id; rebuilt from the fixtures on reset.
#[derive(Debug, Clone)]
pub struct Directory {
    fixtures: Arc<ArcSwap<FixtureCustomers>>,
    customers: Arc<RwLock<BTreeMap<i64, Arc<Customer>>>>,
    seed: Seed,
    /// [`MAX_TESTING_CUSTOMERS`], but for tests of the cap itself.
    max_testing: usize,
}

/// The fixtures in force and what merges look up in them. Persistent
/// collections: a merge copies them in constant time and updates the
/// entries it changed, so adding a tenant costs the same however many exist.
#[derive(Debug, Default, Clone)]
struct FixtureCustomers {
    fixtures: FinicityFixtures,
    /// Partner position by partner id.
    partners: persistent::Map<String, usize>,
    /// Fixture customer position by customer id, username and account id.
    by_id: persistent::Map<String, usize>,
    usernames: persistent::Map<String, usize>,
    accounts: persistent::Map<u64, usize>,
    /// Each partner's fixture customers as (position, id), in fixture order.
    owned: persistent::Map<usize, persistent::Vector<(usize, String)>>,
}

impl FixtureCustomers {
    fn of(fixtures: &FinicityFixtures) -> Self {
        let partners: Vec<usize> = (0..fixtures.partners.len()).collect();
        let customers: Vec<usize> = (0..fixtures.customers.len()).collect();
        Self::default().with_changes(fixtures, &partners, &customers)
    }

    /// These indices for `fixtures`, in which the partners and customers at
    /// the given positions were replaced in place or appended.
    fn with_changes(mut self, fixtures: &FinicityFixtures, partners: &[usize], customers: &[usize]) -> Self {
        for &i in partners {
            if let Some(partner) = fixtures.partners.get(i) {
                self.partners.insert(partner.partner_id.clone(), i);
            }
        }
        for &position in customers {
            if let Some(old) = self.fixtures.customers.get(position).cloned() {
                self.forget(position, &old);
            }
            let Some(customer) = fixtures.customers.get(position) else {
                continue;
            };
            self.by_id.insert(customer.id.clone(), position);
            self.usernames.insert(customer.username.clone(), position);
            for account in &customer.accounts {
                self.accounts.insert(account.id, position);
            }
            let owner = self.owner(customer);
            let mut owned = self.owned.get(&owner).cloned().unwrap_or_default();
            let at = owned
                .iter()
                .position(|(p, _)| *p > position)
                .unwrap_or(owned.len());
            owned.insert(at, (position, customer.id.clone()));
            self.owned.insert(owner, owned);
        }
        self.fixtures = fixtures.clone();
        self
    }

    fn forget(&mut self, position: usize, old: &CustomerFixture) {
        if self.usernames.get(old.username.as_str()) == Some(&position) {
            self.usernames.remove(old.username.as_str());
        }
        for account in &old.accounts {
            if self.accounts.get(&account.id) == Some(&position) {
                self.accounts.remove(&account.id);
            }
        }
        let owner = self.owner(old);
        if let Some(mut owned) = self.owned.get(&owner).cloned() {
            owned.retain(|(p, _)| *p != position);
            self.owned.insert(owner, owned);
        }
    }

    /// The partner a customer belongs to: its own, or the first one.
    fn owner(&self, customer: &CustomerFixture) -> usize {
        customer
            .partner_id
            .as_ref()
            .and_then(|p| self.partners.get(p.as_str()).copied())
            .unwrap_or(0)
    }
}

impl Directory {
    pub(crate) fn new(fixtures: FinicityFixtures, seed: Seed) -> Self {
        let directory = Self {
            fixtures: Arc::new(ArcSwap::from_pointee(FixtureCustomers::of(&fixtures))),
            customers: Arc::default(),
            seed,
            max_testing: MAX_TESTING_CUSTOMERS,
        };
        directory.reset();
        directory
    }

    /// Back to the fixture customers only.
    pub(crate) fn reset(&self) {
        let customers = self.fixture_customers().collect();
        *self.customers.write().unwrap_or_else(PoisonError::into_inner) = customers;
    }

    /// Takes other fixtures whole (a reset goes back to the loaded ones);
    /// testing customers enrolled meanwhile stay until the reset.
    pub(crate) fn install(&self, fixtures: &FinicityFixtures) {
        self.fixtures.store(Arc::new(FixtureCustomers::of(fixtures)));
        let customers: Vec<_> = self.fixture_customers().collect();
        self.customers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(customers);
    }

    /// Takes merged fixtures whose partners and customers at the given
    /// positions are new or replaced: only those customers are built, and
    /// testing customers enrolled meanwhile stay.
    pub(crate) fn install_changes(
        &self,
        fixtures: &FinicityFixtures,
        partners: &[usize],
        customers: &[usize],
    ) {
        let next = (**self.fixtures.load())
            .clone()
            .with_changes(fixtures, partners, customers);
        let updated: Vec<_> = customers
            .iter()
            .filter_map(|&position| next.fixtures.customers.get(position))
            .map(|c| {
                let customer = self.customer_from_fixture(&next.partners, c);
                (customer.id, Arc::new(customer))
            })
            .collect();
        self.fixtures.store(Arc::new(next));
        self.customers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(updated);
    }

    fn fixture_customers(&self) -> impl Iterator<Item = (i64, Arc<Customer>)> + use<'_> {
        let index = self.fixtures.load_full();
        (0..index.fixtures.customers.len()).filter_map(move |i| {
            let customer = self.customer_from_fixture(&index.partners, index.fixtures.customers.get(i)?);
            Some((customer.id, Arc::new(customer)))
        })
    }

    /// The ids of the fixture customers `partner` owns (a customer without
    /// a partner belongs to the first one), in fixture order.
    pub(crate) fn fixture_ids_of(&self, partner: usize) -> Vec<String> {
        self.fixtures
            .load()
            .owned
            .get(&partner)
            .map(|owned| owned.iter().map(|(_, id)| id.clone()).collect())
            .unwrap_or_default()
    }

    /// The position of the fixture customer with `id`.
    pub(crate) fn position_of(&self, id: &str) -> Option<usize> {
        self.fixtures.load().by_id.get(id).copied()
    }

    /// Whether a fixture customer at `position` would share a username or
    /// an account id with another fixture customer.
    pub(crate) fn conflicts(&self, position: usize, customer: &CustomerFixture) -> bool {
        let index = self.fixtures.load();
        let elsewhere = |at: Option<&usize>| at.is_some_and(|p| *p != position);
        elsewhere(index.usernames.get(customer.username.as_str()))
            || customer
                .accounts
                .iter()
                .any(|a| elsewhere(index.accounts.get(&a.id)))
    }

    /// Changes a customer (linked or deleted accounts): readers holding the
    /// old one keep a consistent copy.
    pub(crate) fn update<T>(&self, id: i64, change: impl FnOnce(&mut Customer) -> T) -> Option<T> {
        let mut customers = self.customers.write().unwrap_or_else(PoisonError::into_inner);
        let slot = customers.get_mut(&id)?;
        let mut customer = (**slot).clone();
        let result = change(&mut customer);
        *slot = Arc::new(customer);
        Some(result)
    }

    /// Deletes a customer until the next reset.
    pub(crate) fn remove(&self, id: i64) -> Option<Arc<Customer>> {
        self.customers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id)
    }

    pub(crate) fn get(&self, id: i64) -> Option<Arc<Customer>> {
        self.customers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Enrolls a testing customer for `partner`, unless the username is
    /// taken or [`MAX_TESTING_CUSTOMERS`] are enrolled already. Testing customers are registered as businesses (Balance
    /// Analytics is a business product, and the excerpt has no call to
    /// register one) with three accounts at FinBank Profiles - A:
    /// an operating checking account (steady or seasonal), a payroll
    /// checking account (declining or overdraft-prone) and a savings
    /// account (growing). Ids and names follow from the seed and the
    /// order of enrolment.
    pub fn enroll_testing(
        &self,
        partner: usize,
        username: &str,
        first_name: Option<String>,
        last_name: Option<String>,
        contact: ContactDetails,
        now: DateTime<Utc>,
    ) -> Result<Arc<Customer>, Enrolment> {
        let mut customers = self.customers.write().unwrap_or_else(PoisonError::into_inner);
        // Per partner, so isolated tenants can use the same usernames.
        if customers
            .values()
            .any(|c| c.partner == partner && c.username == username)
        {
            return Err(Enrolment::UsernameTaken);
        }
        let testing_count = customers.range(TESTING_CUSTOMER_BASE..).count() as i64;
        if testing_count >= self.max_testing as i64 {
            return Err(Enrolment::Full);
        }
        let offset = (self.seed.value() % 900) as i64 * 1_000;
        let mut id = TESTING_CUSTOMER_BASE + offset + testing_count;
        while customers.contains_key(&id) {
            id += 1;
        }

        let mut rng = self.seed.rng("finicity.testing-customer", id as u64);
        let company: String = CompanyName().fake_with_rng(&mut rng);
        let address = Address {
            street: format!(
                "{} {}",
                rng.random_range(100..9999),
                StreetName().fake_with_rng::<String, _>(&mut rng)
            ),
            city: CityName().fake_with_rng(&mut rng),
            state: StateAbbr().fake_with_rng(&mut rng),
            zip: ZipCode().fake_with_rng(&mut rng),
        };
        let operating = if rng.random_bool(0.5) {
            Profile::Steady
        } else {
            Profile::Seasonal
        };
        let payroll = if rng.random_bool(0.5) {
            Profile::Declining
        } else {
            Profile::OverdraftProne
        };
        let institution = institutions::find(institutions::FINBANK_PROFILES_A);
        let login_id = 1_007_000_000 + id % 1_000_000;
        let accounts = [
            ("checking", "Operating Checking", operating),
            ("checking", "Payroll Checking", payroll),
            ("savings", "Business Savings", Profile::Growing),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(k, (kind, name, profile))| {
            let account_id = TESTING_ACCOUNT_BASE + (id as u64 % 10_000_000) * 10 + k as u64;
            Some(Account {
                id: account_id,
                kind: kind.to_owned(),
                name: name.to_owned(),
                number: account_number(account_id),
                institution: institution?,
                institution_login_id: login_id,
                status: "active".to_owned(),
                currency: "USD".to_owned(),
                created: now,
                opened: None,
                balances: BalanceModel::new(self.seed, account_id, profile, None),
                history_days: STANDARD_HISTORY_DAYS,
                aggregation_status: 0,
            })
        })
        .collect();

        let customer = Arc::new(Customer {
            id,
            username: username.to_owned(),
            partner,
            kind: CustomerKind::Business,
            testing: true,
            first_name,
            last_name,
            contact,
            created: now,
            business: Some(Business {
                id: id % 100_000_000,
                name: company,
            }),
            address,
            accounts,
            security_freeze: false,
            report_outcome: None,
            report_generation_seconds: None,
        });
        customers.insert(id, customer.clone());
        Ok(customer)
    }

    fn customer_from_fixture(
        &self,
        partners: &persistent::Map<String, usize>,
        c: &CustomerFixture,
    ) -> Customer {
        // Validated at load: digits, known partner and institutions.
        let id = c.id.parse().unwrap_or_default();
        let partner = c
            .partner_id
            .as_ref()
            .and_then(|p| partners.get(p.as_str()).copied())
            .unwrap_or(0);
        let created = c.created_date.map_or_else(default_created, |t| t.0);
        let address = c.address.clone().unwrap_or_default();
        Customer {
            id,
            username: c.username.clone(),
            partner,
            kind: c.kind,
            testing: c.testing,
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            contact: ContactDetails::default(),
            created,
            business: c.business.as_ref().map(|b| Business {
                id: b.id,
                name: b.name.clone(),
            }),
            address,
            accounts: c
                .accounts
                .iter()
                .filter_map(|a| self.account_from_fixture(id, a, created))
                .collect(),
            security_freeze: c.security_freeze,
            report_outcome: c.report_outcome,
            report_generation_seconds: c.report_generation_seconds,
        }
    }

    fn account_from_fixture(
        &self,
        customer: i64,
        a: &AccountFixture,
        created: DateTime<Utc>,
    ) -> Option<Account> {
        Some(Account {
            id: a.id,
            kind: a.kind.clone(),
            name: a.name.clone(),
            number: a.number.clone().unwrap_or_else(|| account_number(a.id)),
            institution: institutions::find(a.institution_id)?,
            institution_login_id: 1_007_000_000 + customer % 1_000_000,
            status: a.status.clone(),
            currency: a.currency.clone(),
            created,
            opened: a.opened_date,
            balances: BalanceModel::new(self.seed, a.id, a.profile, a.average_balance),
            history_days: STANDARD_HISTORY_DAYS,
            aggregation_status: 0,
        })
    }
}

/// A ten-digit account number ending in the account id's last four digits,
/// moved up by 1000 when they start with 0 (`realAccountNumberLast4` is an
/// integer, so a leading zero would not survive).
pub(crate) fn account_number(id: u64) -> String {
    let last4 = match id % 10_000 {
        n if n < 1_000 => n + 1_000,
        n => n,
    };
    format!("{:06}{last4}", (id / 10_000) % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testing_customers_stop_at_their_cap_and_usernames_stay_unique() {
        let directory = Directory {
            max_testing: 50,
            ..Directory::new(FinicityFixtures::default(), Seed::new(42))
        };
        let now = DateTime::UNIX_EPOCH;
        assert!(directory.enroll_testing(0, "first-user", None, None, ContactDetails::default(), now).is_ok());
        assert_eq!(
            directory.enroll_testing(0, "first-user", None, None, ContactDetails::default(), now).err(),
            Some(Enrolment::UsernameTaken)
        );
        for n in 1..50 {
            assert!(
                directory
                    .enroll_testing(0, &format!("user-{n}"), None, None, ContactDetails::default(), now)
                    .is_ok()
            );
        }
        assert_eq!(
            directory.enroll_testing(0, "one-too-many", None, None, ContactDetails::default(), now).err(),
            Some(Enrolment::Full)
        );
        directory.reset();
        assert!(
            directory
                .enroll_testing(0, "one-too-many", None, None, ContactDetails::default(), now)
                .is_ok()
        );
    }

    fn partner(id: &str) -> Arc<super::super::fixtures::PartnerFixture> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "partnerId": id, "partnerSecret": "s", "appKey": format!("key-{id}"), "name": id
            }))
            .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    fn customer(id: u32, username: &str, partner: Option<&str>, accounts: &[u64]) -> Arc<CustomerFixture> {
        let accounts: Vec<_> = accounts
            .iter()
            .map(|a| serde_json::json!({"id": a, "type": "checking", "name": "C"}))
            .collect();
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "id": id.to_string(), "username": username, "partnerId": partner,
                "type": "business", "accounts": accounts
            }))
            .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    /// What the indices answer, for comparing two of them.
    fn answers(index: &FixtureCustomers) -> Vec<String> {
        let mut seen = Vec::new();
        for p in 0..4 {
            let owned: Vec<_> = index
                .owned
                .get(&p)
                .map(|o| o.iter().cloned().collect())
                .unwrap_or_default();
            seen.push(format!("partner {p}: {owned:?}"));
        }
        for key in ["1", "2", "3", "4"] {
            seen.push(format!("id {key}: {:?}", index.by_id.get(key)));
        }
        for name in ["first-user", "second-user", "third-user", "renamed-user"] {
            seen.push(format!("username {name}: {:?}", index.usernames.get(name)));
        }
        for account in 10..16 {
            seen.push(format!("account {account}: {:?}", index.accounts.get(&account)));
        }
        seen
    }

    #[test]
    fn indices_updated_in_place_answer_as_ones_built_whole() {
        let mut fixtures = FinicityFixtures {
            partners: imbl::vector![partner("p0"), partner("p1")],
            customers: imbl::vector![
                customer(1, "first-user", None, &[10]),
                customer(2, "second-user", Some("p1"), &[11, 12]),
            ],
        };
        let mut index = FixtureCustomers::of(&fixtures);
        // (new partners, customer replacements or additions by position)
        let steps = [
            (
                vec![partner("p2")],
                vec![(2, customer(3, "third-user", Some("p2"), &[13]))],
            ),
            (vec![], vec![(0, customer(1, "renamed-user", Some("p2"), &[14]))]),
            (
                vec![],
                vec![
                    (1, customer(2, "second-user", None, &[12, 15])),
                    (3, customer(4, "first-user", Some("p1"), &[10, 11])),
                ],
            ),
        ];
        for (partners, customers) in steps {
            let first_new_partner = fixtures.partners.len();
            for p in partners {
                fixtures.partners.push_back(p);
            }
            let changed_partners: Vec<usize> = (first_new_partner..fixtures.partners.len()).collect();
            let changed: Vec<usize> = customers.iter().map(|(i, _)| *i).collect();
            for (i, c) in customers {
                if i < fixtures.customers.len() {
                    fixtures.customers.set(i, c);
                } else {
                    fixtures.customers.push_back(c);
                }
            }
            index = index.with_changes(&fixtures, &changed_partners, &changed);
            assert_eq!(answers(&index), answers(&FixtureCustomers::of(&fixtures)));
        }
        // A replaced customer's old username and accounts are free again.
        assert_eq!(index.usernames.get("first-user"), Some(&3));
        assert_eq!(index.accounts.get(&14), Some(&0));
    }
}
