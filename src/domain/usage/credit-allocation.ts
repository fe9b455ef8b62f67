/** A credit grant as allocation sees it: what is left of it and when it may be used. */
export type GrantBalance = {
  id: string;
  /** What is left to consume, in the currency's minor units. */
  balance: bigint;
  /** 0..100; lower is consumed first. */
  priority: number;
  effectiveAt: Date;
  expiresAt: Date | null;
  createdAt: Date;
};

export type Allocation = { grant: string; amount: bigint };

/** Usable at `at`: already effective, not yet expired (the expiry instant itself is too late), something left. */
export const usableAt = (g: GrantBalance, at: Date): boolean =>
  g.balance > 0n && g.effectiveAt.getTime() <= at.getTime() && (g.expiresAt === null || at.getTime() < g.expiresAt.getTime());

/**
 * The order grants are consumed in: lower priority number first; among equals, the one expiring
 * soonest (so credit that would lapse is used before credit that keeps), those without expiry
 * last; then the oldest; the id settles exact ties so the answer never depends on input order.
 */
export function consumptionOrder(a: GrantBalance, b: GrantBalance): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const ea = a.expiresAt?.getTime() ?? Infinity;
  const eb = b.expiresAt?.getTime() ?? Infinity;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ca = a.createdAt.getTime();
  const cb = b.createdAt.getTime();
  if (ca !== cb) return ca - cb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Which grants pay how much of `amount` at `at`: the usable grants in consumption order, each
 * drained before the next is touched. The total is min(amount, what the usable grants hold);
 * grants that pay nothing are left out.
 */
export function allocateCredits(grants: readonly GrantBalance[], amount: bigint, at: Date): Allocation[] {
  if (amount < 0n) throw new RangeError('amount to cover must not be negative');
  const out: Allocation[] = [];
  let left = amount;
  for (const g of grants.filter((x) => usableAt(x, at)).sort(consumptionOrder)) {
    if (left === 0n) break;
    const take = g.balance < left ? g.balance : left;
    out.push({ grant: g.id, amount: take });
    left -= take;
  }
  return out;
}
