//! A Connect session: the consumer's way through the Connect experience of
//! one link, as a state machine. Every step a consumer (the page, a plain
//! form post, or the admin call) takes goes through [`Session::act`], which
//! changes the customer's accounts where the vendor would, and returns what
//! the Web SDK is told (postMessage) and which webhook events are raised.
//! Rendering is the page's business; this module decides.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::super::balances::BalanceModel;
use super::super::customers::{Account, Customer, STANDARD_HISTORY_DAYS};
use super::super::institutions::{self, Institution};
use super::logins::{self, Challenge, Planned, SignIn};
use super::webhooks::Event;
use super::{Connect, LinkKind};

/// The vendor's cap on a testing customer's accounts.
pub(crate) const MAX_ACCOUNTS_PER_CUSTOMER: usize = 20;
/// Institutions a search screen lists at most.
const SEARCH_SHOWN: usize = 20;

/// Where the consumer is.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Search {
        query: String,
    },
    SignIn {
        institution: u64,
    },
    Mfa {
        institution: u64,
        username: String,
        challenge: Challenge,
    },
    /// Accounts discovered, waiting for the consumer to choose.
    Accounts {
        institution: u64,
        login: i64,
        discovered: Vec<Account>,
    },
    /// Accounts added: submit, or add another institution.
    Added {
        institution: u64,
        login: i64,
    },
    /// The institution could not be reached.
    Unable {
        institution: u64,
        code: u16,
    },
    Finished(Finish),
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    Done,
    Cancelled,
    Failed,
    /// The link expired or was used up before the session began.
    Expired,
}

/// What a consumer does on a screen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Search(String),
    Institution(u64),
    SignIn { username: String, password: String },
    Mfa(Vec<String>),
    /// The discovered accounts to add, by id; empty: all of them.
    AddAccounts(Vec<u64>),
    /// Back to the search (another institution).
    Back,
    Submit,
    Cancel,
    /// Leave after an error.
    Fail,
}

/// One session of a link.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) step: Step,
    /// An alert on the current screen (wrong password, ...).
    pub(crate) alert: Option<String>,
    /// Institution logins linked in this session.
    pub(crate) linked: Vec<i64>,
    pub(crate) started: bool,
}

/// What one step tells the SDK and the webhook.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub(crate) messages: Vec<Value>,
    pub(crate) events: Vec<Event>,
}

impl Effects {
    fn route(&mut self, screen: &str, params: Value) {
        self.messages
            .push(json!({"type": "route", "data": {"screen": screen, "params": params}}));
    }

    fn user(&mut self, data: Value) {
        self.messages.push(json!({"type": "user", "data": data}));
    }

    fn event(&mut self, event_type: &'static str, payload: Value, due: DateTime<Utc>) {
        self.events.push(Event {
            event_type,
            payload,
            due,
        });
    }
}

/// What a session needs from the server to take a step.
pub(crate) struct Context<'a> {
    pub(crate) connect: &'a Connect,
    pub(crate) customers: &'a super::super::customers::Directory,
    pub(crate) customer_id: i64,
    pub(crate) kind: &'a LinkKind,
    pub(crate) now: DateTime<Utc>,
}

impl Session {
    pub(crate) fn new(kind: &LinkKind) -> Self {
        let step = match kind {
            LinkKind::Lite { institution } => Step::SignIn {
                institution: *institution,
            },
            LinkKind::Fix { institution, .. } => Step::SignIn {
                institution: *institution,
            },
            LinkKind::Full | LinkKind::Email => Step::Search { query: String::new() },
        };
        Self {
            step,
            alert: None,
            linked: Vec::new(),
            started: false,
        }
    }

    pub(crate) fn finished(&self) -> Option<Finish> {
        match self.step {
            Step::Finished(finish) => Some(finish),
            _ => None,
        }
    }

