// The control plane, typed: one `Leadsim` per server with its parts as
// properties (`clock`, `requests`, `faults`, `fixtures`, `tenants`). Node's
// own `fetch` only; every refused call throws `LeadsimError` carrying
// leadsim's own message.

/** A JSON value as the admin API answers it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The admin API refused a call: `status`, and leadsim's `message`. */
export class LeadsimError extends Error {
  readonly status: number;
  readonly body: Json | undefined;

  constructor(status: number, message: string, body?: Json) {
    super(`leadsim answered ${status}: ${message}`);
    this.name = "LeadsimError";
    this.status = status;
    this.body = body;
  }
}

/** `requests.waitFor` gave up: `arrived` lists the latest requests. */
export class WaitTimeout extends Error {
  readonly arrived: JournalEntry[];

  constructor(message: string, arrived: JournalEntry[]) {
    super(message);
    this.name = "WaitTimeout";
    this.arrived = arrived;
  }
}

export interface ClockStatus {
  now: string;
  frozen: boolean;
  offsetSeconds: number;
}

export interface Health {
  status: "ok";
  version: string;
  seed: number;
  clock: ClockStatus;
  fixtures: string;
}

/** One request as the journal keeps it, credentials redacted. */
export interface JournalEntry {
  id: number;
  time: string;
  family: string;
  method: string;
  path: string;
  query?: string;
  status: number;
  latencyMs: number;
  fault?: { id: string; effect: string };
  headers: [string, string][];
  body: string;
  bodyBytes: number;
  bodyTruncated: boolean;
}

/** Filters of `GET /__admin/requests`. */
export interface JournalFilter {
  family?: string;
  method?: string;
  /** A prefix, or a pattern with `*`. */
  path?: string;
  status?: number;
  /** A bearer token, app key or access key the request authenticated with. */
  credential?: string;
  /** Text the (redacted) body contains. */
  body?: string;
  /** RFC 3339: requests at or after. */
  since?: string;
  fault?: string;
  limit?: number;
}

export interface FaultSpec {
  /** `{type: "status", status: 503}`, `{type: "delay", ms: 2000}`, `{type: "drop"}`, `{type: "truncate"}`. */
  effect: { [key: string]: Json };
  /** `{path: "/supplyAnalytics/*", method: "GET", credential: "..."}`. */
  match?: { [key: string]: Json };
  times?: number;
  probability?: number;
  seed?: number;
}

export interface Fault {
  id: string;
  [key: string]: Json;
}

export interface Tenant {
  family: string;
  id: string;
  name?: string;
  credentials: { [key: string]: Json };
  [key: string]: Json | undefined;
}

export interface TenantOptions {
  name?: string;
  credentials?: { [key: string]: Json };
  /** Left out: the family's default; `null`: no limit. */
  rateLimit?: { calls: number; seconds: number } | null;
}

/** The header that carries the admin token of a server started with `--admin-token`. */
export const ADMIN_TOKEN_HEADER = "X-Leadsim-Admin-Token";

export class Leadsim {
  /** The server's base URL, without a trailing slash. */
  readonly url: string;
  readonly clock: Clock;
  readonly requests: Journal;
  readonly faults: Faults;
  readonly fixtures: Fixtures;
  readonly tenants: Tenants;
  /** The admin token sent with every admin call, if any. */
  readonly adminToken: string | undefined;

  /**
   * A leadsim running at `url` (default `$LEADSIM_URL`). The admin token
   * defaults to `$LEADSIM_ADMIN_TOKEN`.
   */
  constructor(url?: string, options: { adminToken?: string } = {}) {
    const base = url ?? process.env.LEADSIM_URL;
    if (!base) {
      throw new Error("no url given and $LEADSIM_URL is not set");
    }
    this.url = base.replace(/\/+$/, "");
    this.adminToken = options.adminToken ?? process.env.LEADSIM_ADMIN_TOKEN ?? undefined;
    this.clock = new Clock(this);
    this.requests = new Journal(this);
    this.faults = new Faults(this);
    this.fixtures = new Fixtures(this);
    this.tenants = new Tenants(this);
  }

  health(): Promise<Health> {
    return this.admin<Health>("GET", "/health");
  }

  /** Back to the state at start: merged fixtures, tenants, faults, the journal and recorded events go; the clock is released. */
  reset(): Promise<Json> {
    return this.admin("POST", "/reset");
  }

  /** Waits until `/__admin/health` answers, at most `timeoutMs`. */
  async waitUntilHealthy(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.health();
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** One call to `/__admin{path}`; the decoded JSON answer. */
  async admin<T = Json>(
    method: string,
    path: string,
    body?: Json,
    query?: Record<string, string | number | boolean | undefined>,
  ): Promise<T> {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) {
        search.append(name, String(value));
      }
    }
    const target = `${this.url}/__admin${path}${search.size ? `?${search}` : ""}`;
    const headers: Record<string, string> = {};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    if (this.adminToken) {
      headers[ADMIN_TOKEN_HEADER] = this.adminToken;
    }
    const response = await fetch(target, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Json | undefined;
    try {
      parsed = text ? (JSON.parse(text) as Json) : null;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const message =
        parsed && typeof parsed === "object" && !Array.isArray(parsed) && typeof parsed.message === "string"
          ? parsed.message
          : text;
      throw new LeadsimError(response.status, message, parsed);
    }
    return (parsed ?? null) as T;
  }
}

