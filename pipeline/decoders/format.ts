/**
 * The decoder file format as TypeScript: the shape schemas/decoder.schema.json accepts (the
 * schema is the contract; these types mirror it for the compiler). See docs/decoders.md.
 */
export type FieldType = 'ip' | 'long' | 'integer' | 'float' | 'boolean' | 'keyword' | 'date';

export interface MappingSpec {
  from?: string;
  value?: unknown;
  type?: FieldType;
  table?: string;
  default?: unknown;
  lowercase?: boolean;
  on_invalid?: 'fail' | 'skip';
}

/** null: leave the field out (a case overriding the top-level map). */
export type MapSpec = Record<string, string | MappingSpec | null>;

export interface KvStepSpec { from?: string; separator?: string; assign?: string; quote?: string; prefix?: string; keys?: string[] }
export interface CsvStepSpec { from?: string; columns: Array<string | null>; delimiter?: string; quote?: string }
export interface JsonStepSpec { from?: string; target?: string }
export type StepSpec = { kv: KvStepSpec } | { csv: CsvStepSpec } | { json: JsonStepSpec };

export interface CaseSpec {
  name?: string;
  when?: Record<string, string | number | Array<string | number>>;
  from?: string;
  match?: string;
  steps?: StepSpec[];
  map?: MapSpec;
}

export interface SampleSpec {
  input: string;
  syslog?: boolean;
  program?: string;
  sender?: string;
  facility?: number;
  expect?: Record<string, unknown>;
  fail?: boolean;
}

export interface DecoderSpec {
  id: string;
  description?: string;
  priority?: number;
  select: {
    programs?: string[];
    prefixes?: string[];
    contains?: string[];
    facilities?: number[];
    senders?: string[];
  };
  dataset?: string;
  code?: string;
  unmatched?: 'keep' | 'fail' | 'skip';
  match?: string;
  steps?: StepSpec[];
  cases?: CaseSpec[];
  map?: MapSpec;
  tables?: Record<string, Record<string, unknown>>;
  samples?: SampleSpec[];
}

/** Names every decoder can read with `from:` without capturing them. */
export const INPUT_NAMES = ['message', 'program', 'hostname', 'sender'] as const;
