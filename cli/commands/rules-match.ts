import type { CompiledRule } from '../../pipeline/detect/load';
import { eventFromLine } from '../../pipeline/detect/sample-event';
import { inputLines, parseInputLine } from './event-input';

export interface MatchLine {
  index: number;
  rule: string;
  matched: boolean;
}

/**
 * Evaluates single-event rules against events, one per input line, offline: an ECS event as JSON,
 * or a raw syslog line (with or without `<PRI>`), which goes through the worker's own stages
 * (parse, normalize, the shipped vendor decoders) first. Lines are numbered from 0; a line that
 * starts with '{' but is not a JSON object is an error naming the line.
 */
export async function matchEvents(rules: readonly CompiledRule[], input: string, onResult: (r: MatchLine) => void, now = new Date()): Promise<number> {
  const lines = inputLines(input);
  let index = -1;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    index++;
    const parsed = parseInputLine(input, lineNo, raw);
    const event = 'event' in parsed ? parsed.event : eventFromLine(parsed.line, now);
    for (const rule of rules) onResult({ index, rule: rule.id, matched: rule.matches(event) });
  }
  return index + 1;
}
