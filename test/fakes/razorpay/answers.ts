import { copy } from './books.ts';
/** An answer from the fake: status and JSON body (Razorpay answers every API call in JSON). */
export type Answer = { status: number; body: unknown };

export type ErrorFields = {
  code?: 'BAD_REQUEST_ERROR' | 'GATEWAY_ERROR' | 'SERVER_ERROR';
  description: string;
  field?: string | null;
  source?: string;
  step?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
};

/** Razorpay's error body: `{ error: { code, description, field, source, step, reason, metadata } }`. */
export function errorAnswer(status: number, e: ErrorFields): Answer {
  return {
    status,
    body: {
      error: {
        code: e.code ?? 'BAD_REQUEST_ERROR', description: e.description,
        source: e.source ?? 'NA', step: e.step ?? 'NA', reason: e.reason ?? 'NA', metadata: e.metadata ?? {},
        // Payment and validation errors name the field (null when none); routing errors have none.
        ...(e.field === undefined ? {} : { field: e.field }),
      },
    },
  };
}

/** A request the API refuses before anything happens (400, reason input_validation_failed). */
export function invalid(description: string, field: string | null = null): Answer {
  return errorAnswer(400, { description, field, source: 'business', step: 'payment_initiation', reason: 'input_validation_failed' });
}

export const noSuchId = (field = 'id') => invalid('The id provided does not exist', field);

/** Razorpay answers wrong credentials with this short body (no source/step/reason). */
export const authFailed: Answer = { status: 401, body: { error: { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed' } } };

export const serverError = (status = 500): Answer => ({
  status,
  body: { error: { code: 'SERVER_ERROR', description: 'The server encountered an error. The incident has been reported to admins.' } },
});

export const notFoundUrl: Answer = errorAnswer(400, { description: 'The requested URL was not found on the server.' });

export const ok = (body: unknown): Answer => ({ status: 200, body: copy(body) });

/** `{ entity: 'collection', count, items }`, newest first, paged by `count` (max 100) and `skip`. */
export function collection<T extends { created_at: number }>(all: T[], q: URLSearchParams): Answer {
  const count = q.has('count') ? Number(q.get('count')) : 10;
  if (count > 100) return invalid('The count may not be greater than 100.', 'count');
  const from = Number(q.get('from') ?? 0), to = Number(q.get('to') ?? Infinity), skip = Number(q.get('skip') ?? 0);
  const items = all.filter((x) => x.created_at >= from && x.created_at <= to).reverse().slice(skip, skip + count);
  return ok({ entity: 'collection', count: items.length, items });
}
