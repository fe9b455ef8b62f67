import { describe, expect, it } from 'vitest';
import { DomainError, invalid } from './errors.ts';

describe('errors', () => {
  it('invalid() builds an invalid_request_error DomainError', () => {
    const e = invalid('parameter_invalid', 'bad', 'amount');
    expect(e).toBeInstanceOf(DomainError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('DomainError');
    expect(e.type).toBe('invalid_request_error');
    expect(e.code).toBe('parameter_invalid');
    expect(e.message).toBe('bad');
    expect(e.param).toBe('amount');
  });

  it('takes its type and HTTP status from the catalogue', () => {
    const e = new DomainError('payment_in_progress', 'busy');
    expect({ type: e.type, status: e.status }).toEqual({ type: 'conflict_error', status: 409 });
    expect(new DomainError('resource_missing', 'gone').status).toBe(404);
  });

  it('param is optional', () => {
    expect(new DomainError('internal_error', 'y').param).toBeUndefined();
  });
});
