/**
 * Built-in decoder implementations, by the name a decoder file gives in `code:`. Each is written
 * in TypeScript because its format needs more than data can say; its YAML file under decoders/
 * still declares its id, routing (`select`), priority and samples.
 *
 * | code         | format                                              | dataset               |
 * |--------------|-----------------------------------------------------|-----------------------|
 * | sysmon-linux | Sysmon for Linux event XML in syslog                | sysmon_linux.log      |
 * | auditd       | Linux audit records, merged per event (serial)      | auditd.log            |
 * | zeek         | Zeek JSON logs (conn, dns, http, ssl, files, …)     | zeek.<log>            |
 * | cef          | ArcSight Common Event Format                        | cef.log               |
 * | leef         | IBM QRadar Log Event Extended Format 1.0 / 2.0      | leef.log              |
 * | json         | any JSON object (fallback)                          | json.log              |
 *
 * The fields each one emits: docs/decoders-builtin.md. Shared helpers: common.ts (bounds, typed
 * setters, related.*), xml.ts (the bounded XML reader Sysmon uses).
 */
import type { DecodedFields, DecodeResult, DecoderInput } from '../types';
import { auditd } from './auditd';
import { cef } from './cef';
import { json } from './json';
import { kv } from './kv';
import { leef } from './leef';
import { sysmonLinux } from './sysmon-linux';
import { zeek } from './zeek';

export interface BuiltinCode {
  decode(input: DecoderInput): DecodeResult | null;
  merge?(into: DecodedFields, next: DecodedFields): DecodedFields;
}

export const BUILTIN_CODE: Readonly<Record<string, BuiltinCode>> = Object.freeze({
  'sysmon-linux': sysmonLinux,
  auditd,
  zeek,
  cef,
  leef,
  json,
  kv,
});
