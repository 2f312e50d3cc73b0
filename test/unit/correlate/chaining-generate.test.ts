/**
 * Sigma 2.1 `generate` for chained correlations: a correlation that another correlation refers to
 * only feeds it — like a detection rule a correlation refers to — unless a referring correlation
 * says `generate: true`. The same in the streaming correlator, `rules replay` and inline tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compileValidators } from '../../../schemas/validators';
import { formatProblem, loadRules } from '../../../pipeline/detect/load';
import { runRuleTests } from '../../../pipeline/detect/rule-tests';
import { matchRules } from '../../../pipeline/detect/match';
import { CorrelationRouter } from '../../../pipeline/correlate/route';
import { PartitionCorrelator, emptyOutput } from '../../../pipeline/roles/correlator/partition';
import { replay, type ReplayAlert } from '../../../cli/commands/rules-replay';

const DETECTIONS = `
title: Failed login
id: failed
name: failed_login
detection: { sel: { message|contains: 'Failed password' }, condition: sel }
tests: [{ event: { message: 'Failed password for root' }, match: true }]
---
title: Successful login
id: ok
name: successful_login
detection: { sel: { message|contains: 'Accepted password' }, condition: sel }
tests: [{ event: { message: 'Accepted password for root' }, match: true }]
`;

const events = (ip: string): Array<{ message: string; source: { ip: string }; t: string }> => [
  ...[0, 1, 2].map((i) => ({ message: 'Failed password for root', source: { ip }, t: `2026-11-22T10:00:0${i}Z` })),
  { message: 'Accepted password for root', source: { ip }, t: '2026-11-22T10:00:05Z' },
];

function correlations(outerGenerate: boolean): string {
  return `
title: Brute force
id: bf
name: brute_force
correlation: { type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m, condition: { gte: 3 } }
tests:
  - name: three failures make a brute force
    events:
      - { event: { message: 'Failed password for root', source: { ip: 203.0.113.5 } }, at: '2026-11-22T10:00:00Z', repeat: 3, every: 1s }
    alerts: [{ group: { source.ip: 203.0.113.5 }, count: 3 }]
---
title: Brute force then success
id: takeover
correlation:
  type: temporal_ordered
  rules: [brute_force, successful_login]
  group-by: [ip]
  aliases: { ip: { brute_force: source.ip, successful_login: source.ip } }
  timespan: 10m
  generate: ${outerGenerate}
`;
}

function ruleSet(outerGenerate: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-chain-'));
  fs.writeFileSync(path.join(dir, 'detections.yml'), DETECTIONS);
  fs.writeFileSync(path.join(dir, 'correlations.yml'), correlations(outerGenerate));
  const set = loadRules([dir], compileValidators().rule);
  expect(set.problems.map(formatProblem)).toEqual([]);
  return { set, dir };
}

/** The streaming path: route every hit, apply in order, feed chained records back. */
function stream(outerGenerate: boolean): string[] {
  const { set } = ruleSet(outerGenerate);
  const router = new CorrelationRouter(set.correlations);
  const pc = new PartitionCorrelator({ allowedLatenessMs: 30_000 }); // chained records arrive after later events, as on the topic
  const raised: string[] = [];
  const queue = events('203.0.113.5').flatMap((e, i) => {
    const t = Date.parse(e.t);
    return matchRules(set.rules, e, () => undefined).flatMap((r) => router.route({ id: r.id, ...(r.source.name ? { name: r.source.name } : {}) }, e, t, `ev-${i}`, t));
  });
  let offset = 0n;
  while (queue.length > 0) {
    const out = emptyOutput();
    pc.apply(queue.shift()!.message, offset++, router, out, Date.parse('2026-11-22T11:00:00Z'));
    queue.push(...out.chained);
    raised.push(...out.correlationAlerts.map((a) => a.alert.ruleId));
  }
  return raised;
}

async function replayed(outerGenerate: boolean): Promise<string[]> {
  const { set, dir } = ruleSet(outerGenerate);
  const input = path.join(dir, 'events.jsonl');
  fs.writeFileSync(input, events('203.0.113.5').map(({ t, ...e }) => JSON.stringify({ '@timestamp': t, ...e })).join('\n'));
  const alerts: ReplayAlert[] = [];
  await replay(set, input, { allowedLatenessMs: 0 }, (a) => alerts.push(a));
  return alerts.filter((a) => a.kind === 'correlation').map((a) => a.rule);
}

describe('an inner correlation of a chain (Sigma generate)', () => {
  it('raises no alert of its own in the stream, while still feeding the outer correlation', () => {
    expect(stream(false)).toEqual(['takeover']);
  });

  it('raises its own alerts when the outer correlation says generate: true', () => {
    expect(stream(true).sort()).toEqual(['bf', 'takeover']);
  });

  it('is treated the same by rules replay', async () => {
    expect(await replayed(false)).toEqual(['takeover']);
    expect((await replayed(true)).sort()).toEqual(['bf', 'takeover']);
  });

  it('is treated the same by inline tests, which say why an expected alert is not raised', () => {
    const quiet = runRuleTests(ruleSet(false).set).cases.find((c) => c.ruleId === 'bf')!;
    expect(quiet.actual).toBe(false);
    expect(quiet.error).toBe('expected {"source.ip":"203.0.113.5"} ×3, got no alert (1 alert of this correlation fed the correlations that chain on it but is not raised on its own: none of them says generate: true)');
    expect(runRuleTests(ruleSet(true).set).cases.find((c) => c.ruleId === 'bf')!.actual).toBe(true);
  });
});
