// `setupFiles: ["leadsim/vitest/reset"]`: a reset before every test (with
// or without Vitest's `globals`).
import { leadsim } from "./jest.js";

const vitest: { beforeEach: (fn: () => Promise<unknown>) => void } = await import("vitest" as string);
vitest.beforeEach(() => leadsim().reset());
