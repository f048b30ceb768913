export {
  ADMIN_TOKEN_HEADER,
  Clock,
  Faults,
  Fixtures,
  Journal,
  Leadsim,
  LeadsimError,
  Tenants,
  WaitTimeout,
} from "./admin.js";
export type { ClockStatus, Fault, FaultSpec, Health, Json, JournalEntry, JournalFilter, Tenant, TenantOptions } from "./admin.js";
export { StartedLeadsim, attach, freePort, start } from "./server.js";
export type { StartOptions } from "./server.js";
export { VENDOR_HOSTS, installRedirect, redirectFetch } from "./redirect.js";
