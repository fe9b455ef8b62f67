import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StaleWriteError } from '../app/unit-of-work.ts';
import { DomainError, type ErrorType } from '../domain/errors.ts';

export type ApiErrorBody = { error: { type: ErrorType; code: string; message: string; param: string | null; decline_code?: string } };

const STATUS_BY_TYPE: Record<ErrorType, number> = {
  invalid_request_error: 400, authentication_error: 401, card_error: 402, permission_error: 403,
  idempotency_error: 409, conflict_error: 409, api_error: 500,
};

// Codes whose HTTP status is more specific than their type's.
const STATUS_BY_CODE: Record<string, number> = { resource_missing: 404, body_too_large: 413, content_type_invalid: 415 };

/** One place decides the HTTP status of every error. */
export function statusOf(e: DomainError): number {
  return STATUS_BY_CODE[e.code] ?? STATUS_BY_TYPE[e.type];
}

export function errorBody(e: DomainError): ApiErrorBody {
  const body: ApiErrorBody = { error: { type: e.type, code: e.code, message: e.message, param: e.param ?? null } };
  const decline = (e as DomainError & { declineCode?: string }).declineCode;
  if (decline) body.error.decline_code = decline;
  return body;
}

type AjvIssue = { keyword: string; instancePath: string; params: Record<string, unknown>; message?: string };

/** `/items/0/price` → `items[0][price]`, the form the API documents for nested params. */
export function paramOf(path: string[]): string {
  const [head, ...rest] = path.filter((p) => p !== '');
  return head === undefined ? '' : head + rest.map((p) => `[${p}]`).join('');
}

/** Turns a schema validation failure into the API's error with the offending param. */
export function fromValidation(issues: AjvIssue[], context: string | undefined): DomainError {
  const v = issues[0]!;
  const path = v.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (v.keyword === 'required') path.push(String(v.params.missingProperty));
  if (v.keyword === 'additionalProperties') path.push(String(v.params.additionalProperty));
  const param = paramOf(path) || (context === 'body' ? 'body' : context ?? '');
  const last = path[path.length - 1] ?? '';
  const code = v.keyword === 'required' ? 'parameter_missing'
    : v.keyword === 'additionalProperties' ? 'parameter_unknown'
      : v.keyword === 'maximum' && /amount/.test(last) ? 'amount_too_large'
        : 'parameter_invalid';
  const message = v.keyword === 'required' ? `Missing required param: ${param}.`
    : v.keyword === 'additionalProperties' ? `Received unknown parameter: ${param}.`
      : `Invalid ${param}: ${v.message ?? 'invalid value'}.`;
  return new DomainError('invalid_request_error', code, message, param);
}

export function sendError(reply: FastifyReply, e: DomainError): FastifyReply {
  return reply.status(statusOf(e)).send(errorBody(e));
}

/** Fastify error handler: domain errors keep their code, framework 4xx get a stable one, the rest are 500. */
export function handleError(err: FastifyError & { validation?: AjvIssue[]; validationContext?: string }, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) return sendError(reply, err);
  if (err.validation) return sendError(reply, fromValidation(err.validation, err.validationContext));
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const code = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'content_type_invalid'
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large' : 'body_invalid';
    return sendError(reply, new DomainError('invalid_request_error', code, err.message, 'body'));
  }
  if ((err as { code?: string }).code === '23505' || err instanceof StaleWriteError) {
    return sendError(reply, new DomainError('conflict_error', 'conflict', 'The request conflicts with a concurrent change; retry it.'));
  }
  req.log.error({ err }, 'request failed');
  return sendError(reply, new DomainError('api_error', 'internal_error', 'Something went wrong on our side; the request may be retried with the same Idempotency-Key.'));
}
