import { createHash } from 'node:crypto';
import type { SecretSealer } from '../app/ports.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../adapters/postgres/schema.ts';
import { containsCardNumber } from '../domain/card-number.ts';
import { DomainError } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest { idempotency?: { key: string; replay: boolean } }
}

/** Key order must not change the fingerprint of a body. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)]));
  return v;
}

/**
 * A password must not reach the stored fingerprint: a fast sha256 of it would undo the slow hash
 * it is kept under. Its value is left out, so a repeat that differs only in it is a replay.
 */
function withoutSecrets(req: FastifyRequest): unknown {
  const fields = req.routeOptions.config.secretFields;
  if (!fields || !req.body || typeof req.body !== 'object') return req.body;
  return Object.fromEntries(Object.entries(req.body).map(([k, v]) => [k, fields.includes(k) ? '(secret)' : v]));
}

const fingerprint = (req: FastifyRequest) =>
  createHash('sha256').update(`${req.method} ${req.routeOptions.url ?? ''} ${req.url.split('?')[0]}\n${JSON.stringify(canonical(withoutSecrets(req) ?? null))}`).digest('hex');

// A first request that died without answering must not hold its key forever.
const ABANDONED_AFTER_MS = 60_000;

/** Whether the route's answer holds a secret (stored sealed; without a sealer such routes refuse keys). */
const sealsAnswer = (req: FastifyRequest) => req.routeOptions.config.secretInAnswer === true;

/**
 * Idempotency-Key on writes: the first request with a key reserves it and stores its response;
 * a repeat with the same body gets that response again and writes nothing; a repeat with another
 * body is refused with 409. Server errors, conflicts and rate limits release the key so the client can retry.
 */
export function registerIdempotency(app: FastifyInstance, db: Kysely<DB>, sealer?: SecretSealer) {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || key === undefined || !req.principal) return;
    // Meter events are deduplicated by their identifiers; a reservation row per request would
    // cost as much as the events themselves and add nothing.
    if (req.routeOptions.config.ownIdempotency) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255) {
      throw new DomainError('idempotency_key_invalid', 'Idempotency-Key must be 1–255 characters.', 'Idempotency-Key');
    }
    // The key is stored, so it gets the same card-number check as the rest of the input.
    if (containsCardNumber(key)) {
      throw new DomainError('card_number_refused', 'Raw card numbers are not accepted; send a gateway token instead.', 'Idempotency-Key');
    }
    if (sealsAnswer(req) && !sealer) throw new Error('an answer with a secret cannot be kept for replay without a sealer');
    const accountId = req.principal.accountId;
    const hash = fingerprint(req);
    const path = req.url.split('?')[0]!;
    // The reservation commits without waiting for its WAL to reach the disk: whatever the request
    // then writes commits after it and waits, which makes the reservation durable first. A crash
    // before that loses the reservation together with nothing else, and a retry runs afresh.
    const reserved = (await sql<{ key: string }>`
      WITH no_flush_wait AS (SELECT set_config('synchronous_commit', 'off', true))
      INSERT INTO idempotency_keys (account_id, key, request_hash, method, path, request_id)
      SELECT ${accountId}, ${key}, ${hash}, ${req.method}, ${path}, ${String(req.id)} FROM no_flush_wait
      ON CONFLICT (account_id, key) DO NOTHING RETURNING key`.execute(db)).rows[0];
    if (reserved) { req.idempotency = { key, replay: false }; return; }
    const prior = await db.selectFrom('idempotency_keys').selectAll().where('account_id', '=', accountId).where('key', '=', key).executeTakeFirst();
    if (!prior) throw new DomainError('idempotency_key_in_use', 'That Idempotency-Key is being used by a request still in progress.', 'Idempotency-Key');
    if (prior.request_hash !== hash) {
      throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used with a different request; use a new key.', 'Idempotency-Key');
    }
    if (prior.status_code === null) {
      if (Date.now() - prior.created_at.getTime() < ABANDONED_AFTER_MS) {
        throw new DomainError('idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress.', 'Idempotency-Key');
      }
      // The first request died. If it changed nothing it may run again; if it did (every change
      // is audited under its request id), running it again could repeat a charge.
      const landed = prior.request_id ? await db.selectFrom('audit_log').select('id').where('account_id', '=', accountId)
        .where('request_id', '=', prior.request_id).limit(1).executeTakeFirst() : undefined;
      if (landed) {
        throw new DomainError('idempotency_key_orphaned',
          `The first request with this Idempotency-Key (${prior.request_id}) made its changes but its answer was lost; it will not run again. Its changes are in the audit log under that request id.`,
          'Idempotency-Key');
      }
      // Take the key over only if no other retry did first; the clock restarts for this attempt.
      const taken = await db.updateTable('idempotency_keys').set({ request_id: String(req.id), created_at: new Date() })
        .where('account_id', '=', accountId).where('key', '=', key).where('status_code', 'is', null)
        .where('request_id', prior.request_id === null ? 'is' : '=', prior.request_id).returning('key').executeTakeFirst();
      if (!taken) throw new DomainError('idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress.', 'Idempotency-Key');
      req.idempotency = { key, replay: false };
      return;
    }
    req.idempotency = { key, replay: true };
    return reply.status(prior.status_code).header('idempotent-replayed', 'true').type('application/json')
      .send(prior.response !== null && sealsAnswer(req) ? sealer!.open(prior.response) : prior.response);
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = req.idempotency;
    if (!idem || idem.replay || !req.principal) return payload;
    const accountId = req.principal.accountId;
    // A conflict (409: a payment in flight, a clock advancing, a concurrent write) or a rate limit
    // (429: too many wrong current passwords) is transient: it is not the request's result, so the
    // key is released for the client's retry.
    if (reply.statusCode >= 500 || reply.statusCode === 409 || reply.statusCode === 429) {
      await db.deleteFrom('idempotency_keys').where('account_id', '=', accountId).where('key', '=', idem.key).execute();
    } else {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
      await db.updateTable('idempotency_keys').set({ status_code: reply.statusCode, response: sealsAnswer(req) ? sealer!.seal(text) : text })
        .where('account_id', '=', accountId).where('key', '=', idem.key).execute();
    }
    return payload;
  });
}
