/**
 * The HTTP input's accepted tokens (listener `tokensFile`). One token a line; `#` starts a
 * comment line; blank lines are skipped. A line is `name:token`, `name token` (any spaces or
 * tabs) or a bare `token` (then named `line<N>`). The name — never the token — is what events
 * carry (haetae.http.token) and logs show. Tokens are 8–256 printable characters without spaces.
 *
 * The file is re-read when it changes (polled every 2 s: survives editors' and secret managers'
 * rename-into-place); a change that leaves it unreadable or empty keeps the previous tokens and
 * is reported. At start-up a missing or empty file is an error.
 */
import fs from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { HaetaeError } from '../../errors/catalog';
import { pollFiles } from '../file-poll';

export interface TokenSet {
  /** The token's name, or null when the token is not accepted. */
  nameOf(token: string): string | null;
  readonly size: number;
}

const TOKEN = /^[\x21-\x7e]{8,256}$/;
const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Parses a tokens file's text; throws HAETAE_HTTP_TOKENS naming the line on a bad one. */
export function parseTokens(text: string, file: string): TokenSet {
  /** sha256(token) hex → [digest, name]: lookups never compare the token itself byte by byte. */
  const byHash = new Map<string, { d: Buffer; name: string }>();
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^\s:]+)(?::|\s+)(\S+)$/.exec(line);
    const [name, token] = m ? [m[1]!, m[2]!] : [`line${i + 1}`, line];
    if (!NAME.test(name)) throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, `line ${i + 1}: the name must be 1-64 letters, digits or _.@-`]);
    if (!TOKEN.test(token)) throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, `line ${i + 1}: a token must be 8-256 printable characters without spaces`]);
    if (names.has(name)) throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, `line ${i + 1}: the name '${name}' is used twice`]);
    const d = digest(token);
    if (byHash.has(d.toString('hex'))) throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, `line ${i + 1}: the token of '${name}' is listed twice`]);
    names.add(name);
    byHash.set(d.toString('hex'), { d, name });
  });
  if (byHash.size === 0) throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, 'it lists no token (one a line: name:token)']);
  return {
    size: byHash.size,
    nameOf(token) {
      const d = digest(token);
      const hit = byHash.get(d.toString('hex'));
      return hit && timingSafeEqual(hit.d, d) ? hit.name : null;
    },
  };
}

export function readTokens(file: string): TokenSet {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new HaetaeError('HAETAE_HTTP_TOKENS', [file, (err as Error).message]);
  }
  return parseTokens(text, file);
}

/** The tokens, kept current as the file changes. `onReload` reports each reload (error: kept the old set). */
export function watchTokens(file: string, onReload: (err: Error | null, size: number) => void): { current(): TokenSet; close(): void } {
  let tokens = readTokens(file);
  const poll = pollFiles([file], 2_000, () => {
    try {
      tokens = readTokens(file);
      onReload(null, tokens.size);
    } catch (err) {
      onReload(err as Error, tokens.size);
    }
  });
  return { current: () => tokens, close: () => poll.stop() };
}
