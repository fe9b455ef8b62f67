import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, isEventType } from './event-types.ts';

describe('event types', () => {
  it('are unique, each an object and what happened to it', () => {
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    for (const t of EVENT_TYPES) expect(t).toMatch(/^(billing\.)?[a-z_]+\.[a-z_]+$/); // billing.alert.triggered: Stripe's name
    expect(isEventType('invoice.paid')).toBe(true);
    expect(isEventType('invoice.pai')).toBe(false);
    expect(isEventType('*')).toBe(false);
  });
});
