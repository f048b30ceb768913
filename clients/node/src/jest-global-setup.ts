// `globalSetup: "leadsim/jest/global-setup"`: starts leadsim for the run.
import { globalSetup } from "./jest.js";

export default async function setup(): Promise<void> {
  await globalSetup();
}
