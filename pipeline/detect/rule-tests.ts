import fs from 'node:fs';
import YAML, { LineCounter, isMap, isSeq, type Node } from 'yaml';
import type { CompiledRule, RuleSet } from './load';
import { eventFromLine } from './sample-event';
import { matchRules } from './match';
import { CorrelationEngine, type CorrelationAlert } from '../correlate/engine';
import { AbsenceTracker, absenceRuleOf, type AbsenceAlert } from '../correlate/absence';
import type { CorrelationRule } from '../correlate/model';

export interface CaseResult {
  ruleId: string;
  file: string;
  /** Position of the case in the file. */
  line: number;
  column: number;
  index: number;
  name: string;
  expected: boolean;
  actual: boolean | null;
  /** Why the case could not run (malformed case), when actual is null. */
  error?: string;
}

export interface RuleTestReport {
  cases: CaseResult[];
  passed: number;
  failed: number;
  /** Rules that have no test case. */
  untested: string[];
}

/**
 * Runs the inline `tests:` of every rule in a loaded rule set. Cases are read again from the
 * files (with positions, so a failure points at its line), matched by rule id to the compiled
 * rules, and evaluated offline: no service is involved.
 */
export function runRuleTests(set: RuleSet, now = new Date()): RuleTestReport {
  const byId = new Map(set.rules.map((r) => [r.id, r] as const));
  const tested = new Set<string>();
  const cases: CaseResult[] = [];
  for (const file of set.files) {
    const lc = new LineCounter();
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { lineCounter: lc })) {
      const root = doc.contents as Node | null;
      if (!isMap(root)) continue;
      const id = root.get('id');
      const tests = root.get('tests', true);
      if (!isSeq(tests)) continue;
      if (root.has('correlation')) {
        const key = (typeof id === 'string' ? id : undefined) ?? (root.get('name') as string | undefined) ?? `title:${String(root.get('title'))}`;
        const correlation = set.correlations.find((c) => c.key === key);
        if (!correlation) continue; // refused by the loader, which reported why
        tested.add(key);
        tests.items.forEach((item, index) => cases.push(runCorrelationCase(set, correlation, file, item as Node, index, lc)));
        continue;
      }
      if (typeof id !== 'string') continue;
      const rule = byId.get(id);
      if (!rule) continue; // the rule itself did not load: its problems are reported by the loader
      tested.add(id);
      tests.items.forEach((item, index) => {
        // Timeline cases (`events` + `alerts`) are for absence rules; the rest are match cases.
        const timeline = isMap(item) && item.has('events');
        cases.push(timeline ? runAbsenceCase(rule, file, item as Node, index, lc) : runCase(rule, file, item as Node, index, lc, now));
      });
    }
  }
  const passed = cases.filter((c) => c.actual === c.expected).length;
  const untested = [...set.rules.map((r) => r.id), ...set.correlations.map((c) => c.key)].filter((k) => !tested.has(k));
  return { cases, passed, failed: cases.length - passed, untested };
}

function runCase(rule: CompiledRule, file: string, item: Node, index: number, lc: LineCounter, now: Date): CaseResult {
  const pos = lc.linePos(item.range?.[0] ?? 0);
  const value = (item as { toJSON(): unknown }).toJSON() as { name?: string; line?: string; event?: object; match?: boolean };
  const base = { ruleId: rule.id, file, line: pos.line, column: pos.col, index, name: value.name ?? `case ${index + 1}`, expected: value.match === true };
  if ((value.line === undefined) === (value.event === undefined)) {
    return { ...base, actual: null, error: 'a test case needs exactly one of `line` or `event`' };
  }
  if (typeof value.match !== 'boolean') return { ...base, actual: null, error: 'a test case needs `match: true` or `match: false`' };
  const event = value.line !== undefined ? eventFromLine(value.line, now) : value.event!;
  try {
    const actual = rule.matches(event);
    if (actual !== base.expected) {
      const why = whyNot(rule, event, actual);
      if (why) return { ...base, actual, error: `expected ${base.expected ? 'a match' : 'no match'}, got ${actual ? 'a match' : 'no match'} (${why})` };
    }
    return { ...base, actual };
  } catch (err) {
    return { ...base, actual: null, error: `the rule threw: ${(err as Error).message}` };
  }
}

/**
 * What an author needs to see when a case fails for a reason outside the rule's own text: a Sigma
 * filter that excludes the event, or a raw line that did not parse.
 */
function whyNot(rule: CompiledRule, event: object, actual: boolean): string | null {
  const reasons: string[] = [];
  const parse = (event as { haetae?: { parse?: { error?: { code?: string; reason?: string } } } }).haetae?.parse?.error;
  if (parse) reasons.push(`the line did not parse as syslog: ${parse.reason ?? parse.code}`);
  if (!actual) {
    const filters = rule.explain(event).selections.filter((s) => s.name.startsWith('filter: ') && s.matched).map((s) => `'${s.name.slice('filter: '.length)}'`);
    if (filters.length > 0) reasons.push(`the rule's own selections match, but filter ${filters.join(', ')} excludes the event`);
  }
  return reasons.length > 0 ? reasons.join('; ') : null;
}

