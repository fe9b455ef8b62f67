import { DomainError, type CodeOf } from '../domain/errors.ts';

/** The object does not exist in the caller's account (another account's id looks the same). */
export function notFound(kind: string, id: string, param?: string): DomainError {
  return new DomainError('resource_missing', `No such ${kind}: '${id}'`, param);
}

export function conflict(code: CodeOf<'conflict_error'>, message: string, param?: string): DomainError {
  return new DomainError(code, message, param);
}
