import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { defaultCatalogue } from '../../src/app/jobs/registry.ts';
import { defineJob } from '../../src/app/jobs/catalogue.ts';
import { claimNext, enqueue, reclaimExpired, scheduleRecurring } from '../../src/app/jobs/queue.ts';
import { runJob } from '../../src/app/jobs/run.ts';
import { systemActor, type Deps } from '../../src/app/ports.ts';
import { command } from '../../src/app/unit-of-work.ts';
import { drain, startWorker } from '../../src/worker/worker.ts';
import { ok } from '../builders.ts';
import { harness, type Harness } from '../support.ts';

/**
 * The background work engine, driven through test-only job kinds registered the documented way:
 * `deps.jobs = defaultCatalogue.with(kind)`. Each kind records what it did in `seen`.
 */
const Note = Type.Object({ note: Type.String() }, { additionalProperties: false });

function kinds() {
  const seen: string[] = [];
  let failuresLeft = 0;
  let gate: Promise<void> = Promise.resolve();
  let running = 0;
  let peak = 0;
  const record = defineJob({ name: 'test.record', payload: Note, retry: { maxAttempts: 3, backoffMs: [1000, 5000] },
    handler: async (_d, p) => {
      running++; peak = Math.max(peak, running);
      try {
        await gate;
        if (failuresLeft > 0) { failuresLeft--; throw new Error(`refused ${p.note}`); }
        seen.push(p.note);
      } finally { running--; }
    } });
  const limited = defineJob({ ...record, name: 'test.limited', concurrency: 2 });
  // Outlasts its 1-minute lease by renewing it.
  const long = defineJob({ name: 'test.long', payload: Note, leaseMs: 60_000, retry: { maxAttempts: 1, backoffMs: [] },
    handler: async (_d, p, ctx) => {
      await gate;
      if (!(await ctx.extendLease())) throw new Error('lost the job');
      await gate;
      seen.push(p.note);
    } });
  const hourly = defineJob({ name: 'test.hourly', payload: Type.Object({}), every: 3600_000, retry: { maxAttempts: 1, backoffMs: [] },
    handler: async () => { seen.push('tick'); } });
  return {
    seen, kinds: [record, limited, long, hourly],
    failNext: (n: number) => { failuresLeft = n; },
    hold: () => { let open!: () => void; gate = new Promise((r) => { open = r; }); return () => open(); },
    peak: () => peak,
  };
}

async function setup(h: Harness) {
  const k = kinds();
  h.deps.jobs = defaultCatalogue.with(...k.kinds);
  h.deps.workerId = 'test';
  return k;
}

async function put(h: Harness, note: string, opts: { kind?: string; runAt?: Date; testClockId?: string } = {}) {
  return await command(h.deps, systemActor(h.accountId), async (u) => enqueue(h.deps, u, opts.kind ?? 'test.record', { note }, opts));
}
const row = async (h: Harness, id: string) => (await h.database.pool.query('SELECT * FROM jobs WHERE id = $1', [id])).rows[0];
const until = async (cond: () => boolean | Promise<boolean>) => { for (let i = 0; i < 500 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10)); };