/** The compact text report: one line per failing case, then a summary. */
export function formatRuleTestReport(report: RuleTestReport, relative: (file: string) => string): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    if (c.actual === c.expected) continue;
    const what = c.error ?? `expected ${c.expected ? 'a match' : 'no match'}, got ${c.actual ? 'a match' : 'no match'}`;
    lines.push(`FAIL ${relative(c.file)}:${c.line}:${c.column}: ${c.ruleId} — ${c.name}: ${what}`);
  }
  const rules = new Set(report.cases.map((c) => c.ruleId)).size;
  lines.push(`${report.passed} passed, ${report.failed} failed (${report.cases.length} cases in ${rules} rules${report.untested.length > 0 ? `; ${report.untested.length} rules without tests: ${report.untested.join(', ')}` : ''})`);
  return lines.join('\n');
}


interface TimelineItem {
  event?: object;
  line?: string;
  at?: string;
  repeat?: number;
  every?: string;
}

interface CorrelationCaseSpec {
  name?: string;
  events?: TimelineItem[];
  alerts?: Array<{ group?: Record<string, unknown>; count?: number; value?: number }>;
}

/** Most events one test case may expand to (`repeat` over all its items): a test, not a load test. */
export const MAX_CASE_EVENTS = 100_000;

const EVERY_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * A correlation case: events in time order (each item may repeat N times, `every` apart, from
 * `at`), run through the detection rules and the correlation engine as `rules replay` does; the
 * correlation's alerts must be exactly the expected groups (and event counts, when given).
 */
function runCorrelationCase(set: RuleSet, correlation: CorrelationRule, file: string, item: Node, index: number, lc: LineCounter): CaseResult {
  const pos = lc.linePos(item.range?.[0] ?? 0);
  const spec = (item as { toJSON(): unknown }).toJSON() as CorrelationCaseSpec;
  const base = { ruleId: correlation.key, file, line: pos.line, column: pos.col, index, name: spec.name ?? `case ${index + 1}`, expected: true };
  if (!Array.isArray(spec.events) || !Array.isArray(spec.alerts)) {
    return { ...base, actual: null, error: 'a correlation test case needs `events` (a list) and `alerts` (the expected alerts, [] for none)' };
  }
  const timeline = buildTimeline(spec.events);
  if (typeof timeline === 'string') return { ...base, actual: null, error: timeline };
  const engine = new CorrelationEngine(set.correlations);
  const got: CorrelationAlert[] = [];
  for (const { event, t } of timeline) {
    for (const rule of matchRules(set.rules, event, () => undefined)) {
      got.push(...engine.observe({ id: rule.id, ...(rule.source.name ? { name: rule.source.name } : {}) }, event, new Date(t)));
    }
  }
  got.push(...engine.advanceWatermark(new Date(8.64e15)));
  // Only alerts the pipeline raises: an inner correlation of a chain without `generate` raises none.
  const mine = got.filter((a) => a.ruleId === correlation.key && engine.raises(a));
  const actual = mine.map((a) => ({ group: a.groupBy, count: a.eventCount, value: a.value }));
  const expected = spec.alerts.map((a) => ({ group: a.group ?? {}, count: a.count, value: a.value }));
  // Alerts are compared in the order they fire; group fields in any order.
  const canon = (g: Record<string, unknown>): string => JSON.stringify(Object.keys(g).sort().map((k) => [k, g[k]]));
  const same = actual.length === expected.length && expected.every((x, i) => canon(x.group) === canon(actual[i]!.group)
    && (x.count === undefined || x.count === actual[i]!.count) && (x.value === undefined || x.value === actual[i]!.value));
  if (same) return { ...base, actual: true };
  const wantValue = expected.some((x) => x.value !== undefined);
  const show = (list: Array<{ group: unknown; count?: number | undefined; value?: number | undefined }>): string => (list.length === 0 ? 'no alert' : list.map((a) => `${JSON.stringify(a.group)}${a.count !== undefined ? ` ×${a.count}` : ''}${wantValue && a.value !== undefined ? ` value=${a.value}` : ''}`).join(', '));
  const suppressed = got.filter((a) => a.ruleId === correlation.key && !engine.raises(a)).length;
  const why = suppressed > 0
    ? ` (${suppressed} alert${suppressed > 1 ? 's' : ''} of this correlation fed the correlations that chain on it but ${suppressed > 1 ? 'are' : 'is'} not raised on ${suppressed > 1 ? 'their' : 'its'} own: none of them says generate: true)`
    : '';
  return { ...base, actual: false, error: `expected ${show(expected)}, got ${show(actual)}${why}` };
}

/**
 * A case's events in event-time order (stable for equal times): each item `repeat`s (default 1)
 * `every` apart from `at`, and gets its time as @timestamp. A string is the problem with the case.
 */
