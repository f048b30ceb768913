//! The Connect experience's HTML: one server-rendered document whose
//! `<main id="screen">` is the current screen. Every screen is a plain
//! form (`action` buttons), so a test without a browser completes a link
//! with form posts. In a browser, leadsim's small script posts the same
//! forms with `fetch` and swaps `<main>` in place: the page never reloads,
//! because the Web SDK restarts its handshake on every load of its iframe
//! and would deliver callbacks twice. The script speaks the SDK's protocol:
//! it waits for the SDK's `ping`, answers `ack`, and then posts the
//! screen's messages (`data-messages`) to the SDK's window and origin.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use super::super::institutions;
use super::logins::Challenge;
use super::session::{Finish, Step, shown};

/// What a screen shows.
pub(crate) struct Screen {
    /// Where the forms post; `None` when the link is unknown.
    pub(crate) action: Option<String>,
    pub(crate) step: Step,
    pub(crate) alert: Option<String>,
    pub(crate) messages: Vec<Value>,
    pub(crate) redirect_uri: Option<String>,
    /// Whether the screen may go back to the search (not Lite or Fix).
    pub(crate) can_search: bool,
    /// Shown instead of a screen: the link is unknown, expired or used.
    pub(crate) problem: Option<&'static str>,
}

const SCRIPT: &str = r#"
(function () {
  "use strict";
  var sdk = null, queue = [];
  function send(message) {
    if (sdk) { sdk.source.postMessage(message, sdk.origin); } else { queue.push(message); }
  }
  function take(main) {
    var messages = JSON.parse(main.getAttribute("data-messages") || "[]");
    messages.forEach(send);
    var redirect = main.getAttribute("data-redirect");
    if (redirect) {
      setTimeout(function () { if (!sdk) { window.location.assign(redirect); } }, 1500);
    }
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "ping" || !event.source) { return; }
    var first = sdk === null;
    sdk = { source: event.source, origin: event.origin };
    event.source.postMessage({ type: "ack" }, event.origin);
    if (first) { var waiting = queue; queue = []; waiting.forEach(send); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form, event.submitter));
    // Not `form.action`: the form's `action` buttons shadow that property.
    fetch(form.getAttribute("action"), { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("screen");
        var current = document.getElementById("screen");
        if (next && current) {
          current.replaceWith(document.importNode(next, true));
          take(document.getElementById("screen"));
        }
      });
  });
  take(document.getElementById("screen"));
})();
"#;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2733}\
header{background:#1b3e4a;color:#fff;padding:12px 20px;font-weight:600}\
main{max-width:520px;margin:24px auto;background:#fff;padding:20px 24px;border-radius:8px;box-shadow:0 1px 4px #0002}\
label{display:block;margin:10px 0 4px}input[type=text],input[type=password],input[type=search]{width:100%;padding:8px;box-sizing:border-box}\
button{margin:12px 8px 0 0;padding:8px 14px}.alert{background:#fdecea;color:#8a1c12;padding:10px;border-radius:4px}\
ul{padding-left:0;list-style:none}li{margin:6px 0}small{color:#5b6b78}";

pub(crate) fn render(screen: &Screen) -> String {
    let messages = serde_json::to_string(&screen.messages).unwrap_or_else(|_| "[]".into());
    let redirect = match (&screen.step, &screen.redirect_uri) {
        (Step::Finished(_), Some(uri)) => Some(uri.as_str()),
        _ => None,
    };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Connect (leadsim)" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { "Mastercard Open Finance Connect " small { "(simulated by leadsim)" } }
                main id="screen" data-screen=(screen_name(screen)) data-messages=(messages) data-redirect=[redirect] {
                    @if let Some(alert) = &screen.alert {
                        p class="alert" role="alert" { (alert) }
                    }
                    @match (screen.problem, &screen.action) {
                        (Some(problem), _) => { h1 { "This link cannot be used" } p { (problem) } }
                        (None, Some(action)) => (body(screen, action)),
                        (None, None) => {}
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    markup.into_string()
}

/// A name for the screen, for tests and the curious (`data-screen`).
pub(crate) fn screen_name(screen: &Screen) -> &'static str {
    if screen.problem.is_some() {
        return "problem";
    }
    match &screen.step {
        Step::Search { .. } => "search",
        Step::SignIn { .. } => "sign-in",
        Step::Mfa { .. } => "mfa",
        Step::Accounts { .. } => "accounts",
        Step::Added { .. } => "added",
        Step::Unable { .. } => "unable",
        Step::Finished(Finish::Done) => "done",
        Step::Finished(Finish::Cancelled) => "cancelled",
        Step::Finished(Finish::Failed) => "failed",
        Step::Finished(Finish::Expired) => "expired",
    }
}

fn institution_name(id: u64) -> &'static str {
    institutions::find(id).map_or("your institution", |i| i.name)
}

