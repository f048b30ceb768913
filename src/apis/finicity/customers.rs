//! Customers and their accounts: the fixture ones, plus testing customers
//! enrolled through `POST /aggregation/v2/customers/testing`, each given
//! three FinBank accounts with balance histories (see `enroll_testing`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use arc_swap::ArcSwap;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fake::Fake;
use fake::faker::address::en::{CityName, StateAbbr, StreetName, ZipCode};
use fake::faker::company::en::CompanyName;
use rand::RngExt;

use super::balances::{BalanceModel, Profile};
use super::fixtures::{AccountFixture, Address, CustomerFixture, CustomerKind, FinicityFixtures};
use super::institutions::{self, Institution};
use crate::shared::seed::Seed;

/// Most testing customers enrolled between resets (each is a few hundred
/// bytes: names are at most 255 characters).
pub const MAX_TESTING_CUSTOMERS: usize = 10_000;

/// Why a testing customer was not enrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolment {
    UsernameTaken,
    Full,
}

#[derive(Debug, Clone)]
pub struct Business {
    pub id: i64,
    pub name: String,
}

#[derive(Debug)]
pub struct Customer {
    pub id: i64,
    pub username: String,
    pub partner: usize,
    pub kind: CustomerKind,
    pub testing: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub created: DateTime<Utc>,
    pub business: Option<Business>,
    pub address: Address,
    pub accounts: Vec<Account>,
}

impl Customer {
    /// Who `accountOwner.name` names: the business, else the person.
    pub fn owner_name(&self) -> String {
        if let Some(business) = &self.business {
            return business.name.clone();
        }
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => self.username.clone(),
        }
    }

    pub fn account(&self, id: u64) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

#[derive(Debug)]
pub struct Account {
    pub id: u64,
    pub kind: String,
    pub name: String,
    pub number: String,
    pub institution: &'static Institution,
    pub institution_login_id: i64,
    pub status: String,
    pub currency: String,
    pub created: DateTime<Utc>,
    /// The first day with data, if the account is younger than its reports.
    pub opened: Option<NaiveDate>,
    pub profile: Profile,
    pub balances: BalanceModel,
}

impl Account {
    /// The last four digits, as `accountNumberDisplay` shows them.
    pub fn last4(&self) -> &str {
        let n = self.number.len();
        &self.number[n.saturating_sub(4)..]
    }

    /// Deposit accounts: what `?account_type=ava` (asset verification) lists.
    pub fn is_deposit(&self) -> bool {
        matches!(self.kind.as_str(), "checking" | "savings" | "moneyMarket" | "cd")
    }
}

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
    fixtures: Arc<ArcSwap<FinicityFixtures>>,
    customers: Arc<RwLock<BTreeMap<i64, Arc<Customer>>>>,
    seed: Seed,
    /// [`MAX_TESTING_CUSTOMERS`], but for tests of the cap itself.
    max_testing: usize,
}

impl Directory {
    pub fn new(fixtures: FinicityFixtures, seed: Seed) -> Self {
        let directory = Self {
            fixtures: Arc::new(ArcSwap::from_pointee(fixtures)),
            customers: Arc::default(),
            seed,
            max_testing: MAX_TESTING_CUSTOMERS,
        };
        directory.reset();
        directory
    }

    /// Back to the fixture customers only.
    pub fn reset(&self) {
        let customers = self.fixture_customers().collect();
        *self.customers.write().unwrap_or_else(PoisonError::into_inner) = customers;
    }

