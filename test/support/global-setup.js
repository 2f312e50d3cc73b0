'use strict';
// Integration and e2e tests need the real services. Bring the stack up when it is not running
// (the script reuses whatever already answers at the configured addresses) and fail the run,
// never skip it, when a service cannot be reached.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  if (globalThis.__haetaeStackChecked) return;
  globalThis.__haetaeStackChecked = true;
  const script = path.join(__dirname, '..', '..', 'stack', 'stack.sh');
  try {
    // The servers keep the real clock even when the tests run shifted (npm run test:shifted).
    const env = { ...process.env };
    for (const k of ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC', 'FAKETIME_NO_CACHE']) delete env[k];
    execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000, env });
  } catch (err) {
    throw new Error(`The test stack (Kafka, Elasticsearch, Redis) could not be started: ${err.message}`);
  }
};
