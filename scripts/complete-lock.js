#!/usr/bin/env node
'use strict';
// The npm registry our machines reach serves only the Linux builds of platform-specific optional
// packages (@swc/core-darwin-arm64 and friends answer 404), so `npm install` leaves them out of
// package-lock.json and `npm ci` then refuses the lock ("Missing: … from lock file") — on every
// machine, not only ours. This adds the missing entries the way a full registry would record them
// (version, os, cpu, optional), without integrity hashes. npm skips them on other platforms and
// resolves them normally where they apply. Run after `npm install` changes the lock.
const fs = require('node:fs');
const path = require('node:path');

const LOCK = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'sunos', 'aix', 'netbsd', 'wasi'];
const CPU = { arm64: 'arm64', aarch64: 'arm64', x64: 'x64', ia32: 'ia32', arm: 'arm', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', wasm32: 'wasm32', universal: null };

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpuPart = parts.find((p) => p in CPU);
  const libc = parts.some((p) => p === 'musl' || p.startsWith('musl')) ? 'musl' : parts.some((p) => p.startsWith('gnu')) ? 'glibc' : null;
  if (!os && !cpuPart) return null;
  const out = {};
  if (os) out.os = [os === 'wasi' ? 'wasi' : os];
  if (cpuPart && CPU[cpuPart]) out.cpu = [CPU[cpuPart]];
  if (os === 'linux' && libc) out.libc = [libc];
  return out;
}

let added = 0;
for (const [where, pkg] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    // Node resolution: the dependency may sit next to the parent or higher up.
    const candidates = [];
    let base = where;
    for (;;) {
      candidates.push(`${base ? `${base}/` : ''}node_modules/${dep}`);
      const idx = base.lastIndexOf('node_modules/');
      if (idx < 0) break;
      base = base.slice(0, idx).replace(/\/$/, '');
    }
    if (candidates.some((c) => packages[c])) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      console.error(`complete-lock: ${dep}@${spec} (from ${where || 'root'}) is not an exact version; add it by hand`);
      process.exitCode = 1;
      continue;
    }
    const platform = platformOf(dep);
    if (!platform) {
      console.error(`complete-lock: cannot tell the platform of ${dep}; add it by hand`);
      process.exitCode = 1;
      continue;
    }
    packages[`node_modules/${dep}`] = { version: spec, ...platform, optional: true };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} platform-specific optional entries`);