function buildTimeline(events: readonly TimelineItem[]): Array<{ event: object; t: number }> | string {
  const timeline: Array<{ event: object; t: number }> = [];
  const total = events.reduce((n, e) => n + (typeof e.repeat === 'number' && e.repeat > 0 ? e.repeat : 1), 0);
  if (total > MAX_CASE_EVENTS) {
    return `the case expands to ${total} events (repeat), more than the ${MAX_CASE_EVENTS} one test case may hold: a test shows the behaviour on a few events; use \`rules replay\` on a file for volume`;
  }
  for (const [i, e] of events.entries()) {
    const start = Date.parse(e.at ?? '');
    const every = /^([0-9]+)(ms|s|m|h)$/.exec(e.every ?? '0s');
    if (Number.isNaN(start) || !every || (e.event === undefined) === (e.line === undefined)) {
      return `events[${i}] needs \`at\` (a time), exactly one of \`event\` or \`line\`, and optionally \`repeat\` and \`every\` (e.g. 10s)`;
    }
    const step = Number(every[1]) * EVERY_UNITS[every[2]!]!;
    for (let k = 0; k < (e.repeat ?? 1); k++) {
      const t = start + k * step;
      const ev = e.line !== undefined ? eventFromLine(e.line, new Date(t)) : { ...e.event };
      (ev as Record<string, unknown>)['@timestamp'] = new Date(t).toISOString();
      timeline.push({ event: ev, t });
    }
  }
  return timeline.sort((a, b) => a.t - b.t);
}

interface AbsenceCaseSpec {
  name?: string;
  events?: TimelineItem[];
  until?: string;
  alerts?: Array<{ group?: Record<string, unknown>; 'last-seen'?: string }>;
}

/**
 * An absence case: the events in time order, this rule's matches feed an absence tracker and
 * every event's time moves its watermark (as in `rules replay`), and at the end the watermark moves to `until` (default:
 * the last event's time — a silence the timeline does not cover is not decided). The rule's
 * absence alerts must be exactly the expected groups (and last-seen times, when given), in order.
 */
function runAbsenceCase(rule: CompiledRule, file: string, item: Node, index: number, lc: LineCounter): CaseResult {
  const pos = lc.linePos(item.range?.[0] ?? 0);
  const spec = (item as { toJSON(): unknown }).toJSON() as AbsenceCaseSpec;
  const base = { ruleId: rule.id, file, line: pos.line, column: pos.col, index, name: spec.name ?? `case ${index + 1}`, expected: true };
  const absence = absenceRuleOf(rule);
  if (!absence) return { ...base, actual: null, error: 'cases with `events` and `alerts` are for absence rules (haetae.absence); use `line` or `event` with `match`' };
  if (!Array.isArray(spec.events) || !Array.isArray(spec.alerts)) {
    return { ...base, actual: null, error: 'an absence test case needs `events` (a list) and `alerts` (the expected absence alerts, [] for none)' };
  }
  const timeline = buildTimeline(spec.events);
  if (typeof timeline === 'string') return { ...base, actual: null, error: timeline };
  const until = spec.until !== undefined ? Date.parse(spec.until) : timeline.length > 0 ? timeline[timeline.length - 1]!.t : Number.NEGATIVE_INFINITY;
  if (Number.isNaN(until)) return { ...base, actual: null, error: '`until` must be a time, e.g. 2026-11-22T11:00:00Z' };
  const tracker = new AbsenceTracker([absence]);
  const got: AbsenceAlert[] = [];
  try {
    for (const { event, t } of timeline) {
      // Every event's time moves the watermark, as in replay: not only this rule's heartbeats.
      got.push(...(rule.matches(event) ? tracker.observe(rule.id, event, new Date(t)) : tracker.advanceWatermark(new Date(t))).alerts);
    }
  } catch (err) {
    return { ...base, actual: null, error: `the rule threw: ${(err as Error).message}` };
  }
  if (Number.isFinite(until)) got.push(...tracker.advanceWatermark(new Date(until)).alerts);
  if (spec.alerts.some((a) => a['last-seen'] !== undefined && Number.isNaN(Date.parse(a['last-seen'])))) return { ...base, actual: null, error: '`last-seen` must be a time, e.g. 2026-11-22T10:00:00Z' };
  const actual = got.map((a) => ({ group: a.groupBy, lastSeen: a.lastSeen.toISOString() }));
  const expected = spec.alerts.map((a) => ({ group: a.group ?? {}, lastSeen: a['last-seen'] !== undefined ? new Date(a['last-seen']).toISOString() : undefined }));
  const canon = (g: Record<string, unknown>): string => JSON.stringify(Object.keys(g).sort().map((k) => [k, g[k]]));
  const same = actual.length === expected.length && expected.every((x, i) => canon(x.group) === canon(actual[i]!.group) && (x.lastSeen === undefined || x.lastSeen === actual[i]!.lastSeen));
  if (same) return { ...base, actual: true };
  const show = (list: Array<{ group: unknown; lastSeen?: string | undefined }>): string => (list.length === 0 ? 'no absence alert' : list.map((a) => `${JSON.stringify(a.group)}${a.lastSeen !== undefined ? ` last seen ${a.lastSeen}` : ''}`).join(', '));
  return { ...base, actual: false, error: `expected ${show(expected)}, got ${show(actual)}` };
}
