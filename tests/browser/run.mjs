// The vendor's Connect Web SDK (npm `@finicity/connect-web-sdk`, unchanged)
// in headless Chromium, driven by Selenium, against leadsim's Connect page:
// an app on one loopback origin launches the SDK on a link leadsim
// generated (another origin, as in production), and a consumer links the
// FinBank profile (onDone), leaves (onCancel) and meets an institution that
// cannot be reached (onError). Every callback the SDK fires is checked.
//
// Usage: node run.mjs <leadsim binary> (run.sh builds the bundle first)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import assert from "node:assert/strict";
import { Builder, By, until } from "selenium-webdriver";
import chrome from "selenium-webdriver/chrome.js";

const binary = process.argv[2];
const here = new URL(".", import.meta.url).pathname;

/** Starts leadsim on a free loopback port; its base URL. */
async function startLeadsim() {
  const child = spawn(binary, ["--listen", "127.0.0.1:0", "--now", "2026-11-23T18:00:00Z"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  process.on("exit", () => child.kill());
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`leadsim did not start:\n${log}`)), 10_000);
    const read = (chunk) => {
      log += chunk;
      const found = log.match(/listening on (http:\/\/[0-9.:]+)/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
  });
}

/** Serves the app (index.html and its bundle) on a free loopback port. */
async function startApp() {
  const files = {
    "/": ["text/html", readFileSync(`${here}/index.html`)],
    "/bundle.js": ["text/javascript", readFileSync(`${here}/dist/bundle.js`)],
  };
  const server = http.createServer((request, response) => {
    const file = files[new URL(request.url, "http://app").pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": file[0] }).end(file[1]);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.on("exit", () => server.close());
  return `http://127.0.0.1:${server.address().port}`;
}

const base = await startLeadsim();
const app = await startApp();

async function call(method, path, body, token) {
  const headers = { "Finicity-App-Key": "demo-app-key", "Content-Type": "application/json" };
  if (token) headers["Finicity-App-Token"] = token;
  const response = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const { token } = await call("POST", "/aggregation/v2/partners/authentication", {
  partnerId: "demo-partner",
  partnerSecret: "demo-partner-secret",
});
const customer = (await call("POST", "/aggregation/v2/customers/testing", { username: "browser-user" }, token)).id;
const newLink = async () =>
  (await call("POST", "/connect/v2/generate", { partnerId: "demo-partner", customerId: customer }, token)).link;

const options = new chrome.Options()
  .setChromeBinaryPath(process.env.CHROMIUM ?? "/usr/bin/chromium")
  .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
const service = new chrome.ServiceBuilder(process.env.CHROMEDRIVER ?? "/usr/bin/chromedriver");
const driver = await new Builder().forBrowser("chrome").setChromeOptions(options).setChromeService(service).build();
const WAIT = 10_000;

/** Opens the app, launches the SDK on a new link and enters its iframe. */
async function launch() {
  const link = await newLink();
  await driver.switchTo().defaultContent();
  await driver.get(app);
  await driver.executeScript("window.launchConnect(arguments[0])", link);
  const frame = await driver.wait(until.elementLocated(By.id("finicityConnectIframe")), WAIT);
  await driver.switchTo().frame(frame);
  return link;
}

/** Clicks an element of the current screen once it is there. */
async function click(css) {
  const element = await driver.wait(until.elementLocated(By.css(css)), WAIT);
  await driver.wait(until.elementIsVisible(element), WAIT);
  await element.click();
}

async function type(css, text) {
  const element = await driver.wait(until.elementLocated(By.css(css)), WAIT);
  await element.sendKeys(text);
}

/** Waits for the screen named `name` (the page's `data-screen`). */
async function screen(name) {
  await driver.wait(until.elementLocated(By.css(`main[data-screen="${name}"]`)), WAIT);
}

/** The app's recorded callbacks, once `last` has fired. */
async function callbacks(last) {
  await driver.switchTo().defaultContent();
  await driver.wait(
    async () => (await driver.executeScript("return window.__events")).some((e) => e.name === last),
    WAIT,
    `${last} never fired`,
  );
  // Nothing fires after the SDK destroyed itself.
  await driver.sleep(300);
  return driver.executeScript("return window.__events");
}

const names = (events) => events.map((e) => (e.name === "onRoute" ? `onRoute:${e.data.screen}` : e.name === "onUser" ? `onUser:${e.data.action}` : e.name));

try {
  // 1. Link FinBank Profiles - A: onDone.
  await launch();
  await screen("search");
  await click('button[data-institution="102105"]');
  await screen("sign-in");
  await type("#username", "profile_03");
  await type("#password", "profile_03");
  await click("#submit");
  await screen("accounts");
  await click("#submit");
  await screen("added");
  await click("#submit");
  let events = await callbacks("onDone");
  assert.deepEqual(names(events), [
    "onLoad",
    "onRoute:Search",
    "onRoute:Add-Institution",
    "onUser:AddAccounts",
    "onRoute:Add-Accounts",
    "onUser:AddAccounts",
    "onRoute:Done",
    "onUser:End",
    "onDone",
  ]);
  assert.deepEqual(events.at(-1).data, { code: 200, reason: "complete", reportData: [] });
  const added = events.filter((e) => e.name === "onUser")[1].data;
  assert.equal(added.success, true);
  assert.equal(added.accounts, 3);
  // The SDK removed its iframe; the accounts are the customer's now.
  assert.equal((await driver.findElements(By.id("finicityConnectIframe"))).length, 0);
  const linked = await call("GET", `/aggregation/v1/customers/${customer}/institutionLogins/${added.institutionLoginId}/accounts`, null, token);
  assert.deepEqual(linked.accounts.map((a) => a.id), added.accountIds);
  console.log(`onDone: ${added.accounts} accounts linked at login ${added.institutionLoginId}`);

  // 2. Leave at once: onCancel.
  await launch();
  await screen("search");
  await click("#exit");
  events = await callbacks("onCancel");
  assert.deepEqual(names(events), ["onLoad", "onRoute:Search", "onUser:End", "onCancel"]);
  assert.deepEqual(events.at(-1).data, { code: 100, reason: "exit" });
  console.log("onCancel: {code: 100, reason: exit}");

  // 3. FinBank cannot be reached (demo / 127), then leave: onError.
  await launch();
  await screen("search");
  await click('button[data-institution="101732"]');
  await screen("sign-in");
  await type("#username", "demo");
  await type("#password", "127");
  await click("#submit");
  await screen("unable");
  await click("#leave");
  events = await callbacks("onError");
  assert.deepEqual(names(events), ["onLoad", "onRoute:Search", "onRoute:Add-Institution", "onRoute:Error", "onError"]);
  assert.deepEqual(events.at(-1).data, { code: 500, reason: "error" });
  console.log("onError: {code: 500, reason: error}");

  // The webhook-less links raised no deliveries; the journal never saw a password.
  const journal = await (await fetch(`${base}/__admin/requests?family=finicity&limit=100`)).text();
  assert.ok(!journal.includes("profile_03"), "a password reached the journal");
  console.log("the Web SDK drove leadsim's Connect page: onDone, onCancel, onError");
} finally {
  await driver.quit();
}
process.exit(0);
