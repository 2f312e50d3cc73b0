/**
 * ECS's field table (schemas/ecs-fields.json, generated from the @elastic/ecs package by
 * scripts/build-ecs-fields.js): each field's type, whether it holds an array, and the allowed
 * values of the categorization fields. The event index template maps decoder fields by it, and a
 * test checks every field our decoders emit against it.
 */
import table from '../../schemas/ecs-fields.json';

export interface EcsField {
  type: string;
  array?: boolean;
  allowed?: readonly string[];
}

const FIELDS = table.fields as Readonly<Record<string, EcsField>>;

/** The ECS version events claim in `ecs.version`: the one whose field table we follow. */
export const ECS_VERSION: string = table.version;

/** ECS's definition of a dotted field name; undefined for a field ECS does not define. */
export function ecsField(name: string): EcsField | undefined {
  return Object.prototype.hasOwnProperty.call(FIELDS, name) ? FIELDS[name] : undefined;
}

export function ecsFieldNames(): string[] {
  return Object.keys(FIELDS);
}

/**
 * Does `value` fit ECS's type for `name`? Arrays are accepted for every field (Elasticsearch
 * indexes each element); each element must fit. Undefined for fields ECS does not define.
 */
export function fitsEcsType(name: string, value: unknown): boolean | undefined {
  const field = ecsField(name);
  if (!field) return undefined;
  const values = Array.isArray(value) ? value : [value];
  return values.every((v) => fitsType(field, v));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function fitsType(field: EcsField, v: unknown): boolean {
  switch (field.type) {
    case 'keyword': case 'wildcard': case 'constant_keyword': case 'match_only_text': case 'text':
      return typeof v === 'string' && (!field.allowed || field.allowed.includes(v));
    case 'long': case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float': case 'double': case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'ip':
      return typeof v === 'string' && (IPV4.test(v) || (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v)));
    case 'date':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v));
    case 'geo_point':
      return typeof v === 'object' && v !== null && typeof (v as { lat?: unknown }).lat === 'number' && typeof (v as { lon?: unknown }).lon === 'number';
    case 'object': case 'flattened': case 'nested':
      return typeof v === 'object' && v !== null;
    default:
      return true;
  }
}

/**
 * Elasticsearch dynamic templates that map any ECS field, when it first appears, with ECS's type:
 * fields are added to an index only as decoders emit them (the index's field count stays what
 * events really carry), yet `source.ip` is an `ip` and `destination.port` a `long` from the first
 * document on. Types absent from some distributions (match_only_text, wildcard, constant_keyword,
 * scaled_float) fall back to text/keyword/float; `nested` is mapped as a plain object so that
 * query_string searches (haetae search, rules) reach it.
 */
export function ecsDynamicTemplates(maxTermChars: number): Array<Record<string, { path_match: string[]; mapping: Record<string, unknown> }>> {
  const byMapping = new Map<string, { mapping: Record<string, unknown>; paths: string[] }>();
  const add = (key: string, mapping: Record<string, unknown>, path: string): void => {
    let entry = byMapping.get(key);
    if (!entry) byMapping.set(key, (entry = { mapping, paths: [] }));
    entry.paths.push(path);
  };
  for (const [name, f] of Object.entries(FIELDS)) {
    if (name === '@timestamp' || name.startsWith('labels') || name.includes('*')) continue;
    switch (f.type) {
      case 'keyword': case 'wildcard': case 'constant_keyword':
        // Plain keywords need no template: the catch-all string template maps them the same way.
        if (name === 'event.original' || name.endsWith('.original')) add('unindexed', { type: 'keyword', index: false, doc_values: false }, name);
        break;
      case 'match_only_text': case 'text':
        add('text', { type: 'text' }, name);
        break;
      case 'long': case 'integer': add('long', { type: 'long' }, name); break;
      case 'float': case 'double': case 'scaled_float': add('float', { type: 'float' }, name); break;
      case 'boolean': add('boolean', { type: 'boolean' }, name); break;
      case 'ip': add('ip', { type: 'ip' }, name); break;
      case 'date': add('date', { type: 'date' }, name); break;
      case 'geo_point': add('geo_point', { type: 'geo_point' }, name); break;
      case 'flattened': add('flattened', { type: 'flattened', ignore_above: maxTermChars }, name); break;
      default: break;
    }
  }
  return [...byMapping].map(([key, { mapping, paths }]) => ({ [`ecs_${key}`]: { path_match: paths, mapping } }));
}
