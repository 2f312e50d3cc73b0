import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { compileValidators } from '../../../../schemas/validators';
import { formatImportReport, importReportJson, importSigma } from '../../../../cli/commands/import-sigma';
import { applyProfiles, loadMappingProfiles } from '../../../../pipeline/detect/mapping';
import { loadRuleText, type RuleProblem } from '../../../../pipeline/detect/load';
import { eventFromLine } from '../../../../pipeline/detect/sample-event';
import { sharedData } from '../../../support/shared-data';

const SIGMAHQ = sharedData('sigmahq');
const PROFILES = path.join(__dirname, '..', '..', '..', '..', 'rules', 'mappings');
const validate = compileValidators().rule;

describe('importSigma over the SigmaHQ Linux and network rules', () => {
  const report = importSigma(SIGMAHQ, { profilesDir: PROFILES, validate });

  it('counts every file and rule', () => {
    expect(report).toMatchObject({ files: 263, rules: 263, profileProblems: [] });
    expect(report.compiled + report.failed).toBe(report.rules);
    expect(report.live + report.planned).toBe(report.compiled);
  });

  // Floors, not exact figures, so that adding a profile never breaks this test. Before the
  // decoders existed: 263 compiled, 39 live (keyword rules only). Today: 263 compiled and 263 live
  // (100%: keyword rules, Sysmon for Linux, auditd, Zeek, DNS query logs, firewall traffic and
  // FortiGate, each profile proven in test/unit/detect/sigma-live.test.ts), none planned.
  it('compiles at least 95% under the profiles, and at least 90% can fire today', () => {
    expect(report.compiled).toBeGreaterThanOrEqual(250);
    expect(report.compiledPercent).toBeGreaterThanOrEqual(95);
    expect(report.live).toBeGreaterThanOrEqual(237);
    expect(report.livePercent).toBeGreaterThanOrEqual(90);
    expect(report.waiting.reduce((n, w) => n + w.count, 0)).toBe(report.planned);
  });

  it('explains every rule that does not compile', () => {
    for (const f of report.failures) {
      expect(f.reason).not.toBe('');
      expect(f.details.length).toBeGreaterThan(0);
    }
    expect(report.reasons.reduce((n, r) => n + r.count, 0)).toBe(report.failed);
  });

  it('leaves as planned only rules whose parser a planned profile still names', () => {
    const planned = report.mapped.filter((m) => m.status === 'planned').map((m) => path.relative(SIGMAHQ, m.file));
    expect(planned.filter((f) => !/^network\/(fortinet|firewall)\//.test(f))).toEqual([]);
  });

  it('prints a human report and JSON', () => {
    if (process.env.SHOW_IMPORT) console.log(formatImportReport(report));
    const text = formatImportReport(report);
    expect(text).toContain('263 rules in 263 files');
    expect(text).toMatch(new RegExp(`live on today's pipeline: +${report.live} `));
    const json = JSON.parse(importReportJson(report)) as { compiled: number; mapped: number };
    expect(json.compiled).toBe(report.compiled);
    expect(json.mapped).toBe(report.compiled);
  });

  it('a mapped SigmaHQ service rule matches the syslog line it was written for, and only from that program', () => {
    const { profiles } = loadMappingProfiles(PROFILES);
    const problems: RuleProblem[] = [];
    const file = path.join(SIGMAHQ, 'linux/builtin/sshd/lnx_sshd_susp_ssh.yml');
    const [original] = loadRuleText(fs.readFileSync(file, 'utf8'), file, validate, problems);
    const mapped = applyProfiles(original!.rule.source, profiles);
    const [compiled] = loadRuleText(YAML.stringify(mapped.rule), file, validate, problems);
    expect(problems).toEqual([]);
    const now = new Date('2026-11-22T10:00:00Z');
    expect(compiled!.rule.matches(eventFromLine('<38>Nov 22 10:00:00 web1 sshd[811]: Corrupted MAC on input.', now))).toBe(true);
    expect(compiled!.rule.matches(eventFromLine('<38>Nov 22 10:00:00 web1 myapp[12]: Corrupted MAC on input.', now))).toBe(false);
  });
});

describe('importSigma failure reporting', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-import-'));
    const base = (id: string, logsource: string, detection: string): string => `title: rule ${id}\nid: ${id}\nlogsource: ${logsource}\ndetection:\n${detection}\n`;
    fs.writeFileSync(path.join(dir, 'ok.yml'), base('r-ok', '{ product: linux, service: sshd }', '  k: [x]\n  condition: k'));
    fs.writeFileSync(path.join(dir, 'zeek.yml'), base('r-zeek', '{ product: zeek, service: conn }', '  s: { history: ShR }\n  condition: s'));
    fs.writeFileSync(path.join(dir, 'bad.yml'), `${base('r-bad', '{ product: linux }', '  k: [x]\n  condition: k and missing')}---\n${base('r-unsupported', '{ product: snmp }', '  s: { community: public }\n  condition: s')}`);
    fs.writeFileSync(path.join(dir, 'dup.yml'), base('r-ok', '{ product: linux }', '  k: [y]\n  condition: k'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('groups failures by reason with positions in the original file', () => {
    const report = importSigma(dir, { profilesDir: PROFILES, validate });
    expect(report).toMatchObject({ files: 4, rules: 5, compiled: 1, live: 1, failed: 4 });
    const byId = new Map(report.failures.map((f) => [f.id, f]));
    expect(byId.get('r-bad')?.reason).toBe("does not load: condition refers to unknown selection 'missing' (defined: k)");
    expect(byId.get('r-bad')?.details[0]).toMatch(/^\d+:\d+: condition refers/);
    expect(byId.get('r-unsupported')?.reason).toBe("logsource product=snmp: unreachable field 'community' under mapping profile 'snmp': community strings are secrets; they are redacted before any event is stored (GUIDE §8)");
    expect(byId.get('r-zeek')?.reason).toBe("logsource product=zeek service=conn: unreachable field 'history': not an event field, and mapping profile 'zeek' does not map it");
    expect(report.reasons.find((r) => r.reason === 'duplicate rule id')?.count).toBe(1);
    expect(formatImportReport(report)).toContain('not compiled: 4');
  });
});
