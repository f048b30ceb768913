//! The lender catalogue: what each of leadsim's stable institutions offers
//! in the marketplace, to whom, on what terms, and how fast it answers.
//! Institutions come from [`institutions`]; this adds their underwriting.

use std::sync::LazyLock;

use super::super::institutions::{self, Institution};
use super::super::models::ProductType;
use super::lead::CreditBand;

/// A lender's loan programme.
#[derive(Debug)]
pub(crate) struct LoanTerms {
    pub(crate) amount: (i64, i64),
    /// APR in percent for the best and the worst band it accepts.
    pub(crate) apr: (f64, f64),
    pub(crate) terms_months: &'static [i64],
    /// Origination fee, percent of the amount.
    pub(crate) fee_rate: f64,
}

/// A lender's card.
#[derive(Debug)]
pub(crate) struct CardTerms {
    pub(crate) name: &'static str,
    pub(crate) purchase_apr: (f64, f64),
    pub(crate) annual_fee: f64,
    pub(crate) intro_months: i64,
    pub(crate) purposes: &'static [&'static str],
    pub(crate) secured: bool,
}

/// A lender's savings account.
#[derive(Debug)]
pub(crate) struct SavingsTerms {
    pub(crate) name: &'static str,
    pub(crate) apy: f64,
    pub(crate) minimum_deposit: f64,
    pub(crate) compounding: &'static str,
}

#[derive(Debug)]
pub(crate) struct Lender {
    pub(crate) institution: &'static Institution,
    /// A short key, as Engine's `Originator.key`.
    pub(crate) key: &'static str,
    pub(crate) loan: Option<LoanTerms>,
    pub(crate) card: Option<CardTerms>,
    pub(crate) savings: Option<SavingsTerms>,
    /// The worst credit band it lends to.
    pub(crate) min_band: CreditBand,
    pub(crate) min_income: i64,
    /// States it does not serve.
    pub(crate) excluded_states: &'static [&'static str],
    /// Base chance of approving an eligible lead.
    pub(crate) approval: f64,
    /// Answers after the rate table is returned (on the virtual clock).
    pub(crate) asynchronous: bool,
    pub(crate) sponsored: bool,
}

impl Lender {
    pub(crate) fn offers(&self, product: ProductType) -> bool {
        match product {
            ProductType::Loan => self.loan.is_some(),
            ProductType::CreditCard => self.card.is_some(),
            ProductType::Savings => self.savings.is_some(),
            _ => false,
        }
    }
}

struct Row {
    name: &'static str,
    key: &'static str,
    loan: Option<LoanTerms>,
    card: Option<CardTerms>,
    savings: Option<SavingsTerms>,
    min_band: CreditBand,
    min_income: i64,
    excluded_states: &'static [&'static str],
    approval: f64,
    asynchronous: bool,
    sponsored: bool,
}

