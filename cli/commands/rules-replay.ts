import { alertId, groupOf } from '../../pipeline/alert/build';
import { eventsFromLines } from '../../pipeline/offline/events';
import { shippedDecoders } from '../../pipeline/decoders/shipped';
import { inputLines, parseInputLine } from './event-input';
import type { RuleSet } from '../../pipeline/detect/load';
import { getField } from '../../pipeline/detect/field';
import { matchRules } from '../../pipeline/detect/match';
import { CorrelationEngine, type CorrelationAlert } from '../../pipeline/correlate/engine';
import { AbsenceTracker, absenceRuleOf, type AbsenceAlert, type AbsenceRule } from '../../pipeline/correlate/absence';
import { HaetaeError } from '../../pipeline/errors/catalog';

export interface ReplayAlert {
  rule: string;
  kind: 'detection' | 'correlation' | 'absence';
  groupBy: Record<string, unknown>;
  /** Detection: the event time; correlation: the window start; absence: the group's last match. */
  windowStart: string;
  /** Absence: the deadline (last match + timespan) that passed without a match. */
  windowEnd: string;
  /** 0 for an absence alert: nothing arrived. */
  eventCount: number;
  value?: number;
  alertId?: string;
}

export interface ReplayOptions {
  /** How far behind the newest event an event may arrive and still count (input is sorted, so 0 is usual). */
  allowedLatenessMs: number;
}

/**
 * Reads ECS events (JSONL), sorts them by @timestamp (stable: equal times keep input order) and
 * runs detections and correlations over them as the pipeline would, printing every alert that
 * would fire. Detection alerts of rules that correlations use are printed only when the rule
 * generates its own alerts (Sigma `generate`). Rules with `haetae.absence` raise no alert per
 * match (matches are heartbeats); their absence alerts are decided up to the last event's time —
 * a group still awaited when the input ends is not reported, since the input says nothing about
 * what came after it.
 */
export interface ReplaySummary {
  events: number;
  alerts: number;
  /** Matches of throttled rules that fell in a period (and group) already alerted: the worker records them on that alert. */
  throttled: number;
  /** Raw lines that did not parse as syslog (still evaluated, as the worker would: message only). */
  unparsed: number;
}

/**
 * What replay does not do that the worker does, said in the summary: recovered-by (resolving open
 * alerts), notification channels and delivery, asset-based severity, and anything stateful across
 * runs (correlation state, alerts already stored).
 */
export const REPLAY_LEAVES_OUT = 'not simulated: recovered-by, notification channels and delivery, severity raised by asset criticality, repeats folded into an alert still open from an earlier throttle period';

