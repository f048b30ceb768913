//! An account's transactions: the daily flows of its balance model
//! (`BalanceModel::flows`) written as the postings a bank would show, so
//! that every day's transactions sum to exactly that day's change of the
//! ending balance, and the recurring ones form streams.

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::super::balances::{Bill, DayFlows};
use super::super::customers::Account;
use super::super::fixtures::CustomerKind;

/// What a transaction is, for categories and streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Payroll,
    Rent,
    Utilities,
    Purchase,
    LargeExpense,
    TransferIn,
    TransferOut,
}

impl Kind {
    /// Recurring kinds form streams; the cadence is in days.
    pub(crate) fn cadence(self) -> Option<u32> {
        match self {
            Kind::Payroll => Some(15),
            Kind::Rent | Kind::Utilities => Some(30),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transaction {
    pub(crate) id: i64,
    pub(crate) day: NaiveDate,
    /// Cents: positive in, negative out.
    pub(crate) amount: i64,
    pub(crate) kind: Kind,
    pub(crate) description: &'static str,
    pub(crate) payee: &'static str,
    pub(crate) category: &'static str,
}

impl Transaction {
    /// Noon UTC of the posting day, as the vendor's examples post.
    pub(crate) fn posted_date(&self) -> i64 {
        self.day.and_time(NaiveTime::MIN).and_utc().timestamp() + 12 * 3600
    }
}

/// 1970-01-01 as days from the common era: the clock never shows an earlier day.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

const MERCHANTS: [(&str, &str, &str); 10] = [
    ("WHOLEFDS MKT #10234", "Whole Foods", "Groceries"),
    ("WAL-MART #2231", "Walmart", "Shopping"),
    ("SHELL OIL 57442", "Shell", "Gas & Fuel"),
    ("AMAZON MKTPLACE PMTS", "Amazon", "Shopping"),
    ("STARBUCKS STORE 0817", "Starbucks", "Coffee Shops"),
    ("TMOBILE*AUTO PAY", "T-Mobile", "Mobile Phone"),
    ("COSTCO WHSE #0412", "Costco", "Groceries"),
    ("CHEVRON 0098113", "Chevron", "Gas & Fuel"),
    ("HOME DEPOT #6611", "The Home Depot", "Home Improvement"),
    ("CVS/PHARMACY #04021", "CVS", "Pharmacy"),
];

const LARGE_EXPENSES: [(&str, &str, &str); 4] = [
    ("MIDAS AUTO SERVICE #1181", "Midas", "Auto Service"),
    ("ST MARY MEDICAL CTR", "St Mary Medical Center", "Doctor"),
    ("BEST BUY 00012", "Best Buy", "Electronics & Software"),
    ("DELTA AIR 0062371", "Delta Air Lines", "Air Travel"),
];

/// Every transaction of `account` from `flows`, newest first (the vendor's
/// order). Ids are the account id, the day and a position that day, so
/// they are unique across accounts and stable across reports.
pub(crate) fn transactions(account: &Account, kind: CustomerKind, flows: &[DayFlows]) -> Vec<Transaction> {
    let mut all = Vec::with_capacity(flows.len() * 3);
    for f in flows {
        // Below 2^53 for ten-digit account ids, so JavaScript clients read them exactly.
        let base = account.id as i64 * 1_000_000 + i64::from(f.day.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE) * 10;
        let mut n = 0;
        let mut push = |amount: i64, kind: Kind, (description, payee, category): (&'static str, &'static str, &'static str)| {
            if amount != 0 {
                all.push(Transaction {
                    id: base + n,
                    day: f.day,
                    amount,
                    kind,
                    description,
                    payee,
                    category,
                });
                n += 1;
            }
        };
        let deposit = match kind {
            CustomerKind::Business => ("MERCHANT SETTLEMENT DEPOSIT STRIPE", "Stripe", "Income"),
            CustomerKind::Personal => ("ACH DEPOSIT ACME CORP PAYROLL", "Acme Corp", "Paycheck"),
        };
        push(f.pay, Kind::Payroll, deposit);
        push(
            f.top_up,
            Kind::TransferIn,
            ("ONLINE TRANSFER FROM SAVINGS", "Online Transfer", "Transfer"),
        );
        if let Some((bill, amount)) = f.bill {
            let names = match bill {
                Bill::Rent => ("ACH DEBIT OAKWOOD PROPERTY MGMT RENT", "Oakwood Property Management", "Rent"),
                Bill::Utilities => ("PACIFIC GAS & ELECTRIC AUTOPAY", "PG&E", "Utilities"),
            };
            let kind = if bill == Bill::Rent { Kind::Rent } else { Kind::Utilities };
            push(-amount, kind, names);
        }
        // The day's spending in one to three purchases, at merchants and
        // in shares the day's noise picks, summing exactly.
        let parts = 1 + (f.noise >> 8) % 3;
        let mut left = f.spending;
        for part in 0..parts {
            let merchant = MERCHANTS[((f.noise >> (16 + 4 * part)) % MERCHANTS.len() as u64) as usize];
            let amount = if part + 1 == parts {
                left
            } else {
                let share = 20 + (f.noise >> (40 + 6 * part)) % 50;
                left * share as i64 / 100
            };
            left -= amount;
            push(-amount, Kind::Purchase, merchant);
        }
        if f.shock > 0 {
            let expense = LARGE_EXPENSES[((f.noise >> 56) % LARGE_EXPENSES.len() as u64) as usize];
            push(-f.shock, Kind::LargeExpense, expense);
        }
        if f.drift > 0 {
            push(
                f.drift,
                Kind::TransferIn,
                ("AUTOMATIC TRANSFER FROM SAVINGS", "Automatic Transfer", "Transfer"),
            );
        } else {
            push(
                f.drift,
                Kind::TransferOut,
                ("AUTOMATIC TRANSFER TO SAVINGS", "Automatic Transfer", "Transfer"),
            );
        }
    }
    all.reverse();
    all
}