fn rows() -> Vec<Row> {
    use CreditBand::*;
    const TERMS: &[i64] = &[24, 36, 48, 60];
    vec![
        Row {
            name: "Northwind Lending",
            key: "northwind",
            loan: Some(LoanTerms { amount: (2_000, 40_000), apr: (7.99, 24.99), terms_months: TERMS, fee_rate: 4.0 }),
            card: None,
            savings: None,
            min_band: Fair,
            min_income: 25_000,
            excluded_states: &["IA", "WV"],
            approval: 0.7,
            asynchronous: false,
            sponsored: true,
        },
        Row {
            name: "Bluepeak Credit",
            key: "bluepeak",
            loan: Some(LoanTerms { amount: (1_000, 25_000), apr: (11.99, 35.99), terms_months: &[12, 24, 36], fee_rate: 6.0 }),
            card: Some(CardTerms {
                name: "Bluepeak Rewards Visa",
                purchase_apr: (20.24, 29.24),
                annual_fee: 0.0,
                intro_months: 15,
                purposes: &["earning_rewards", "cash_back", "balance_transfer"],
                secured: false,
            }),
            savings: None,
            min_band: Poor,
            min_income: 15_000,
            excluded_states: &[],
            approval: 0.6,
            asynchronous: true,
            sponsored: false,
        },
        Row {
            name: "Harbor Personal Loans",
            key: "harbor",
            loan: Some(LoanTerms { amount: (5_000, 50_000), apr: (6.49, 17.99), terms_months: &[36, 48, 60, 84], fee_rate: 0.0 }),
            card: None,
            savings: None,
            min_band: Good,
            min_income: 50_000,
            excluded_states: &["NV"],
            approval: 0.55,
            asynchronous: false,
            sponsored: false,
        },
        Row {
            name: "Summit Ridge Bank",
            key: "summitridge",
            loan: Some(LoanTerms { amount: (3_000, 35_000), apr: (8.99, 21.99), terms_months: TERMS, fee_rate: 2.0 }),
            card: None,
            savings: Some(SavingsTerms { name: "Summit High Yield Savings", apy: 4.35, minimum_deposit: 100.0, compounding: "daily" }),
            min_band: Good,
            min_income: 35_000,
            excluded_states: &[],
            approval: 0.65,
            asynchronous: true,
            sponsored: false,
        },
        Row {
            name: "Lumen Financial",
            key: "lumen",
            loan: Some(LoanTerms { amount: (1_000, 15_000), apr: (18.99, 35.99), terms_months: &[12, 24, 36], fee_rate: 8.0 }),
            card: None,
            savings: None,
            min_band: Poor,
            min_income: 12_000,
            excluded_states: &["NY", "VT", "PR", "VI"],
            approval: 0.75,
            asynchronous: false,
            sponsored: false,
        },
        Row {
            name: "Cedar & Stone Credit Union",
            key: "cedarstone",
            loan: Some(LoanTerms { amount: (500, 20_000), apr: (9.49, 18.00), terms_months: &[12, 24, 36, 48], fee_rate: 0.0 }),
            card: Some(CardTerms {
                name: "Cedar & Stone Secured Mastercard",
                purchase_apr: (17.99, 17.99),
                annual_fee: 0.0,
                intro_months: 0,
                purposes: &["improve_credit", "new_to_credit"],
                secured: true,
            }),
            savings: Some(SavingsTerms { name: "Cedar Share Savings", apy: 3.10, minimum_deposit: 5.0, compounding: "monthly" }),
            min_band: Limited,
            min_income: 0,
            excluded_states: &[],
            approval: 0.8,
            asynchronous: false,
            sponsored: false,
        },
        Row {
            name: "Brightline Card Services",
            key: "brightline",
            loan: None,
            card: Some(CardTerms {
                name: "Brightline Travel Elite",
                purchase_apr: (21.49, 28.49),
                annual_fee: 95.0,
                intro_months: 0,
                purposes: &["travel_incentives", "earning_rewards"],
                secured: false,
            }),
            savings: None,
            min_band: Good,
            min_income: 40_000,
            excluded_states: &[],
            approval: 0.5,
            asynchronous: true,
            sponsored: true,
        },
        Row {
            name: "Oakmont Capital",
            key: "oakmont",
            loan: Some(LoanTerms { amount: (5_000, 100_000), apr: (9.95, 29.95), terms_months: &[36, 60, 84], fee_rate: 5.0 }),
            card: None,
            savings: None,
            min_band: Fair,
            min_income: 60_000,
            excluded_states: &["MA"],
            approval: 0.45,
            asynchronous: true,
            sponsored: false,
        },
        Row {
            name: "Prairie State Lending",
            key: "prairiestate",
            loan: Some(LoanTerms { amount: (1_500, 30_000), apr: (12.49, 32.99), terms_months: &[24, 36, 48], fee_rate: 5.0 }),
            card: None,
            savings: None,
            min_band: Poor,
            min_income: 20_000,
            excluded_states: &["CA", "NY", "NJ"],
            approval: 0.6,
            asynchronous: false,
            sponsored: false,
        },
        Row {
            name: "Tidewater Savings Bank",
            key: "tidewater",
            loan: None,
            card: None,
            savings: Some(SavingsTerms { name: "Tidewater Online Savings", apy: 4.60, minimum_deposit: 0.0, compounding: "daily" }),
            min_band: Limited,
            min_income: 0,
            excluded_states: &[],
            approval: 0.95,
            asynchronous: false,
            sponsored: false,
        },
        Row {
            name: "Granite Peak Bank",
            key: "granitepeak",
            loan: None,
            card: Some(CardTerms {
                name: "Granite Peak Cash Back",
                purchase_apr: (19.24, 27.24),
                annual_fee: 0.0,
                intro_months: 12,
                purposes: &["cash_back", "low_interest", "student"],
                secured: false,
            }),
            savings: Some(SavingsTerms { name: "Granite Peak Money Market", apy: 3.85, minimum_deposit: 1_000.0, compounding: "monthly" }),
            min_band: Fair,
            min_income: 20_000,
            excluded_states: &[],
            approval: 0.65,
            asynchronous: true,
            sponsored: false,
        },
    ]
}

static ALL: LazyLock<Vec<Lender>> = LazyLock::new(|| {
    rows()
        .into_iter()
        .filter_map(|row| {
            // Every row names a listed institution (a unit test checks).
            let institution = institutions::by_name(row.name)?;
            Some(Lender {
                institution,
                key: row.key,
                loan: row.loan,
                card: row.card,
                savings: row.savings,
                min_band: row.min_band,
                min_income: row.min_income,
                excluded_states: row.excluded_states,
                approval: row.approval,
                asynchronous: row.asynchronous,
                sponsored: row.sponsored,
            })
        })
        .collect()
});

/// Every marketplace lender, in catalogue order.
pub(crate) fn all() -> &'static [Lender] {
    &ALL
}

/// The lenders that offer `product`, in catalogue order.
pub(crate) fn offering(product: ProductType) -> impl Iterator<Item = &'static Lender> {
    all().iter().filter(move |l| l.offers(product))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_listed_institution_once() {
        assert_eq!(all().len(), rows().len());
        let mut keys: Vec<_> = all().iter().map(|l| l.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), all().len());
    }

    #[test]
    fn each_offered_product_is_one_the_institution_lists() {
        for lender in all() {
            for product in [ProductType::Loan, ProductType::CreditCard, ProductType::Savings] {
                if lender.offers(product) {
                    assert!(lender.institution.products.contains(&product), "{} {product:?}", lender.key);
                }
            }
        }
        for product in [ProductType::Loan, ProductType::CreditCard, ProductType::Savings] {
            assert!(offering(product).any(|l| l.asynchronous), "{product:?}");
            assert!(offering(product).any(|l| !l.asynchronous), "{product:?}");
        }
    }
}
