import fs from 'node:fs';
import readline from 'node:readline';
import { HaetaeError } from '../../pipeline/errors/catalog';

/**
 * The input lines of `rules match|replay`: a file or '-' (standard input). A missing file is a
 * usage error that names it (not a raw ENOENT).
 */
export function inputLines(input: string): readline.Interface {
  if (input !== '-') {
    if (!fs.existsSync(input)) throw new HaetaeError('HAETAE_USAGE', [`no such events file: ${input} (give a file of events, one per line, or '-' for standard input)`]);
    if (fs.statSync(input).isDirectory()) throw new HaetaeError('HAETAE_USAGE', [`${input} is a directory: give a file of events, one per line, or '-' for standard input`]);
  }
  return readline.createInterface({ input: input === '-' ? process.stdin : fs.createReadStream(input), crlfDelay: Infinity });
}

/**
 * One input line: a JSON object (an ECS event, as `haetae parse --json` prints), or a raw syslog
 * line with or without `<PRI>` (returned as text, for the caller to run through the worker's
 * stages). Anything starting with '{' must be a JSON object.
 */
export function parseInputLine(input: string, lineNo: number, raw: string): { event: object } | { line: string } {
  const t = raw.trim();
  if (!t.startsWith('{')) return { line: raw };
  let event: unknown;
  try {
    event = JSON.parse(t);
  } catch (err) {
    throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: not a JSON object (${(err as Error).message})`]);
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: expected one JSON object per line`]);
  return { event };
}