export async function replay(set: RuleSet, input: string, opts: ReplayOptions, onAlert: (a: ReplayAlert) => void): Promise<ReplaySummary> {
  const { events, unparsed } = await readEvents(input);
  events.sort((a, b) => a.time - b.time || a.index - b.index);
  const engine = new CorrelationEngine(set.correlations, { allowedLatenessMs: opts.allowedLatenessMs });
  const absence = new AbsenceTracker(set.rules.map(absenceRuleOf).filter((r): r is AbsenceRule => r !== null), { allowedLatenessMs: opts.allowedLatenessMs });
  let alerts = 0;
  let throttled = 0;
  /** Throttled rules: the (rule, group, period) already alerted — as the worker's alert id does. */
  const periods = new Set<string>();
  const detection = (rule: RuleSet['rules'][number], event: object, at: Date): ReplayAlert | null => {
    const group = groupOf(rule, event);
    const groupBy = rule.alerting.groupBy ? group.values : {};
    const throttle = rule.alerting.throttleMs;
    if (throttle === undefined) return { rule: rule.id, kind: 'detection', groupBy, windowStart: at.toISOString(), windowEnd: at.toISOString(), eventCount: 1 };
    const start = Math.floor(at.getTime() / throttle) * throttle;
    const windowStart = new Date(start).toISOString();
    const id = alertId(rule.id, `${JSON.stringify(group.values)}\u0000${windowStart}`);
    if (periods.has(id)) { throttled++; return null; }
    periods.add(id);
    return { rule: rule.id, kind: 'detection', groupBy, windowStart, windowEnd: new Date(start + throttle).toISOString(), eventCount: 1, alertId: id };
  };
  const emit = (a: ReplayAlert): void => { alerts++; onAlert(a); };
  const fromCorrelation = (c: CorrelationAlert): ReplayAlert => ({
    rule: c.ruleId, kind: 'correlation', groupBy: c.groupBy, windowStart: c.windowStart.toISOString(), windowEnd: c.windowEnd.toISOString(),
    eventCount: c.eventCount, ...(c.value !== undefined ? { value: c.value } : {}), alertId: c.alertId,
  });
  const fromAbsence = (a: AbsenceAlert): ReplayAlert => ({
    rule: a.ruleId, kind: 'absence', groupBy: a.groupBy, windowStart: a.lastSeen.toISOString(), windowEnd: a.deadline.toISOString(), eventCount: 0, alertId: a.alertId,
  });
  for (const { event, time } of events) {
    const at = new Date(time);
    const hits = matchRules(set.rules, event, (rule, err) => { throw new HaetaeError('HAETAE_RULE_INVALID', [`rule '${rule.id}' failed on an event: ${(err as Error).message}`]); });
    for (const rule of hits) {
      const ref = { id: rule.id, ...(rule.source.name ? { name: rule.source.name } : {}) };
      if (absence.tracks(rule.id)) for (const a of absence.observe(rule.id, event, at).alerts) emit(fromAbsence(a));
      else if (engine.emitsOwnAlerts(ref)) {
        const a = detection(rule, event, at);
        if (a) emit(a);
      }
      for (const c of engine.observe(ref, event, at)) if (engine.raises(c)) emit(fromCorrelation(c));
    }
    // Every event's time moves the absence watermark, not only heartbeats: a quiet host is
    // noticed while the others keep logging.
    for (const a of absence.advanceWatermark(new Date(time - opts.allowedLatenessMs)).alerts) emit(fromAbsence(a));
  }
  // End of input: every window can be decided now.
  for (const c of engine.advanceWatermark(new Date(8.64e15))) if (engine.raises(c)) emit(fromCorrelation(c));
  const last = events[events.length - 1];
  if (last) for (const a of absence.advanceWatermark(new Date(last.time)).alerts) emit(fromAbsence(a));
  return { events: events.length, alerts, throttled, unparsed };
}

async function readEvents(input: string): Promise<{ events: Array<{ event: object; time: number; index: number }>; unparsed: number }> {
  const items: Array<{ lineNo: number; event?: object; line?: string }> = [];
  let lineNo = 0;
  for await (const raw of inputLines(input)) {
    lineNo++;
    if (raw.trim() === '') continue;
    items.push({ lineNo, ...parseInputLine(input, lineNo, raw) });
  }
  // Raw lines go through the worker's stages together (auditd records of one event merge), received now.
  const rawItems = items.filter((i) => i.line !== undefined);
  let unparsed = 0;
  if (rawItems.length > 0) {
    const outcomes = eventsFromLines(rawItems.map((i) => i.line!), { decoders: shippedDecoders() });
    outcomes.forEach((o, k) => {
      if ('event' in o) {
        // A log file replayed is old by nature: the worker would correct a far-off header time to
        // the receive time (haetae.time.correction); here the line's own time is the event time.
        const original = o.event.haetae?.time?.original;
        if (typeof original === 'string') o.event['@timestamp'] = original;
        rawItems[k]!.event = o.event;
        if (o.event.haetae?.parse && 'error' in o.event.haetae.parse) unparsed++;
      }
    });
  }
  const out: Array<{ event: object; time: number; index: number }> = [];
  for (const item of items) {
    if (!item.event) continue; // merged into an earlier line's event
    const ts = getField(item.event, '@timestamp');
    const time = typeof ts === 'string' || typeof ts === 'number' ? new Date(ts).getTime() : NaN;
    if (Number.isNaN(time)) throw new HaetaeError('HAETAE_USAGE', [`${input}:${item.lineNo}: the event has no readable @timestamp (event time drives correlation windows)`]);
    out.push({ event: item.event, time, index: out.length });
  }
  return { events: out, unparsed };
}

export function formatReplayAlert(a: ReplayAlert): string {
  const group = Object.entries(a.groupBy).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  if (a.kind === 'absence') return `${a.windowStart}  ${a.windowEnd}  ${a.rule}  absent${group ? `  ${group}` : ''}`;
  return `${a.windowStart}  ${a.kind === 'correlation' ? `${a.windowEnd}  ` : ''}${a.rule}  events=${a.eventCount}${a.value !== undefined ? ` value=${a.value}` : ''}${group ? `  ${group}` : ''}`;
}
