//! Deterministic users and leads for an account. No axum here.
//!
//! Leads are generated per calendar day from (seed, account, day), and an
//! account's data set is the 730 days before the virtual clock's day. Day
//! `d` holds `floor((d+1)·N/730) − floor(d·N/730)` leads, so any two-year
//! window holds exactly N, and moving the clock by a day drops one day and
//! adds one while every other lead stays the same.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use fake::Fake;
use fake::faker::address::en::{CityName, StateName};
use fake::faker::company::en::CompanyName;
use fake::faker::job::en::Title;
use fake::faker::name::en::{FirstName, LastName};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::model::{Lead, User, Value, fields};
use crate::shared::seed::{Seed, uuid_from};

/// Days of generated history.
pub(crate) const HISTORY_DAYS: i64 = 730;

/// Source, its medium, sub-sources, and weight.
const SOURCES: &[(&str, &str, &[&str], u32)] = &[
    ("Organic Search", "organic", &["Google", "Bing", "DuckDuckGo"], 22),
    ("Paid Search", "cpc", &["Google Ads", "Bing Ads"], 18),
    (
        "Social Media",
        "social",
        &["Facebook", "LinkedIn", "Instagram", "X"],
        14,
    ),
    ("Direct Traffic", "direct", &["Website"], 12),
    (
        "Referral Sites",
        "referral",
        &["G2", "Capterra", "Partner Blog"],
        10,
    ),
    ("Email Campaign", "email", &["Newsletter", "Drip Campaign"], 8),
    ("Inbound Phone Call", "phone", &["Toll Free", "Branch Line"], 6),
    ("Partner", "partner", &["Reseller", "Affiliate"], 6),
    ("Trade Show", "event", &["SaaStr", "Expo West"], 4),
];

/// Stage, weight, and score range.
const STAGES: &[(&str, u32, (i64, i64))] = &[
    ("Prospect", 52, (0, 60)),
    ("Opportunity", 20, (40, 160)),
    ("Customer", 11, (100, 320)),
    ("Not Interested", 9, (-10, 30)),
    ("Invalid", 8, (-20, 5)),
];

const ORIGINS: &[(&str, u32)] = &[
    ("Web Form", 40),
    ("Quick Add Form", 20),
    ("API", 15),
    ("Import", 15),
    ("Chat", 10),
];
const CAMPAIGNS: &[&str] = &[
    "Spring Promo",
    "Summer Webinar",
    "Q4 Push",
    "Brand Awareness",
    "Retargeting",
];
const COUNTRIES: &[(&str, u32)] = &[
    ("United States", 82),
    ("Canada", 8),
    ("United Kingdom", 6),
    ("India", 4),
];
const PRODUCTS: &[(&str, u32)] = &[("Starter", 50), ("Professional", 35), ("Enterprise", 15)];
const GROUPS: &[&str] = &["North", "South", "East", "West"];

/// The account's generated users, after the fixture ones.
pub(crate) fn users(seed: Seed, account: &str, count: usize, listed: &[User]) -> Vec<User> {
    let mut users = listed.to_vec();
    let domain = format!("{}.example.com", slug(account));
    for i in 0..count as u64 {
        let mut rng = seed.rng("leadsquared.user", (account, i));
        let first_name: String = FirstName().fake_with_rng(&mut rng);
        let last_name: String = LastName().fake_with_rng(&mut rng);
        let role = match (i, rng.random_range(0..100)) {
            (0, _) => "Administrator",
            (_, 0..15) => "Sales_Manager",
            _ => "Sales_User",
        };
        let mut groups = vec![GROUPS[rng.random_range(0..GROUPS.len())].to_owned()];
        if rng.random_bool(0.2) {
            groups.push("Inside Sales".to_owned());
        }
        users.push(User {
            id: uuid_from(&mut rng),
            email: format!("{}.{}{i}@{domain}", slug(&first_name), slug(&last_name)),
            first_name,
            last_name,
            role: role.to_owned(),
            // The administrator stays active; about one in ten others left.
            status_code: u8::from(i > 0 && rng.random_bool(0.1)),
            groups,
        });
    }
    users
}

/// The generated leads of the two years before `today`, oldest first.
pub(crate) fn leads(seed: Seed, account: &str, total: usize, users: &[User], today: NaiveDate) -> Vec<Lead> {
    if total == 0 || users.is_empty() {
        return Vec::new();
    }
    let end = day_number(today);
    let mut leads = Vec::with_capacity(total);
    let owners = OwnerPicker::new(users);
    let cutoff = today.and_time(NaiveTime::MIN);
    for day in end - HISTORY_DAYS..end {
        let count = leads_on(day, total);
        let mut rng = seed.rng("leadsquared.leads", (account, day));
        let date =
            NaiveDate::from_num_days_from_ce_opt(i32::try_from(day).unwrap_or(i32::MAX)).unwrap_or(today);
        let mut day_leads: Vec<Lead> = (0..count)
            .map(|j| lead(&mut rng, &owners, date, day * 1_000 + j as i64 + 1, cutoff))
            .collect();
        day_leads.sort_by(|a, b| {
            let key = |l: &Lead| match l.stored(fields::CREATED_ON) {
                Value::DateTime(t) => *t,
                _ => NaiveDateTime::MIN,
            };
            key(a).cmp(&key(b))
        });
        leads.extend(day_leads);
    }
    leads
}

