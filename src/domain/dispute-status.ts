// A dispute's status in Rebill's words, whichever processor reported it, and the order in which
// statuses may follow each other: events arrive late and out of order, and an older one must
// never reopen a dispute or move it back. The disputes table's CHECK holds the same list.

export const DISPUTE_STATUSES = ['needs_response', 'under_review', 'won', 'lost', 'closed'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** Ended: won, lost, or closed without a verdict (an inquiry that went no further). */
export const isClosedDispute = (s: DisputeStatus): boolean => s === 'won' || s === 'lost' || s === 'closed';

const RANK: Record<DisputeStatus, number> = { needs_response: 0, under_review: 1, won: 2, lost: 2, closed: 2 };

/**
 * Whether an event saying `next` at `nextAt` moves a dispute stored as `current` at `currentAt`.
 * A closed dispute stays as it closed; an older event changes nothing; of two events stamped the
 * same second (processors count in seconds), only one further along the way counts.
 */
export function disputeAdvances(current: { status: DisputeStatus; at: Date }, next: { status: DisputeStatus; at: Date }): boolean {
  if (isClosedDispute(current.status)) return false;
  if (next.at.getTime() < current.at.getTime()) return false;
  if (next.at.getTime() === current.at.getTime()) return RANK[next.status] > RANK[current.status];
  return next.status !== current.status;
}
