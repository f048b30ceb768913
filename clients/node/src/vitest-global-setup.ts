// `globalSetup: ["leadsim/vitest/global-setup"]`.
import { setup } from "./vitest.js";

export default function start(): Promise<() => Promise<void>> {
  return setup();
}
