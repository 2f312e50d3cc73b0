#!/usr/bin/env node
'use strict';
// Measures net-snmp's ModuleStore on ../shared/data/mibs for docs/decisions/0003-mib-parser.md.
// Fairest use: files in dependency order (IMPORTS read by regex), and after any failure the store
// is rebuilt from the files that succeeded (a failed Serialize poisons the store).
// Usage: node scripts/mib-netsnmp-measure.js   (SKIP=CISCO-PRODUCTS-MIB to leave out the slow one)
const snmp = require('net-snmp');
const fs = require('fs'), path = require('path');
const D = process.env.MIBS_DIR || require('path').resolve(__dirname, '..', '..', 'shared', 'data', 'mibs');
const dirs = [D+'/net-snmp/mibs', D+'/ietf-extra', D+'/cisco-mibs/v2', D+'/cisco-mibs/v1'];
const files = dirs.flatMap(d => fs.readdirSync(d).filter(f => /\.(txt|my|mib)$/.test(f)).map(f => path.join(d, f)));
const info = files.map(f => { const t = fs.readFileSync(f, 'latin1').replace(/--.*$/mg, ''); const name = (t.match(/([A-Za-z][\w-]*)\s+DEFINITIONS\s*::=/)||[])[1];
  const im = (t.match(/IMPORTS([\s\S]*?);/)||[])[1] || ''; const deps = [...im.matchAll(/FROM\s+([A-Za-z][\w-]*)/g)].map(m => m[1]); return { f, name, deps }; });
const byName = new Map(info.map(i => [i.name, i]));
const order = []; const seen = new Set();
const base = new Set(snmp.ModuleStore?.BASE_MODULES || ['RFC1155-SMI','RFC1158-MIB','RFC-1212','RFC1213-MIB','RFC-1215','SNMPv2-SMI','SNMPv2-CONF','SNMPv2-TC','SNMPv2-MIB']);
function visit(i, stack = new Set()) { if (seen.has(i.name) || stack.has(i.name)) return; stack.add(i.name); for (const d of i.deps) { const j = byName.get(d); if (j) visit(j, stack); } seen.add(i.name); order.push(i); }
for (const i of info) visit(i);
let logs = 0; const o = { log: console.log, error: console.error, warn: console.warn };
console.log = console.error = console.warn = () => { logs++; };
const t0 = process.hrtime.bigint();
let store = snmp.createModuleStore(); const ok = []; const failed = [];
const SKIP = new Set((process.env.SKIP || "").split(","));
for (const i of order) {
  if (SKIP.has(i.name)) { failed.push(i.name + ": skipped (hangs, see separate run)"); continue; }
  if (base.has(i.name)) { ok.push(i); continue; }
  if (process.env.PROGRESS) process.stderr.write(`${i.name} ${Date.now()}\n`);
  try { store.loadFromFile(i.f); ok.push(i); }
  catch (e) { failed.push(`${path.basename(i.f)}: ${e.message.slice(0, 120)}`); store = snmp.createModuleStore(); for (const j of ok) if (!base.has(j.name)) store.loadFromFile(j.f); }
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
Object.assign(console, o);
const mods = store.parser.Modules;
let partial = [];
for (const i of ok) { const mod = mods[i.name]; if (!mod) { partial.push(i.name + '(absent)'); continue; }
  const objs = Object.values(mod).filter(e => e && /OBJECT-TYPE|NOTIFICATION-TYPE|TRAP-TYPE/.test(e.MACRO||''));
  const noOid = objs.filter(e => !e.OID).length; if (noOid) partial.push(`${i.name}(${noOid}/${objs.length} without OID)`); }
console.log(JSON.stringify({ files: files.length, ok: ok.length, failed: failed.length, consoleLines: logs, ms: Math.round(ms), partial }, null, 1));
console.log(failed.join('\n'));
const t = store.translations.moduleToOid;
for (const k of ['IF-MIB::linkDown','IF-MIB::ifOperStatus','CISCO-CONFIG-MAN-MIB::ciscoConfigManEvent','CISCO-CONFIG-MAN-MIB::ccmHistoryEventConfigDestination','BGP4-MIB::bgpBackwardTransition','CISCO-GENERAL-TRAPS::reload','ENTITY-MIB::entConfigChange']) console.log(k, t[k]);
