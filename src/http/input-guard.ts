import type { FastifyRequest } from 'fastify';
import { containsCardNumber } from '../domain/card-number.ts';
import { DomainError, invalid } from '../domain/errors.ts';
import { MAX_INPUT_DEPTH, isWellFormed, scanInput, type Finding } from '../domain/input-scan.ts';

type Problem = 'card_number' | 'nul' | 'ill_formed';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The one body field where a route takes a card number: the hosted card-update page's test
     * card, which the sandbox tokenizes at once (routes/payment-links.ts). It is never stored or logged.
     */
    cardField?: string;
  }
}

/** The body with the route's card field left out of the scan (every other field is still checked). */
function withoutCardField(req: FastifyRequest): unknown {
  const field = req.routeOptions.config.cardField;
  if (!field || !req.body || typeof req.body !== 'object') return req.body;
  const { [field]: _card, ...rest } = req.body as Record<string, unknown>;
  return rest;
}

/** What is wrong with one piece of input text. Cards come first, so a PAN is never echoed. */
function textProblem(text: string): Problem | null {
  if (plainShortOfCard(text)) return null;
  if (containsCardNumber(text)) return 'card_number';
  // PostgreSQL text cannot hold U+0000: refuse it here rather than fail with a 500 at the insert.
  if (text.includes('\u0000')) return 'nul';
  if (!isWellFormed(text)) return 'ill_formed';
  return null;
}

/**
 * ASCII without NUL and with fewer than 13 digits: nothing to refuse, told in one pass. Nearly
 * all input is such text (ids, names, amounts), and a usage batch holds tens of thousands of them.
 */
function plainShortOfCard(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c > 0x7f || (c >= 48 && c <= 57 && ++digits >= 13)) return false;
  }
  return true;
}

function refusal({ problem, param }: Finding<Problem>): DomainError {
  switch (problem) {
    case 'card_number':
      return invalid('card_number_refused', 'Raw card numbers are not accepted; send a gateway token instead.', param);
    case 'nul':
      return invalid('parameter_invalid', `Invalid ${param}: text may not contain the NUL character (U+0000).`, param);
    case 'ill_formed':
      return invalid('parameter_invalid',
        `Invalid ${param}: text must be well-formed Unicode (it holds half of a UTF-16 surrogate pair).`, param);
    case 'too_deep':
      return invalid('parameter_invalid',
        `Invalid ${param}: input may not be nested more than ${MAX_INPUT_DEPTH} levels deep.`, param);
  }
}

/**
 * preValidation hook: refuses input that must not reach a schema, a service, a log or the
 * database (raw card numbers, NUL, lone surrogates, absurd nesting) with a 400 naming the param.
 * Path params count too: an id is echoed in error messages and kept with an Idempotency-Key's path.
 */
export async function guardInput(req: FastifyRequest) {
  const found = scanInput(withoutCardField(req), textProblem) ?? scanInput(req.query, textProblem) ?? scanInput(req.params, textProblem);
  if (found) throw refusal(found);
  // A POST whose params are all optional (cancel, pay, void, create customer) may come without a body.
  if (req.method === 'POST' && req.body === undefined) req.body = {};
}
