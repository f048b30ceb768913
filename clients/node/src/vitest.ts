// Vitest set-up: one leadsim for the run, reset before each test.
//
//   // vitest.config.ts
//   export default defineConfig({ test: {
//     globalSetup: ["leadsim/vitest/global-setup"],
//     setupFiles: ["leadsim/vitest/reset"],
//   } });

import { globalSetup, globalTeardown } from "./jest.js";
import type { StartOptions } from "./server.js";

export { leadsim } from "./jest.js";

/**
 * For Vitest's `globalSetup`: starts leadsim (unless `$LEADSIM_URL` names
 * one running), exports `$LEADSIM_URL` to the test workers, and returns
 * the teardown that stops it.
 */
export async function setup(options: StartOptions = {}): Promise<() => Promise<void>> {
  await globalSetup(options);
  return globalTeardown;
}
