import type { Alert } from '../../../schemas/generated/types';
import { decideFold, foldsRepeats } from '../../../pipeline/alert/fold';
import { loadRuleText, type RuleProblem } from '../../../pipeline/detect/load';
import { compileValidators } from '../../../schemas/validators';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const now = new Date(T0 + 3_600_000);

function alert(id: string, min: number, over: Partial<Alert['alert']> = {}): Alert {
  return {
    '@timestamp': at(min),
    message: 'Link down on sw1',
    alert: { id: id.repeat(32), status: 'open', severity: 'high', created: at(min), group_key: 'host.hostname="sw1"', assignee: null, acknowledged_at: null, resolved_at: null, dedup_key: 'd'.repeat(32), ...over },
    rule: { id: 'link-down', title: 'Link down' },
    events: { ids: [`e${min}`], count: 1, index: 'logs-haetae.syslog-default' },
  };
}

describe('folding repeats into the live alert', () => {
  it('creates when the problem has no alert, or the alert is this one', () => {
    expect(decideFold({ alert: alert('a', 0), eventId: 'e0', reopen: false }, undefined, now).kind).toBe('create');
    expect(decideFold({ alert: alert('a', 3), eventId: 'e3', reopen: false }, alert('a', 0), now).kind).toBe('create');
  });

  it('folds into an open or acknowledged alert, whatever the reopen setting', () => {
    for (const status of ['open', 'acknowledged'] as const) {
      for (const reopen of [false, true]) {
        const d = decideFold({ alert: alert('b', 12), eventId: 'e12', reopen }, alert('a', 0, { status }), now);
        expect(d).toMatchObject({ kind: 'fold', into: { alert: { id: 'a'.repeat(32) } } });
      }
    }
  });

  it('after resolution: a new alert by default, a reopen (by the rule, noting the event) with reopen', () => {
    const resolved = alert('a', 0, { status: 'resolved', resolved_at: at(5), last_seen: at(4) });
    expect(decideFold({ alert: alert('b', 12), eventId: 'e12', reopen: false }, resolved, now).kind).toBe('create');
    const d = decideFold({ alert: alert('b', 12), eventId: 'e12', reopen: true }, resolved, now);
    if (d.kind !== 'reopen') throw new Error(`expected a reopen, got ${d.kind}`);
    expect(d.changed).toMatchObject({ status: 'open', resolved_at: null, reopened_by: 'e12', last_seen: at(12) });
    expect(d.changed.history).toEqual([{ at: now.toISOString(), actor: 'rule:link-down', via: 'rule', action: 'reopen', from: 'resolved', to: 'open', note: 'seen again: event e12' }]);
  });

  it('a late match no newer than the resolved alert saw folds into it; a replayed reopen is recognised', () => {
    const resolved = alert('a', 0, { status: 'resolved', resolved_at: at(5), last_seen: at(4) });
    expect(decideFold({ alert: alert('b', 3), eventId: 'e3', reopen: true }, resolved, now).kind).toBe('fold');
    const reopened = alert('a', 0, { status: 'open', reopened_by: 'e12' });
    expect(decideFold({ alert: alert('b', 12), eventId: 'e12', reopen: true }, reopened, now).kind).toBe('reopened');
    expect(decideFold({ alert: alert('b', 13), eventId: 'e13', reopen: true }, reopened, now).kind).toBe('fold');
  });

  it('only alerts of a problem (group-by: dedup key differs from the id) fold', () => {
    expect(foldsRepeats(alert('a', 0))).toBe(true);
    expect(foldsRepeats(alert('a', 0, { dedup_key: 'a'.repeat(32) }))).toBe(false);
  });

  it('haetae.reopen needs group-by', () => {
    const v = compileValidators();
    const problems: RuleProblem[] = [];
    loadRuleText('title: X\nid: x\ndetection:\n  sel:\n    message: x\n  condition: sel\nhaetae:\n  reopen: true\n', 'x.yml', v.rule, problems);
    expect(problems.map((p) => [p.message, p.line])).toEqual([['reopen needs group-by: it reopens the resolved alert of the same group', 8]]);
  });
});
