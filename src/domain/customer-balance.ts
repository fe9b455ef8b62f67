// The customer's balance at finalization: a credit (negative balance) pays part or all of the
// invoice, an amount owed (positive) is added to it, and an invoice whose total is itself a
// credit (a downgrade's net proration) leaves that credit on the balance instead of charging a
// negative amount. What is due and what remains always account for every minor unit:
//   amount_due + ending_balance = total + starting_balance.

export type BalanceApplied = {
  starting_balance: bigint;
  ending_balance: bigint;
  amount_due: bigint;
};

export function applyBalance(total: bigint, balance: bigint): BalanceApplied {
  const owed = total + balance;
  return {
    starting_balance: balance,
    amount_due: owed > 0n ? owed : 0n,
    ending_balance: owed < 0n ? owed : 0n,
  };
}
