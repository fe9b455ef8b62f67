// When the phases of a subscription schedule start and end. The dates are fixed when the phases
// are set, so that what a merchant signed (three months at one price, then a year at another) is
// what happens, whatever the subscription's own billing periods do meanwhile.
import { boundary, type Recurring } from './calendar.ts';
import { invalid } from './errors.ts';

/** Stripe's limit on the phases of one schedule. */
export const MAX_PHASES = 10;
/** The API's timestamps end with the year 2999; a schedule must end before them. */
export const LATEST_PHASE_END = new Date('3000-01-01T00:00:00Z');
// As for a subscription's trial: longer is a typo, not a plan.
const MAX_TRIAL_DAYS = 730;

/** How long a phase lasts, as given: iterations of its prices' interval, or up to an end date. */
export type PhaseLength = {
  recurring: Recurring;
  iterations?: number | undefined;
  end_date?: Date | undefined;
  trial_end?: Date | undefined;
};

export type PhaseSpan = { start: Date; end: Date };

/**
 * The start and end of each phase, the first starting at `start`. Each phase starts where the
 * one before it ends. `iterations: n` lasts n periods of the phase's interval counted from the
 * phase's own start (anchored like billing periods: a phase from Jan 31 lasting one month ends
 * Feb 28); the last phase lasts one iteration when given neither. Errors name the offending
 * field as `phases[i][…]`.
 */
export function phaseSpans(start: Date, phases: readonly PhaseLength[]): PhaseSpan[] {
  if (phases.length === 0) throw invalid('parameter_missing', 'a schedule needs at least one phase', 'phases');
  if (phases.length > MAX_PHASES) throw invalid('parameter_invalid', `a schedule has at most ${MAX_PHASES} phases`, 'phases');
  const spans: PhaseSpan[] = [];
  let from = start;
  for (const [i, p] of phases.entries()) {
    const at = `phases[${i}]`;
    if (p.iterations !== undefined && p.end_date !== undefined) {
      throw invalid('parameters_exclusive', 'give a phase iterations or end_date, not both', `${at}[end_date]`);
    }
    if (p.iterations === undefined && p.end_date === undefined && i < phases.length - 1) {
      throw invalid('parameter_missing', 'every phase but the last needs iterations or end_date', `${at}[iterations]`);
    }
    if (p.iterations !== undefined && (!Number.isInteger(p.iterations) || p.iterations < 1)) {
      throw invalid('parameter_invalid', 'iterations must be a positive integer', `${at}[iterations]`);
    }
    if (p.end_date !== undefined && p.end_date <= from) {
      throw invalid('phase_end_invalid', `this phase starts at ${from.toISOString()}; its end_date must be later (phases end in order and never overlap)`, `${at}[end_date]`);
    }
    const end = p.end_date ?? boundary(from, p.recurring, p.iterations ?? 1);
    if (end > LATEST_PHASE_END) {
      throw invalid('parameter_invalid', 'a schedule must end before the year 3000', `${at}[${p.end_date ? 'end_date' : 'iterations'}]`);
    }
    spans.push({ start: from, end });
    from = end;
  }
  checkTrials(phases, spans);
  return spans;
}

/**
 * A phase's trial ends within the phase. Only a schedule's first phase starts a trial; a later
 * phase may move the end of a trial that is still running when it starts (the phase before it
 * trials right up to its end), as a trialing subscription's trial_end can be moved.
 */
function checkTrials(phases: readonly PhaseLength[], spans: readonly PhaseSpan[]) {
  for (const [i, p] of phases.entries()) {
    if (p.trial_end === undefined) continue;
    const param = `phases[${i}][trial_end]`;
    const span = spans[i]!;
    if (p.trial_end <= span.start || p.trial_end > span.end) {
      throw invalid('parameter_invalid', `a phase's trial must end within the phase (${span.start.toISOString()} – ${span.end.toISOString()})`, param);
    }
    if (p.trial_end.getTime() - span.start.getTime() > MAX_TRIAL_DAYS * 86_400_000) {
      throw invalid('parameter_invalid', `a trial can last at most ${MAX_TRIAL_DAYS} days`, param);
    }
    const before = phases[i - 1];
    if (i > 0 && before?.trial_end?.getTime() !== span.start.getTime()) {
      throw invalid('parameter_invalid', 'only the first phase can start a trial; a later one can only extend a trial that runs until it starts', param);
    }
  }
}
