import YAML from 'yaml';
import { CorrelationEngine, type CorrelationAlert, type RuleRef } from '../../../pipeline/correlate/engine';
import type { CorrelationRule } from '../../../pipeline/correlate/model';
import { parseCorrelation } from '../../../pipeline/correlate/parse';

/** Parses inline YAML into a correlation rule, failing the test with the problems if there are any. */
export function rule(yaml: string): CorrelationRule {
  const parsed = parseCorrelation(YAML.parse(yaml));
  if (!parsed.rule) throw new Error(`rule did not parse: ${JSON.stringify(parsed.problems)}`);
  return parsed.rule;
}

export const T0 = Date.parse('2026-11-22T10:00:00.000Z');
/** A time `min` minutes after T0. */
export const at = (min: number): Date => new Date(T0 + Math.round(min * 60_000));

export type Feed = Array<{ ref: RuleRef; event: object; min: number }>;

/** Feeds every observation and collects the alerts, with the index of the call that raised each. */
export function run(engine: CorrelationEngine, feed: Feed): Array<CorrelationAlert & { step: number }> {
  const out: Array<CorrelationAlert & { step: number }> = [];
  feed.forEach((f, step) => {
    for (const a of engine.observe(f.ref, f.event, at(f.min))) out.push({ ...a, step });
  });
  return out;
}

/** A reproducible stream of failed/successful logins over a few IPs and users, slightly out of order. */
export function randomFeed(n: number, seed: number): Feed {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const feed: Feed = [];
  for (let i = 0; i < n; i++) {
    const min = i * 0.05 + rnd() * 0.4;
    const ip = `10.0.0.${Math.floor(rnd() * 8)}`;
    const user = `u${Math.floor(rnd() * 5)}`;
    const ref = rnd() < 0.85 ? { id: 'r-failed', name: 'failed_login' } : { id: 'r-ok', name: 'successful_login' };
    feed.push({ ref, event: { source: { ip }, user: { name: user } }, min });
  }
  return feed;
}
