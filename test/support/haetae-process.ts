import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { eventually } from './services';

export const ROOT = path.join(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'haetae.js');

/** Writes a config file for one test and returns its path. */
export function writeConfig(config: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-e2e-'));
  const file = path.join(dir, 'haetae.yaml');
  fs.writeFileSync(file, YAML.stringify(config));
  return file;
}

/** The built CLI as a real process: what a user runs. Output is kept for assertions and for failures. */
export class HaetaeProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], configFile: string, extraEnv: NodeJS.ProcessEnv = {}) {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, HAETAE_CONFIG: configFile, HAETAE_LOG_LEVEL: process.env.HAETAE_LOG_LEVEL ?? 'info', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => { this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean)); };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits for an output line matching `pattern` and returns its match. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return eventually(async () => {
      for (const line of this.output) {
        const m = pattern.exec(line);
        if (m) return m;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.tail()}`);
      }
      return undefined;
    }, `output matching ${pattern}`, timeoutMs).catch((err: unknown) => {
      // The output as it is when waiting gave up, not when it began.
      throw new Error(`${(err as Error).message}\n${this.tail()}`);
    });
  }

  /** Gracefully stops the process (SIGTERM, as an init system would). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(n = 40): string {
    return this.output.slice(-n).join('\n');
  }
}

/** Runs the CLI to completion (search, rules validate...) and returns its output. */
export function runCli(args: string[], configFile: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, HAETAE_CONFIG: configFile }, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** util-linux logger, the real client the issue names. Throws with its stderr when it fails. */
export function logger(args: string[], stdinLines?: string[]): void {
  // With no message argument, logger sends each stdin line as one message over one connection.
  const input = stdinLines ? `${stdinLines.join('\n')}\n` : undefined;
  const res = spawnSync('logger', args, { encoding: 'utf8', timeout: 10_000, ...(input !== undefined ? { input } : {}) });
  if (res.status !== 0) throw new Error(`logger ${args.join(' ')} failed (${res.status}): ${res.stderr}`);
}

export async function readyz(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
  return res?.status === 200;
}

export async function metricsText(port: number): Promise<string> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch (err) {
    // A pooled keep-alive connection the server closed as idle at the moment fetch reused it
    // ("other side closed"): a client-side race, not an answer. Ask once more, on a new connection.
    if (!/other side closed|ECONNRESET/.test(String((err as { cause?: unknown }).cause ?? err))) throw err;
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }
}

/** The value of one sample line in Prometheus text, 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    if (want.every((w) => inside.split(',').includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
