// Engine's published offer carousel, its own API layer unchanged, against
// leadsim: `fetch` is redirected from the vendor's hosts (api.engine.tech,
// www.moneylion.com) to leadsim, nothing else is altered. The component
// itself needs React Native; what it does around this layer (the
// configuration call, then `getDynamicOffers`) is done here as it does it.
const { installRedirect } = require("leadsim");
const { leadsim } = require("leadsim/jest");
const lib = "@moneylion/react-native-offer-carousel/lib/commonjs";
const { getDynamicOffers } = require(`${lib}/services/getDynamicOffers`);
const { getConfigApiBaseUrl } = require(`${lib}/apiEnvironment`);

const SUB_ACCOUNT_TOKEN = "demo-publishable-token";
let restore;
let calls = [];

beforeAll(() => {
  restore = installRedirect(process.env.LEADSIM_URL);
  // Record what the carousel sends to the vendor's hosts (leadsim answers).
  const redirected = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await redirected(input, init);
    if (/engine\.tech|moneylion\./.test(String(input))) {
      calls.push({ method: init?.method ?? "GET", url: String(input), status: response.status, body: await response.clone().json() });
    }
    return response;
  };
});
afterAll(() => restore());
beforeEach(async () => {
  calls = [];
  await leadsim().clock.set("2026-03-02T10:00:00Z"); // frozen, the usual test setup
});

// Call 1, as MoneyLionOfferCarousel.tsx makes it.
async function configuration(token = SUB_ACCOUNT_TOKEN) {
  const response = await fetch(`${getConfigApiBaseUrl(false)}/network/web/main/api/configuration`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  // Parsed in the test's realm: under Jest, `response.json()` builds objects
  // of Node's realm, which radash's `isObject` (the brand check) refuses.
  // In the app, and under node:test, both are one realm.
  return { status: response.status, body: JSON.parse(await response.text()) };
}

// The carousel's render: the configuration's context into the offers service.
async function render(context, props = {}) {
  const errors = [];
  const cfg = context.configuration.configuration;
  const result = await getDynamicOffers({
    tags: props.tags ?? "tag.subid=abc",
    defaultProductType: cfg.defaultProductTypeSlug,
    productTypes: props.productTypes ?? ["EarnedWageAccess", "CashAdvance"],
    isCachedOffersRequest: cfg.enableUseCachedOffers,
    productTypesDefinition: cfg.productTypesDefinition,
    partnersOverrideDefinition: cfg.partnersOverrideDefinition,
    context,
    userData: props.userData ?? {},
    onError: (e) => errors.push(e),
  });
  return { ...result, errors };
}

test("configuration: the context the carousel needs, and 401 JSON for a bad token", async () => {
  const { status, body } = await configuration();
  expect(status).toBe(200);
  const context = body.serializableContext;
  expect(context.subaccount.publicToken).toBe(SUB_ACCOUNT_TOKEN);
  expect(context.signals.deviceSignals.country).toBe("US");
  expect(context.signals.lead.uuid).toMatch(/^[0-9a-f-]{36}$/);
  expect(Array.isArray(context.configuration.configuration.productTypesDefinition)).toBe(true);
  expect(context.brand.isLicensed).toBe(true);

  const refused = await configuration("undefined"); // what a missing prop sends
  expect(refused).toEqual({ status: 401, body: [{ message: "Access token is invalid" }] });
});

test("offer search and polling: the late partners' offers arrive within the five polls", async () => {
  const context = (await configuration()).body.serializableContext;
  const result = await render(context);
  expect(result.errors).toEqual([]);
  expect(result.isError).toBeFalsy();
  expect(result.leadUuid).toBe(context.signals.lead.uuid);
  const [post, ...polls] = calls.filter((c) => c.url.includes("offerSearches"));
  expect(post.method).toBe("POST");
  expect(post.body.pendingResponses.length).toBeGreaterThan(0);
  expect(polls.length).toBeGreaterThan(0);
  expect(polls.length).toBeLessThanOrEqual(5);
  const last = polls[polls.length - 1].body;
  expect(last.pendingResponses).toEqual([]);
  expect(result.offers.length).toBe(last.offers.length);
  expect(result.offers.length).toBeGreaterThan(post.body.offers.length);
  for (const offer of result.offers) {
    expect(typeof offer.recommendationScore).toBe("number");
    expect(offer.url).toMatch(/^http:\/\/.*\/ref\/[0-9a-f-]{36}$/);
    expect(["EarnedWageAccess", "CashAdvance"]).toContain(offer.productType);
  }
  const scores = result.offers.map((o) => o.recommendationScore);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
}, 30000);

test("channel offers: the cached mode, with the host's tags appended to each link", async () => {
  await leadsim().fixtures.merge({
    engine: { companies: [{ name: "Cached Partner", uuid: "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      confidentialToken: "cached-conf", publishableToken: "cached-pub",
      carousel: { context: { configuration: { configuration: { enableUseCachedOffers: true } } } } }] },
  });
  const context = (await configuration("cached-pub")).body.serializableContext;
  const result = await render(context);
  expect(result.errors).toEqual([]);
  expect(calls.map((c) => new URL(c.url).pathname)).toEqual([
    "/network/web/main/api/configuration",
    "/leads/public/channelOffers",
  ]);
  expect(result.offers.length).toBeGreaterThan(0);
  for (const offer of result.offers) {
    expect(offer.url).toMatch(/\/ref\/[0-9a-f-]{36}\?tag\.subid=abc$/);
  }
});

test("errors: a bad token is a 401 the carousel reports with its status; no offers fall back to the default", async () => {
  const context = (await configuration()).body.serializableContext;
  const denied = await render({ ...context, subaccount: { ...context.subaccount, publicToken: "wrong" } });
  expect(denied.isError).toBe(true);
  expect(denied.errorCode).toBe(401); // the body was JSON, so the status survived
  expect(denied.errors.map((e) => e.code)).toEqual(["NETWORK_REQUEST_ERROR", "NETWORK_REQUEST_ERROR"]);

  calls = [];
  const fallback = await render(context, { productTypes: ["NoSuchProduct"] });
  expect(fallback.errors.map((e) => e.code)).toEqual(["NO_OFFERS_FOUND"]);
  expect(fallback.isError).toBeFalsy();
  expect(fallback.offers.every((o) => o.productType === "EarnedWageAccess")).toBe(true);
  expect(calls.filter((c) => c.method === "POST").length).toBe(2);
});
