import { HaetaeError } from '../errors/catalog';

/**
 * Environment overrides for connection settings and secrets, applied on top of the file before
 * validation. Only these variables are read; the table is also the documentation
 * (docs/configuration.md is generated from the same list by hand — keep them together).
 */
export const ENV_OVERRIDES: ReadonlyArray<{ name: string; path: readonly string[]; list?: boolean }> = [
  { name: 'HAETAE_KAFKA_BROKERS', path: ['kafka', 'brokers'], list: true },
  { name: 'HAETAE_ELASTICSEARCH_URL', path: ['elasticsearch', 'url'] },
  { name: 'HAETAE_ELASTICSEARCH_USERNAME', path: ['elasticsearch', 'username'] },
  { name: 'HAETAE_ELASTICSEARCH_PASSWORD', path: ['elasticsearch', 'password'] },
  { name: 'HAETAE_ELASTICSEARCH_API_KEY', path: ['elasticsearch', 'apiKey'] },
  { name: 'HAETAE_REDIS_URL', path: ['redis', 'url'] },
  { name: 'HAETAE_WEBHOOK_URL', path: ['notifier', 'webhook', 'url'] },
  { name: 'HAETAE_WEBHOOK_SECRET', path: ['notifier', 'webhook', 'secret'] },
  { name: 'HAETAE_LOG_LEVEL', path: ['log', 'level'] },
  { name: 'HAETAE_SNMP_COMMUNITIES', path: ['snmp', 'communities'], list: true },
];

export function applyEnvOverrides(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const { name, path, list } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = list ? raw.split(',').map((s) => s.trim()).filter(Boolean) : raw;
    if (list && (value as string[]).length === 0) {
      throw new HaetaeError('HAETAE_CONFIG_ENV', [name, 'expected a comma-separated list, got an empty one']);
    }
    setIn(target, path, value, name);
  }
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown, envName: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node[key] = {};
    else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new HaetaeError('HAETAE_CONFIG_ENV', [envName, `cannot set it because '${key}' in the config file is not a mapping`]);
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
