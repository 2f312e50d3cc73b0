import type { CompiledRule, RuleExplanation } from '../../pipeline/detect/load';
import { getField } from '../../pipeline/detect/field';
import { eventFromLine } from '../../pipeline/detect/sample-event';
import { HaetaeError } from '../../pipeline/errors/catalog';

/**
 * The event to explain: a JSON object (an ECS event), or a raw syslog line, which goes through
 * the same parser and normalizer as in production.
 */
export function eventFromArgument(text: string, now = new Date()): object {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as object;
    } catch (err) {
      throw new HaetaeError('HAETAE_USAGE', [`the event is not valid JSON: ${(err as Error).message}`]);
    }
  }
  if (t === '') throw new HaetaeError('HAETAE_USAGE', ['the event is empty: give a JSON object or a raw syslog line']);
  return eventFromLine(t, now);
}

/** Field names a selection reads (keyword selections read message). */
function fieldsOf(value: unknown): string[] {
  const maps = Array.isArray(value) ? value : [value];
  const out = new Set<string>();
  for (const m of maps) {
    if (m !== null && typeof m === 'object' && !Array.isArray(m)) {
      for (const key of Object.keys(m)) out.add(key.split('|')[0] || 'message');
    } else {
      out.add('message');
    }
  }
  return [...out];
}

export interface ExplainView extends RuleExplanation {
  rule: { id: string; title: string; file: string };
  fields: Record<string, unknown>;
  /** Every field of the event evaluated, dotted names (what a raw line became). */
  event: Record<string, unknown>;
  /** How the raw line parsed: an error when it did not, and the parser's warnings. */
  parse?: { error?: string; warnings?: string[] };
}

/** An event's leaves as dotted names, in document order. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

function parseStatus(event: object): ExplainView['parse'] | undefined {
  const p = (event as { haetae?: { parse?: { error?: { code?: string; reason?: string }; warnings?: string[] } } }).haetae?.parse;
  if (!p) return undefined;
  return { ...(p.error ? { error: p.error.reason ?? p.error.code ?? 'unparsed' } : {}), ...(p.warnings?.length ? { warnings: p.warnings } : {}) };
}

export function explainRule(rule: CompiledRule, event: object): ExplainView {
  const result = rule.explain(event);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rule.source.detection)) {
    if (name === 'condition') continue;
    for (const f of fieldsOf(value)) fields[f] = getField(event, f) ?? null;
  }
  const parse = parseStatus(event);
  return { rule: { id: rule.id, title: rule.title, file: rule.file }, ...result, fields, event: flatten(event), ...(parse ? { parse } : {}) };
}

export function formatExplain(view: ExplainView, source: CompiledRule['source']): string {
  const mark = (b: boolean): string => (b ? 'yes' : 'no ');
  const width = Math.max(...view.selections.map((s) => s.name.length), 4);
  const lines = [`${view.rule.id} "${view.rule.title}" (${view.rule.file}): ${view.matched ? 'MATCH' : 'NO MATCH'}`, ''];
  if (view.parse?.error) lines.push(`the line did not parse as syslog (${view.parse.error}): the event holds only the raw text in message`, '');
  lines.push(`event evaluated${view.parse?.warnings ? ` (parse warnings: ${view.parse.warnings.join(', ')})` : ''}:`);
  for (const [f, v] of Object.entries(view.event)) lines.push(`  ${f} = ${JSON.stringify(v)}`);
  lines.push('', 'selections:');
  for (const s of view.selections) {
    const def = source.detection[s.name];
    // A Sigma filter applied to the rule shows as its own line: when it matches, the rule does not.
    const shown = s.name.startsWith('filter: ') && def === undefined ? '(a Sigma filter on this rule: when it matches, the rule does not)' : JSON.stringify(def);
    lines.push(`  ${mark(s.matched)}  ${s.name.padEnd(width)}  ${shown}`);
  }
  lines.push('', 'conditions:');
  for (const c of view.conditions) lines.push(`  ${mark(c.matched)}  ${c.condition}`);
  lines.push('', 'event fields the rule reads:');
  for (const [f, v] of Object.entries(view.fields)) lines.push(`  ${f} = ${v === null ? '(absent)' : JSON.stringify(v)}`);
  return lines.join('\n');
}