describe('background jobs', () => {
  it('are written with the transaction that causes them: a rolled-back one never runs', async () => {
    const h = await harness();
    const k = await setup(h);
    await expect(command(h.deps, systemActor(h.accountId), async (u) => {
      enqueue(h.deps, u, 'test.record', { note: 'ghost' });
      throw new Error('the state change failed');
    })).rejects.toThrow('the state change failed');
    await put(h, 'real');
    await drain(h.deps);
    expect(k.seen).toEqual(['real']);
    // An unknown kind or a payload that does not fit is the caller's bug, refused at once.
    await expect(put(h, 'x', { kind: 'test.nope' })).rejects.toThrow("unknown job kind 'test.nope'");
    await expect(command(h.deps, systemActor(h.accountId), async (u) => enqueue(h.deps, u, 'test.record', { note: 5 }))).rejects.toThrow(/payload/);
  });

  it('are retried with backoff, then failed for good, listed, retried by hand and succeed', async () => {
    const h = await harness();
    const k = await setup(h);
    k.failNext(3);
    const id = await put(h, 'flaky');
    await drain(h.deps);
    expect(await row(h, id)).toMatchObject({ status: 'ready', attempts: 1, last_error: 'refused flaky', run_at: new Date(h.clock.now().getTime() + 1000) });
    h.clock.advanceMs(999);
    expect(await drain(h.deps)).toBe(0);
    h.clock.advanceMs(1);
    await drain(h.deps);
    expect(await row(h, id)).toMatchObject({ status: 'ready', attempts: 2, run_at: new Date(h.clock.now().getTime() + 5000) });
    h.clock.advanceMs(5000);
    await drain(h.deps);
    expect(await row(h, id)).toMatchObject({ status: 'failed', attempts: 3, last_error: 'refused flaky' });
    const failed = await ok(h, 'GET', '/v1/jobs?status=failed');
    expect(failed.data.map((j: { id: string }) => j.id)).toEqual([id]);
    expect(failed.data[0]).toMatchObject({ object: 'job', kind: 'test.record', status: 'failed', attempts: 3, max_attempts: 3, payload: { note: 'flaky' } });
    expect((await ok(h, 'GET', '/v1/jobs?status=ready')).data).toEqual([]);

    const retried = await ok(h, 'POST', `/v1/jobs/${id}/retry`, {});
    expect(retried).toMatchObject({ status: 'ready', attempts: 0, run_at: h.clock.now().toISOString() });
    const again = await h.call('POST', `/v1/jobs/${id}/retry`, {});
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: 'job_not_failed', param: 'id' });
    await drain(h.deps);
    expect(k.seen).toEqual(['flaky']);
    expect(await ok(h, 'GET', `/v1/jobs/${id}`)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const audit = await h.database.pool.query("SELECT action FROM audit_log WHERE object_id = $1", [id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['job.retried']);
  });

  it('two workers never run the same job, and a kind\'s concurrency limit holds across them', async () => {
    const h = await harness();
    const k = await setup(h);
    for (let i = 0; i < 30; i++) await put(h, `n${i}`);
    await Promise.all([drain(h.deps, 3), drain(h.deps, 3)]);
    expect([...k.seen].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `n${i}`).sort());

    const open = k.hold();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await put(h, `l${i}`, { kind: 'test.limited' }));
    const workers = [startWorker(h.deps, { concurrency: 1, jobConcurrency: 3, pollMs: 5 }), startWorker(h.deps, { concurrency: 1, jobConcurrency: 3, pollMs: 5 })];
    await until(async () => (await h.database.pool.query("SELECT count(*)::int AS n FROM jobs WHERE status = 'running'")).rows[0].n === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect((await h.database.pool.query("SELECT count(*)::int AS n FROM jobs WHERE status = 'running'")).rows[0].n).toBe(2);
    open();
    await until(() => k.seen.filter((s) => s.startsWith('l')).length === 6);
    await Promise.all(workers.map((w) => w.stop()));
    expect(k.peak()).toBeLessThanOrEqual(2);
    expect(k.seen.filter((s) => s.startsWith('l')).sort()).toEqual(['l0', 'l1', 'l2', 'l3', 'l4', 'l5']);
  });

  it('a recurring kind gets exactly one job per slot however many runners schedule it', async () => {
    const h = await harness();
    const k = await setup(h);
    h.clock.set(new Date('2027-01-01T10:20:00Z'));
    await Promise.all([scheduleRecurring(h.deps), scheduleRecurring(h.deps), scheduleRecurring(h.deps)]);
    const slots = async () => (await h.database.pool.query("SELECT run_at FROM jobs WHERE kind = 'test.hourly' ORDER BY run_at")).rows.map((r) => r.run_at.toISOString());
    expect(await slots()).toEqual(['2027-01-01T11:00:00.000Z']);
    // The built-in cleanup is declared the same way.
    expect((await h.database.pool.query("SELECT count(*)::int AS n FROM jobs WHERE kind = 'jobs.cleanup'")).rows[0].n).toBe(1);
    h.clock.set(new Date('2027-01-01T11:00:00Z'));
    await Promise.all([drain(h.deps, 2), drain(h.deps, 2)]);
    expect(k.seen).toEqual(['tick']);
    expect(await slots()).toEqual(['2027-01-01T11:00:00.000Z', '2027-01-01T12:00:00.000Z']);
  });

  it('the hourly cleanup deletes succeeded jobs after 7 days; a stored payload that no longer fits fails at once', async () => {
    const h = await harness();
    await setup(h);
    const old = await put(h, 'old');
    const recent = await put(h, 'recent');
    await drain(h.deps);
    await h.database.pool.query("UPDATE jobs SET finished_at = $2 WHERE id = $1", [old, new Date(h.clock.now().getTime() - 8 * 86_400_000)]);
    h.clock.advanceMs(3600_000);
    await drain(h.deps);
    expect(await row(h, old)).toBeUndefined();
    expect(await row(h, recent)).toMatchObject({ status: 'succeeded' });
    const cleanups = await h.database.pool.query("SELECT status FROM jobs WHERE kind = 'jobs.cleanup' ORDER BY run_at");
    expect(cleanups.rows.map((r) => r.status)).toEqual(['succeeded', 'ready']);

    // Written by an older release, say: the payload is checked again when the job is claimed.
    const stale = await put(h, 'stale');
    await h.database.pool.query(`UPDATE jobs SET payload = '{"note": 7}' WHERE id = $1`, [stale]);
    await drain(h.deps);
    expect(await row(h, stale)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('payload no longer fits its kind') });
  });

  it('a job whose worker died is run again once its lease ran out; a stopped worker hands back the job in hand', async () => {
    const h = await harness();
    const k = await setup(h);
    const id = await put(h, 'orphan');
    const dead = await claimNext(h.deps, 'dead-worker');
    expect(dead?.id).toBe(id);
    expect(await reclaimExpired(h.deps)).toBe(0);
    h.clock.advanceMs(5 * 60_000);
    expect(await reclaimExpired(h.deps)).toBe(1);
    await drain(h.deps);
    expect(k.seen).toEqual(['orphan']);
    expect(await row(h, id)).toMatchObject({ status: 'succeeded', attempts: 2 });

    // A handler renewing its lease keeps its job past the kind's lease.
    const slow = k.hold();
    const long = await put(h, 'long', { kind: 'test.long' });
    const running = runJob(h.deps, (await claimNext(h.deps, 'slow-worker'))!, 'slow-worker', new AbortController().signal);
    h.clock.advanceMs(59_000);
    const finish = k.hold();
    slow();
    const renewed = new Date(h.clock.now().getTime() + 60_000).getTime();
    await until(async () => (await row(h, long)).locked_until?.getTime() === renewed);
    h.clock.advanceMs(59_000); // past the first lease, within the renewed one
    expect(await reclaimExpired(h.deps)).toBe(0);
    finish();
    await running;
    expect(await row(h, long)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(k.seen).toContain('long');

    const open = k.hold();
    const held = await put(h, 'held');
    const w = startWorker(h.deps, { concurrency: 1, pollMs: 5 });
    await until(async () => (await row(h, held)).status === 'running');
    await w.stop({ timeoutMs: 50 });
    expect(await row(h, held)).toMatchObject({ status: 'ready', attempts: 0, locked_by: null, locked_until: null });
    open();
    await new Promise((r) => setTimeout(r, 20));
    // The handed-back job's late finish is not written; another worker runs it at once.
    expect(await row(h, held)).toMatchObject({ status: 'ready' });
    const next = await claimNext(h.deps, 'other');
    expect(next?.id).toBe(held);
    await runJob(h.deps, next!, 'other', new AbortController().signal);
    expect(await row(h, held)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('a test clock runs its jobs when its time reaches them, in time order, retries included', async () => {
    const h = await harness();
    const k = await setup(h);
    const clock = await ok(h, 'POST', '/v1/test_clocks', { frozen_time: '2027-03-01T00:00:00Z' });
    const at = (iso: string) => new Date(iso);
    await put(h, 'third', { testClockId: clock.id, runAt: at('2027-03-05T00:00:00Z') });
    await put(h, 'first', { testClockId: clock.id, runAt: at('2027-03-02T00:00:00Z') });
    await put(h, 'second', { testClockId: clock.id, runAt: at('2027-03-03T00:00:00Z') });
    await put(h, 'later', { testClockId: clock.id, runAt: at('2027-04-01T00:00:00Z') });
    // Real time never runs them.
    await drain(h.deps);
    expect(k.seen).toEqual([]);
    k.failNext(1);
    await ok(h, 'POST', `/v1/test_clocks/${clock.id}/advance`, { frozen_time: '2027-03-10T00:00:00Z' });
    await until(async () => (await ok(h, 'GET', `/v1/test_clocks/${clock.id}`)).status === 'ready');
    // `first` failed once and ran again 1 s of clock time later, still before `second`.
    expect(k.seen).toEqual(['first', 'second', 'third']);
    const jobs = (await ok(h, 'GET', '/v1/jobs')).data;
    expect(jobs.find((j: { payload: { note: string } }) => j.payload.note === 'later')).toMatchObject({ status: 'ready', test_clock: clock.id });
  });
});
