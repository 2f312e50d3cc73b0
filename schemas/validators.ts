import Ajv, { type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import envelopeSchema from './envelope.schema.json';
import deadLetterSchema from './dead-letter.schema.json';
import eventSchema from './event.schema.json';
import alertSchema from './alert.schema.json';
import notificationJobSchema from './notification-job.schema.json';
import ruleSchema from './rule.schema.json';
import configSchema from './config.schema.json';
import type { Alert, DeadLetter, HaetaeConfig, HaetaeEvent, NotificationJob, RawEnvelope, Rule } from './generated/types';

/** Compiled validators for every data contract. Compile once per process and pass it around. */
export interface Validators {
  envelope: ValidateFunction<RawEnvelope>;
  deadLetter: ValidateFunction<DeadLetter>;
  event: ValidateFunction<HaetaeEvent>;
  alert: ValidateFunction<Alert>;
  notificationJob: ValidateFunction<NotificationJob>;
  rule: ValidateFunction<Rule>;
  /** Fills defaults in place (useDefaults), so the validated object is the complete config. */
  config: ValidateFunction<HaetaeConfig>;
}

export function compileValidators(): Validators {
  // Contracts reference each other by file name ($ref: envelope.schema.json), so one Ajv instance
  // holds them all. `useDefaults` is only safe for the config (it mutates input); the data
  // contracts are compiled on a second instance without it.
  const strictOpts = { allErrors: true, strict: true, strictTuples: false, allowUnionTypes: true, discriminator: true } as const;
  const data = new Ajv(strictOpts);
  const withDefaults = new Ajv({ ...strictOpts, useDefaults: true });
  for (const ajv of [data, withDefaults]) {
    addFormats(ajv);
    for (const schema of [envelopeSchema, deadLetterSchema, eventSchema, alertSchema, notificationJobSchema, ruleSchema]) {
      ajv.addSchema(schema, basename(schema.$id));
    }
  }
  return {
    envelope: data.getSchema<RawEnvelope>('envelope.schema.json')!,
    deadLetter: data.getSchema<DeadLetter>('dead-letter.schema.json')!,
    event: data.getSchema<HaetaeEvent>('event.schema.json')!,
    alert: data.getSchema<Alert>('alert.schema.json')!,
    notificationJob: data.getSchema<NotificationJob>('notification-job.schema.json')!,
    rule: data.getSchema<Rule>('rule.schema.json')!,
    config: withDefaults.compile<HaetaeConfig>(configSchema),
  };
}

function basename(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}

/** One line per ajv error: `/path/to/key: message`. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(top level)' : e.instancePath;
    if (e.keyword === 'additionalProperties') {
      return `${where}: unknown key '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
    }
    if (e.keyword === 'discriminator') {
      const p = e.params as { error?: string; tag?: string; tagValue?: unknown };
      return p.error === 'mapping'
        ? `${where}: ${p.tag} '${String(p.tagValue)}' is not one of the known kinds (${discriminatorValues(e)})`
        : `${where}: needs a ${p.tag ?? 'type'}`;
    }
    if (e.keyword === 'enum') {
      return `${where}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')})`;
    }
    return `${where}: ${e.message ?? e.keyword}`;
  });
}

export type { Alert, DeadLetter, HaetaeConfig, HaetaeEvent, NotificationJob, RawEnvelope, Rule };

/** The tag values a discriminated oneOf knows (its branches' `const`s). */
function discriminatorValues(e: ErrorObject): string {
  const branches = ((e.parentSchema as { oneOf?: Array<{ properties?: Record<string, { const?: unknown }> }> } | undefined)?.oneOf ?? []);
  const tag = (e.params as { tag?: string }).tag ?? 'type';
  return branches.map((b) => String(b.properties?.[tag]?.const)).join(', ');
}
