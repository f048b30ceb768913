module.exports = {
  testEnvironment: "node",
  globalSetup: "leadsim/jest/global-setup",
  globalTeardown: "leadsim/jest/global-teardown",
  setupFilesAfterEnv: ["leadsim/jest/reset"],
};