/** The virtual clock: `set` freezes it, `advance` moves it, `release` returns it to real time. */
export class Clock {
  constructor(private readonly sim: Leadsim) {}

  status(): Promise<ClockStatus> {
    return this.sim.admin<ClockStatus>("GET", "/clock");
  }

  async now(): Promise<Date> {
    return new Date((await this.status()).now);
  }

  /** Freezes the clock at `at` (an RFC 3339 string or a Date). */
  set(at: string | Date): Promise<ClockStatus> {
    const now = at instanceof Date ? at.toISOString() : at;
    return this.sim.admin<ClockStatus>("PUT", "/clock", { now });
  }

  advance(seconds: number): Promise<ClockStatus> {
    return this.sim.admin<ClockStatus>("POST", "/clock/advance", { seconds });
  }

  release(): Promise<ClockStatus> {
    return this.sim.admin<ClockStatus>("DELETE", "/clock");
  }
}

/** The request journal: what the code under test sent, newest first. */
export class Journal {
  constructor(private readonly sim: Leadsim) {}

  async list(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const listing = await this.sim.admin<{ requests: JournalEntry[] }>("GET", "/requests", undefined, { ...filter });
    return listing.requests;
  }

  async clear(): Promise<number> {
    return (await this.sim.admin<{ cleared: number }>("DELETE", "/requests")).cleared;
  }

  /**
   * Waits, on the server (no polling), until `count` requests match
   * `filter`; returns them. Throws `WaitTimeout` listing what did arrive.
   */
  async waitFor(count = 1, filter: JournalFilter = {}, timeoutSeconds = 10): Promise<JournalEntry[]> {
    const listing = await this.sim.admin<{ requests: JournalEntry[]; matched?: number; waited?: { satisfied?: boolean } }>("GET", "/requests", undefined, {
      ...filter,
      wait: timeoutSeconds,
      count,
    });
    if (listing.waited?.satisfied) {
      return listing.requests;
    }
    const arrived = await this.list({ limit: 20 });
    const seen = arrived.map((r) => `  ${r.method} ${r.path} -> ${r.status}`).join("\n") || "  (nothing)";
    throw new WaitTimeout(
      `waited ${timeoutSeconds}s for ${count} request(s) matching ${JSON.stringify(filter)}; ` +
        `${listing.matched ?? 0} matched. The latest requests:\n${seen}`,
      arrived,
    );
  }

  /** Asserts that exactly `count` requests match `filter`; returns them. */
  async verify(count: number, filter: JournalFilter = {}): Promise<JournalEntry[]> {
    const found = await this.list(filter);
    if (found.length !== count) {
      const seen = found.map((r) => `  ${r.method} ${r.path} -> ${r.status}`).join("\n") || "  (nothing)";
      throw new Error(
        `expected ${count} request(s) matching ${JSON.stringify(filter)}, found ${found.length}:\n${seen}`,
      );
    }
    return found;
  }
}

export class Faults {
  constructor(private readonly sim: Leadsim) {}

  add(spec: FaultSpec): Promise<Fault> {
    return this.sim.admin<Fault>("POST", "/faults", { ...spec } as { [key: string]: Json });
  }

  async list(): Promise<Fault[]> {
    return (await this.sim.admin<{ faults: Fault[] }>("GET", "/faults")).faults;
  }

  /** Removes a fault; one that ran out of times and retired is already gone. */
  async remove(id: string): Promise<void> {
    try {
      await this.sim.admin("DELETE", `/faults/${encodeURIComponent(id)}`);
    } catch (error) {
      if (!(error instanceof LeadsimError && error.status === 404)) {
        throw error;
      }
    }
  }

  async clear(): Promise<number> {
    return (await this.sim.admin<{ removed: number }>("DELETE", "/faults")).removed;
  }
}

export class Fixtures {
  constructor(private readonly sim: Leadsim) {}

  /** Merges fixtures at run time: `{engine: {...}, finicity: {...}}`, each shaped as that family's file. */
  merge(fixtures: { [family: string]: Json }): Promise<Json> {
    return this.sim.admin("POST", "/fixtures", fixtures);
  }
}

export class Tenants {
  constructor(private readonly sim: Leadsim) {}

  /** A tenant of `family` (engine, finicity, leadsquared, data_analytics), with generated credentials unless given. */
  create(family: string, options: TenantOptions = {}): Promise<Tenant> {
    const body: { [key: string]: Json } = { family };
    if (options.name !== undefined) body.name = options.name;
    if (options.credentials !== undefined) body.credentials = options.credentials;
    if (options.rateLimit !== undefined) body.rateLimit = options.rateLimit;
    return this.sim.admin<Tenant>("POST", "/tenants", body);
  }

  get(family: string, id: string): Promise<Tenant> {
    return this.sim.admin<Tenant>("GET", `/tenants/${family}/${encodeURIComponent(id)}`);
  }

  async list(family?: string): Promise<Tenant[]> {
    const all = (await this.sim.admin<{ tenants: Tenant[] }>("GET", "/tenants")).tenants;
    return all.filter((t) => family === undefined || t.family === family);
  }

  setRateLimit(family: string, id: string, limit: { calls: number; seconds: number } | null): Promise<Tenant> {
    // JSON `null` removes the limit.
    const body: Json = limit === null ? null : { calls: limit.calls, seconds: limit.seconds };
    return this.sim.admin<Tenant>("PUT", `/tenants/${family}/${encodeURIComponent(id)}/rateLimit`, body);
  }
}
