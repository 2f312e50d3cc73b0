import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseMib } from '../../../pipeline/snmp/mib/parse';
import { compileMibs } from '../../../pipeline/snmp/mib/compile';
import { sharedData } from '../../support/shared-data';

// The parser meets whatever a user drops into a MIB directory: it must never throw or hang, and
// must turn every problem into a reported error.
const REAL = fs.readFileSync(path.join(sharedData('mibs'), 'net-snmp', 'mibs', 'IF-MIB.txt'), 'latin1');
const CISCO = fs.readFileSync(path.join(sharedData('mibs'), 'cisco-mibs', 'v1', 'CISCO-GENERAL-TRAPS.my'), 'latin1');

describe('MIB parser robustness', () => {
  it('never throws on random text, tokens of SMI, or binary', () => {
    const smiWord = fc.constantFrom('DEFINITIONS', '::=', 'BEGIN', 'END', 'IMPORTS', 'FROM', ';', '{', '}', '(', ')', 'OBJECT-TYPE', 'SYNTAX', 'INTEGER', 'OBJECT', 'IDENTIFIER', '"', '--', 'x', 'X-MIB', '1', '..', 'TRAP-TYPE', 'ENTERPRISE', 'MACRO', ',', '\n');
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.array(smiWord, { maxLength: 200 }).map((a) => a.join(' ')), fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1'))), (text) => {
      const r = parseMib(text);
      expect(Array.isArray(r.modules)).toBe(true);
      compileMibs([{ file: 'f', text }]);
    }), { numRuns: 500 });
  });

  it('never throws on truncated or spliced real MIBs, and reports a line for every error', () => {
    fc.assert(fc.property(fc.nat({ max: REAL.length }), fc.nat({ max: CISCO.length }), (cut, cut2) => {
      for (const text of [REAL.slice(0, cut), REAL.slice(cut), REAL.slice(0, cut) + CISCO.slice(cut2)]) {
        const r = parseMib(text);
        for (const m of r.modules) for (const e of m.errors) expect(e.line).toBeGreaterThan(0);
      }
    }), { numRuns: 200 });
  });

  it('parses a huge file in linear time', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => `o${i} OBJECT IDENTIFIER ::= { enterprises ${i} }`).join('\n');
    const t0 = Date.now();
    const r = parseMib(`BIG-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\n${body}\nEND\n`);
    expect(r.modules[0]?.definitions).toHaveLength(20_000);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
