import fs from 'node:fs';
import readline from 'node:readline';
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
export async function replay(set: RuleSet, input: string, opts: ReplayOptions, onAlert: (a: ReplayAlert) => void): Promise<{ events: number; alerts: number }> {
  const events = await readEvents(input);
  events.sort((a, b) => a.time - b.time || a.index - b.index);
  const engine = new CorrelationEngine(set.correlations, { allowedLatenessMs: opts.allowedLatenessMs });
  const absence = new AbsenceTracker(set.rules.map(absenceRuleOf).filter((r): r is AbsenceRule => r !== null), { allowedLatenessMs: opts.allowedLatenessMs });
  let alerts = 0;
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
      else if (engine.emitsOwnAlerts(ref)) emit({ rule: rule.id, kind: 'detection', groupBy: {}, windowStart: at.toISOString(), windowEnd: at.toISOString(), eventCount: 1 });
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
  return { events: events.length, alerts };
}

async function readEvents(input: string): Promise<Array<{ event: object; time: number; index: number }>> {
  const lines = readline.createInterface({ input: input === '-' ? process.stdin : fs.createReadStream(input), crlfDelay: Infinity });
  const out: Array<{ event: object; time: number; index: number }> = [];
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(raw);
    } catch (err) {
      throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: not a JSON object (${(err as Error).message})`]);
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: expected one JSON object per line`]);
    const ts = getField(event, '@timestamp');
    const time = typeof ts === 'string' || typeof ts === 'number' ? new Date(ts).getTime() : NaN;
    if (Number.isNaN(time)) throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: the event has no readable @timestamp (event time drives correlation windows)`]);
    out.push({ event, time, index: out.length });
  }
  return out;
}

export function formatReplayAlert(a: ReplayAlert): string {
  const group = Object.entries(a.groupBy).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  if (a.kind === 'absence') return `${a.windowStart}  ${a.windowEnd}  ${a.rule}  absent${group ? `  ${group}` : ''}`;
  return `${a.windowStart}  ${a.kind === 'correlation' ? `${a.windowEnd}  ` : ''}${a.rule}  events=${a.eventCount}${a.value !== undefined ? ` value=${a.value}` : ''}${group ? `  ${group}` : ''}`;
}
