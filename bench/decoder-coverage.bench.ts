/**
 * Decoder coverage on real lines: every `log … pass =` line of the Wazuh ruleset tests
 * (../shared/data/wazuh-ruleset-tests/*.ini) goes through the worker's own stages offline
 * (eventsFromLines: header parse → normalize → shipped decoders), and the report says, per Wazuh
 * decoder name and per .ini file, how many lines one of our decoders claimed (haetae.decoder.id
 * set and no haetae.decoder.error), which of ours did, and how many were decoder failures.
 * `npm run bench:decoders-coverage`. Not a timing benchmark: a coverage table, plus the time the
 * whole run took. `--json` prints the rows as JSON instead.
 */
import path from 'node:path';
import { shippedDecoders } from '../pipeline/decoders/shipped';
import { eventsFromLines } from '../pipeline/offline/events';
import { printTable } from './report';
import { readWazuhDir, wazuhDir, type WazuhLine } from './wazuh-ini';

const ROOT = path.resolve(__dirname, '..', '..');
const REPO = wazuhDir(ROOT) ? ROOT : path.resolve(__dirname, '..');

export interface LineResult { input: WazuhLine; decoder: string | null; error: string | null }

export interface CoverageRow { key: string; lines: number; claimed: number; failed: number; ours: string }

/** Runs every pass line through the offline worker stages with the shipped decoders. */
export function runCoverage(lines: readonly WazuhLine[]): LineResult[] {
  const decoders = shippedDecoders();
  const out: LineResult[] = [];
  // One batch per .ini file, as a receiver would hand a worker one device's stream.
  const byFile = new Map<string, WazuhLine[]>();
  for (const l of lines) {
    const list = byFile.get(l.file) ?? [];
    list.push(l);
    byFile.set(l.file, list);
  }
  for (const list of byFile.values()) {
    const outcomes = eventsFromLines(list.map((l) => l.line), { decoders, now: new Date('2026-12-01T00:00:00Z') });
    const events = new Map<number, { decoder: string | null; error: string | null }>();
    for (const o of outcomes) {
      if ('event' in o) {
        const d = (o.event.haetae as { decoder?: { id?: string; error?: string } }).decoder;
        events.set(o.line, { decoder: d?.id ?? null, error: d?.error ?? null });
      }
    }
    for (const o of outcomes) {
      const r = 'event' in o ? events.get(o.line)! : (events.get(o.absorbedInto) ?? { decoder: null, error: null });
      out.push({ input: list[o.line - 1]!, decoder: r.decoder, error: r.error });
    }
  }
  return out;
}

/** Groups results by a key (Wazuh decoder name or file) into table rows, sorted by key. */
export function coverageRows(results: readonly LineResult[], key: (r: LineResult) => string): CoverageRow[] {
  const groups = new Map<string, { lines: number; claimed: number; failed: number; ours: Map<string, number> }>();
  for (const r of results) {
    const k = key(r);
    const g = groups.get(k) ?? { lines: 0, claimed: 0, failed: 0, ours: new Map<string, number>() };
    g.lines++;
    if (r.decoder !== null && r.error === null) g.claimed++;
    if (r.decoder !== null && r.error !== null) g.failed++;
    if (r.decoder !== null) g.ours.set(r.decoder, (g.ours.get(r.decoder) ?? 0) + 1);
    groups.set(k, g);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, g]) => ({
    key: k,
    lines: g.lines,
    claimed: g.claimed,
    failed: g.failed,
    ours: [...g.ours.entries()].sort((a, b) => b[1] - a[1]).map(([id, n]) => (g.ours.size > 1 ? `${id} (${n})` : id)).join(', ') || '-',
  }));
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(0)}%`;
}

function main(): void {
  const dir = wazuhDir(REPO);
  if (!dir) {
    process.stderr.write('The Wazuh ruleset tests are not at ../shared/data/wazuh-ruleset-tests; nothing to measure.\n');
    process.exitCode = 1;
    return;
  }
  const lines = readWazuhDir(dir).filter((l) => l.pass);
  const t0 = process.hrtime.bigint();
  const results = runCoverage(lines);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const byDecoder = coverageRows(results, (r) => r.input.decoder || '(none)');
  const byFile = coverageRows(results, (r) => r.input.file);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ byDecoder, byFile }, null, 2)}\n`);
    return;
  }
  const table = (rows: CoverageRow[]): (string | number)[][] => rows.map((r) => [r.key, r.lines, r.claimed, pct(r.claimed, r.lines), r.failed, r.ours]);
  printTable('Per Wazuh decoder: pass lines claimed by a haetae decoder (decoded, no decoder error)', ['wazuh decoder', 'lines', 'claimed', 'share', 'failed', 'ours'], table(byDecoder));
  printTable('Per .ini file', ['file', 'lines', 'claimed', 'share', 'failed', 'ours'], table(byFile));
  const claimed = results.filter((r) => r.decoder !== null && r.error === null).length;
  const failed = results.filter((r) => r.decoder !== null && r.error !== null).length;
  process.stdout.write(`\nTotal: ${claimed} of ${results.length} pass lines claimed (${pct(claimed, results.length)}), ${failed} decoder failures, ${results.length - claimed - failed} unclaimed; ${lines.length} lines in ${ms.toFixed(0)} ms.\n`);
}

if (require.main === module) main();
