import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import YAML from 'yaml';
import { eventually } from '../support/services';
import { HaetaeProcess, logger, metricsText, writeConfig } from '../support/haetae-process';
import { startWebhookServer } from '../support/webhook-server';
import { WEBHOOK_SECRET, e2eConfig } from './config';

const rule = (word: string): string => `title: Hot reload probe\nid: hot-reload-probe\nlevel: high\ndetection:\n  sel:\n    message|contains: ${word}\n  condition: sel\n`;

/** A rule author edits rules while haetae runs: good changes go live, bad ones are refused. */
describe('rule hot reload', () => {
  it('applies a new rule without a restart, and keeps the last good version when a change is invalid', async () => {
    const rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-hot-rules-'));
    const hook = await startWebhookServer(WEBHOOK_SECRET);
    const base = e2eConfig(hook.url);
    const config = YAML.parse(fs.readFileSync(base.file, 'utf8'));
    config.worker.rulesPath = [rulesDir];
    const file = writeConfig(config);
    const haetae = new HaetaeProcess(['run', 'all'], file);
    try {
      const udp = Number((await haetae.waitFor(/listening for syslog on udp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const http = Number((await haetae.waitFor(/metrics on http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await haetae.waitFor(/Worker joined the consumer group/);
      const word = `hotword${randomUUID().slice(0, 6)}`;

      fs.writeFileSync(path.join(rulesDir, 'probe.yml'), rule(word));
      await haetae.waitFor(/Rules reloaded: version 2, 1 rules live\./, 15_000);
      logger(['-n', '127.0.0.1', '-P', String(udp), '-d', `first ${word}`]);
      await eventually(async () => hook.deliveries.find((d) => d.json.alert.message.includes(`first ${word}`)), 'an alert from the new rule', 30_000);

      // A broken edit: the condition names a selection that does not exist.
      fs.writeFileSync(path.join(rulesDir, 'probe.yml'), rule(word).replace('condition: sel', 'condition: sel and typo'));
      await haetae.waitFor(/Rule change rejected, the last good version keeps running: .*probe\.yml:7:3: condition refers to unknown selection 'typo'/, 15_000);
      const status = await (await fetch(`http://127.0.0.1:${http}/rules`)).json() as { version: number; rejected: Array<{ file: string; line: number; text: string }> };
      expect(status.version).toBe(2);
      expect(status.rejected).toHaveLength(1);
      expect(status.rejected[0]).toMatchObject({ file: path.join(rulesDir, 'probe.yml'), line: 7 });
      expect((await metricsText(http))).toMatch(/^haetae_rule_files_rejected 1$/m);

      logger(['-n', '127.0.0.1', '-P', String(udp), '-d', `second ${word}`]);
      await eventually(async () => hook.deliveries.find((d) => d.json.alert.message.includes(`second ${word}`)), 'an alert from the last good version', 30_000);
      expect(haetae.child.exitCode).toBeNull();
    } finally {
      await haetae.stop();
      await hook.close();
      fs.rmSync(rulesDir, { recursive: true, force: true });
    }
  }, 120_000);
});