    /// The page was opened: `started` once, and the screen's route.
    pub(crate) fn open(&mut self, now: DateTime<Utc>) -> Effects {
        let mut effects = Effects::default();
        if !self.started {
            self.started = true;
            effects.event("started", json!({}), now);
            if let Step::SignIn { institution } = self.step {
                effects.event("institutionSupported", json!({"institutionId": institution.to_string()}), now);
            }
        }
        match &self.step {
            Step::Search { .. } => effects.route("Search", json!({})),
            Step::SignIn { institution } => effects.route("Add-Institution", json!({"id": institution.to_string()})),
            Step::Mfa { .. } => effects.route("MFA", json!({})),
            Step::Accounts { .. } => effects.route("Add-Accounts", json!({})),
            Step::Added { .. } => effects.route("Done", json!({})),
            Step::Unable { .. } => effects.route("Error", json!({})),
            Step::Finished(_) => {}
        }
        effects
    }

    /// Takes one step; an action that does not fit the screen changes nothing.
    pub(crate) fn act(&mut self, action: Action, ctx: &Context<'_>) -> Effects {
        let mut effects = Effects::default();
        let now = ctx.now;
        self.alert = None;
        match (self.step.clone(), action) {
            (Step::Finished(_), _) => {}
            (_, Action::Cancel) => {
                effects.user(json!({"action": "End", "code": 100, "reason": "exit", "customerId": ctx.customer_id.to_string()}));
                effects.messages.push(json!({"type": "cancel", "data": {"code": 100, "reason": "exit"}}));
                self.step = Step::Finished(Finish::Cancelled);
            }
            (_, Action::Fail) => {
                effects.messages.push(json!({"type": "error", "data": {"code": 500, "reason": "error"}}));
                self.step = Step::Finished(Finish::Failed);
            }
            (Step::Search { .. } | Step::Unable { .. } | Step::Added { .. }, Action::Search(query)) => {
                let found = institutions::search(&query).count();
                effects.route("Search", json!({"query": query, "found": found}));
                if found == 0 {
                    effects.event("institutionNotFound", json!({"query": query}), now);
                }
                self.step = Step::Search { query };
            }
            (Step::Search { .. } | Step::Unable { .. } | Step::Added { .. }, Action::Institution(id)) => {
                match institutions::find(id) {
                    Some(institution) if institution.connectable_by_testing_customers() => {
                        effects.route("Add-Institution", json!({"id": id.to_string()}));
                        effects.event("institutionSupported", json!({"institutionId": id.to_string()}), now);
                        self.step = Step::SignIn { institution: id };
                    }
                    Some(institution) => {
                        effects.event("institutionNotSupported", json!({"institutionId": id.to_string()}), now);
                        self.alert = Some(not_supported(institution));
                    }
                    None => self.alert = Some(format!("No institution has id {id}.")),
                }
            }
            (Step::Unable { .. } | Step::Added { .. } | Step::SignIn { .. } | Step::Mfa { .. }, Action::Back)
                if !matches!(ctx.kind, LinkKind::Lite { .. } | LinkKind::Fix { .. }) =>
            {
                effects.route("Search", json!({}));
                self.step = Step::Search { query: String::new() };
            }
            (Step::SignIn { institution }, Action::SignIn { username, password }) => {
                let profiles = matches!(
                    institution,
                    institutions::FINBANK_PROFILES_A | institutions::FINBANK_PROFILES_B
                );
                let outcome = logins::sign_in(profiles, username.trim(), &password);
                self.signed_in(institution, username.trim().to_owned(), outcome, ctx, &mut effects);
            }
            (
                Step::Mfa {
                    institution,
                    username,
                    challenge,
                },
                Action::Mfa(answers),
            ) => {
                let outcome = logins::answer(challenge, &answers);
                if outcome == SignIn::Mfa(challenge) {
                    self.alert = Some("Please answer the security question.".into());
                }
                self.signed_in(institution, username, outcome, ctx, &mut effects);
            }
            (
                Step::Accounts {
                    institution,
                    login,
                    discovered,
                },
                Action::AddAccounts(chosen),
            ) => self.add_accounts(institution, login, discovered, &chosen, ctx, &mut effects),
            (Step::Added { login, .. }, Action::Submit) => {
                effects.user(json!({
                    "action": "End", "code": 200, "reason": "complete",
                    "customerId": ctx.customer_id.to_string(), "institutionLoginId": login.to_string(),
                }));
                effects.messages.push(json!({"type": "done", "data": {"code": 200, "reason": "complete", "reportData": []}}));
                effects.event("done", json!({}), now);
                self.step = Step::Finished(Finish::Done);
            }
            _ => {}
        }
        effects
    }

