import { describe, expect, it } from 'vitest';
import { disputeAdvances } from './dispute-status.ts';

const at = (s: number) => new Date(s * 1000);

describe('disputeAdvances', () => {
  it('moves a dispute forward on a newer event', () => {
    expect(disputeAdvances({ status: 'needs_response', at: at(10) }, { status: 'under_review', at: at(20) })).toBe(true);
    expect(disputeAdvances({ status: 'under_review', at: at(10) }, { status: 'won', at: at(20) })).toBe(true);
  });
  it('never reopens or changes a closed dispute', () => {
    expect(disputeAdvances({ status: 'won', at: at(10) }, { status: 'under_review', at: at(20) })).toBe(false);
    expect(disputeAdvances({ status: 'lost', at: at(10) }, { status: 'won', at: at(20) })).toBe(false);
  });
  it('ignores an event older than the one stored', () => {
    expect(disputeAdvances({ status: 'under_review', at: at(20) }, { status: 'needs_response', at: at(10) })).toBe(false);
    expect(disputeAdvances({ status: 'needs_response', at: at(20) }, { status: 'under_review', at: at(10) })).toBe(false);
  });
  it('within one second, takes only a step forward', () => {
    expect(disputeAdvances({ status: 'needs_response', at: at(10) }, { status: 'under_review', at: at(10) })).toBe(true);
    expect(disputeAdvances({ status: 'under_review', at: at(10) }, { status: 'needs_response', at: at(10) })).toBe(false);
    expect(disputeAdvances({ status: 'under_review', at: at(10) }, { status: 'under_review', at: at(11) })).toBe(false);
  });
});
