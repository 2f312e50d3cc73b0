/**
 * The decoder contract: what reads a message's content (after the syslog header) into ECS fields.
 *
 * A decoder is declared in a YAML file under `decoders/` (or a directory from config). Most are
 * pure data (match condition + extraction steps + ECS mapping + samples, compiled by
 * pipeline/decoders/compile.ts); a format that needs more than data can say (auditd's multi-record
 * events, Sysmon's XML) names a built-in implementation with `code: <name>` and is written in
 * TypeScript behind this same interface (pipeline/decoders/builtin/<name>.ts), tested by the
 * same inline samples.
 *
 * Decoders are pure: no I/O, no clock, no throwing (a thrown error is caught by the engine and
 * becomes a decoder failure), bounded work per input (RE2 patterns, no unbounded loops).
 */

/** What a decoder sees of one message. */
export interface DecoderInput {
  /** The message text: the syslog MSG part, or the whole line when it had no syslog header. */
  message: string;
  /** The syslog APP-NAME / TAG (without [pid]), when there was one. */
  program?: string | undefined;
  /** Syslog facility code 0..23, when there was a header. */
  facility?: number | undefined;
  /** The address of the device that sent the message (log.source.address). */
  sender?: string | undefined;
  /** RFC 5424 structured data (SD-ID → param → value(s)), when present. */
  structuredData?: Readonly<Record<string, Readonly<Record<string, string | string[]>>>> | undefined;
  /** The syslog hostname, when there was one. */
  hostname?: string | undefined;
}

/**
 * Extracted fields as dotted ECS (or documented namespace) names → values. Values are already of
 * the field's type (numbers for `long`/`integer`, strings for `ip`/`keyword`, arrays where ECS
 * says the field is an array, e.g. `related.ip`, `event.category`, `event.type`).
 */
export type DecodedFields = Record<string, unknown>;

/** Several records of one event (auditd): the engine merges consecutive records with one key. */
export interface MultiRecord {
  /** Records with the same key (within one sender's stream) belong to one event. */
  key: string;
  /** This record closes its event (auditd EOE, or a format's known last record). */
  end: boolean;
}

export type DecodeResult =
  /** Decoded: the fields to set on the event, and the dataset (`event.dataset`, e.g. `cisco.asa`). */
  | { ok: true; dataset: string; fields: DecodedFields; multi?: MultiRecord }
  /** This decoder was selected for the message but could not read it: the event is tagged, never dropped. */
  | { ok: false; reason: string };

/** One inline sample: an input line and the fields the decoder must produce from it. */
export interface DecoderSample {
  /** A message (MSG part), or a full syslog line when `syslog: true`. */
  input: string;
  program?: string;
  sender?: string;
  /** `input` is a whole syslog line: the header parser gives the message, program, hostname and facility. */
  syslog?: boolean;
  /** Syslog facility code of the input, for decoders selected by facility. */
  facility?: number;
  /** The decoder must report a failure (`{ok:false}`) for this input; `expect` is not compared. */
  fail?: boolean;
  /** Expected fields (dotted names); only these are compared. A null value asserts the field is absent. */
  expect: DecodedFields;
  /** 1-based line of the sample in its file, for error messages. */
  line?: number;
}

/** A compiled decoder, whichever way it was written. */
export interface Decoder {
  /** Unique id (e.g. `cisco-asa`); tags and metrics name it. */
  id: string;
  /** Where it was declared: file and 1-based line, for errors. */
  file?: string;
  line?: number;
  description?: string;
  /** The dataset a data decoder sets (a built-in's code returns its own; see `code`). */
  dataset?: string;
  /** The built-in implementation a `code:` decoder runs. */
  code?: string;
  /** How a message is routed to it without trying every decoder (see pipeline/decoders/select.ts). */
  select: DecoderSelect;
  /** Lower runs first among decoders selected for the same message (default 50). */
  priority: number;
  /** Reads one message; `null`: not this decoder's message after all (the next candidate is tried). */
  decode(input: DecoderInput): DecodeResult | null;
  /** For multi-record formats: merges a later record's fields into the event's fields so far. */
  merge?(into: DecodedFields, next: DecodedFields): DecodedFields;
  samples: readonly DecoderSample[];
}

/**
 * Routing keys. A decoder is a candidate for a message when any of its keys matches; a decoder
 * with no keys at all is a fallback tried (in priority order) only when no keyed decoder claimed
 * the message. Every condition given must hold (e.g. programs AND senders).
 */
export interface DecoderSelect {
  /** Exact program names (case-sensitive), e.g. [sshd]. */
  programs?: readonly string[];
  /** Literal message prefixes, e.g. ['%ASA-', 'CEF:']; indexed in a trie (longest match first). */
  prefixes?: readonly string[];
  /** Literal substrings searched when no program or prefix key claimed the message (e.g. '%ASA-' after a timestamp). */
  contains?: readonly string[];
  /** Facility codes the message must have. */
  facilities?: readonly number[];
  /** Sender networks (CIDR or address) the message must come from. */
  senders?: readonly string[];
}
