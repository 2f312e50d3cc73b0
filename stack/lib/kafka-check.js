'use strict';
// Kafka health check for stack/stack.sh: `node kafka-check.js <brokers> [timeout-ms]`.
// Exits 0 and prints one line when a broker answers the Kafka protocol, 1 otherwise.
//
// An open TCP port is not enough: the broker accepts connections a moment before it has joined
// the KRaft quorum, and a port can be held by something that is not Kafka at all. So we ask for
// the cluster description with the project's own client (kafkajs), which is what the pipeline
// will do next. When node_modules is not installed yet (`stack up` before `npm ci`), we fall back
// to a raw ApiVersions request, which still proves a Kafka broker is answering.

const net = require('node:net');
const path = require('node:path');

const brokers = (process.argv[2] || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
const timeoutMs = Number(process.argv[3] || 3000);
const projectRoot = path.resolve(__dirname, '..', '..');

function fail(message) {
  process.stdout.write(`${message}\n`);
  process.exit(1);
}

// A hung broker must not hang the caller's polling loop.
setTimeout(() => fail(`no answer from ${brokers.join(',')} within ${timeoutMs} ms`), timeoutMs).unref();

function loadKafkajs() {
  try {
    return require(require.resolve('kafkajs', { paths: [projectRoot] }));
  } catch {
    return null;
  }
}

async function checkWithKafkajs(kafkajs) {
  const kafka = new kafkajs.Kafka({
    clientId: 'haetae-stack-check',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: Math.min(1000, timeoutMs),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (!cluster.brokers.length) fail('cluster answered but lists no brokers');
    return `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ApiVersions v0: int32 size, int16 api_key=18, int16 api_version=0, int32 correlation_id,
// string client_id. The answer starts with int32 size, int32 correlation_id, int16 error_code.
function checkWithApiVersions() {
  const [host, portText] = splitHostPort(brokers[0]);
  const clientId = Buffer.from('haetae-stack-check');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(0x4861, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);

  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(portText) });
    let received = Buffer.alloc(0);
    socket.on('connect', () => socket.write(Buffer.concat([size, body])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 10) return;
      socket.destroy();
      const correlationId = received.readInt32BE(4);
      const errorCode = received.readInt16BE(8);
      if (correlationId !== 0x4861) reject(new Error('answer is not a Kafka ApiVersions response'));
      else if (errorCode !== 0) reject(new Error(`ApiVersions error code ${errorCode}`));
      else resolve('broker answers ApiVersions (kafkajs not installed, cluster not described)');
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before an answer')));
  });
}

function splitHostPort(address) {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!match) fail(`bad broker address "${address}": expected host:port`);
  return [match[1], match[2]];
}

async function main() {
  const kafkajs = loadKafkajs();
  const detail = kafkajs ? await checkWithKafkajs(kafkajs) : await checkWithApiVersions();
  process.stdout.write(`${detail}\n`);
  process.exit(0);
}

main().catch((error) => fail(error && error.message ? error.message : String(error)));
