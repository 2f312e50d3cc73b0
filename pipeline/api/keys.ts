import crypto from 'node:crypto';

/**
 * API keys: the config holds only `scrypt$<salt>$<hash>` per key (from `haetae api hash-key`);
 * a request's key is checked against every configured hash with crypto.timingSafeEqual. scrypt
 * is slow on purpose, so a key that verified once is remembered (by the SHA-256 of the key, never
 * the key itself) in a bounded in-memory cache, and a request pays for scrypt only the first time.
 */
export type ApiRole = 'viewer' | 'analyst' | 'admin';

export interface ApiKeyConfig {
  readonly name: string;
  readonly role: ApiRole;
  readonly hash: string;
}

export interface ApiPrincipal {
  name: string;
  role: ApiRole;
}

/** viewer < analyst < admin. */
export const ROLE_RANK: Record<ApiRole, number> = { viewer: 0, analyst: 1, admin: 2 };

/** scrypt cost: N=2^15, r=8, p=1 (32 MiB, tens of ms), 32-byte output, 16-byte salt. */
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** The shortest key `hash-key` accepts: a key is a password nobody types, so make it long. */
export const MIN_KEY_CHARS = 16;
/** The longest key a request may present (anything longer is refused before scrypt runs). */
export const MAX_KEY_CHARS = 512;

function scrypt(key: string, salt: Buffer, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => crypto.scrypt(key, salt, length, SCRYPT, (err, out) => (err ? reject(err) : resolve(out))));
}

/** The config line for a key: `scrypt$<salt base64>$<hash base64>`. */
export async function hashKey(key: string, salt: Buffer = crypto.randomBytes(SALT_BYTES)): Promise<string> {
  const hash = await scrypt(key, salt, KEY_BYTES);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A random key (43 URL-safe characters, 256 bits). */
export function generateKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}

const HASH = /^scrypt\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Whether `key` matches the stored `scrypt$…` hash (constant-time comparison). A malformed hash never matches. */
export async function verifyKey(key: string, stored: string): Promise<boolean> {
  const m = HASH.exec(stored);
  if (!m) return false;
  const salt = Buffer.from(m[1]!, 'base64');
  const expected = Buffer.from(m[2]!, 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scrypt(key, salt, expected.length);
  return crypto.timingSafeEqual(actual, expected);
}

/**
 * The configured keys, and which key a request presented. Verified keys are cached by SHA-256
 * (at most `cacheSize`, the least recently used dropped first); a wrong key is checked against
 * every hash each time it is presented (its cost is the attacker's, and nothing about it is kept).
 */
export class KeyRing {
  private readonly cache = new Map<string, ApiPrincipal>();

  constructor(private readonly keys: readonly ApiKeyConfig[], private readonly cacheSize = 1000) {}

  get size(): number {
    return this.keys.length;
  }

  async identify(key: string): Promise<ApiPrincipal | null> {
    if (key.length === 0 || key.length > MAX_KEY_CHARS || this.keys.length === 0) return null;
    const digest = crypto.createHash('sha256').update(key).digest('base64');
    const hit = this.cache.get(digest);
    if (hit) {
      this.cache.delete(digest);
      this.cache.set(digest, hit);
      return hit;
    }
    // Every hash is checked (no early exit), so the time taken does not say which key came close.
    const results = await Promise.all(this.keys.map((k) => verifyKey(key, k.hash)));
    const i = results.indexOf(true);
    if (i < 0) return null;
    const principal = { name: this.keys[i]!.name, role: this.keys[i]!.role };
    this.cache.set(digest, principal);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return principal;
  }
}
