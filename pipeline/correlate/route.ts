/**
 * Repartitioning for streaming correlation. A correlation's groups are not aligned with the raw
 * topic's key (the sender's address): "5 failures for one user across all hosts" sees events from
 * every raw partition. So the worker turns each detection hit a correlation (or absence rule)
 * needs into a small record on the correlate topic, keyed by (target, group-by values); Kafka's
 * key partitioning then sends every observation of one group to the same correlator, in order.
 *
 * A record carries only what its target reads — the group-by fields (aliases applied for the
 * referenced rule) and the aggregated fields — as flat dotted keys, which getField reads like
 * nested ones. Chained correlations travel the same way: a correlator that fires an inner
 * correlation routes the alert (its group-by values are its fields) to the outer one.
 */
import { getField } from '../detect/field';
import type { CorrelationRule } from './model';
import type { AbsenceRule } from './absence';

export interface RuleRef {
  id: string;
  name?: string;
}

/** The value of a correlate-topic record (JSON). */
export interface CorrelateMessage {
  v: 1;
  kind: 'correlation' | 'absence';
  /** Correlation key (id, name or title key) or the absence rule's id. */
  target: string;
  /** The rule the observation comes from: a detection rule, or an inner correlation when chained. */
  ref: RuleRef;
  /** Event time, epoch milliseconds. */
  t: number;
  /**
   * When the event was received (epoch ms): stream time never runs ahead of it, so a sender's
   * clock cannot move correlation time on for everyone. Absent in records of older versions.
   */
  r?: number;
  /** Event document id (or the inner alert's id), so redelivery is recognised. */
  id: string;
  /** The fields the target reads, flat dotted keys; a missing field is null. */
  fields: Record<string, unknown>;
}

export interface CorrelateRecord {
  key: string;
  message: CorrelateMessage;
}

interface Route {
  kind: 'correlation' | 'absence';
  target: string;
  /** Fields whose values form the group (aliases applied for this ref), in group-by order. */
  groupFields: readonly string[];
  /** Every field the target reads from this ref's events. */
  fields: readonly string[];
  /** Sigma `generate`: whether the referenced rule still raises its own alerts. */
  generate: boolean;
}

export class CorrelationRouter {
  private readonly byRef = new Map<string, Array<{ route: Route; correlation: CorrelationRule | null }>>();
  readonly correlations: ReadonlyMap<string, CorrelationRule>;
  readonly absence: ReadonlyMap<string, AbsenceRule>;

  constructor(correlations: readonly CorrelationRule[], absence: readonly AbsenceRule[] = []) {
    this.correlations = new Map(correlations.map((c) => [c.key, c]));
    this.absence = new Map(absence.map((a) => [a.id, a]));
    for (const c of correlations) {
      for (const ref of c.rules) {
        const groupFields = c.groupBy.map((f) => c.aliases[f]?.[ref] ?? f);
        const fields = [...new Set([...groupFields, ...(c.condition.fields ?? [])])];
        this.add(ref, { route: { kind: 'correlation', target: c.key, groupFields, fields, generate: c.generate }, correlation: c });
      }
    }
    for (const a of absence) {
      this.add(a.id, { route: { kind: 'absence', target: a.id, groupFields: a.groupBy, fields: a.groupBy, generate: false }, correlation: null });
    }
  }

  /** Whether anything streams from this rule's hits. */
  routes(ref: RuleRef): boolean {
    return this.routesFor(ref).length > 0;
  }

  /**
   * Whether a hit of this rule also raises its own alert. A rule that only feeds correlations does
   * not, unless one of them says `generate: true` (see CorrelationEngine.emitsOwnAlerts); an
   * absence rule's matches are heartbeats and never do.
   */
  emitsOwnAlerts(ref: RuleRef): boolean {
    const routes = this.routesFor(ref);
    if (routes.some((r) => r.route.kind === 'absence')) return false;
    return routes.length === 0 || routes.some((r) => r.route.generate);
  }

  /** The correlate records for one hit of `ref` on `event` (event time `t`, received at `r`). */
  route(ref: RuleRef, event: object, t: number, id: string, r?: number): CorrelateRecord[] {
    const out: CorrelateRecord[] = [];
    for (const { route } of this.routesFor(ref)) {
      const fields: Record<string, unknown> = {};
      for (const f of route.fields) fields[f] = getField(event, f) ?? null;
      const group = route.groupFields.map((f) => fields[f]);
      out.push({
        key: `${route.kind}\u0000${route.target}\u0000${JSON.stringify(group)}`,
        message: { v: 1, kind: route.kind, target: route.target, ref: { ...ref }, t, ...(r !== undefined ? { r } : {}), id, fields },
      });
    }
    return out;
  }

  private add(ref: string, entry: { route: Route; correlation: CorrelationRule | null }): void {
    const list = this.byRef.get(ref) ?? [];
    list.push(entry);
    this.byRef.set(ref, list);
  }

  private routesFor(ref: RuleRef): Array<{ route: Route; correlation: CorrelationRule | null }> {
    const byId = this.byRef.get(ref.id) ?? [];
    const byName = ref.name !== undefined && ref.name !== ref.id ? this.byRef.get(ref.name) ?? [] : [];
    if (byName.length === 0) return byId;
    // A correlation may list a rule by id and another by name: each target once.
    const seen = new Set<string>();
    return [...byId, ...byName].filter((e) => {
      const k = `${e.route.kind}\u0000${e.route.target}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }
}

/** Parses a correlate-topic record value; null when it is not one of ours. */
export function parseCorrelateMessage(value: Buffer | null): CorrelateMessage | null {
  if (!value) return null;
  let m: unknown;
  try {
    m = JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
  if (m === null || typeof m !== 'object') return null;
  const o = m as Partial<CorrelateMessage>;
  const ok = o.v === 1 && (o.kind === 'correlation' || o.kind === 'absence') && typeof o.target === 'string' && typeof o.t === 'number' && Number.isFinite(o.t)
    && (o.r === undefined || (typeof o.r === 'number' && Number.isFinite(o.r)))
    && typeof o.id === 'string' && o.ref !== null && typeof o.ref === 'object' && typeof o.ref.id === 'string' && o.fields !== null && typeof o.fields === 'object';
  return ok ? (o as CorrelateMessage) : null;
}
