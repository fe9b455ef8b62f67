// Domain errors carry a Stripe-style (type, code, param) triple. The code alone decides the
// type and the HTTP status (error-catalogue.ts), so no call site can answer a code two ways.
import { ERRORS, type CodeOf, type ErrorCode, type ErrorType } from './error-catalogue.ts';

export type { CodeOf, ErrorCode, ErrorType } from './error-catalogue.ts';

export class DomainError extends Error {
  readonly type: ErrorType;
  /** The HTTP status the API answers it with. */
  readonly status: number;

  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly param?: string,
  ) {
    super(message);
    this.name = 'DomainError';
    this.type = ERRORS[code].type;
    this.status = ERRORS[code].status;
  }
}

export const invalid = (code: CodeOf<'invalid_request_error'>, message: string, param?: string) =>
  new DomainError(code, message, param);

/**
 * The same error about a field that a wrapping request names differently: `items[0][price]` of a
 * change is `subscription_details[items][0][price]` of a preview, `phases[1][items][0][price]` of
 * a schedule. `rename` maps the field's first segment, or returns null to leave the error as is.
 */
export function renameParam(err: unknown, rename: (head: string) => string | null): unknown {
  if (!(err instanceof DomainError) || !err.param) return err;
  const [, head, rest] = /^([^[]+)(.*)$/.exec(err.param) ?? [];
  const to = head === undefined ? null : rename(head);
  return to === null ? err : new DomainError(err.code, err.message, `${to}${rest ?? ''}`);
}