/// Days since 0001-01-01 (chrono's CE day count).
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&date))
}

/// How many leads day `day` holds, for `total` over any [`HISTORY_DAYS`].
fn leads_on(day: i64, total: usize) -> usize {
    let total = total as i64;
    let at = |d: i64| (d * total).div_euclid(HISTORY_DAYS);
    usize::try_from(at(day + 1) - at(day)).unwrap_or(0)
}

fn lead(
    rng: &mut ChaCha8Rng,
    owners: &OwnerPicker<'_>,
    date: NaiveDate,
    auto_id: i64,
    cutoff: NaiveDateTime,
) -> Lead {
    let created = date.and_time(business_time(rng));
    let (owner_index, owner) = owners.pick(rng);
    let (source, medium, subs, _) = *weighted(rng, SOURCES, |s| s.3);
    let (stage, _, (low, high)) = *weighted(rng, STAGES, |s| s.1);
    let first_name: String = FirstName().fake_with_rng(rng);
    let last_name: String = LastName().fake_with_rng(rng);
    let company: String = CompanyName().fake_with_rng(rng);
    let modified = (created + Duration::minutes(rng.random_range(0..60 * 24 * 120))).min(cutoff);
    let visits = rng.random_range(0..30);

    let mut lead = Lead::empty();
    lead.owner_index = owner_index;
    let mut set_text = |field, value: &str| lead.set(field, Value::text(value));
    set_text(fields::PROSPECT_ID, &uuid_from(rng).to_string());
    set_text(
        fields::EMAIL_ADDRESS,
        &format!(
            "{}.{}{}@{}",
            slug(&first_name),
            slug(&last_name),
            auto_id % 1000,
            email_domain(rng)
        ),
    );
    set_text(fields::FIRST_NAME, &first_name);
    set_text(fields::LAST_NAME, &last_name);
    set_text(fields::PHONE, &phone(rng));
    if rng.random_bool(0.6) {
        set_text(fields::MOBILE, &phone(rng));
    }
    set_text(fields::COMPANY, &company);
    let title: String = Title().fake_with_rng(rng);
    set_text(fields::JOB_TITLE, &title);
    let city: String = CityName().fake_with_rng(rng);
    let state: String = StateName().fake_with_rng(rng);
    set_text(fields::CITY, &city);
    set_text(fields::STATE, &state);
    set_text(fields::COUNTRY, weighted(rng, COUNTRIES, |c| c.1).0);
    set_text(fields::SOURCE, source);
    set_text(fields::SOURCE_MEDIUM, medium);
    if rng.random_bool(0.5) {
        set_text(
            fields::SOURCE_CAMPAIGN,
            CAMPAIGNS[rng.random_range(0..CAMPAIGNS.len())],
        );
    }
    set_text(fields::ORIGIN, weighted(rng, ORIGINS, |o| o.1).0);
    set_text(fields::PROSPECT_STAGE, stage);
    set_text(
        fields::DO_NOT_EMAIL,
        if rng.random_bool(0.05) { "1" } else { "0" },
    );
    set_text(fields::DO_NOT_CALL, if rng.random_bool(0.03) { "1" } else { "0" });
    let owner_id = owner.id.to_string();
    set_text(fields::OWNER_ID, &owner_id);
    set_text(fields::OWNER_ID_NAME, &owner.full_name());
    set_text(fields::OWNER_ID_EMAIL_ADDRESS, &owner.email);
    set_text(fields::CREATED_BY, &owner_id);
    set_text(fields::CREATED_BY_NAME, &owner.full_name());
    set_text(fields::MX_SUB_SOURCE, subs[rng.random_range(0..subs.len())]);
    set_text(fields::MX_PRODUCT_INTEREST, weighted(rng, PRODUCTS, |p| p.1).0);

    lead.set(fields::PROSPECT_AUTO_ID, Value::Number(auto_id));
    lead.set(fields::SCORE, Value::Number(rng.random_range(low..=high)));
    // Most leads never engage; the rest spread with a long tail.
    let engagement = if rng.random_bool(0.3) {
        0
    } else {
        let roll: f64 = rng.random();
        (roll * roll * 60.0) as i64 + 1
    };
    lead.set(fields::ENGAGEMENT_SCORE, Value::Number(engagement));
    lead.set(fields::TOTAL_VISITS, Value::Number(visits));
    if stage == "Customer" {
        lead.set(fields::REVENUE, Value::Number(rng.random_range(5..500) * 100));
    }
    if rng.random_bool(0.4) {
        lead.set(fields::MX_BUDGET, Value::Number(rng.random_range(1..100) * 1_000));
    }
    lead.set(fields::CREATED_ON, Value::DateTime(created));
    lead.set(fields::MODIFIED_ON, Value::DateTime(modified));
    if visits > 0 {
        let last_visit = created + (modified - created) / 2;
        lead.set(fields::LAST_VISIT_DATE, Value::DateTime(last_visit));
    }
    lead
}

