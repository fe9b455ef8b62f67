import { FormatRegistry, Kind, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FastifyInstance } from 'fastify';
import { ERRORS, isErrorCode } from '../domain/error-catalogue.ts';
import { DomainError } from '../domain/errors.ts';
import { isRealInstant } from '../domain/timestamp.ts';
import { componentSchemas } from './components.ts';
import { errorBody } from './errors.ts';

/**
 * Holds every response to the schema its route documents: the contract test behind the
 * OpenAPI document and the client generated from it. The test harness turns it on, so each
 * response any test receives is checked. Objects are held closed here (no field the schema
 * does not name), while the published document leaves them open so that adding a field later
 * does not break anyone's client.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && isRealInstant(v));

/** A copy of the schema in which every object without a stated policy allows no extra fields. */
export function closed<T extends TSchema>(schema: T): T {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const copy: Record<string | symbol, unknown> = { ...(node as Record<string | symbol, unknown>) };
    for (const key of Object.keys(copy)) copy[key] = walk(copy[key]);
    if (copy[Kind] === 'Object' && copy.additionalProperties === undefined) copy.additionalProperties = false;
    return copy;
  };
  return walk(schema) as T;
}

/** The schema a route documents for a status: the exact code, else its class (`4xx`). */
function schemaFor(responses: Record<string, TypeCheck<TSchema>>, status: number): TypeCheck<TSchema> | undefined {
  return responses[String(status)] ?? responses[`${Math.floor(status / 100)}xx`];
}

/** Describes the first mismatch, or null when the payload fits. */
export function mismatch(check: TypeCheck<TSchema>, payload: unknown): string | null {
  const first = check.Errors(payload).First();
  return first ? `${first.path || '/'}: ${first.message}` : null;
}

/**
 * For an error response: what disagrees with the catalogue's entry for its code (an unknown
 * code, another status or type), or null. Only bodies with an `error` are judged; their shape is
 * the schema's business.
 */
export function catalogueMismatch(status: number, body: unknown): string | null {
  const error = (body as { error?: { code?: unknown; type?: unknown } } | null)?.error;
  if (status < 400 || typeof error?.code !== 'string') return null;
  if (!isErrorCode(error.code)) return `code '${error.code}' is not in the error catalogue`;
  const entry = ERRORS[error.code];
  if (status !== entry.status || error.type !== entry.type) {
    return `code '${error.code}' answered ${status} ${String(error.type)}; the catalogue says ${entry.status} ${entry.type}`;
  }
  return null;
}

export function checkResponses(app: FastifyInstance): void {
  const byRoute = new Map<string, Record<string, TypeCheck<TSchema>>>();
  const references = componentSchemas(closed);
  app.addHook('onRoute', (route) => {
    const response = (route.schema as { response?: Record<string, TSchema> } | undefined)?.response;
    if (!response) return;
    // A binary reply (an invoice PDF) is documented by media type, not as a schema: there is no
    // JSON body to hold to it, and Fastify does not run preSerialization for a Buffer anyway.
    const json = Object.entries(response).filter(([, s]) => !('content' in s));
    const compiled = Object.fromEntries(json.map(([status, s]) => [status, TypeCompiler.Compile(closed(s), references)]));
    for (const method of [route.method].flat()) byRoute.set(`${method} ${route.url}`, compiled);
  });
  app.addHook('preSerialization', async (req, reply, payload) => {
    const responses = byRoute.get(`${req.method} ${req.routeOptions.url}`);
    const check = responses && schemaFor(responses, reply.statusCode);
    const problem = check ? mismatch(check, payload) : null;
    const disagreement = catalogueMismatch(reply.statusCode, payload);
    if (!problem && !disagreement) return payload;
    const what = problem ? `a body its schema does not allow: ${problem}` : `an error the catalogue does not answer that way: ${disagreement}`;
    // Replaced rather than thrown: an error handler's own reply is not handed to the error
    // handler again, and Fastify's fallback would answer an empty body that names nothing.
    const e = new DomainError('response_invalid', `${req.method} ${req.routeOptions.url ?? req.url} answered ${reply.statusCode} with ${what}`);
    reply.code(e.status);
    return errorBody(e);
  });
}
