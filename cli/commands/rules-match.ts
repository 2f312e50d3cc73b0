import fs from 'node:fs';
import readline from 'node:readline';
import type { CompiledRule } from '../../pipeline/detect/load';
import { HaetaeError } from '../../pipeline/errors/catalog';

export interface MatchLine {
  index: number;
  rule: string;
  matched: boolean;
}

/**
 * Evaluates single-event rules against ECS events, one JSON object per input line, offline.
 * Lines are numbered from 0; a line that is not a JSON object is an error naming the line.
 */
export async function matchEvents(rules: readonly CompiledRule[], input: string, onResult: (r: MatchLine) => void): Promise<number> {
  const stream = input === '-' ? process.stdin : fs.createReadStream(input);
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let index = -1;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    index++;
    let event: unknown;
    try {
      event = JSON.parse(raw);
    } catch (err) {
      throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: not a JSON object (${(err as Error).message})`]);
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new HaetaeError('HAETAE_USAGE', [`${input}:${lineNo}: expected one JSON object per line`]);
    }
    for (const rule of rules) onResult({ index, rule: rule.id, matched: rule.matches(event) });
  }
  return index + 1;
}
