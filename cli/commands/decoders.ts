import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  createDecoderSet,
  formatDecoderProblem,
  formatSampleReport,
  loadDecoders,
  observedFields,
  runSamples,
  type Decoder,
  type LoadedDecoders,
} from '../../pipeline/decoders';
import { HaetaeError } from '../../pipeline/errors/catalog';
import { displayPath } from './rules-validate';

/** Exit codes as for every command: 0 fine, 1 a problem was found, 2 usage error (thrown). */
const EXIT_PROBLEM = 1;

/** Where decoder files are looked for when no path is given. */
export const DEFAULT_DECODERS = 'decoders';

/** Loads decoder files the way the worker does; a path that does not exist is a usage error. */
export function loadDecoderPaths(paths: string[], cwd: string): LoadedDecoders {
  const resolved = paths.map((p) => path.resolve(cwd, p));
  for (const p of resolved) {
    if (!fs.existsSync(p)) throw new HaetaeError('HAETAE_USAGE', [`no such file or directory: ${p}`]);
  }
  return loadDecoders(resolved);
}

export function problemsText(loaded: LoadedDecoders, cwd: string): string[] {
  return loaded.problems.map((p) => formatDecoderProblem({ ...p, file: displayPath(p.file, cwd) }));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function validateReport(loaded: LoadedDecoders, cwd: string): string {
  const verdict = loaded.problems.length === 0
    ? `${plural(loaded.decoders.length, 'decoder')} in ${plural(loaded.files.length, 'file')}: all valid.`
    : `${plural(loaded.problems.length, 'problem')}; ${plural(loaded.decoders.length, 'decoder')} valid in ${plural(loaded.files.length, 'file')}.`;
  return [...problemsText(loaded, cwd), verdict].join('\n');
}

/** The select keys of a decoder as one short string: `programs=sshd prefixes='%ASA-'`. */
export function selectText(d: Decoder): string {
  const s = d.select;
  const parts: string[] = [];
  const list = (k: string, v: readonly (string | number)[] | undefined): void => {
    if (v && v.length > 0) parts.push(`${k}=${v.map((x) => (typeof x === 'string' && /[\s,']/.test(x) ? `'${x}'` : String(x))).join(',')}`);
  };
  list('programs', s.programs);
  list('prefixes', s.prefixes);
  list('contains', s.contains);
  list('facilities', s.facilities);
  list('senders', s.senders);
  return parts.length > 0 ? parts.join(' ') : '(fallback)';
}

export function listRows(loaded: LoadedDecoders, cwd: string): Array<{ id: string; file: string; priority: number; select: string; dataset: string; samples: number }> {
  return createDecoderSet(loaded.decoders).decoders.map((d) => ({
    id: d.id,
    file: `${d.file ? displayPath(d.file, cwd) : '?'}:${d.line ?? 1}`,
    priority: d.priority,
    select: selectText(d),
    dataset: d.dataset ?? (d.code ? `(code: ${d.code})` : '?'),
    samples: d.samples.length,
  }));
}

function table(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join('  ');
  return [line(keys.map((k) => k.toUpperCase())), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

/** `haetae decoders list|validate|test`. */
export function registerDecoderCommands(program: Command): void {
  const decoders = program
    .command('decoders')
    .description('work with vendor decoders (decoders/*.yml): list, validate, test their samples')
    .addHelpText('after', `
Decoders read a message's content (after the syslog header) into ECS fields: source.ip,
user.name, event.action, event.outcome, … and set event.dataset. They are YAML files; the format,
selection, tables and samples are described in docs/decoders.md.

Examples:
  haetae decoders list
  haetae decoders validate decoders/
  haetae decoders test decoders/linux/sshd.yml
  haetae decoders test --message 'Failed password for root from 10.0.0.1 port 22 ssh2' --program sshd`);

  decoders
    .command('list')
    .description('show every decoder in routing order: id, file:line, priority, select keys, dataset, sample count')
    .argument('[paths...]', 'decoder files or directories', [DEFAULT_DECODERS])
    .option('--json', 'one JSON array instead of a table')
    .action((paths: string[], opts: { json?: boolean }) => {
      const cwd = process.cwd();
      const loaded = loadDecoderPaths(paths, cwd);
      const rows = listRows(loaded, cwd);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ decoders: rows, problems: loaded.problems })}\n`);
      } else {
        if (rows.length > 0) process.stdout.write(`${table(rows)}\n`);
        for (const p of problemsText(loaded, cwd)) process.stderr.write(`${p}\n`);
        process.stderr.write(`${plural(rows.length, 'decoder')} in ${plural(loaded.files.length, 'file')}${loaded.problems.length > 0 ? `, ${plural(loaded.problems.length, 'problem')}` : ''}\n`);
      }
      if (loaded.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });

  decoders
    .command('validate')
    .description('check decoder files: YAML, the decoder schema, RE2 patterns, capture names, tables, ECS types and values, unique ids; problems print as file:line:col; exit 1 on any')
    .argument('[paths...]', 'decoder files or directories', [DEFAULT_DECODERS])
    .option('--json', 'print the result as JSON')
    .action((paths: string[], opts: { json?: boolean }) => {
      const cwd = process.cwd();
      const loaded = loadDecoderPaths(paths, cwd);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ valid: loaded.problems.length === 0, decoders: loaded.decoders.map((d) => ({ id: d.id, file: d.file, line: d.line })), problems: loaded.problems })}\n`);
      } else {
        process.stdout.write(`${validateReport(loaded, cwd)}\n`);
      }
      if (loaded.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });

  decoders
    .command('test')
    .description("run every decoder's inline samples through all loaded decoders (routing included) and report per decoder; exit 1 when a sample fails or a file has problems")
    .argument('[paths...]', 'decoder files or directories', [DEFAULT_DECODERS])
    .option('--json', 'print the report as JSON')
    .option('-m, --message <text>', 'instead of the samples, decode this one message and print the result')
    .option('--program <name>', 'with --message: the syslog program (APP-NAME)')
    .option('--sender <address>', 'with --message: the sending address')
    .option('--facility <code>', 'with --message: the syslog facility code (0-23)')
    .addHelpText('after', `
A sample passes when its own decoder claims the input and every field under expect: equals what
it produced (null: the field must be absent). Samples that another decoder claims first fail, so
the test also checks routing and priorities.`)
    .action((paths: string[], opts: { json?: boolean; message?: string; program?: string; sender?: string; facility?: string }) => {
      const cwd = process.cwd();
      const loaded = loadDecoderPaths(paths, cwd);
      const set = createDecoderSet(loaded.decoders);
      if (opts.message !== undefined) {
        const facility = opts.facility === undefined ? undefined : Number(opts.facility);
        if (facility !== undefined && !(Number.isInteger(facility) && facility >= 0 && facility <= 23)) throw new HaetaeError('HAETAE_USAGE', ['--facility: expected a code 0-23']);
        const hit = set.decode({ message: opts.message, program: opts.program, sender: opts.sender, facility });
        const out = hit === null
          ? { decoder: null }
          : hit.result.ok
            ? { decoder: hit.decoder.id, ok: true, fields: observedFields(hit.result.dataset, hit.result.fields) }
            : { decoder: hit.decoder.id, ok: false, reason: hit.result.reason };
        process.stdout.write(`${JSON.stringify(out, null, opts.json ? undefined : 2)}\n`);
        if (hit === null || !hit.result.ok) process.exitCode = EXIT_PROBLEM;
        return;
      }
      const report = runSamples(loaded.decoders, set);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...report, problems: loaded.problems })}\n`);
      } else {
        const problems = problemsText(loaded, cwd);
        if (problems.length > 0) process.stdout.write(`${problems.join('\n')}\n`);
        process.stdout.write(`${formatSampleReport(report, (f) => displayPath(f, cwd))}\n`);
      }
      if (report.failures.length > 0 || loaded.problems.length > 0) process.exitCode = EXIT_PROBLEM;
    });
}
