import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { StaleWriteError } from '../app/unit-of-work.ts';
import { DomainError, invalid, type ErrorCode, type ErrorType } from '../domain/errors.ts';

export type ApiErrorBody = { error: { type: ErrorType; code: ErrorCode; message: string; param: string | null; decline_code?: string } };

/** The catalogue decides the HTTP status of every error (DomainError reads it from there). */
export function statusOf(e: DomainError): number {
  return e.status;
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
  return new DomainError(code, message, param);
}

export function sendError(reply: FastifyReply, e: DomainError): FastifyReply {
  const retryAfter = (e as DomainError & { retryAfter?: number }).retryAfter;
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.status(statusOf(e)).send(errorBody(e));
}

/** Fastify error handler: domain errors keep their code, framework 4xx get a stable one, the rest are 500. */
export function handleError(err: FastifyError & { validation?: AjvIssue[]; validationContext?: string }, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof DomainError) return sendError(reply, err);
  if (err.validation) return sendError(reply, fromValidation(err.validation, err.validationContext));
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const code = err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'content_type_invalid'
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large' : 'body_invalid';
    return sendError(reply, new DomainError(code, err.message, 'body'));
  }
  if ((err as { code?: string }).code === '23505' || err instanceof StaleWriteError) {
    return sendError(reply, new DomainError('conflict', 'The request conflicts with a concurrent change; retry it.'));
  }
  req.log.error({ err }, 'request failed');
  return sendError(reply, new DomainError('internal_error', 'Something went wrong on our side; the request may be retried with the same Idempotency-Key.'));
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route or hook runs (a path
 * whose percent-encoding is not UTF-8, a path param beyond maxParamLength) answers in the API's
 * error shape rather than Fastify's own.
 */
export function handleFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const e = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? invalid('url_too_long', 'A path segment of the URL is too long.')
    : err.code === 'FST_ERR_BAD_URL' ? invalid('url_invalid', 'The URL path is not valid percent-encoded UTF-8.')
      : new DomainError('internal_error', 'Something went wrong on our side.');
  reply.header('request-id', req.id);
  return sendError(reply, e);
}

/**
 * Fastify's `clientErrorHandler`: Node refuses some requests before Fastify sees them (headers
 * over its 16 KB limit, bytes that are not HTTP, a request that took too long to arrive). There
 * is no reply object then, only the socket, so the response is written by hand.
 */
export function handleClientError(err: Error & { code?: string }, socket: Socket) {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e = err.code === 'HPE_HEADER_OVERFLOW' ? invalid('headers_too_large', 'The request headers are too large.')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? invalid('request_timeout', 'The request took too long to arrive.')
      : invalid('request_invalid', 'The request is not valid HTTP/1.1.');
  const body = JSON.stringify(errorBody(e));
  const status = statusOf(e);
  if (!socket.writable) { socket.destroy(); return; }
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}
