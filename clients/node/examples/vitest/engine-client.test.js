import { beforeAll, afterAll, expect, test } from "vitest";
import { installRedirect } from "leadsim";
import { leadsim } from "leadsim/vitest";

let restore;
beforeAll(() => {
  restore = installRedirect(process.env.LEADSIM_URL);
});
afterAll(() => restore());

test("a reset before each test: the journal starts empty", async () => {
  const sim = leadsim();
  expect(await sim.requests.list()).toEqual([]);
  await sim.clock.set("2026-01-05T12:00:00Z");
  const response = await fetch("https://api.engine.tech/supplyAnalytics/leadEvents?timestamp=2026-01-05T10:00:00Z", {
    headers: { Authorization: "Bearer demo-confidential-token" },
  });
  expect(response.status).toBe(200);
  await sim.requests.verify(1, { path: "/supplyAnalytics/leadEvents" });
});

test("and again in the next test", async () => {
  expect(await leadsim().requests.list()).toEqual([]);
  expect((await leadsim().clock.status()).frozen).toBe(false);
});
