/**
 * MIB store: load time of the shared MIB sets (../shared/data/mibs: net-snmp's IETF set,
 * ietf-extra, Cisco v2 and v1, plus the base MIBs) and the cost of resolve() — the worker calls it
 * once per varbind and once for the trap OID. 1M OIDs drawn from the loaded nodes, each with a
 * random instance suffix of 0–2 arcs (what varbinds carry), pre-built so only resolve() is timed;
 * then a 2,000-OID pool cycled 1M times (a worker batch: the strings are in cache).
 * One core, median of 5 runs. `npm run bench:mib`.
 */
import path from 'node:path';
import { loadMibs } from '../pipeline/snmp/mib/load';
import { heapMiB, median, mulberry32, printTable } from './report';

const MIBS = process.env.MIBS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'mibs');
const DIRS = ['net-snmp/mibs', 'ietf-extra', 'cisco-mibs/v2', 'cisco-mibs/v1'].map((d) => path.join(MIBS, d));
const N = 1_000_000;
const RUNS = 5;

let rnd = mulberry32(0x5eed);

function main(): void {
  const loads: number[] = [];
  let store = loadMibs({ dirs: DIRS });
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    store = loadMibs({ dirs: DIRS });
    loads.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const heap = heapMiB();
  const oids: string[] = new Array<string>(N);
  for (let i = 0; i < N; i++) {
    const node = store.nodes[Math.floor(rnd() * store.nodes.length)]!;
    const arcs = Math.floor(rnd() * 3);
    let oid = node.oid;
    for (let a = 0; a < arcs; a++) oid += `.${Math.floor(rnd() * 1000)}`;
    oids[i] = oid;
  }
  const times: number[] = [];
  let found = 0;
  for (let r = 0; r < RUNS; r++) {
    found = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (store.resolve(oids[i]!) !== null) found++;
    times.push(Number(process.hrtime.bigint() - t0) / N);
  }
  // The same calls over a pool of 2,000 OIDs (one worker batch, in cache) separate the trie walk
  // from the cache misses of touching 1M distinct strings.
  const pool = oids.slice(0, 2_000);
  const pooled: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (store.resolve(pool[i % 2_000]!) === null) found--;
    pooled.push(Number(process.hrtime.bigint() - t0) / N);
  }
  const r = store.report;
  printTable(`MIB store (${DIRS.length} dirs + base MIBs, median of ${RUNS} runs)`, ['measure', 'value'], [
    ['modules loaded', `${r.loaded} of ${r.total}`],
    ['OIDs', store.nodes.length],
    ['load + compile, ms', median(loads)],
    ['heap after load, MiB', heap],
    [`resolve(), ns per call (${N.toLocaleString('en-US')} OIDs)`, median(times)],
    ['resolve(), ns per call (pool of 2,000 OIDs)', median(pooled)],
    ['resolved', `${found} of ${N}`],
  ]);
}

main();
