import fs from 'node:fs';
import type { HaetaeEvent } from '../../../../schemas/generated/types';
import { ecsField, fitsEcsType } from '../../../../pipeline/ecs/fields';
import { eventFromLine } from '../../../../pipeline/detect/sample-event';
import { sharedData } from '../../../support/shared-data';

export const NOW = new Date('2026-12-03T12:00:00Z');

/** The event the worker would index for one raw syslog line (header parse + shipped decoders). */
export function ev(line: string): HaetaeEvent & Record<string, unknown> {
  return eventFromLine(line, NOW) as HaetaeEvent & Record<string, unknown>;
}

/** A dotted field of an event (undefined when absent). */
export function get(e: unknown, field: string): unknown {
  let v: unknown = e;
  for (const k of field.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** Every leaf of the event that ECS defines, with a wrong type or a value ECS does not allow. */
export function ecsTypeErrors(e: unknown): string[] {
  const wrong: string[] = [];
  const walk = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ecsField(prefix)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, v);
      return;
    }
    if (fitsEcsType(prefix, value) === false) wrong.push(`${prefix} = ${JSON.stringify(value)}`);
  };
  walk('', e);
  return wrong;
}

/** Real log lines from a Wazuh ruleset test file (`log N pass = <line>`, commented lines left out). */
export function wazuhLines(file: string): string[] {
  const text = fs.readFileSync(sharedData('wazuh-ruleset-tests', file), 'utf8');
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const m = /^log \d+ pass = (.*)$/.exec(raw.trimEnd());
    if (m) out.push(m[1]!.trimEnd());
  }
  return out;
}