    fn signed_in(
        &mut self,
        institution: u64,
        username: String,
        outcome: SignIn,
        ctx: &Context<'_>,
        effects: &mut Effects,
    ) {
        let now = ctx.now;
        let id = institution.to_string();
        match outcome {
            SignIn::Mfa(challenge) => {
                effects.route("MFA", json!({}));
                self.step = Step::Mfa {
                    institution,
                    username,
                    challenge,
                };
            }
            SignIn::InvalidCredentials | SignIn::InvalidMfa => {
                let code = if outcome == SignIn::InvalidCredentials { 103 } else { 187 };
                let message = if code == 103 {
                    "The username or password you entered is not correct. Please try again."
                } else {
                    "The answer to the security question is not correct. Please try again."
                };
                effects.user(json!({"action": "DisplayAlert", "alertType": "error", "title": "Sign-in failed", "message": message, "errorCode": code}));
                effects.event("invalidCredentials", json!({"institutionId": id, "code": code}), now);
                self.alert = Some(format!("{message} (error {code})"));
                self.step = Step::SignIn { institution };
            }
            SignIn::Unable(code) => {
                effects.route("Error", json!({"code": code}));
                effects.event("unableToConnect", json!({"institutionId": id, "code": code}), now);
                self.step = Step::Unable { institution, code };
            }
            SignIn::Accounts(planned) => self.discover(institution, &planned, now, ctx, effects),
            SignIn::SlowDiscovery(planned, seconds) => {
                self.discover(institution, &planned, now + TimeDelta::seconds(seconds), ctx, effects);
            }
        }
    }

    /// Signed in: a Fix link is repaired, any other discovers accounts.
    fn discover(
        &mut self,
        institution: u64,
        planned: &[Planned],
        at: DateTime<Utc>,
        ctx: &Context<'_>,
        effects: &mut Effects,
    ) {
        let id = institution.to_string();
        if let LinkKind::Fix { login, .. } = ctx.kind {
            let login = *login;
            ctx.customers.update(ctx.customer_id, |customer| {
                for account in customer.accounts.iter_mut().filter(|a| a.institution_login_id == login) {
                    account.aggregation_status = 0;
                }
            });
            effects.event(
                "credentialsUpdated",
                json!({"institutionId": id, "institutionLoginId": login.to_string(), "mfa": false}),
                at,
            );
            effects.route("Done", json!({}));
            self.step = Step::Added { institution, login };
            return;
        }
        let Some(customer) = ctx.customers.get(ctx.customer_id) else {
            self.step = Step::Unable { institution, code: 500 };
            return;
        };
        let login = ctx.connect.next_login_id();
        let discovered: Vec<Account> = planned
            .iter()
            .filter_map(|p| new_account(ctx.connect, institutions::find(institution)?, login, p, ctx.now))
            .collect();
        effects.user(json!({
            "action": "AddAccounts", "institutionId": institution, "institutionLoginId": null,
            "accounts": null, "accountIds": [], "success": null, "errorCode": null,
        }));
        effects.event(
            "discovered",
            json!({"accounts": rendered(&customer, &discovered, ctx.now), "institutionId": id}),
            at,
        );
        effects.route("Add-Accounts", json!({}));
        self.step = Step::Accounts {
            institution,
            login,
            discovered,
        };
    }

