import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERRORS, type ErrorType } from './error-catalogue.ts';

// Stripe's semantics: a type has one status, except that a refused request says which part of
// it was refused (missing object or route, a link used up or expired, timeout, size limits, media type), and a server-side
// failure says whether it was Rebill's own (500) or an upstream processor's that did not answer (502).
const STATUSES: Record<ErrorType, readonly number[]> = {
  invalid_request_error: [400, 404, 408, 410, 413, 414, 415, 431],
  authentication_error: [401],
  card_error: [402],
  permission_error: [403],
  idempotency_error: [409],
  conflict_error: [409],
  rate_limit_error: [429],
  api_error: [500, 502],
};

describe('the error catalogue', () => {
  it('answers each code with a status its type allows', () => {
    const odd = ERROR_CODES.filter((c) => !STATUSES[ERRORS[c].type].includes(ERRORS[c].status));
    expect(odd).toEqual([]);
  });

  it('describes each code in one sentence', () => {
    for (const code of ERROR_CODES) expect(ERRORS[code].message, code).toMatch(/^[A-Z].*\.$/);
  });
});
