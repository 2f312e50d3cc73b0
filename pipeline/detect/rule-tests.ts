import fs from 'node:fs';
import YAML, { LineCounter, isMap, isSeq, type Node } from 'yaml';
import type { CompiledRule, RuleSet } from './load';
import { eventFromLine } from './sample-event';

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
      if (typeof id !== 'string' || !isSeq(tests)) continue;
      const rule = byId.get(id);
      if (!rule) continue; // the rule itself did not load: its problems are reported by the loader
      tested.add(id);
      tests.items.forEach((item, index) => cases.push(runCase(rule, file, item as Node, index, lc, now)));
    }
  }
  const passed = cases.filter((c) => c.actual === c.expected).length;
  return { cases, passed, failed: cases.length - passed, untested: set.rules.filter((r) => !tested.has(r.id)).map((r) => r.id) };
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
    return { ...base, actual: rule.matches(event) };
  } catch (err) {
    return { ...base, actual: null, error: `the rule threw: ${(err as Error).message}` };
  }
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

