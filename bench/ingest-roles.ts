/**
 * Shared by bench:ingest (`--workers`) and bench:soak: haetae's roles as separate processes from
 * one generated config — one `haetae run receiver`, N × `haetae run worker` (one consumer group,
 * so the raw topic's partitions are shared; each worker process also runs a correlator), one
 * `haetae run notifier` — and what the benches read about them: CPU time and memory from /proc,
 * their /metrics, the worker group's membership and lag through the Kafka admin client, and the
 * loopback source addresses that spread TCP senders evenly over the raw topic's partitions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { AssignerProtocol, type Admin } from 'kafkajs';
import type { Client } from '@elastic/elasticsearch';
import { partitionForKey } from '../connectors/kafka/murmur2';

export type RoleName = 'receiver' | 'worker' | 'notifier';

export interface RoleProcess {
  role: RoleName;
  /** receiver, worker-1 … worker-N, notifier. */
  label: string;
  child: ChildProcess;
  pid: number;
  httpPort: number;
  /** The receiver's listeners (udp, tcp), from its start-up lines. */
  ports: Partial<Record<'udp' | 'tcp', number>>;
}

/**
 * Starts `haetae run <role>` and resolves once it has printed its metrics port (and, for the
 * receiver, both listener ports). Its stdout is only read for those lines; BENCH_LOG_LEVEL passes
 * haetae's own log through to stderr.
 */
export function startRole(cli: string, configFile: string, role: RoleName, label: string, timeoutMs = 120_000): Promise<RoleProcess> {
  const verbose = Boolean(process.env.BENCH_LOG_LEVEL);
  const child = spawn(process.execPath, [cli, 'run', role, '--config', configFile], { stdio: ['ignore', 'pipe', verbose ? 'inherit' : 'ignore'] });
  const proc: RoleProcess = { role, label, child, pid: child.pid!, httpPort: 0, ports: {} };
  return new Promise<RoleProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`haetae run ${role} (${label}) printed no metrics port within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
    child.once('exit', (c, s) => { clearTimeout(timer); reject(new Error(`haetae run ${role} (${label}) exited (${c ?? s}) before it was listening`)); });
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      if (verbose) process.stderr.write(d);
      buffered = (buffered + d.toString()).slice(-4096);
      for (const m of buffered.matchAll(/listening for syslog on (udp|tcp):\/\/127\.0\.0\.1:(\d+)/g)) proc.ports[m[1] as 'udp' | 'tcp'] = Number(m[2]);
      const h = /metrics on http:\/\/127\.0\.0\.1:(\d+)/.exec(buffered);
      if (h) proc.httpPort = Number(h[1]);
      if (proc.httpPort && (role !== 'receiver' || (proc.ports.udp && proc.ports.tcp))) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(proc);
      }
    });
  });
}

/** SIGTERM (haetae drains and commits), SIGKILL if it has not exited within 15 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = new Promise((r) => setTimeout(() => r('timeout'), 15_000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Stops the receiver first (no more input), then the workers (they drain and commit), then the notifier. */
export async function stopRoles(procs: readonly RoleProcess[]): Promise<void> {
  for (const role of ['receiver', 'worker', 'notifier'] as const) await Promise.all(procs.filter((p) => p.role === role).map((p) => stopProcess(p.child)));
}

/** Polls `url` until it answers 200, up to `timeoutMs`; false if it never did. */
export async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const r = await fetch(url).catch(() => null);
    if (r?.status === 200) return true;
    await new Promise((res) => setTimeout(res, 500));
  }
  return false;
}

/** Partitions of `topic` each member of `group` holds (decoded from its member assignment). */
export async function groupAssignment(admin: Admin, group: string, topic: string): Promise<{ state: string; members: number[][] }> {
  const g = (await admin.describeGroups([group])).groups[0];
  if (!g) return { state: 'Dead', members: [] };
  return {
    state: g.state,
    members: g.members.map((m) => {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    }),
  };
}

/**
 * Waits until `group` is Stable with `members` members that all hold a partition of `topic`, so
 * the clock measures ingest and not the rebalances of workers joining one after the other.
 */
export async function waitGroupStable(admin: Admin, group: string, topic: string, members: number, timeoutMs: number): Promise<number[][]> {
  const until = Date.now() + timeoutMs;
  let last = { state: 'unknown', members: [] as number[][] };
  while (Date.now() < until) {
    last = await groupAssignment(admin, group, topic).catch(() => last);
    if (last.state === 'Stable' && last.members.length === members && last.members.every((p) => p.length > 0)) return last.members;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`consumer group ${group} did not settle with ${members} members each holding a partition of ${topic} within ${timeoutMs / 1000} s (last: ${last.state}, ${JSON.stringify(last.members)})`);
}

/**
 * Starts one notifier, `workers` workers and (once the worker group is stable and every worker is
 * ready) one receiver, all from `configFile`. On any failure the ones already started are stopped.
 */
export async function startRoles(cli: string, configFile: string, workers: number, admin: Admin, kafka: { consumerGroup: string; rawTopic: string }): Promise<RoleProcess[]> {
  const procs: RoleProcess[] = [];
  try {
    procs.push(await startRole(cli, configFile, 'notifier', 'notifier'));
    // One after the other: each joins, the group rebalances; the wait below sees the last one settle.
    for (let w = 1; w <= workers; w++) procs.push(await startRole(cli, configFile, 'worker', `worker-${w}`));
    for (const p of procs) {
      if (!(await waitReady(`http://127.0.0.1:${p.httpPort}/readyz`, 120_000))) throw new Error(`${p.label} did not become ready within 120 s`);
    }
    await waitGroupStable(admin, kafka.consumerGroup, kafka.rawTopic, workers, 120_000);
    procs.push(await startRole(cli, configFile, 'receiver', 'receiver'));
    const receiver = procs[procs.length - 1]!;
    if (!(await waitReady(`http://127.0.0.1:${receiver.httpPort}/readyz`, 60_000))) throw new Error('the receiver did not become ready within 60 s');
    return procs;
  } catch (err) {
    await stopRoles(procs);
    throw err;
  }
}

