import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import YAML from 'yaml';
import { HaetaeError, messageOf } from '../errors/catalog';
import { compileValidators, describeErrors, type HaetaeConfig } from '../../schemas/validators';
import { applyEnvOverrides } from './env';
import { checkMessageFitsKafka } from './kafka-limits';
import { timeZone } from '../time/zone';
import { SourceZones, type ZoneRuleConfig } from '../time/source-zones';
import { SenderMatch } from '../envelope/sender-match';
import { normalizeAddress } from '../envelope/envelope';
import type { AgentHostnames } from '../normalize/snmp';

/** The validated, defaulted, frozen configuration plus where it came from. */
export interface LoadedConfig {
  config: DeepReadonly<HaetaeConfig> & ResolvedDefaults;
  /** The file read, or null when running on defaults alone. */
  file: string | null;
  /** Directory relative paths in the config (rules) are resolved against. */
  baseDir: string;
}

type DeepReadonly<T> = T extends (infer U)[] ? ReadonlyArray<DeepReadonly<U>> : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * The schema fills every default, so these sections are always present after loading; the
 * generated type cannot know that, hence this refinement.
 */
type WorkerSection = NonNullable<HaetaeConfig['worker']>;
type ResolvedDefaults = {
  readonly [K in Exclude<keyof HaetaeConfig, 'notifier' | 'worker' | 'snmp'>]-?: DeepReadonly<Required<NonNullable<HaetaeConfig[K]>>>;
} & {
  /** Absent: no trap listener (the section has no default, so no port is opened unasked). */
  readonly snmp?: DeepReadonly<Required<Omit<NonNullable<HaetaeConfig['snmp']>, 'engineId'>>> & { readonly engineId?: string };
} & {
  readonly worker: DeepReadonly<Required<Omit<WorkerSection, 'correlation' | 'time' | 'syslog'>>> & {
    readonly correlation: DeepReadonly<Required<NonNullable<WorkerSection['correlation']>>>;
    readonly time: DeepReadonly<Required<NonNullable<WorkerSection['time']>>>;
    readonly syslog: DeepReadonly<Required<NonNullable<WorkerSection['syslog']>>>;
  };
} & {
  readonly notifier: DeepReadonly<Required<Omit<NonNullable<HaetaeConfig['notifier']>, 'webhook' | 'channels' | 'routes' | 'defaultChannels' | 'outbound'>>> & {
    readonly outbound: { readonly allow: readonly string[]; readonly deny: readonly string[] };
    readonly webhook?: DeepReadonly<NonNullable<NonNullable<HaetaeConfig['notifier']>['webhook']>>;
    readonly channels?: DeepReadonly<NonNullable<NonNullable<HaetaeConfig['notifier']>['channels']>>;
    readonly routes?: DeepReadonly<NonNullable<NonNullable<HaetaeConfig['notifier']>['routes']>>;
    readonly defaultChannels?: readonly string[];
  };
};

export interface LoadOptions {
  /** --config value; falls back to HAETAE_CONFIG, then ./haetae.yaml when it exists. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Reads, overrides, validates and freezes the config. Throws one HaetaeError naming the key. */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? env.HAETAE_CONFIG;
  const defaultFile = path.join(cwd, 'haetae.yaml');
  const file = explicit ? path.resolve(cwd, explicit) : fs.existsSync(defaultFile) ? defaultFile : null;

  const raw: Record<string, unknown> = file ? readYaml(file) : {};
  applyEnvOverrides(raw, env);
  const validators = compileValidators();
  if (!validators.config(raw)) {
    const [first, ...rest] = describeErrors(validators.config.errors);
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file ?? '(defaults)', `${first}${more}`], { errors: [first, ...rest] });
  }
  const config = raw as unknown as LoadedConfig['config'];
  checkTimeZones(config, file);
  try {
    agentHostnames(config);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file ?? '(defaults)', messageOf(err)]);
  }
  checkMessageFitsKafka(config.receiver.maxMessageBytes, config.kafka.maxBatchBytes, 'kafka.maxBatchBytes', file);
  resolveSecretFile(raw);
  return { config: deepFreeze(config), file, baseDir: file ? path.dirname(file) : cwd };
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_READ', [file, messageOf(err)]);
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : '';
    throw new HaetaeError('HAETAE_CONFIG_YAML', [file, `${at}${e.message.split('\n')[0]}`]);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file, '(top level): must be a mapping of sections (kafka, elasticsearch, ...)']);
  }
  return value as Record<string, unknown>;
}

/** Zone names and networks are checked here, so a typo stops start-up with the key it is under. */
function checkTimeZones(config: LoadedConfig['config'], file: string | null): void {
  const time = config.worker.time;
  try {
    timeZone(time.defaultZone);
  } catch (err) {
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file ?? '(defaults)', `/worker/time/defaultZone: ${messageOf(err)}`]);
  }
  try {
    new SourceZones(time.zones as ZoneRuleConfig[]);
    withoutHostname(config);
  } catch (err) {
    // The matchers name an entry as worker.time.zones[i].key; the config errors use JSON pointers.
    const message = messageOf(err).replace(/^worker\.(\w+)\.(\w+)\[(\d+)\]\.(\w+)(?:\[(\d+)\])?/, (_m, section: string, list: string, i: string, key: string, j?: string) => `/worker/${section}/${list}/${i}/${key}${j !== undefined ? `/${j}` : ''}`);
    throw new HaetaeError('HAETAE_CONFIG_INVALID', [file ?? '(defaults)', message]);
  }
}

/** The RFC 3164 senders configured as sending no hostname (worker.syslog.withoutHostname). */
export function withoutHostname(config: LoadedConfig['config']): SenderMatch<boolean> {
  return new SenderMatch(config.worker.syslog.withoutHostname.map((s) => ({ ...s, value: true })), false, 'worker.syslog.withoutHostname');
}

/**
 * snmp.agents as a lookup for the trap normalizer: exact IP address → host name, or null when none
 * are listed. Keys are canonicalized (IPv6 compressed lower-case, IPv4-mapped IPv6 as IPv4), the
 * form the receiver writes in envelopes; a key that is not an IP address, or two keys for the same
 * address, throw a RangeError naming the key as a JSON pointer.
 */
export function agentHostnames(config: LoadedConfig['config']): AgentHostnames | null {
  const entries = Object.entries(config.snmp?.agents ?? {});
  if (entries.length === 0) return null;
  const names = new Map<string, string>();
  for (const [key, name] of entries) {
    const where = `/snmp/agents/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const ip = canonicalIp(key.trim());
    if (ip === null) throw new RangeError(`${where}: '${key}' is not an IP address (list each agent by its exact address; networks are not supported)`);
    if (names.has(ip)) throw new RangeError(`${where}: ${ip} is listed twice`);
    names.set(ip, name);
  }
  return (address) => names.get(address) ?? (address.includes(':') ? names.get(canonicalIp(address) ?? address) : undefined);
}

function canonicalIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped && isIP(mapped[1]!) === 4) return mapped[1]!;
  try {
    return normalizeAddress(new URL(`http://[${text}]/`).hostname.slice(1, -1));
  } catch {
    return null;
  }
}

function resolveSecretFile(raw: Record<string, unknown>): void {
  const webhook = (raw.notifier as { webhook?: { secret?: string; secretFile?: string } } | undefined)?.webhook;
  if (!webhook?.secretFile || webhook.secret) return;
  try {
    webhook.secret = fs.readFileSync(webhook.secretFile, 'utf8').trim();
  } catch (err) {
    throw new HaetaeError('HAETAE_SECRET_FILE', [webhook.secretFile, messageOf(err)]);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