    fn add_accounts(
        &mut self,
        institution: u64,
        login: i64,
        discovered: Vec<Account>,
        chosen: &[u64],
        ctx: &Context<'_>,
        effects: &mut Effects,
    ) {
        let now = ctx.now;
        let id = institution.to_string();
        let mut adding: Vec<Account> = discovered
            .iter()
            .filter(|a| chosen.is_empty() || chosen.contains(&a.id))
            .cloned()
            .collect();
        for account in &mut adding {
            account.status = "active".to_owned();
        }
        let ids: Vec<String> = adding.iter().map(|a| a.id.to_string()).collect();
        let linked = ctx.customers.update(ctx.customer_id, |customer| {
            if customer.accounts.len() + adding.len() > MAX_ACCOUNTS_PER_CUSTOMER {
                return Err(customer.accounts.len());
            }
            customer.accounts.extend(adding.iter().cloned());
            Ok(())
        });
        match linked {
            Some(Ok(())) => {}
            Some(Err(held)) => {
                self.alert = Some(format!(
                    "This customer holds {held} accounts; a testing customer holds at most {MAX_ACCOUNTS_PER_CUSTOMER}. Choose fewer accounts."
                ));
                self.step = Step::Accounts {
                    institution,
                    login,
                    discovered,
                };
                return;
            }
            None => {
                // Deleted while the session was open.
                self.step = Step::Unable { institution, code: 500 };
                effects.route("Error", json!({"code": 500}));
                return;
            }
        }
        let Some(customer) = ctx.customers.get(ctx.customer_id) else { return };
        effects.event("adding", json!({"accounts": ids, "institutionId": id}), now);
        effects.event(
            "added",
            json!({"accounts": rendered(&customer, &adding, now), "institutionId": id}),
            now,
        );
        effects.user(json!({
            "action": "AddAccounts", "institutionId": institution, "institutionLoginId": login,
            "accounts": adding.len(), "accountIds": ids, "success": true, "errorCode": null,
        }));
        effects.route("Done", json!({}));
        self.linked.push(login);
        self.step = Step::Added { institution, login };
    }
}

fn not_supported(institution: &Institution) -> String {
    if institution.test {
        format!(
            "{} cannot be connected by testing customers; choose FinBank or FinBank Profiles - A.",
            institution.name
        )
    } else {
        format!(
            "{} is a live institution: testing customers can connect only FinBank test institutions.",
            institution.name
        )
    }
}

/// A discovered account: pending until the consumer adds it.
fn new_account(
    connect: &Connect,
    institution: &'static Institution,
    login: i64,
    planned: &Planned,
    now: DateTime<Utc>,
) -> Option<Account> {
    let id = connect.next_account_id();
    Some(Account {
        id,
        kind: planned.kind.to_owned(),
        name: planned.name.to_owned(),
        number: super::super::customers::account_number(id),
        institution,
        institution_login_id: login,
        status: "pending".to_owned(),
        currency: "USD".to_owned(),
        created: now,
        opened: None,
        balances: BalanceModel::new(connect.seed, id, planned.profile, None),
        history_days: STANDARD_HISTORY_DAYS,
        aggregation_status: 0,
    })
}

/// Accounts as `CustomerAccount` records.
fn rendered(customer: &Customer, accounts: &[Account], now: DateTime<Utc>) -> Vec<Value> {
    let today = super::super::clock::local_date(now);
    accounts
        .iter()
        .enumerate()
        .map(|(n, a)| {
            let position = customer
                .accounts
                .iter()
                .position(|held| held.id == a.id)
                .unwrap_or(customer.accounts.len() + n);
            serde_json::to_value(super::super::aggregation::account_body(customer, a, position, today, now.timestamp()))
                .unwrap_or(Value::Null)
        })
        .collect()
}

/// The institutions a search screen lists.
pub(crate) fn shown(query: &str) -> Vec<&'static Institution> {
    institutions::search(query).take(SEARCH_SHOWN).collect()
}
