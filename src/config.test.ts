import { describe, expect, it } from 'vitest';
import { loadConfig, trustProxyOf } from './config.ts';

describe('webhook timeout and lease', () => {
  it('default to 10 s and 60 s', () => {
    expect(loadConfig({})).toMatchObject({ webhookTimeoutMs: 10_000, webhookLeaseMs: 60_000 });
  });

  it('take short values for tests when the lease is at least twice the timeout', () => {
    expect(loadConfig({ REBILL_WEBHOOK_TIMEOUT_MS: '1000', REBILL_WEBHOOK_LEASE_MS: '2000' })).toMatchObject({ webhookTimeoutMs: 1000, webhookLeaseMs: 2000 });
  });

  it('raise the default lease with a long timeout', () => {
    expect(loadConfig({ REBILL_WEBHOOK_TIMEOUT_MS: '45000' }).webhookLeaseMs).toBe(90_000);
  });

  it('refuse a lease a slow receiver would outlast, and a timeout under 100 ms', () => {
    expect(() => loadConfig({ REBILL_WEBHOOK_LEASE_MS: '15000' })).toThrow(/REBILL_WEBHOOK_LEASE_MS must be at least 2× REBILL_WEBHOOK_TIMEOUT_MS \(20000\)/);
    expect(() => loadConfig({ REBILL_WEBHOOK_TIMEOUT_MS: '1000', REBILL_WEBHOOK_LEASE_MS: '1999' })).toThrow(/at least 2×/);
    expect(() => loadConfig({ REBILL_WEBHOOK_TIMEOUT_MS: '50' })).toThrow(/REBILL_WEBHOOK_TIMEOUT_MS must be at least 100/);
  });
});

describe('REBILL_TRUST_PROXY', () => {
  it('takes a hop count or proxy addresses and ranges; unset trusts none; anything else is refused', () => {
    expect(trustProxyOf(undefined)).toBe(false);
    expect(trustProxyOf('')).toBe(false);
    expect(trustProxyOf('1')).toBe(1);
    expect(trustProxyOf('127.0.0.1, 10.0.0.0/8,::1, fd00::/8')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8']);
    for (const bad of ['true', 'proxy.example.com', '10.0.0.0/8; rm', ',']) expect(() => trustProxyOf(bad), bad).toThrow(/REBILL_TRUST_PROXY/);
  });
});
