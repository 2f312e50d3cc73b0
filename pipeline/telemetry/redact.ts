/**
 * Text-level secret scrubbing, shared by the logger (every serialized line goes through it) and
 * by call sites that print a connection URL (redactUrl). Kept to string rewriting rather than
 * URL parsing so a URL is printed exactly as configured, minus the secret (`new URL()` would add
 * a trailing slash to `http://host:9200` and change what operators grep for).
 */

export const REDACTED = 'redacted';

/**
 * `scheme://userinfo@`. The greedy authority class cannot cross `/ ? #`, whitespace or a quote
 * (a JSON string ends at `"`), so backtracking stops at the LAST `@` of the authority: that is
 * where WHATWG URL and ioredis end the userinfo of `redis://:p@ss@host`.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]*)@/gi;

/** Query parameters whose value is a credential (webhook tokens, signed URLs, API keys). */
const SECRET_QUERY = /([?&](?:token|access_token|auth|key|api[_-]?key|apikey|secret|client_secret|signature|sig|password|passwd|pwd)=)[^&#\s"'<>]*/gi;

/**
 * JSON string values of secret-named keys at any depth. pino's `redact` paths cover the known
 * shapes cheaply; this catches the ones nobody listed (a config logged whole, nested options).
 */
const SECRET_JSON_KEY = /"(password|passwd|secret|apiKey|api_key|token|accessToken|access_token|authorization|privateKey|private_key)":"(?:[^"\\]|\\.)*"/gi;

/** Keeps the user, replaces the password; userinfo without a password is left alone. */
function scrubUserinfo(_m: string, scheme: string, userinfo: string): string {
  const colon = userinfo.indexOf(':');
  if (colon < 0) return `${scheme}${userinfo}@`;
  return `${scheme}${userinfo.slice(0, colon)}:${REDACTED}@`;
}

/** Removes URL passwords and secret query values from any text (a message, a whole log line). */
export function scrubSecrets(text: string): string {
  // Cheap guards first: most log lines have no URL and no query string, and these run per line.
  let out = text;
  if (out.includes('://') && out.includes('@')) out = out.replace(URL_USERINFO, scrubUserinfo);
  if (out.includes('=')) out = out.replace(SECRET_QUERY, `$1${REDACTED}`);
  return out;
}

/** scrubSecrets plus secret-named JSON keys; for a serialized JSON log line. */
export function scrubJsonLine(line: string): string {
  return scrubSecrets(line).replace(SECRET_JSON_KEY, `"$1":"[${REDACTED}]"`);
}

/** Replaces the password (redis://:pw@host) and secret query values of a URL before it is logged or printed. */
export function redactUrl(url: string): string {
  return scrubSecrets(url);
}
