// The helper against the real binary: `$LEADSIM_BIN` (CI sets it to the
// build under test) or `leadsim` on PATH.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync, chmodSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { Leadsim, LeadsimError, WaitTimeout, attach, freePort, redirectFetch, start } from "../dist/esm/index.js";

const ENGINE = "demo-confidential-token";
const started = [];
after(async () => {
  for (const sim of started) await sim.stop();
});

async function run(options = {}) {
  const sim = await start(options);
  started.push(sim);
  return sim;
}

/** Whether `pid` runs (a zombie waiting for its parent to reap it does not). */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

test("start runs the binary on a free port, waits for health under any RUST_LOG, and stop ends it", async () => {
  const sim = await start({ args: ["--seed", "7", "--now", "2020-01-01T08:15:00Z"], env: { ...process.env, RUST_LOG: "error" } });
  assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const health = await sim.health();
  assert.equal(health.status, "ok");
  assert.equal(health.seed, 7);
  assert.deepEqual(await sim.clock.status(), { now: "2020-01-01T08:15:00Z", frozen: true, offsetSeconds: health.clock.offsetSeconds });
  const pid = sim.pid;
  await sim.stop();
  assert.equal(alive(pid), false);
  await assert.rejects(new Leadsim(sim.url).health());
});

test("a chosen port, by option or by --listen", async () => {
  const port = await freePort();
  const byOption = await start({ port });
  assert.equal(byOption.url, `http://127.0.0.1:${port}`);
  await byOption.stop();
  const byFlag = await start({ args: ["--listen", `127.0.0.1:${port}`] });
  assert.equal(byFlag.url, `http://127.0.0.1:${port}`);
  assert.equal((await byFlag.health()).status, "ok");
  await byFlag.stop();
});

test("the timeout holds and a server that never answers is stopped", async () => {
  const dir = mkdtempSync(join(tmpdir(), "leadsim-node-"));
  const fake = join(dir, "leadsim");
  const pidFile = join(dir, "pid");
  writeFileSync(fake, `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 60\n`);
  chmodSync(fake, 0o755);
  const began = Date.now();
  await assert.rejects(start({ binary: fake, timeoutMs: 1000 }), /did not answer within 1000 ms/);
  assert.ok(Date.now() - began < 5000);
  assert.equal(alive(Number(readFileSync(pidFile, "utf8"))), false);
});

test("a binary that cannot start says why", async () => {
  await assert.rejects(start({ args: ["--seed", "not-a-number"] }), /did not start \(exit 2\)/);
  await assert.rejects(start({ binary: "/definitely/not/leadsim" }), /LEADSIM_BIN/);
});

test("a server started here is gone when this process exits", () => {
  // A child node process starts leadsim and exits without stopping it.
  const script = `import { start } from ${JSON.stringify(new URL("../dist/esm/index.js", import.meta.url).href)};
    const sim = await start(); console.log(sim.pid); process.exit(0);`;
  const pid = Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim());
  assert.ok(pid > 0);
  // SIGKILL went out before the parent exited; allow the kernel a moment.
  const deadline = Date.now() + 3000;
  while (alive(pid) && Date.now() < deadline) {
    execFileSync("sleep", ["0.05"]);
  }
  assert.equal(alive(pid), false);
});

test("the admin token: from the option or $LEADSIM_ADMIN_TOKEN, sent on every admin call", async () => {
  const sim = await run({ adminToken: "node-s3cret" });
  assert.equal((await sim.clock.status()).frozen, false);
  await assert.rejects(new Leadsim(sim.url, { adminToken: "wrong" }).clock.status(), (e) => e instanceof LeadsimError && e.status === 401);
  process.env.LEADSIM_ADMIN_TOKEN = "node-s3cret";
  try {
    const attached = await attach(sim.url);
    assert.ok(await attached.reset());
  } finally {
    delete process.env.LEADSIM_ADMIN_TOKEN;
  }
});

test("clock, journal with wait and verify, faults, fixtures, tenants, reset", async () => {
  const sim = await run({ args: ["--now", "2020-01-01T08:15:00Z"] });
  await sim.clock.advance(3600);
  assert.equal((await sim.clock.now()).toISOString(), "2020-01-01T09:15:00.000Z");
  const fault = await sim.faults.add({ match: { path: "/supplyAnalytics/leadEvents" }, effect: { type: "status", status: 503 }, times: 1 });
  assert.match(fault.id, /.+/);
  const call = () => fetch(`${sim.url}/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z`, { headers: { Authorization: `Bearer ${ENGINE}` } });
  assert.equal((await call()).status, 503);
  assert.equal((await call()).status, 200);
  const [retry, first] = await sim.requests.waitFor(2, { path: "/supplyAnalytics/leadEvents", credential: ENGINE });
  assert.deepEqual([first.status, retry.status], [503, 200]);
  assert.deepEqual(first.fault, { id: fault.id, effect: "status" });
  assert.ok(first.headers.some(([name, value]) => name === "authorization" && value.startsWith("Bearer [redacted:")));
  await sim.requests.verify(2, { path: "/supplyAnalytics/leadEvents" });
  await assert.rejects(sim.requests.verify(3, { path: "/supplyAnalytics/leadEvents" }), /expected 3 request\(s\)/);
  await assert.rejects(sim.requests.waitFor(1, { path: "/nothing" }, 0.2), (e) => e instanceof WaitTimeout && e.arrived.length > 0);
  await sim.faults.remove(fault.id); // already retired: no error
  const tenant = await sim.tenants.create("engine", { name: "node-test", rateLimit: { calls: 1, seconds: 60 } });
  assert.equal(tenant.family, "engine");
  assert.equal((await sim.tenants.list("engine")).some((t) => t.id === tenant.id), true);
  await sim.tenants.setRateLimit("engine", tenant.id, null);
  await sim.fixtures.merge({ leadsquared: { accounts: [] } }).catch((e) => assert.ok(e instanceof LeadsimError));
  await assert.rejects(sim.fixtures.merge({}), (e) => e instanceof LeadsimError && e.status === 400 && /give at least one/.test(e.message));
  await sim.reset();
  assert.deepEqual(await sim.requests.list(), []);
  assert.equal((await sim.tenants.list("engine")).some((t) => t.id === tenant.id), false);
});

test("redirectFetch sends a hard-coded vendor host to leadsim and leaves others alone", async () => {
  const sim = await run();
  const seen = [];
  const inner = async (input, init) => {
    seen.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  const redirected = redirectFetch(sim.url, undefined, inner);
  const response = await redirected("https://api.engine.tech/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z", {
    headers: { Authorization: "Bearer nobody" },
  });
  assert.equal(response.status, 401);
  const errors = await response.json();
  assert.ok(Array.isArray(errors) && typeof errors[0].message === "string", JSON.stringify(errors));
  const wildcard = redirectFetch(sim.url, ["https://*.leadsquared.com"], inner);
  const lsq = await wildcard("https://api-in21.leadsquared.com/__admin/health");
  assert.equal(lsq.status, 200);
  assert.deepEqual(seen, [
    `${sim.url}/supplyAnalytics/leadEvents?timestamp=2020-01-01T07:00:00Z`,
    `${sim.url}/__admin/health`,
  ]);
});

test("the CommonJS build exports the same API", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("../dist/cjs/index.js");
  for (const name of ["Leadsim", "LeadsimError", "WaitTimeout", "start", "attach", "redirectFetch", "installRedirect", "freePort"]) {
    assert.equal(typeof cjs[name], "function", name);
  }
  assert.equal(typeof require("../dist/cjs/jest.js").globalSetup, "function");
});
