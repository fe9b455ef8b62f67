// Every retry-timing strategy a dunning policy may name (policy.ts RETRY_STRATEGIES).
import { paydayAware } from './payday.ts';
import type { RetryStrategyName } from './policy.ts';
import { fixedSchedule, type RetryStrategy } from './strategy.ts';

export const STRATEGIES: Readonly<Record<RetryStrategyName, RetryStrategy>> = { fixed_schedule: fixedSchedule, payday_aware: paydayAware };

/** The strategy a case recorded; a name this version no longer knows falls back to the schedule as written. */
export const strategyNamed = (name: string): RetryStrategy => (Object.hasOwn(STRATEGIES, name) ? STRATEGIES[name as RetryStrategyName] : fixedSchedule);
