import fs from 'node:fs';
import path from 'node:path';
import { cidrMatcher, parseCidr } from '../../detect/modifiers/cidr';

/** snmp.communities / snmp.users as configured (keys may still be in files). */
export interface CommunityConfig { community?: string; communityFile?: string; sources?: readonly string[] }
export interface UserConfig {
  name: string;
  level?: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: string;
  authKey?: string;
  authKeyFile?: string;
  privProtocol?: string;
  privKey?: string;
  privKeyFile?: string;
  sources?: readonly string[];
}

export interface ResolvedUser {
  name: string;
  level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol: string;
  authKey?: string;
  privProtocol: string;
  privKey?: string;
}

type SourceCheck = ((address: string) => boolean) | null;

/**
 * Who may send: communities and USM users with their keys read (files resolved against the
 * config's directory) and their source networks compiled once. Errors name the config key and
 * never the secret.
 */
export class SnmpAccess {
  readonly communities: string[] = [];
  readonly users: ResolvedUser[] = [];
  private readonly communitySources = new Map<string, SourceCheck>();
  private readonly userSources = new Map<string, SourceCheck>();

  constructor(communities: ReadonlyArray<string | CommunityConfig>, users: readonly UserConfig[], baseDir: string) {
    communities.forEach((c, i) => {
      const where = `snmp.communities[${i}]`;
      const entry: CommunityConfig = typeof c === 'string' ? { community: c } : c;
      if ((entry.community === undefined) === (entry.communityFile === undefined)) throw new RangeError(`${where}: give exactly one of community and communityFile`);
      const value = entry.community ?? readSecret(entry.communityFile!, baseDir, `${where}.communityFile`);
      const check = sourcesCheck(entry.sources, `${where}.sources`);
      // The same community listed twice: accepted from the union of its entries' sources.
      const prev = this.communitySources.get(value);
      if (prev === undefined) this.communities.push(value);
      this.communitySources.set(value, prev === undefined ? check : prev === null || check === null ? null : (a) => prev(a) || check(a));
    });
    users.forEach((u, i) => {
      const where = `snmp.users[${i}]`;
      if (this.userSources.has(u.name)) throw new RangeError(`${where}.name: user '${u.name}' is listed twice`);
      const level = u.level ?? 'authPriv';
      const user: ResolvedUser = { name: u.name, level, authProtocol: u.authProtocol ?? 'sha', privProtocol: u.privProtocol ?? 'aes' };
      if (level !== 'noAuthNoPriv') {
        const key = u.authKey ?? (u.authKeyFile ? readSecret(u.authKeyFile, baseDir, `${where}.authKeyFile`) : undefined);
        if (!key) throw new RangeError(`${where}: level ${level} needs authKey or authKeyFile`);
        if (key.length < 8) throw new RangeError(`${where}: the authentication passphrase must have at least 8 characters (RFC 3414)`);
        user.authKey = key;
      }
      if (level === 'authPriv') {
        const key = u.privKey ?? (u.privKeyFile ? readSecret(u.privKeyFile, baseDir, `${where}.privKeyFile`) : undefined);
        if (!key) throw new RangeError(`${where}: level authPriv needs privKey or privKeyFile`);
        if (key.length < 8) throw new RangeError(`${where}: the privacy passphrase must have at least 8 characters (RFC 3414)`);
        user.privKey = key;
      }
      this.users.push(user);
      this.userSources.set(u.name, sourcesCheck(u.sources, `${where}.sources`));
    });
  }

  /** Whether an accepted community may be used from `address`. */
  communityAllowedFrom(community: string, address: string): boolean {
    const check = this.communitySources.get(community);
    return check === null || (check !== undefined && check(address));
  }

  userAllowedFrom(user: string, address: string): boolean {
    const check = this.userSources.get(user);
    return check === null || (check !== undefined && check(address));
  }
}

function sourcesCheck(sources: readonly string[] | undefined, where: string): SourceCheck {
  if (!sources) return null;
  const matchers = sources.map((text, j) => {
    const net = parseCidr(text.trim());
    if (net === null) throw new RangeError(`${where}[${j}]: '${text}' is not an IP address or CIDR network`);
    return cidrMatcher(net);
  });
  return (address) => matchers.some((m) => m(address));
}

function readSecret(file: string, baseDir: string, where: string): string {
  try {
    const value = fs.readFileSync(path.resolve(baseDir, file), 'utf8').trim();
    if (value === '') throw new Error('the file is empty');
    return value;
  } catch (err) {
    throw new RangeError(`${where}: cannot read ${file}: ${(err as Error).message}`);
  }
}
