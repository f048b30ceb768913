//! The sign-in profiles of the vendor's test institutions, as its testing
//! guide documents them: what a username and password (and MFA answers)
//! lead to at a FinBank. Every FinBank takes the generic `demo`/`go`
//! family of profiles; the "FinBank Profiles" institutions also take
//! `profile_NN` with the same word as password (`profile_03`/`profile_03`
//! is the vendor's own setup script's), and `test`/`profile_02` (the
//! vendor reference app's hint).

use super::super::balances::Profile;

/// One account a successful sign-in discovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) kind: &'static str,
    pub(crate) name: &'static str,
    pub(crate) profile: Profile,
}

/// An MFA challenge, as the page asks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// A question answered in text (`tfa_text`); `mfa` asks again.
    Text,
    /// A captcha (`tfa_image`), answered in text.
    Image,
    /// Options to choose from (`tfa_choice`, `demo`/`imagechoice`); `fail` is wrong.
    Choice,
    /// Two questions at once (`tfa_multi`).
    Multi,
}

impl Challenge {
    pub(crate) fn questions(self) -> &'static [&'static str] {
        match self {
            Challenge::Text => &["What city were you born in?"],
            Challenge::Image => &["Type the characters shown in the image: 7XQ2"],
            Challenge::Choice => &["Which of these is your favourite colour?"],
            Challenge::Multi => &["What was your first pet's name?", "What street did you grow up on?"],
        }
    }

    /// The options of a choice challenge.
    pub(crate) fn choices(self) -> &'static [&'static str] {
        match self {
            Challenge::Choice => &["Red", "Green", "Blue", "fail"],
            _ => &[],
        }
    }
}

/// What a sign-in (or an MFA answer) leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignIn {
    Accounts(Vec<Planned>),
    Mfa(Challenge),
    /// Error 103: wrong username or password.
    InvalidCredentials,
    /// Error 187: a wrong MFA answer.
    InvalidMfa,
    /// The institution could not be reached; the code is the one the
    /// `unableToConnect` event and the page show.
    Unable(u16),
    /// Signed in, but discovery takes this many (virtual) seconds.
    SlowDiscovery(Vec<Planned>, i64),
}

/// The error codes `demo` signs in to with these passwords.
const DEMO_FAILURES: [u16; 5] = [123, 125, 127, 128, 130];

/// How long `discovertimeout` takes to discover its accounts.
pub(crate) const SLOW_DISCOVERY_SECONDS: i64 = 60;

/// Signing in to a FinBank (`profiles`: one of the "FinBank Profiles").
pub(crate) fn sign_in(profiles: bool, username: &str, password: &str) -> SignIn {
    if profiles && let Some(n) = profile_number(username) {
        let expected = if username == "test" {
            "profile_02".to_owned()
        } else {
            username.to_owned()
        };
        return if password == expected {
            SignIn::Accounts(profile_accounts(n))
        } else {
            SignIn::InvalidCredentials
        };
    }
    match (username, password) {
        ("demo", "go") => SignIn::Accounts(demo_accounts()),
        ("demo", "imagechoice" | "imagechoice2") => SignIn::Mfa(Challenge::Choice),
        ("demo", code) => match code.parse::<u16>() {
            Ok(code) if DEMO_FAILURES.contains(&code) => SignIn::Unable(code),
            _ => SignIn::InvalidCredentials,
        },
        ("tfa_text", "go") => SignIn::Mfa(Challenge::Text),
        ("tfa_image", "go") => SignIn::Mfa(Challenge::Image),
        ("tfa_choice", "go") => SignIn::Mfa(Challenge::Choice),
        ("tfa_multi", "go") => SignIn::Mfa(Challenge::Multi),
        ("discovertimeout", "go") => SignIn::SlowDiscovery(demo_accounts(), SLOW_DISCOVERY_SECONDS),
        _ => SignIn::InvalidCredentials,
    }
}

