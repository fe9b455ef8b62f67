import type { DeclineCategory } from '../../domain/declines.ts';
import type * as R from '../resources.ts';
import type { Row } from '../views.ts';
import { rulesOfRow, type PolicyJson } from './policy-of.ts';

/** One decline of a case, as the case keeps it (oldest first). */
export type StoredDecline = {
  payment: string; at: string; decline_code: string; decline_category: DeclineCategory; do_not_retry: boolean;
  network: string | null; network_code: string | null; advice_code: string | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const parsed = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

export const declinesOf = (c: Row<'dunning_cases'>): StoredDecline[] => parsed<StoredDecline[]>(c.declines);

export const dunningCaseView = (c: Row<'dunning_cases'>, messages: R.DunningCaseObject['messages'] = []): R.DunningCaseObject => ({
  id: c.id, object: 'dunning_case' as const, invoice: c.invoice_id, customer: c.customer_id, subscription: c.subscription_id,
  status: c.status as 'active' | 'recovered' | 'exhausted' | 'canceled',
  awaiting: c.awaiting as 'retry' | 'new_payment_method' | 'merchant' | null,
  policy: c.policy_id, policy_rules: { retry_strategy: 'fixed_schedule', ...parsed<Omit<PolicyJson, 'retry_strategy'>>(c.policy) }, strategy: c.strategy,
  retries: c.retries, next_attempt: iso(c.next_attempt_at), first_failure: c.first_failure_at.toISOString(), grace_ends: c.grace_ends_at.toISOString(),
  declines: declinesOf(c), ended: iso(c.ended_at), end_reason: c.end_reason, test_clock: c.test_clock_id,
  created: c.created_at.toISOString(), updated: c.updated_at.toISOString(), messages,
});

export const dunningPolicyView = (p: Row<'dunning_policies'>): R.DunningPolicyObject => ({
  id: p.id, object: 'dunning_policy', name: p.name, is_default: p.is_default, ...rulesOfRow(p),
  metadata: parsed<Record<string, string>>(p.metadata), created: p.created_at.toISOString(), updated: p.updated_at.toISOString(),
});
