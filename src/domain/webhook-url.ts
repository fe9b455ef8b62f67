// Where webhooks may be sent. A URL given by a merchant is fetched by Rebill's servers, so it
// must not reach inside the network Rebill runs in (databases, cloud metadata at 169.254.169.254,
// admin consoles): only public unicast addresses, checked for the URL's literal host when the
// endpoint is saved and for every address its name resolves to at each delivery (DNS can change).
import ipaddr from 'ipaddr.js';

export type UrlPolicy = {
  /** `http` to a loopback host (tests, local development): REBILL_WEBHOOKS_ALLOW_HTTP=1. */
  allowHttp: boolean;
  /** Private, loopback, link-local and other non-public addresses: REBILL_WEBHOOKS_ALLOW_PRIVATE=1. */
  allowPrivate: boolean;
};

export type UrlProblem = 'invalid' | 'scheme' | 'credentials' | 'address';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);

const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** Whether the host names this machine (a loopback address or `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const h = bare(host).toLowerCase();
  if (LOOPBACK_NAMES.has(h)) return true;
  return ipaddr.isValid(h) && ipaddr.process(h).range() === 'loopback';
}

/**
 * Whether a delivery may connect to `address` (an IP). Public unicast only, unless the policy
 * allows private ones; loopback also with `allowHttp` (a local receiver in tests).
 */
export function addressAllowed(address: string, policy: UrlPolicy): boolean {
  if (!ipaddr.isValid(address)) return false;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it carries.
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return true;
  if (policy.allowPrivate) return true;
  return range === 'loopback' && policy.allowHttp;
}

/** What is wrong with a webhook URL as given, or null; `url` is the parsed form when valid. */
export function urlProblem(raw: string, policy: UrlPolicy): { problem: UrlProblem | null; url: URL | null } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'invalid', url: null };
  }
  if (url.username || url.password) return { problem: 'credentials', url };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp && isLoopbackHost(url.hostname))) {
    return { problem: 'scheme', url };
  }
  const host = bare(url.hostname);
  if (ipaddr.isValid(host) && !addressAllowed(host, policy)) return { problem: 'address', url };
  if (LOOPBACK_NAMES.has(host.toLowerCase()) && !addressAllowed('127.0.0.1', policy)) return { problem: 'address', url };
  return { problem: null, url };
}
