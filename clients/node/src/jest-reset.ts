// `setupFilesAfterEnv: ["leadsim/jest/reset"]`: a reset before every test.
import { leadsim } from "./jest.js";

declare const beforeEach: (fn: () => Promise<unknown>) => void;

beforeEach(() => leadsim().reset());
