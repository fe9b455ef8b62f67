// Domain errors carry a Stripe-style (type, code, param) triple so the HTTP layer can map
// them to API error bodies without the domain knowing anything about HTTP.

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'idempotency_error'
  | 'conflict_error'
  | 'card_error'
  | 'api_error';

export class DomainError extends Error {
  constructor(
    public readonly type: ErrorType,
    public readonly code: string,
    message: string,
    public readonly param?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string, param?: string) =>
  new DomainError('invalid_request_error', code, message, param);
