// Clients whose vendor hosts are written into their code (an SDK that
// always calls `https://api.engine.tech`) can still be pointed at leadsim:
// `redirectFetch` wraps `fetch` so those hosts go to leadsim instead.

/** Well-known vendor hosts leadsim answers for. */
export const VENDOR_HOSTS: readonly string[] = [
  "https://api.engine.tech",
  "https://dev-api.engine.tech",
  "https://www.moneylion.com",
  "https://www.moneylion.dev",
  "https://api.finicity.com",
  "https://api.leadsquared.com",
];

type Fetch = typeof globalThis.fetch;

/**
 * A `fetch` that sends requests for `from` (origins such as
 * `https://api.engine.tech`, or `*.leadsquared.com` patterns) to `to`
 * (leadsim's base URL), keeping path, query, method, headers and body.
 * Other URLs go to the wrapped `fetch` unchanged.
 */
export function redirectFetch(to: string, from: readonly string[] = VENDOR_HOSTS, inner: Fetch = globalThis.fetch): Fetch {
  const target = new URL(to);
  const matches = (url: URL): boolean =>
    from.some((pattern) => {
      const origin = new URL(pattern.replace("*.", "wildcard."));
      if (origin.protocol !== url.protocol) return false;
      return pattern.includes("*.")
        ? url.hostname.endsWith(origin.hostname.slice("wildcard".length))
        : url.host === origin.host;
    });
  const redirected: Fetch = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : input.toString());
    if (!matches(url)) {
      return inner(input, init);
    }
    const moved = new URL(url.pathname + url.search, target);
    if (request) {
      return inner(new Request(moved, request), init);
    }
    return inner(moved, init);
  };
  return redirected;
}

/** Replaces `globalThis.fetch` with `redirectFetch(to, from)`; returns a function that puts it back. */
export function installRedirect(to: string, from: readonly string[] = VENDOR_HOSTS): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = redirectFetch(to, from, original);
  return () => {
    globalThis.fetch = original;
  };
}
