/**
 * Every line of the Wazuh ruleset tests (../shared/data/wazuh-ruleset-tests, GPL-2.0, test input
 * only) — pass and fail lines of all 87 files — goes through the worker's stages offline
 * (eventsFromLines with the shipped decoders) without throwing, and every event it makes
 * validates against schemas/event.schema.json. The network devices' files are claimed (decoded by
 * one of our decoders, no decoder error) at the share stated per file below: measured with
 * `npm run bench:decoders-coverage`, then set to what the decoders reach, not a round target.
 */
import path from 'node:path';
import { shippedDecoders } from '../../../../pipeline/decoders/shipped';
import { eventsFromLines } from '../../../../pipeline/offline/events';
import { compileValidators, describeErrors } from '../../../../schemas/validators';
import { readWazuhDir, wazuhDir, type WazuhLine } from '../../../../bench/wazuh-ini';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const DIR = wazuhDir(ROOT);
const maybe = DIR ? describe : describe.skip;

/**
 * Per network file: the share of its `pass` lines one of our decoders must claim, and which
 * decoder. Measured 2026-12-03: every file 100% except paloalto.ini (15 of 16: its "OTHERS" line
 * names no PAN-OS log type) and iptables.ini, whose lines are all netfilter lines (100%).
 */
const NETWORK: Record<string, { share: number; decoder: string }> = {
  'cisco_ios.ini': { share: 1, decoder: 'cisco-ios' },
  'cisco_asa.ini': { share: 1, decoder: 'cisco-asa' },
  'cisco_ftd.ini': { share: 1, decoder: 'cisco-asa' },
  'pix.ini': { share: 1, decoder: 'cisco-asa' },
  'fortigate.ini': { share: 1, decoder: 'fortinet-fortigate' },
  'junos.ini': { share: 1, decoder: 'juniper-srx' },
  'paloalto.ini': { share: 0.93, decoder: 'panw-panos' },
  'pfsense.ini': { share: 1, decoder: 'pfsense-filterlog' },
  'SonicWall.ini': { share: 1, decoder: 'sonicwall-firewall' },
  'checkpoint_smart1.ini': { share: 1, decoder: 'checkpoint-firewall' },
  'iptables.ini': { share: 1, decoder: 'iptables-log' },
};

/** Files our network decoders must leave alone: look-alike key=value formats of other vendors. */
const NOT_OURS = ['fortimail.ini', 'sophos_fw.ini', 'sophos.ini', 'kernel_usb.ini', 'huawei_usg.ini', 'netscreen.ini'];

maybe('Wazuh ruleset test lines through the worker stages', () => {
  const all: WazuhLine[] = DIR ? readWazuhDir(DIR) : [];
  const validate = compileValidators().event;
  const byFile = new Map<string, Array<{ input: WazuhLine; decoder: string | null; error: string | null }>>();

  beforeAll(() => {
    const files = new Map<string, WazuhLine[]>();
    for (const l of all) files.set(l.file, [...(files.get(l.file) ?? []), l]);
    for (const [file, lines] of files) {
      const outcomes = eventsFromLines(lines.map((l) => l.line), { decoders: shippedDecoders(), now: new Date('2026-12-01T00:00:00Z') });
      const results = [];
      for (const o of outcomes) {
        if (!('event' in o)) {
          results.push({ input: lines[o.line - 1]!, decoder: 'absorbed', error: null });
          continue;
        }
        if (!validate(o.event)) {
          throw new Error(`${file}: event of line ${o.line} is not a valid event: ${describeErrors(validate.errors).join('; ')}\n  ${lines[o.line - 1]!.line}`);
        }
        const d = (o.event.haetae as { decoder?: { id?: string; error?: string } }).decoder;
        results.push({ input: lines[o.line - 1]!, decoder: d?.id ?? null, error: d?.error ?? null });
      }
      byFile.set(file, results);
    }
  });

  it('reads every line of every file (pass and fail) into a schema-valid event', () => {
    expect(all.length).toBeGreaterThan(1500);
    expect([...byFile.values()].reduce((n, r) => n + r.length, 0)).toBe(all.length);
  });

  it.each(Object.entries(NETWORK))('%s: pass lines claimed by our decoder at the stated share', (file, want) => {
    const results = (byFile.get(file) ?? []).filter((r) => r.input.pass);
    expect(results.length).toBeGreaterThan(0);
    const failures = results.filter((r) => r.error !== null).map((r) => `${r.decoder}: ${r.error}: ${r.input.line}`);
    expect(failures).toEqual([]);
    const claimed = results.filter((r) => r.decoder === want.decoder && r.error === null).length;
    const unclaimed = results.filter((r) => r.decoder !== want.decoder).map((r) => r.input.line);
    if (claimed / results.length < want.share) throw new Error(`${file}: ${claimed} of ${results.length} claimed; unclaimed:\n  ${unclaimed.join('\n  ')}`);
    expect(claimed / results.length).toBeGreaterThanOrEqual(want.share);
  });

  it('network decoders do not claim other vendors look-alike lines', () => {
    const ours = new Set(Object.values(NETWORK).map((n) => n.decoder));
    const stolen = NOT_OURS.flatMap((f) => (byFile.get(f) ?? []).filter((r) => r.decoder !== null && ours.has(r.decoder)).map((r) => `${f}: ${r.decoder}: ${r.input.line}`));
    expect(stolen).toEqual([]);
  });

  it('no network decoder claims a line of a file that is not its vendor (beyond the files above)', () => {
    const ours = new Set(Object.values(NETWORK).map((n) => n.decoder));
    const elsewhere: string[] = [];
    for (const [file, results] of byFile) {
      if (file in NETWORK) continue;
      for (const r of results) if (r.decoder !== null && ours.has(r.decoder)) elsewhere.push(`${file}: ${r.decoder}: ${r.input.line.slice(0, 120)}`);
    }
    expect(elsewhere).toEqual([]);
  });
});
