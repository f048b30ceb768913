//! A stable list of realistic (fictional) financial institutions. Their uuids
//! are name-based (v5), so they never change between versions or seeds.

use std::sync::LazyLock;

use uuid::Uuid;

use super::models::ProductType;

#[derive(Debug, Clone)]
pub(crate) struct Institution {
    pub(crate) uuid: Uuid,
    pub(crate) name: &'static str,
    pub(crate) products: &'static [ProductType],
}

/// Namespace for institution uuids ("leadsim institutions", fixed forever).
const NAMESPACE: Uuid = Uuid::from_u128(0x6c65_6164_7369_6d2d_696e_7374_6974_7574);

const TABLE: &[(&str, &[ProductType])] = {
    use ProductType::*;
    &[
        ("Northwind Lending", &[Loan]),
        ("Bluepeak Credit", &[Loan, CreditCard]),
        ("Harbor Personal Loans", &[Loan]),
        ("Summit Ridge Bank", &[Loan, Savings, Mortgage]),
        ("Lumen Financial", &[Loan]),
        ("Cedar & Stone Credit Union", &[Loan, Savings, CreditCard]),
        ("Brightline Card Services", &[CreditCard]),
        ("Evergreen Home Mortgage", &[Mortgage]),
        ("Keystone Auto Insurance", &[AutoInsurance, Insurance]),
        ("Meridian Life", &[LifeInsurance, Insurance]),
        ("Tidewater Savings Bank", &[Savings]),
        ("Oakmont Capital", &[Loan, Generic, Other]),
        ("Prairie State Lending", &[Loan]),
        ("Silverline Mortgage", &[Mortgage]),
        ("Copperleaf Insurance", &[Insurance, AutoInsurance, LifeInsurance]),
        ("Granite Peak Bank", &[Savings, CreditCard, Generic, Other]),
    ]
};

static ALL: LazyLock<Vec<Institution>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|(name, products)| Institution {
            uuid: Uuid::new_v5(&NAMESPACE, name.as_bytes()),
            name,
            products,
        })
        .collect()
});

#[cfg(test)]
fn all() -> &'static [Institution] {
    &ALL
}

pub(crate) fn by_name(name: &str) -> Option<&'static Institution> {
    ALL.iter().find(|i| i.name == name)
}

pub(crate) fn by_uuid(uuid: Uuid) -> Option<&'static Institution> {
    ALL.iter().find(|i| i.uuid == uuid)
}

/// How many institutions there are.
pub(crate) const COUNT: usize = TABLE.len();

/// Per product (by its declaration index), the institutions offering it.
static OFFERING: LazyLock<Vec<Vec<&'static Institution>>> = LazyLock::new(|| {
    ProductType::ALL
        .iter()
        .map(|product| {
            let found: Vec<_> = ALL.iter().filter(|i| i.products.contains(product)).collect();
            if found.is_empty() {
                ALL.iter().collect()
            } else {
                found
            }
        })
        .collect()
});

/// Institutions that offer `product`; never empty (falls back to all).
/// Computed once: the funnel asks for every lead.
pub(crate) fn offering(product: ProductType) -> &'static [&'static Institution] {
    &OFFERING[product as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_unique_and_stable() {
        let mut seen = std::collections::HashSet::new();
        assert!(all().iter().all(|i| seen.insert(i.uuid)));
        assert_eq!(
            by_uuid(Uuid::new_v5(&NAMESPACE, b"Northwind Lending")).map(|i| i.name),
            Some("Northwind Lending")
        );
    }

    #[test]
    fn every_product_type_has_a_lender() {
        use ProductType::*;
        for p in [
            CreditCard,
            Generic,
            AutoInsurance,
            Insurance,
            LifeInsurance,
            Loan,
            Mortgage,
            Savings,
            Other,
        ] {
            assert!(all().iter().any(|i| i.products.contains(&p)), "{p:?}");
        }
    }
}
