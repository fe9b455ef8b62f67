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
