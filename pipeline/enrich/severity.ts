/**
 * Alert severity raised by asset criticality (enrich.assets.raiseSeverity). The enricher writes
 * the highest criticality of the assets an event touches to haetae.asset.criticality; an alert on
 * that event is raised two levels for a critical asset, one for a high one, never lowered and
 * capped at critical.
 */
export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export type Criticality = 'low' | 'medium' | 'high' | 'critical';

const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];
const RAISE: Record<Criticality, number> = { low: 0, medium: 0, high: 1, critical: 2 };
const CRITICALITY_RANK: Record<Criticality, number> = { low: 1, medium: 2, high: 3, critical: 4 };

export function isCriticality(x: unknown): x is Criticality {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(CRITICALITY_RANK, x);
}

const BY_RANK: ReadonlyArray<Criticality | undefined> = [undefined, 'low', 'medium', 'high', 'critical'];

/** 1 (low) … 4 (critical); 0 when absent. */
export function criticalityRank(c: Criticality | undefined): number {
  return c === undefined ? 0 : CRITICALITY_RANK[c];
}

/** The criticality of a rank (0: undefined). */
export function criticalityOfRank(rank: number): Criticality | undefined {
  return BY_RANK[rank];
}

/** The higher of two criticalities (either may be absent). */
export function maxCriticality(a: Criticality | undefined, b: Criticality | undefined): Criticality | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return CRITICALITY_RANK[a] >= CRITICALITY_RANK[b] ? a : b;
}

/** The alert level for a rule of `ruleLevel` matching `event`, given the event's asset criticality. */
export function severityFor<L extends Level>(ruleLevel: L, event: unknown): Level {
  const asset = (event as { haetae?: { asset?: { criticality?: unknown } } } | null)?.haetae?.asset;
  const crit = asset?.criticality;
  const at = LEVELS.indexOf(ruleLevel);
  if (!isCriticality(crit) || at < 0) return ruleLevel;
  return LEVELS[Math.min(LEVELS.length - 1, at + RAISE[crit])]!;
}
