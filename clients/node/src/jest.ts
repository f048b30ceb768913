// Jest set-up: one leadsim for the run, reset before each test.
//
//   // jest.config.js
//   module.exports = {
//     globalSetup: "leadsim/jest/global-setup",
//     globalTeardown: "leadsim/jest/global-teardown",
//     setupFilesAfterEnv: ["leadsim/jest/reset"],
//   };
//
// Those modules call the functions below; call them yourself to pass options.

import { Leadsim } from "./admin.js";
import { start, type StartOptions, type StartedLeadsim } from "./server.js";

const KEY = Symbol.for("leadsim.jest.server");

type Held = { [KEY]?: StartedLeadsim };

/**
 * For `globalSetup`: starts leadsim (unless `$LEADSIM_URL` names one
 * already running) and exports its URL as `$LEADSIM_URL`, which Jest's
 * workers inherit.
 */
export async function globalSetup(options: StartOptions = {}): Promise<void> {
  if (process.env.LEADSIM_URL) {
    await new Leadsim(process.env.LEADSIM_URL).waitUntilHealthy();
    return;
  }
  const sim = await start(options);
  (globalThis as Held)[KEY] = sim;
  process.env.LEADSIM_URL = sim.url;
  if (sim.adminToken) {
    process.env.LEADSIM_ADMIN_TOKEN = sim.adminToken;
  }
}

/** For `globalTeardown`: stops the server `globalSetup` started. */
export async function globalTeardown(): Promise<void> {
  const sim = (globalThis as Held)[KEY];
  delete (globalThis as Held)[KEY];
  await sim?.stop();
}

/** In a test file or a setup file: the run's leadsim (from `$LEADSIM_URL`). */
export function leadsim(): Leadsim {
  return new Leadsim();
}

/** In a setup file (`setupFilesAfterEnv`): resets leadsim before every test. */
export function resetBeforeEach(hook: (fn: () => Promise<unknown>) => void): void {
  hook(() => leadsim().reset());
}
