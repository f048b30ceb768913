import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["leadsim/vitest/global-setup"],
    setupFiles: ["leadsim/vitest/reset"],
    // One worker: the tests share one server and reset it.
    fileParallelism: false,
  },
});
