// Starting leadsim for a test run: the binary from `$LEADSIM_BIN` (or
// `leadsim` on PATH) on a free or chosen loopback port, ready when
// `/__admin/health` answers, stopped on every exit path.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

import { Leadsim } from "./admin.js";

export interface StartOptions {
  /** A path to the binary; default `$LEADSIM_BIN`, then `$LEADSIM_BINARY`, then `leadsim` on PATH. */
  binary?: string;
  /** More flags (`--seed`, `--now`, `--fixtures`, ...). A `--listen` here is used as given. */
  args?: string[];
  /** Listen on this loopback port; default a free one. */
  port?: number;
  /** Start with `--admin-token` and send it; default `$LEADSIM_ADMIN_TOKEN` (which the server reads too). */
  adminToken?: string;
  /** How long to wait for health, whatever `RUST_LOG` says; default 30 s. */
  timeoutMs?: number;
  /** The environment of the server; default this process's. */
  env?: NodeJS.ProcessEnv;
}

/** A leadsim this process started: `stop()` ends it. */
export class StartedLeadsim extends Leadsim {
  private child: ChildProcess | undefined;

  constructor(url: string, child: ChildProcess, adminToken: string | undefined) {
    super(url, { adminToken });
    this.child = child;
  }

  /** The server's process id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) {
      await stopProcess(child, graceMs);
    }
  }
}

/** Servers started and not yet stopped: stopped when this process exits. */
const running = new Set<ChildProcess>();
let hooked = false;

function stopAllNow(): void {
  for (const child of running) {
    child.kill("SIGKILL");
  }
  running.clear();
}

/** Stops every server this process started, on exit and on the usual signals. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once("exit", stopAllNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      stopAllNow();
      process.kill(process.pid, signal);
    });
  }
}

function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function givenListen(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--listen" && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith("--listen=")) return args[i].slice("--listen=".length);
  }
  return undefined;
}

/** The base URL a client reaches `listen` at. */
function urlOf(listen: string): string {
  const at = listen.lastIndexOf(":");
  let host = listen.slice(0, at).replace(/^\[|\]$/g, "") || "127.0.0.1";
  if (host === "0.0.0.0" || host === "::") host = "127.0.0.1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${listen.slice(at + 1)}`;
}

/** Starts leadsim and resolves once it is healthy. */
export async function start(options: StartOptions = {}): Promise<StartedLeadsim> {
  const env = { ...(options.env ?? process.env) };
  const binary = options.binary ?? env.LEADSIM_BIN ?? env.LEADSIM_BINARY ?? "leadsim";
  // Flags win over the environment's LEADSIM_* twins, but a stray
  // LEADSIM_LISTEN must not move the server.
  delete env.LEADSIM_LISTEN;
  const args = [...(options.args ?? [])];
  let listen = givenListen(args);
  if (listen === undefined) {
    listen = `127.0.0.1:${options.port ?? (await freePort())}`;
    args.unshift("--listen", listen);
  }
  if (options.adminToken) {
    args.unshift("--admin-token", options.adminToken);
  }
  const adminToken = options.adminToken ?? env.LEADSIM_ADMIN_TOKEN;
  const child = spawn(binary, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  hookExit();
  running.add(child);
  // The last lines the server wrote, for error messages; the pipe is
  // drained all along so a chatty server never blocks.
  const tail: string[] = [];
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    tail.push(...chunk.split("\n").filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 50));
  });
  let failed: Error | undefined;
  child.once("error", (error) => {
    failed = new Error(`leadsim did not start: ${error.message} (binary: ${binary}; set $LEADSIM_BIN)`);
  });
  const sim = new StartedLeadsim(urlOf(listen), child, adminToken);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (failed) throw failed;
      if (child.exitCode !== null) {
        throw new Error(`leadsim did not start (exit ${child.exitCode}):\n${tail.join("\n")}`);
      }
      try {
        await sim.health();
        return sim;
      } catch {
        if (Date.now() > deadline) {
          throw new Error(
            `leadsim did not start: ${sim.url}/__admin/health did not answer within ${timeoutMs} ms\n${tail.join("\n")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await sim.stop(2_000);
    throw error;
  }
}

/** Attaches to a leadsim already running at `url` (default `$LEADSIM_URL`), once it is healthy. */
export async function attach(url?: string, options: { adminToken?: string; timeoutMs?: number } = {}): Promise<Leadsim> {
  const sim = new Leadsim(url, { adminToken: options.adminToken });
  await sim.waitUntilHealthy(options.timeoutMs ?? 10_000);
  return sim;
}
