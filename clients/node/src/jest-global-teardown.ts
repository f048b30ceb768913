// `globalTeardown: "leadsim/jest/global-teardown"`: stops it.
import { globalTeardown } from "./jest.js";

export default async function teardown(): Promise<void> {
  await globalTeardown();
}