let clockTicks: number | null = null;
/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux x86 and arm64). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat utime + stime); null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** The whole machine's busy and total CPU seconds so far (/proc/stat, all cores), to show the contention. */
export function machineCpu(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.slice(0, 8).reduce((a, v) => a + v, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond(), total: total / ticksPerSecond() };
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) : null;
  } catch {
    return null;
  }
}
/** Resident set now (VmRSS), MiB. */
export function rssMiB(pid: number): number | null {
  const kb = statusKiB(pid, 'VmRSS');
  return kb === null ? null : kb / 1024;
}
/** Peak resident set since start or the last reset (VmHWM), MiB. */
export function peakRssMiB(pid: number): number | null {
  const kb = statusKiB(pid, 'VmHWM');
  return kb === null ? null : kb / 1024;
}
/** Resets VmHWM to the current RSS (Linux clear_refs, value 5). */
export function resetPeakRss(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** One sample of a metric from a Prometheus text exposition (the first series of that name), or null. */
export function metricValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

/** V8 heap in use (prom-client's default metrics, prefixed haetae_process_), MiB; null when not exposed. */
export function heapUsedMiB(metrics: string): number | null {
  const v = metricValue(metrics, 'haetae_process_nodejs_heap_size_used_bytes');
  return v === null ? null : v / 1048576;
}

export async function scrape(p: RoleProcess): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${p.httpPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return r.text();
}

/**
 * Records of `topic` that `group` has not committed yet, summed over partitions (high watermark
 * minus committed offset; a partition the group has never committed counts from its low watermark).
 */
export async function consumerLag(admin: Admin, group: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
  const done = new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, e) => {
    const at = done.get(e.partition) ?? -1;
    return sum + Math.max(0, Number(e.high) - (at >= 0 ? at : Number(e.low)));
  }, 0);
}

/**
 * `count` loopback source addresses (127.0.1.x) whose keys spread as evenly as possible over
 * `partitions` partitions of the raw topic: the receiver keys each record by its sender's address
 * and the producer places it by murmur2 of the key, as kafkajs and the Java client do, so K
 * consecutive addresses could leave a partition (and so a worker) without input.
 */
export function balancedSources(count: number, partitions: number): string[] {
  const byPartition: string[][] = Array.from({ length: partitions }, () => []);
  for (let x = 1; x <= 254; x++) {
    const a = `127.0.1.${x}`;
    byPartition[partitionForKey(a, partitions)]!.push(a);
  }
  const out: string[] = [];
  for (let round = 0; out.length < count; round++) {
    let added = false;
    for (const list of byPartition) {
      if (out.length < count && list[round]) {
        out.push(list[round]!);
        added = true;
      }
    }
    if (!added) throw new Error(`only ${out.length} loopback sources available, ${count} asked`);
  }
  return out;
}

/**
 * Deletes the data streams under `pattern`. Where the distribution has no data stream delete API
 * (the integ-test one answers 405), each stream is rolled over and its previous backing indices —
 * every document written so far — are deleted: the stream stays, empty, on a fresh write index.
 */
export async function dropStreams(es: Client, pattern: string): Promise<string[]> {
  const notes: string[] = [];
  try {
    await es.indices.deleteDataStream({ name: pattern, expand_wildcards: 'all' });
    return notes;
  } catch (err) {
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status === 404) return notes;
    if (status !== 405 && status !== 400) return [`deleting ${pattern}: ${(err as Error).message}`];
  }
  let streams: Array<{ name: string; backing_indices: string[] }> = [];
  try {
    streams = (await es.indices.resolveIndex({ name: pattern, expand_wildcards: 'all' })).data_streams.map((s) => ({ name: s.name, backing_indices: [...s.backing_indices] }));
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode !== 404) notes.push(`listing ${pattern}: ${(err as Error).message}`);
  }
  for (const s of streams) {
    try {
      // Already empty (emptied at the end of the last run): a rollover would only churn indices.
      await es.indices.refresh({ index: s.name });
      if ((await es.count({ index: s.name })).count === 0) continue;
      await es.indices.rollover({ alias: s.name });
      await es.indices.delete({ index: s.backing_indices, ignore_unavailable: true });
    } catch (err) {
      notes.push(`emptying ${s.name}: ${(err as Error).message}`);
    }
  }
  return notes;
}
