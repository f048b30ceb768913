const { installRedirect } = require("leadsim");
const { leadsim } = require("leadsim/jest");
const { fetchLeadEvents } = require("./engine-client");

const TOKEN = "demo-confidential-token";
let restore;

beforeAll(() => {
  restore = installRedirect(process.env.LEADSIM_URL); // api.engine.tech -> leadsim
});
afterAll(() => restore());

test("a window of lead events, with the SLA on the virtual clock", async () => {
  await leadsim().clock.set("2026-01-05T12:00:00Z");
  const window = await fetchLeadEvents(TOKEN, "2026-01-05T10:00:00Z");
  expect(window.data.length).toBeGreaterThan(0);
  expect(window.shouldContinuePolling).toBe(true);
  await expect(fetchLeadEvents(TOKEN, "2026-01-05T11:30:00Z")).rejects.toThrow("Engine answered 422");
});

test("the poller retries a 503 once and succeeds", async () => {
  const sim = leadsim(); // reset before this test: no fault, no journal from the last one
  await sim.clock.set("2026-01-05T12:00:00Z");
  await sim.faults.add({ match: { path: "/supplyAnalytics/leadEvents" }, effect: { type: "status", status: 503 }, times: 1 });
  await fetchLeadEvents(TOKEN, "2026-01-05T10:00:00Z");
  const [retry, first] = await sim.requests.verify(2, { path: "/supplyAnalytics/leadEvents" });
  expect([first.status, retry.status]).toEqual([503, 200]);
});
