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

  it('param is optional', () => {
    expect(new DomainError('api_error', 'x', 'y').param).toBeUndefined();
  });
});
