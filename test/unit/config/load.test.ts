import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../pipeline/config/load';
import { HaetaeError } from '../../../pipeline/errors/catalog';
import { DEFAULT_MAX_BATCH_BYTES } from '../../../connectors/kafka/byte-bound';
import { errorOf, tmpConfig } from '../../support/config-files';

describe('configuration', () => {
  it('runs on complete defaults when there is no config file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-empty-'));
    const { config, file } = loadConfig({ cwd: dir, env: {} });
    expect(file).toBeNull();
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.rawTopic).toBe('haetae.raw');
    expect(config.receiver.listeners).toEqual([
      { transport: 'udp', host: '0.0.0.0', port: 5514 },
      { transport: 'tcp', host: '0.0.0.0', port: 5514 },
    ]);
    expect(config.receiver.maxMessageBytes).toBe(65536);
    expect(config.elasticsearch.eventsDataStream).toBe('logs-haetae.syslog-default');
  });

  it('defaults the event-time policy and names the key of a bad time zone or network', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haetae-empty-'));
    expect(loadConfig({ cwd: dir, env: {} }).config.worker.time).toEqual({ maxFutureMs: 300_000, maxPastMs: 604_800_000, defaultZone: 'UTC', zones: [] });
    const good = tmpConfig('worker:\n  time:\n    defaultZone: Europe/Berlin\n    zones:\n      - { sources: [198.51.100.0/24], zone: Asia/Seoul }\n');
    expect(loadConfig({ cwd: good.dir, env: {}, file: good.file }).config.worker.time.zones).toEqual([{ sources: ['198.51.100.0/24'], zone: 'Asia/Seoul' }]);
    const badZone = tmpConfig('worker:\n  time:\n    zones:\n      - { sources: [198.51.100.0/24], zone: Asia/Soul }\n');
    expect(errorOf(() => loadConfig({ cwd: badZone.dir, env: {}, file: badZone.file })).message).toBe(
      `config ${badZone.file}: /worker/time/zones/0/zone: time zone 'Asia/Soul' is not UTC, an offset like +09:00, or an IANA zone name like Asia/Seoul`,
    );
    const badNet = tmpConfig('worker:\n  time:\n    zones:\n      - { sources: [198.51.100.0/33], zone: UTC }\n');
    expect(errorOf(() => loadConfig({ cwd: badNet.dir, env: {}, file: badNet.file })).message).toContain('/worker/time/zones/0/sources/0: \'198.51.100.0/33\' is not an IP address or CIDR network');
    const badHostless = tmpConfig('worker:\n  syslog:\n    withoutHostname:\n      - { listeners: [5516] }\n      - { sources: [not-an-ip] }\n');
    expect(errorOf(() => loadConfig({ cwd: badHostless.dir, env: {}, file: badHostless.file })).message).toContain("/worker/syslog/withoutHostname/1/sources/0: 'not-an-ip' is not an IP address or CIDR network");
    const badDefault = tmpConfig('worker:\n  time:\n    defaultZone: Local\n');
    expect(errorOf(() => loadConfig({ cwd: badDefault.dir, env: {}, file: badDefault.file })).message).toContain('/worker/time/defaultZone: time zone \'Local\'');
  });

  it('returns a frozen config', () => {
    const { config } = loadConfig({ cwd: os.tmpdir(), env: {}, file: tmpConfig('kafka:\n  clientId: x\n').file });
    expect(Object.isFrozen(config.kafka)).toBe(true);
    expect(() => { (config.kafka.brokers as string[]).push('x:1'); }).toThrow();
  });

  it('lets environment variables override connection settings', () => {
    const { file } = tmpConfig('elasticsearch:\n  url: http://es.example:9200\n');
    const { config } = loadConfig({ file, env: { HAETAE_ELASTICSEARCH_URL: 'http://127.0.0.2:9200', HAETAE_KAFKA_BROKERS: 'k1:9092, k2:9092', HAETAE_WEBHOOK_SECRET: 's3cret-s3cret-s3cret' } });
    expect(config.elasticsearch.url).toBe('http://127.0.0.2:9200');
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.notifier.webhook?.secret).toBe('s3cret-s3cret-s3cret');
  });

  it('names an unknown key in one line', () => {
    const { file } = tmpConfig('kafka:\n  bootstrap: x\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('HAETAE_CONFIG_INVALID');
    expect(err.message).toBe(`config ${file}: /kafka: unknown key 'bootstrap'`);
  });

  it('names a key with a wrong type or value', () => {
    const { file } = tmpConfig('receiver:\n  maxMessageBytes: lots\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).message).toBe(`config ${file}: /receiver/maxMessageBytes: must be integer`);
    const bad = tmpConfig('log:\n  level: loud\n');
    expect(errorOf(() => loadConfig({ file: bad.file, env: {} })).message).toContain('/log/level: must be equal to one of the allowed values (fatal, error, warn, info, debug, trace, silent)');
  });

  it('reports YAML syntax errors with line and column', () => {
    const { file } = tmpConfig('kafka:\n  brokers: [a:1\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('HAETAE_CONFIG_YAML');
    expect(err.message).toMatch(new RegExp(`^config file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML: line \\d+, column \\d+: `));
  });

  it('says which environment variable is wrong', () => {
    const err = errorOf(() => loadConfig({ cwd: os.tmpdir(), env: { HAETAE_KAFKA_BROKERS: 'not a broker' } }));
    expect(err.message).toContain("/kafka/brokers/0: must match pattern");
  });

  it('reports a missing config file', () => {
    const err = errorOf(() => loadConfig({ file: '/nonexistent/haetae.yaml', env: {} }));
    expect(err.code).toBe('HAETAE_CONFIG_READ');
    expect(err.message).toContain('/nonexistent/haetae.yaml');
  });

  it('reads the webhook secret from a file', () => {
    const { dir } = tmpConfig('');
    fs.writeFileSync(path.join(dir, 'secret'), 'from-a-file-0123456789\n');
    const { file } = tmpConfig(`notifier:\n  webhook:\n    url: http://127.0.0.1:1/hook\n    secretFile: ${path.join(dir, 'secret')}\n`);
    expect(loadConfig({ file, env: {} }).config.notifier.webhook?.secret).toBe('from-a-file-0123456789');
  });

  it('refuses a receiver.maxMessageBytes whose envelope Kafka could not take, naming the key and the most that fits', () => {
    expect(loadConfig({ cwd: os.tmpdir(), env: {}, file: tmpConfig('').file }).config.kafka.maxBatchBytes).toBe(DEFAULT_MAX_BATCH_BYTES);
    const { file } = tmpConfig('receiver:\n  maxMessageBytes: 16777216\n');
    const err = errorOf(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('HAETAE_CONFIG_INVALID');
    expect(err.message).toBe(`config ${file}: /receiver/maxMessageBytes: 16777216 bytes make Kafka records of up to 22370648 bytes (the message travels in base64), over kafka.maxBatchBytes (921600); set it to at most 690432, or raise that limit`);
    // The largest value that fits is accepted, and raising kafka.maxBatchBytes makes room for more.
    expect(() => loadConfig({ file: tmpConfig('receiver:\n  maxMessageBytes: 690432\n').file, env: {} })).not.toThrow();
    expect(() => loadConfig({ file: tmpConfig('receiver:\n  maxMessageBytes: 690433\n').file, env: {} })).toThrow(HaetaeError);
    expect(() => loadConfig({ file: tmpConfig('kafka:\n  maxBatchBytes: 4000000\nreceiver:\n  maxMessageBytes: 2000000\n').file, env: {} })).not.toThrow();
  });

  it('accepts the shipped haetae.yaml', () => {
    const shipped = path.join(__dirname, '..', '..', '..', 'haetae.yaml');
    expect(() => loadConfig({ file: shipped, env: {} })).not.toThrow();
  });
});
