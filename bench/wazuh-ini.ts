/**
 * Reads the Wazuh ruleset test files (../shared/data/wazuh-ruleset-tests/*.ini, GPL-2.0, test
 * input only): sections `[name]` of `log N pass = <line>` (or `fail`) followed by the `rule`,
 * `alert` and `decoder` Wazuh assigns to those lines. Used by the decoder coverage report
 * (bench/decoder-coverage.bench.ts) and the network decoder tests.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WazuhLine {
  /** The .ini file name, e.g. cisco_asa.ini. */
  file: string;
  section: string;
  /** The Wazuh decoder name of the section ('' when the section names none). */
  decoder: string;
  /** `pass` lines are what Wazuh decodes; `fail` lines are what it must not alert on. */
  pass: boolean;
  line: string;
}

/** Where the Wazuh test files are, from the project root (null when the shared data is absent). */
export function wazuhDir(root: string): string | null {
  const dir = path.resolve(root, '..', 'shared', 'data', 'wazuh-ruleset-tests');
  return fs.existsSync(dir) ? dir : null;
}

/** Every `log … = ` line of one .ini file, with its section's decoder name. */
export function readWazuhIni(file: string): WazuhLine[] {
  const name = path.basename(file);
  const out: WazuhLine[] = [];
  let section = '';
  let pending: WazuhLine[] = [];
  const flush = (decoder: string): void => {
    for (const l of pending) l.decoder = decoder;
    out.push(...pending);
    pending = [];
  };
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const header = /^\[(.*)\]\s*$/.exec(raw);
    if (header) {
      flush('');
      section = header[1]!.trim();
      continue;
    }
    const log = /^log\s+\d+\s+(pass|fail)\s*=\s?(.*)$/.exec(raw);
    if (log) {
      const line = log[2]!.trim();
      if (line !== '') pending.push({ file: name, section, decoder: '', pass: log[1] === 'pass', line });
      continue;
    }
    const dec = /^decoder\s*=\s*(.*)$/.exec(raw);
    if (dec) flush(dec[1]!.trim());
  }
  flush('');
  return out;
}

/** All .ini files of the directory, in name order. */
export function readWazuhDir(dir: string): WazuhLine[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.ini')).sort().flatMap((f) => readWazuhIni(path.join(dir, f)));
}
