import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testDatabase } from './support.ts';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/rebill.js', ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 180_000 });

type Json = {
  renewals: { index: number; profile: string; currency: string; amount: number; updates_card_after_days: number | null }[];
  strategies: { strategy: string; notifications: number; outcomes: { index: number; failed: boolean; recovered: boolean; attempts: number; card_updated: string | null }[] }[];
};

/** The figures table: the lines from its header to the blank line after it. */
const tableOf = (out: string) => {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith('strategy '));
  return lines.slice(start, lines.indexOf('', start));
};

describe('rebill simulate dunning', () => {
  it('runs both strategies on the same small book, in a database of its own that it drops, with consistent and repeatable figures', async () => {
    const d = await testDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rebill-sim-'));
    const env = { DATABASE_URL: d.url };
    const first = await cli(['simulate', 'dunning', '--renewals', '40', '--seed', '7', '--days', '40', '--json', path.join(dir, 'a.json')], env);
    const table = tableOf(first.stdout);
    expect(table).toHaveLength(4);
    const rows = new Map(table.slice(2).map((l) => [l.split(/\s+/)[0]!, l.split(/\s{2,}/)]));
    expect([...rows.keys()]).toEqual(['fixed_schedule', 'payday_aware']);
    for (const [, [, failed, recovered, rate, , , , failedAmount, recoveredAmount]] of rows) {
      // Every renewal of the book fails once; no strategy recovers more than failed.
      expect(Number(failed)).toBe(40);
      expect(Number(recovered)).toBeLessThanOrEqual(40);
      expect(rate).toBe(`${((100 * Number(recovered)) / 40).toFixed(1)}%`);
      expect(failedAmount).toMatch(/\$[\d,]+\.\d\d/);
      expect(recoveredAmount).toBeDefined();
    }
    // The same book for both: the same failed amount.
    expect(rows.get('fixed_schedule')![7]).toBe(rows.get('payday_aware')![7]);
    expect(first.stdout).toContain('* fixed_schedule   o payday_aware');
    expect(first.stdout).toMatch(/elapsed [\d.]+ s/);

    // The temporary database is gone, and the merchant's database untouched.
    const name = /creating and migrating (rebill_sim_\w+)\)\ntemporary database dropped in/.exec(first.stdout)?.[1];
    expect(name).toBeDefined();
    expect((await d.pool.query('SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name])).rows[0].n).toBe(0);
    expect((await d.pool.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(0);

    const json = JSON.parse(await readFile(path.join(dir, 'a.json'), 'utf8')) as Json;
    const profile = new Map(json.renewals.map((r) => [r.index, r]));
    for (const s of json.strategies) {
      expect(s.outcomes).toHaveLength(40);
      expect(s.notifications).toBeGreaterThanOrEqual(40);
      for (const o of s.outcomes) {
        const r = profile.get(o.index)!;
        expect(o.failed).toBe(true);
        // A stolen, lost or expired card never pays: only a new card recovers those, in one attempt after it.
        if (r.profile === 'hard_decline' || r.profile === 'expired_card') {
          expect(o.recovered).toBe(o.card_updated !== null);
          expect(o.attempts).toBe(o.recovered ? 2 : 1);
        }
        if (o.card_updated !== null) expect(r.updates_card_after_days).not.toBeNull();
      }
    }
    const [fixed, payday] = json.strategies;
    // Stolen or expired cards are the same story under either strategy; the strategies differ only in timing retries.
    const hard = (s: Json['strategies'][number]) => s.outcomes.filter((o) => ['hard_decline', 'expired_card'].includes(profile.get(o.index)!.profile));
    expect(hard(payday!)).toEqual(hard(fixed!));

    const again = await cli(['simulate', 'dunning', '--renewals', '40', '--seed', '7', '--days', '40'], env);
    expect(tableOf(again.stdout)).toEqual(table);
  });

  it('refuses a bad option before it touches any database', async () => {
    await expect(cli(['simulate', 'dunning', '--renewals', 'many'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--renewals must be a whole number') });
  });
});