fn body(screen: &Screen, action: &str) -> Markup {
    let exit = html! { button type="submit" name="action" value="cancel" id="exit" { "Exit" } };
    match &screen.step {
        Step::Search { query } => html! {
            h1 { "Find your bank" }
            form method="post" action=(action) {
                label for="query" { "Search" }
                input type="search" id="query" name="query" value=(query) placeholder="finbank";
                button type="submit" name="action" value="search" { "Search" }
            }
            ul {
                @for institution in shown(query) {
                    li {
                        form method="post" action=(action) {
                            input type="hidden" name="institutionId" value=(institution.id);
                            button type="submit" name="action" value="institution" data-institution=(institution.id) {
                                (institution.name)
                            }
                        }
                    }
                }
            }
            form method="post" action=(action) { (exit) }
        },
        Step::SignIn { institution } => html! {
            h1 { "Sign in to " (institution_name(*institution)) }
            form method="post" action=(action) {
                label for="username" { "Banking Userid" }
                input type="text" id="username" name="username" autocomplete="off";
                label for="password" { "Banking Password" }
                input type="password" id="password" name="password" autocomplete="off";
                button type="submit" name="action" value="signin" id="submit" { "Submit" }
                @if screen.can_search { button type="submit" name="action" value="back" { "Choose another bank" } }
                (exit)
            }
        },
        Step::Mfa { challenge, institution, .. } => html! {
            h1 { (institution_name(*institution)) " needs more information" }
            form method="post" action=(action) {
                @for (n, question) in challenge.questions().iter().enumerate() {
                    label for=(format!("answer{n}")) { (question) }
                    @if *challenge == Challenge::Choice {
                        @for choice in challenge.choices() {
                            label { input type="radio" name="answer" value=(choice); " " (choice) }
                        }
                    } @else {
                        input type="text" id=(format!("answer{n}")) name="answer" autocomplete="off";
                    }
                }
                button type="submit" name="action" value="mfa" id="submit" { "Submit" }
                (exit)
            }
        },
        Step::Accounts { discovered, institution, .. } => html! {
            h1 { "Choose accounts at " (institution_name(*institution)) }
            form method="post" action=(action) {
                ul {
                    @for account in discovered {
                        li { label { input type="checkbox" name="accountId" value=(account.id) checked; " " (account.name) " ending in " (account.last4()) } }
                    }
                }
                button type="submit" name="action" value="accounts" id="submit" { "Save" }
                (exit)
            }
        },
        Step::Added { institution, .. } => html! {
            h1 { "Your submission was successful. Thank you!" }
            p { "Accounts at " (institution_name(*institution)) " are linked." }
            form method="post" action=(action) {
                button type="submit" name="action" value="submit" id="submit" { "Submit" }
                @if screen.can_search { button type="submit" name="action" value="back" { "Add another account" } }
            }
        },
        Step::Unable { institution, code } => html! {
            h1 { "We could not connect to " (institution_name(*institution)) }
            p { "The institution is not available right now (error " (code) ")." }
            form method="post" action=(action) {
                @if screen.can_search { button type="submit" name="action" value="back" { "Choose another bank" } }
                button type="submit" name="action" value="fail" id="leave" { "Leave" }
            }
        },
        Step::Finished(finish) => html! {
            h1 { (match finish {
                Finish::Done => "You are all set",
                Finish::Cancelled => "You left Connect",
                Finish::Failed => "Connect ended with an error",
                Finish::Expired => "This link has expired",
            }) }
            @if let Some(uri) = &screen.redirect_uri { p { a href=(uri) { "Return to the application" } } }
        },
    }
}