/// Owners weighted by role: active sales users carry most leads, managers
/// fewer, the administrator and inactive users a few (leads they had before
/// they left).
struct OwnerPicker<'a> {
    users: &'a [User],
    weights: Vec<u32>,
    total: u32,
}

impl<'a> OwnerPicker<'a> {
    fn new(users: &'a [User]) -> Self {
        let weights: Vec<u32> = users
            .iter()
            .map(|u| match (u.status_code, u.role.as_str()) {
                (1, _) => 1,
                (_, "Administrator") => 1,
                (_, "Sales_Manager") => 4,
                _ => 10,
            })
            .collect();
        let total = weights.iter().sum();
        Self {
            users,
            weights,
            total,
        }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> (usize, &'a User) {
        let mut roll = rng.random_range(0..self.total.max(1));
        for (index, (user, weight)) in self.users.iter().zip(&self.weights).enumerate() {
            if roll < *weight {
                return (index, user);
            }
            roll -= weight;
        }
        (0, &self.users[0])
    }
}

fn weighted<'t, T>(rng: &mut ChaCha8Rng, table: &'t [T], weight: impl Fn(&T) -> u32) -> &'t T {
    let total: u32 = table.iter().map(&weight).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for item in table {
        if roll < weight(item) {
            return item;
        }
        roll -= weight(item);
    }
    &table[0]
}

/// Mostly office hours (UTC), some evenings, few nights.
fn business_time(rng: &mut ChaCha8Rng) -> NaiveTime {
    let hour = match rng.random_range(0..100) {
        0..70 => rng.random_range(9..18),
        70..92 => rng.random_range(18..23),
        _ => rng.random_range(0..9),
    };
    NaiveTime::from_hms_opt(hour, rng.random_range(0..60), rng.random_range(0..60)).unwrap_or(NaiveTime::MIN)
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    format!(
        "+1-{}-{:03}-{:04}",
        rng.random_range(201..990),
        rng.random_range(200..1000),
        rng.random_range(0..10_000)
    )
}

fn email_domain(rng: &mut ChaCha8Rng) -> &'static str {
    ["example.com", "example.net", "example.org", "mail.example.com"][rng.random_range(0..4)]
}

/// Lowercase ASCII letters and digits, for generated emails.
fn slug(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    #[test]
    fn any_two_years_hold_exactly_the_configured_number_of_leads() {
        for start in [0, 17, 738_000, 739_123] {
            let sum: usize = (start..start + HISTORY_DAYS).map(|d| leads_on(d, 20_000)).sum();
            assert_eq!(sum, 20_000);
        }
    }

    #[test]
    fn generation_is_deterministic_and_slides_with_the_day() {
        let seed = Seed::new(42);
        let users = users(seed, "demo", 25, &[]);
        assert_eq!(users.len(), 25);
        assert_eq!(users, super::users(seed, "demo", 25, &[]));
        let leads = leads(seed, "demo", 2_000, &users, today());
        assert_eq!(leads.len(), 2_000);
        assert_eq!(leads, super::leads(seed, "demo", 2_000, &users, today()));
        let tomorrow = super::leads(
            seed,
            "demo",
            2_000,
            &users,
            today().succ_opt().unwrap_or_default(),
        );
        // The same leads (ModifiedOn may be capped differently near the end).
        let ids = |leads: &[Lead]| -> std::collections::HashSet<String> {
            leads
                .iter()
                .filter_map(|l| l.stored(fields::PROSPECT_ID).display())
                .collect()
        };
        let shared = ids(&leads).intersection(&ids(&tomorrow)).count();
        assert!(shared >= 1_990, "a day later most leads are the same: {shared}");
        let cutoff = today().and_time(NaiveTime::MIN);
        for lead in &leads {
            let (Value::DateTime(created), Value::DateTime(modified)) =
                (lead.stored(fields::CREATED_ON), lead.stored(fields::MODIFIED_ON))
            else {
                panic!("dates set");
            };
            assert!(created <= modified && *modified <= cutoff);
            assert!(*created >= cutoff - Duration::days(HISTORY_DAYS));
            assert!(
                users
                    .iter()
                    .any(|u| Some(u.id.to_string().as_str()) == lead.owner())
            );
        }
    }
}