/// The answer to `challenge` (one answer per question).
pub(crate) fn answer(challenge: Challenge, answers: &[String]) -> SignIn {
    let given: Vec<&str> = answers.iter().map(|a| a.trim()).collect();
    if given.len() < challenge.questions().len() || given.iter().any(|a| a.is_empty()) {
        return SignIn::Mfa(challenge);
    }
    match challenge {
        Challenge::Text | Challenge::Image if given[0] == "mfa" => SignIn::Mfa(challenge),
        Challenge::Choice if given[0] == "fail" => SignIn::InvalidMfa,
        Challenge::Choice if !challenge.choices().contains(&given[0]) => SignIn::Mfa(challenge),
        _ => SignIn::Accounts(demo_accounts()),
    }
}

/// `profile_01` to `profile_20` (and `test`, which is profile 2).
fn profile_number(username: &str) -> Option<u32> {
    if username == "test" {
        return Some(2);
    }
    let n: u32 = username.strip_prefix("profile_")?.parse().ok()?;
    (1..=20).contains(&n).then_some(n)
}

fn demo_accounts() -> Vec<Planned> {
    vec![
        Planned { kind: "checking", name: "Checking", profile: Profile::Steady },
        Planned { kind: "savings", name: "Savings", profile: Profile::Growing },
    ]
}

/// Profile `n`'s accounts: a checking account whose behaviour the number
/// picks, savings, and for some profiles a money market or a second
/// checking account, so profiles differ as the vendor's do.
fn profile_accounts(n: u32) -> Vec<Planned> {
    let checking = match n % 4 {
        0 => Profile::Seasonal,
        1 => Profile::Steady,
        2 => Profile::OverdraftProne,
        _ => Profile::Declining,
    };
    let mut accounts = vec![
        Planned { kind: "checking", name: "Checking", profile: checking },
        Planned { kind: "savings", name: "Savings", profile: Profile::Growing },
    ];
    if n.is_multiple_of(3) {
        accounts.push(Planned { kind: "moneyMarket", name: "Money Market", profile: Profile::Steady });
    }
    if n.is_multiple_of(5) {
        accounts.push(Planned { kind: "checking", name: "Joint Checking", profile: Profile::Seasonal });
    }
    accounts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_profiles_sign_in_as_documented() {
        assert!(matches!(sign_in(true, "profile_03", "profile_03"), SignIn::Accounts(a) if a.len() == 3));
        assert!(matches!(sign_in(true, "test", "profile_02"), SignIn::Accounts(a) if a.len() == 2));
        assert_eq!(sign_in(true, "profile_03", "wrong"), SignIn::InvalidCredentials);
        // Plain FinBank has no numbered profiles.
        assert_eq!(sign_in(false, "profile_03", "profile_03"), SignIn::InvalidCredentials);
        assert!(matches!(sign_in(false, "demo", "go"), SignIn::Accounts(_)));
        assert_eq!(sign_in(false, "demo", "127"), SignIn::Unable(127));
        assert_eq!(sign_in(false, "demo", "126"), SignIn::InvalidCredentials);
        assert_eq!(sign_in(false, "invalid_user", "go"), SignIn::InvalidCredentials);
        assert_eq!(sign_in(false, "tfa_text", "go"), SignIn::Mfa(Challenge::Text));
        assert!(matches!(sign_in(false, "discovertimeout", "go"), SignIn::SlowDiscovery(_, 60)));
    }

    #[test]
    fn mfa_answers_succeed_ask_again_or_fail() {
        let one = |a: &str| vec![a.to_owned()];
        assert_eq!(answer(Challenge::Text, &one("mfa")), SignIn::Mfa(Challenge::Text));
        assert!(matches!(answer(Challenge::Text, &one("Paris")), SignIn::Accounts(_)));
        assert_eq!(answer(Challenge::Choice, &one("fail")), SignIn::InvalidMfa);
        assert!(matches!(answer(Challenge::Choice, &one("Blue")), SignIn::Accounts(_)));
        assert_eq!(answer(Challenge::Multi, &one("Rex")), SignIn::Mfa(Challenge::Multi));
        assert!(matches!(
            answer(Challenge::Multi, &["Rex".to_owned(), "Elm".to_owned()]),
            SignIn::Accounts(_)
        ));
    }
}
