import type { Alert } from '../../../schemas/generated/types';
import { AlertTransitionError, MAX_HISTORY, applyAction, occurrencesOf, type Actor } from '../../../pipeline/alert/lifecycle';
import { buildNotificationJob } from '../../../pipeline/notify/job';
import { compileValidators } from '../../../schemas/validators';

const T0 = new Date('2030-05-01T10:00:00.000Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
const ana: Actor = { name: 'ana', via: 'cli' };
const bo: Actor = { name: 'bo', via: 'api' };
const validators = compileValidators();

function alert(): Alert {
  return {
    '@timestamp': T0.toISOString(),
    message: 'SSH brute force on web1',
    alert: { id: 'a'.repeat(32), status: 'open', severity: 'high', created: T0.toISOString(), group_key: 'source.ip="203.0.113.7"', assignee: null, acknowledged_at: null, resolved_at: null, dedup_key: 'b'.repeat(32) },
    rule: { id: 'r1', title: 'SSH brute force' },
    events: { ids: ['e1'], count: 1, index: 'logs-haetae.syslog-default' },
  };
}

/** Applies the action and stores the result, as the alert store does. */
function step(a: Alert, ...args: Parameters<typeof applyAction> extends [unknown, ...infer R] ? R : never): Alert {
  return { ...a, alert: applyAction(a, ...args).alert };
}

describe('alert lifecycle', () => {
  it('goes open → acknowledged → resolved → open, recording who, when, from where and the notes', () => {
    let a = alert();
    a = step(a, { kind: 'acknowledge', note: 'looking' }, ana, at(1));
    expect(a.alert).toMatchObject({ status: 'acknowledged', acknowledged_by: 'ana', acknowledged_at: at(1).toISOString() });
    a = step(a, { kind: 'resolve' }, bo, at(2));
    expect(a.alert).toMatchObject({ status: 'resolved', resolved_at: at(2).toISOString(), resolved_by: null });
    a = step(a, { kind: 'reopen', note: 'it came back' }, ana, at(3));
    expect(a.alert).toMatchObject({ status: 'open', resolved_at: null, acknowledged_at: null, acknowledged_by: null });
    expect(a.alert.history).toEqual([
      { at: at(1).toISOString(), actor: 'ana', via: 'cli', action: 'acknowledge', from: 'open', to: 'acknowledged', note: 'looking' },
      { at: at(2).toISOString(), actor: 'bo', via: 'api', action: 'resolve', from: 'acknowledged', to: 'resolved' },
      { at: at(3).toISOString(), actor: 'ana', via: 'cli', action: 'reopen', from: 'resolved', to: 'open', note: 'it came back' },
    ]);
    expect(validators.alert(a)).toBe(true);
  });

  it('refuses what cannot happen now, saying why', () => {
    const acked = step(alert(), { kind: 'acknowledge' }, ana, at(1));
    expect(() => applyAction(acked, { kind: 'acknowledge' }, bo, at(2))).toThrow(`alert ${'a'.repeat(32)} is already acknowledged by ana since ${at(1).toISOString()}`);
    const resolved = step(acked, { kind: 'resolve' }, ana, at(2));
    expect(() => applyAction(resolved, { kind: 'acknowledge' }, bo, at(3))).toThrow(/is resolved since .*; reopen it first/);
    expect(() => applyAction(resolved, { kind: 'resolve' }, bo, at(3))).toThrow(/already resolved/);
    expect(() => applyAction(alert(), { kind: 'reopen' }, bo, at(3))).toThrow(/already open/);
    expect(() => applyAction(alert(), { kind: 'note', note: '   ' }, bo, at(3))).toThrow(AlertTransitionError);
    expect(() => applyAction(alert(), { kind: 'note', note: 'x'.repeat(4001) }, bo, at(3))).toThrow(/at most 4000 characters \(this one has 4001\)/);
    expect(() => applyAction(alert(), { kind: 'assign', assignee: null }, bo, at(3))).toThrow(/not assigned to anyone/);
  });

  it('assigns and unassigns without touching the status; notes change nothing else', () => {
    let a = step(alert(), { kind: 'assign', assignee: ' cy ' }, ana, at(1));
    expect(a.alert).toMatchObject({ status: 'open', assignee: 'cy' });
    expect(() => applyAction(a, { kind: 'assign', assignee: 'cy' }, ana, at(2))).toThrow(/already assigned to cy/);
    a = step(a, { kind: 'note', note: 'called the owner' }, bo, at(2));
    a = step(a, { kind: 'assign', assignee: null }, bo, at(3));
    expect(a.alert.assignee).toBeNull();
    expect(a.alert.history!.map((h) => [h.action, h.action === 'assign' ? h.assignee : h.note])).toEqual([['assign', 'cy'], ['note', 'called the owner'], ['assign', null]]);
  });

  it('keeps the last 200 history entries and counts the dropped ones', () => {
    let a = alert();
    for (let i = 0; i < MAX_HISTORY + 25; i++) a = step(a, { kind: 'note', note: `n${i}` }, ana, at(i));
    expect(a.alert.history).toHaveLength(MAX_HISTORY);
    expect(a.alert.history![0]!.note).toBe('n25');
    expect(a.alert.history_dropped).toBe(25);
    expect(validators.alert(a)).toBe(true);
  });

  it('names each state change in its notification job id, so a repeat is new and a replay is not', () => {
    let a = step(alert(), { kind: 'resolve' }, { name: 'rule:r2', via: 'rule' }, at(1));
    // The first resolution keeps the id recoveries always had.
    expect(buildNotificationJob(a, 'webhook', 'resolved', occurrencesOf(a.alert, 'resolve')).id).toBe(`${'a'.repeat(32)}-resolved-webhook`);
    a = step(a, { kind: 'reopen' }, ana, at(2));
    a = step(a, { kind: 'resolve' }, ana, at(3));
    const second = buildNotificationJob(a, 'webhook', 'resolved', occurrencesOf(a.alert, 'resolve'));
    expect(second.id).toBe(`${'a'.repeat(32)}-resolved-2-webhook`);
    expect(second.data.event).toBe('resolved');
    expect(validators.notificationJob(second.data)).toBe(true);
    expect(buildNotificationJob(a, 'webhook', 'reopened', occurrencesOf(a.alert, 'reopen')).id).toBe(`${'a'.repeat(32)}-reopened-webhook`);
  });
});
