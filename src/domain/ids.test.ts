import { TypeID } from 'typeid-js';
import { describe, expect, it } from 'vitest';
import { idFloorAt, idTime, looksLikeId, newId } from './ids.ts';

describe('newId', () => {
  it('mints TypeIDs that the reference library reads as UUIDv7 of this millisecond', () => {
    const before = Date.now();
    const id = newId('invoice');
    const after = Date.now();
    expect(looksLikeId('invoice', id)).toBe(true);
    const parsed = TypeID.fromString(id);
    expect(parsed.getType()).toBe('in');
    const uuid = parsed.toUUID();
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(uuid.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    // and the library writes the same UUID back as the same id
    expect(TypeID.fromUUID('in', uuid).toString()).toBe(id);
  });

  it('sorts in minting order, also within one millisecond, and never repeats', () => {
    const ids = Array.from({ length: 50_000 }, () => newId('invoiceLine'));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });
});

describe('id times', () => {
  it('reads the millisecond an id was minted in, and the floor of a millisecond sorts below its ids and above earlier ones', () => {
    const before = Date.now();
    const id = newId('subscriptionRevision');
    const t = idTime(id);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(t).toBe(parseInt(TypeID.fromString(id).toUUID().replace(/-/g, '').slice(0, 12), 16));
    expect(idFloorAt('subscriptionRevision', t) <= id).toBe(true);
    expect(idFloorAt('subscriptionRevision', t + 1) > id).toBe(true);
    expect(idTime(idFloorAt('subscriptionRevision', t - 300_000))).toBe(t - 300_000);
    expect(looksLikeId('subscriptionRevision', idFloorAt('subscriptionRevision', t))).toBe(true);
  });
});
