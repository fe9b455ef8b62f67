import { DomainError } from '../domain/errors.ts';

/** The object does not exist in the caller's account (another account's id looks the same). */
export function notFound(kind: string, id: string, param?: string): DomainError {
  return new DomainError('invalid_request_error', 'resource_missing', `No such ${kind}: '${id}'`, param);
}

export function conflict(code: string, message: string, param?: string): DomainError {
  return new DomainError('conflict_error', code, message, param);
}
