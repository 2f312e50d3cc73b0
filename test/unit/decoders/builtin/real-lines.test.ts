/**
 * Real vendor lines from the Wazuh ruleset tests (../shared/data/wazuh-ruleset-tests, GPL-2.0,
 * test input only): every auditd, CEF and LEEF line there is read by our decoders (none is
 * refused or failed), with the fields each format always gives.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILTIN_CODE } from '../../../../pipeline/decoders/builtin';

const DIR = path.resolve(__dirname, '../../../../../shared/data/wazuh-ruleset-tests');

function lines(file: string, filter: (l: string) => boolean): string[] {
  const p = path.join(DIR, file);
  if (!fs.existsSync(p)) return [];
  return fs.readFileSync(p, 'utf8').split('\n')
    .map((l) => /^\s*log \d+ pass = (.*)$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && filter(l));
}

const maybe = fs.existsSync(DIR) ? describe : describe.skip;

maybe('real lines from the Wazuh ruleset tests', () => {
  it('auditd.ini: every record decodes with its type and serial', () => {
    const all = lines('auditd.ini', (l) => l.startsWith('type='));
    expect(all.length).toBeGreaterThan(30);
    for (const l of all) {
      const r = BUILTIN_CODE['auditd']!.decode({ message: l, program: 'audispd' });
      expect(r).toMatchObject({ ok: true, dataset: 'auditd.log' });
      if (r && r.ok) {
        expect(typeof r.fields['auditd.log.sequence']).toBe('number');
        expect(r.fields['auditd.log.record_type']).toBeDefined();
      }
    }
  });

  it('CEF lines (F5 ASM, FireEye): every one decodes with its vendor', () => {
    const all = [...lines('f5_big_ip.ini', (l) => l.includes('CEF:')), ...lines('fireeye.ini', (l) => l.includes('CEF:'))];
    expect(all.length).toBeGreaterThan(3);
    for (const l of all) {
      const r = BUILTIN_CODE['cef']!.decode({ message: l });
      expect(r).toMatchObject({ ok: true, dataset: 'cef.log' });
      if (r && r.ok) expect(['F5', 'FireEye', 'fireeye']).toContain(r.fields['observer.vendor']);
    }
  });

  it('LEEF lines (Panda Adaptive Defense): every one decodes with its attributes', () => {
    const all = lines('panda_paps.ini', (l) => l.startsWith('LEEF:'));
    expect(all.length).toBeGreaterThan(5);
    for (const l of all) {
      const r = BUILTIN_CODE['leef']!.decode({ message: l });
      expect(r).toMatchObject({ ok: true, dataset: 'leef.log', fields: { 'observer.vendor': 'Panda Security', 'leef.version': '1.0' } });
      if (r && r.ok) expect(typeof r.fields['event.severity']).toBe('number');
    }
  });
});
