import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMibs } from '../../../pipeline/snmp/mib/load';
import { watchMibs } from '../../../pipeline/snmp/mib/watch';
import type { MibStore } from '../../../pipeline/snmp/mib/store';

const mib = (n: number): string => `W-MIB DEFINITIONS ::= BEGIN\nIMPORTS enterprises FROM SNMPv2-SMI;\nw${n} OBJECT IDENTIFIER ::= { enterprises ${n} }\nEND\n`;

describe('MIB reload', () => {
  it('builds a fresh store when a file in a MIB directory changes; the old store is unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-mibw-'));
    fs.writeFileSync(path.join(dir, 'W-MIB.txt'), mib(1));
    const first = loadMibs({ dirs: [dir] });
    expect(first.lookup('w1').matches[0]?.oid).toBe('1.3.6.1.4.1.1');
    const next = new Promise<MibStore>((resolve, reject) => {
      const w = watchMibs({ dirs: [dir] }, (s) => { w.close(); resolve(s); }, reject, 50);
      setTimeout(() => fs.writeFileSync(path.join(dir, 'W-MIB.txt'), mib(2)), 50);
    });
    const second = await next;
    expect(second.lookup('w2').matches[0]?.oid).toBe('1.3.6.1.4.1.2');
    expect(second.lookup('w1').matches).toEqual([]);
    expect(first.lookup('w1').matches).toHaveLength(1);
  });
});
