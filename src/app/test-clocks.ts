import { sql } from 'kysely';
import { invalid } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { processDueSubscription } from './billing/process-due.ts';
import { recoverAttempt } from './billing/recover.ts';
import { conflict, notFound } from './errors.ts';
import { paginate, type Page } from './pagination.ts';
import type { Actor, Deps } from './ports.ts';
import { command } from './unit-of-work.ts';
import { testClockView } from './views.ts';

const MAX_ADVANCE_MS = 2 * 366 * 24 * 3600 * 1000;

export async function createTestClock(deps: Deps, actor: Actor, input: { frozen_time: Date; name?: string | null }) {
  return await command(deps, actor, async (u) => {
    const row = await u.tx.insertInto('test_clocks').values({
      account_id: u.accountId, id: newId('testClock'), name: input.name ?? null, frozen_time: input.frozen_time,
      status: 'ready', created_at: deps.clock.now(), updated_at: deps.clock.now(),
    }).returningAll().executeTakeFirstOrThrow();
    const view = testClockView(row);
    u.audit('test_clock.created', 'test_clock', row.id, null, view, deps.clock.now());
    u.emit('test_clock.created', row.id, view, deps.clock.now());
    return view;
  });
}

export async function getTestClock(deps: Deps, accountId: string, id: string) {
  const row = await deps.db.selectFrom('test_clocks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('test clock', id, 'id');
  return testClockView(row);
}

export async function listTestClocks(deps: Deps, accountId: string, page: Page) {
  return await paginate(deps.db.selectFrom('test_clocks').selectAll().where('account_id', '=', accountId), 'id', page, testClockView);
}

/** The earliest thing due on this clock at or before `until`: a subscription action or an unsettled payment. */
async function nextDue(deps: Deps, accountId: string, clockId: string, until: Date) {
  const r = await sql<{ kind: 'subscription' | 'payment'; id: string; at: Date }>`
    (SELECT 'subscription' AS kind, id, next_action_at AS at FROM subscriptions
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND next_action_at <= ${until})
    UNION ALL
    (SELECT 'payment' AS kind, id, recover_at AS at FROM payment_attempts
      WHERE account_id = ${accountId} AND test_clock_id = ${clockId} AND status IN ('pending', 'unknown') AND recover_at <= ${until})
    ORDER BY at, kind DESC, id LIMIT 1`.execute(deps.db);
  return r.rows[0];
}

/**
 * Moves a test clock forward to `frozen_time`, processing in time order everything that falls
 * due for its customers on the way (trial ends, renewals, scheduled cancellations, expiries,
 * payment recovery). The clock reads `advancing` meanwhile and `ready` when done.
 */
export async function advanceTestClock(deps: Deps, actor: Actor, id: string, input: { frozen_time: Date }) {
  const target = input.frozen_time;
  const start = await command(deps, actor, async (u) => {
    const c = await u.tx.selectFrom('test_clocks').selectAll().where('account_id', '=', u.accountId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!c) throw notFound('test clock', id, 'id');
    if (c.status === 'advancing') throw conflict('test_clock_advancing', `Test clock '${id}' is already advancing.`);
    if (target <= c.frozen_time) throw invalid('parameter_invalid', 'frozen_time must be later than the clock\'s current time', 'frozen_time');
    if (target.getTime() - c.frozen_time.getTime() > MAX_ADVANCE_MS) throw invalid('parameter_invalid', 'a clock can advance at most two years at a time', 'frozen_time');
    await u.tx.updateTable('test_clocks').set({ status: 'advancing', updated_at: deps.clock.now() }).where('account_id', '=', u.accountId).where('id', '=', id).execute();
    u.audit('test_clock.advance_started', 'test_clock', id, { frozen_time: c.frozen_time }, { frozen_time: target }, deps.clock.now());
    return c;
  });
  try {
    let at = start.frozen_time;
    let previous = '';
    for (;;) {
      const due = await nextDue(deps, actor.accountId, id, target);
      if (!due) break;
      // Each step must move something on; the same item due twice in a row is a bug, not a loop to spin in.
      const key = `${due.kind}:${due.id}:${due.at.toISOString()}`;
      if (key === previous) throw new Error(`test clock ${id} made no progress on ${key}`);
      previous = key;
      if (due.at > at) {
        at = due.at;
        await deps.db.updateTable('test_clocks').set({ frozen_time: at }).where('account_id', '=', actor.accountId).where('id', '=', id).execute();
      }
      if (due.kind === 'subscription') await processDueSubscription(deps, actor.accountId, due.id);
      else if ((await recoverAttempt(deps, actor.accountId, due.id)) === 'unknown') break; // gateway still silent: stop here rather than spin
    }
  } catch (err) {
    await deps.db.updateTable('test_clocks').set({ status: 'internal_failure', updated_at: deps.clock.now() }).where('account_id', '=', actor.accountId).where('id', '=', id).execute();
    throw err;
  }
  return await command(deps, actor, async (u) => {
    const row = await u.tx.updateTable('test_clocks').set({ status: 'ready', frozen_time: target, updated_at: deps.clock.now() })
      .where('account_id', '=', u.accountId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const view = testClockView(row);
    u.emit('test_clock.ready', id, view, deps.clock.now());
    return view;
  });
}