    /// Takes merged fixtures: their customers are added or replaced, and
    /// testing customers enrolled meanwhile stay.
    /// Only customers whose fixture (or owner) changed are built again: a
    /// merge adding one tenant costs one customer, not all of them.
    pub fn install(&self, fixtures: FinicityFixtures) {
        let previous = self.fixtures.load_full();
        let before: HashMap<&str, &CustomerFixture> =
            previous.customers.iter().map(|c| (c.id.as_str(), c)).collect();
        let partners_before = partner_indices(&previous);
        let partners = partner_indices(&fixtures);
        let owner = |index: &HashMap<String, usize>, c: &CustomerFixture| {
            c.partner_id.as_ref().and_then(|p| index.get(p).copied())
        };
        let updated: Vec<_> = fixtures
            .customers
            .iter()
            .filter(|c| {
                before
                    .get(c.id.as_str())
                    .is_none_or(|old| old != c || owner(&partners_before, old) != owner(&partners, c))
            })
            .map(|c| {
                let customer = self.customer_from_fixture(&partners, c);
                (customer.id, Arc::new(customer))
            })
            .collect();
        drop(before);
        self.fixtures.store(Arc::new(fixtures));
        self.customers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(updated);
    }

    fn fixture_customers(&self) -> impl Iterator<Item = (i64, Arc<Customer>)> + use<'_> {
        let fixtures = self.fixtures.load_full();
        let partners = partner_indices(&fixtures);
        (0..fixtures.customers.len()).map(move |i| {
            let customer = self.customer_from_fixture(&partners, &fixtures.customers[i]);
            (customer.id, Arc::new(customer))
        })
    }

    /// The ids of the fixture customers `partner` owns (a customer without
    /// a partner belongs to the first one), in fixture order.
    pub fn fixture_ids_of(&self, partner: usize) -> Vec<String> {
        let fixtures = self.fixtures.load();
        let owner = fixtures.partners.get(partner).map(|p| p.partner_id.as_str());
        let first = fixtures.partners.first().map(|p| p.partner_id.as_str());
        fixtures
            .customers
            .iter()
            .filter(|c| owner.is_some() && c.partner_id.as_deref().or(first) == owner)
            .map(|c| c.id.clone())
            .collect()
    }

    pub fn get(&self, id: i64) -> Option<Arc<Customer>> {
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
                profile,
                balances: BalanceModel::new(self.seed, account_id, profile, None),
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
            created: now,
            business: Some(Business {
                id: id % 100_000_000,
                name: company,
            }),
            address,
            accounts,
        });
        customers.insert(id, customer.clone());
        Ok(customer)
    }

    fn customer_from_fixture(&self, partners: &HashMap<String, usize>, c: &CustomerFixture) -> Customer {
        // Validated at load: digits, known partner and institutions.
        let id = c.id.parse().unwrap_or_default();
        let partner = c
            .partner_id
            .as_ref()
            .and_then(|p| partners.get(p).copied())
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
            profile: a.profile,
            balances: BalanceModel::new(self.seed, a.id, a.profile, a.average_balance),
        })
    }
}

/// A ten-digit account number ending in the account id's last four digits,
/// moved up by 1000 when they start with 0 (`realAccountNumberLast4` is an
/// integer, so a leading zero would not survive).
fn account_number(id: u64) -> String {
    let last4 = match id % 10_000 {
        n if n < 1_000 => n + 1_000,
        n => n,
    };
    format!("{:06}{last4}", (id / 10_000) % 1_000_000)
}

/// Each partner's index, looked up per customer: scanning the partners for
/// every customer made merges quadratic in the number of tenants.
fn partner_indices(fixtures: &FinicityFixtures) -> HashMap<String, usize> {
    fixtures
        .partners
        .iter()
        .enumerate()
        .map(|(i, p)| (p.partner_id.clone(), i))
        .collect()
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
        assert!(directory.enroll_testing(0, "first-user", None, None, now).is_ok());
        assert_eq!(
            directory.enroll_testing(0, "first-user", None, None, now).err(),
            Some(Enrolment::UsernameTaken)
        );
        for n in 1..50 {
            assert!(
                directory
                    .enroll_testing(0, &format!("user-{n}"), None, None, now)
                    .is_ok()
            );
        }
        assert_eq!(
            directory.enroll_testing(0, "one-too-many", None, None, now).err(),
            Some(Enrolment::Full)
        );
        directory.reset();
        assert!(
            directory
                .enroll_testing(0, "one-too-many", None, None, now)
                .is_ok()
        );
    }
}
