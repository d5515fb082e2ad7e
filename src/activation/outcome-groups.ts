/**
 * Devices not activated, counted by outcome and reason: what `status` and the summaries group, kept by the request
 * and job workflows as they go so that nobody has to read a whole report to see them. Plain and deterministic, so
 * the workflow bundle can use it.
 */
/** Most urgent first: failures need someone, unconfirmed/unresolved need a look, skipped ones usually nothing. */
export const NOT_ACTIVATED_ORDER: readonly string[] = ['failed', 'unconfirmed', 'unresolved', 'skipped'];

/** The reason a device is grouped under when its report gives none. */
export const NO_REASON = '(no reason given)';

/**
 * Distinct reasons kept per outcome; past it, devices count under OTHER_REASONS. ThingSpace's reasons are a handful
 * of texts, but one that named its device would otherwise grow a workflow's answer with every device.
 */
export const MAX_REASONS_PER_OUTCOME = 100;
export const OTHER_REASONS = '(other reasons)';

/**
 * Why a device is still open, in one wording for the counts (grouped under `pending`) and the report (outcome
 * `unresolved`, reason `pending (<why>)`), so that `status` and `report` say the same thing.
 */
export const PENDING_BECAUSE = {
  nothingHeard: 'nothing heard yet',
  lastStatus: (status: string) => `last status: ${status}`,
  partNotStarted: 'its part has not started yet',
  workflowSilent: 'its workflow did not answer',
} as const;

/** The report's reason for a device still open, `why` one of PENDING_BECAUSE. */
export const pendingReason = (why: string) => `pending (${why})`;

export interface OutcomeGroup {
  outcome: string;
  count: number;
  /** Most frequent first. */
  reasons: { reason: string; count: number }[];
}

export function outcomeRank(outcome: string): number {
  const rank = NOT_ACTIVATED_ORDER.indexOf(outcome);
  return rank === -1 ? NOT_ACTIVATED_ORDER.length : rank;
}

/** A stable sort: failures first, then unconfirmed, unresolved, skipped; the given order within each. */
export function failuresFirst<T extends { outcome: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => outcomeRank(a.outcome) - outcomeRank(b.outcome));
}

/** Counts that merge: a request's groups into its job's, a part's into its parent's. */
export class GroupTally {
  private readonly byOutcome = new Map<string, Map<string, number>>();

  add(outcome: string, reason: string, count = 1): this {
    if (count <= 0) return this;
    let reasons = this.byOutcome.get(outcome);
    if (!reasons) this.byOutcome.set(outcome, (reasons = new Map()));
    const kept = reasons.has(reason) || reasons.size < MAX_REASONS_PER_OUTCOME ? reason : OTHER_REASONS;
    reasons.set(kept, (reasons.get(kept) ?? 0) + count);
    return this;
  }

  /** Every device not activated among `devices` (activated ones are left out). */
  addReports(devices: Iterable<{ outcome: string; reason?: string }>): this {
    for (const { outcome, reason } of devices) if (outcome !== 'activated') this.add(outcome, reason ?? NO_REASON);
    return this;
  }

  addGroups(groups: readonly OutcomeGroup[]): this {
    for (const group of groups) for (const { reason, count } of group.reasons) this.add(group.outcome, reason, count);
    return this;
  }

  /** Failures first; reasons by count, then by text (compared as code units, the same on every worker). */
  groups(): OutcomeGroup[] {
    return failuresFirst(
      [...this.byOutcome].map(([outcome, reasons]) => ({
        outcome,
        count: [...reasons.values()].reduce((sum, n) => sum + n, 0),
        reasons: [...reasons]
          .map(([reason, count]) => ({ reason, count }))
          .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0)),
      })),
    );
  }
}

/**
 * Adds a finished request's or part's groups to `tally`: from its counts by reason, or, from a worker older than
 * them, from its list of devices not activated when that list is whole. Undefined when neither can say.
 */
export function addResultGroups(
  tally: GroupTally | undefined,
  result: {
    notActivatedGroups?: OutcomeGroup[];
    notActivated: readonly { outcome: string; reason?: string }[];
    notActivatedTruncated: boolean;
  },
): GroupTally | undefined {
  if (result.notActivatedGroups) return tally?.addGroups(result.notActivatedGroups);
  return result.notActivatedTruncated ? undefined : tally?.addReports(result.notActivated);
}
