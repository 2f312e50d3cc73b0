import type { Command } from 'commander';
import { HaetaeError } from '../../pipeline/errors/catalog';
import { MAX_KEY_CHARS, MIN_KEY_CHARS, generateKey, hashKey } from '../../pipeline/api/keys';

/** `haetae api …`: what an administrator needs to set up the HTTP API. */
export function registerApiCommands(program: Command): void {
  const api = program.command('api').description('set up the HTTP API (haetae run api): hash API keys for api.keys');
  api
    .command('hash-key')
    .description('read an API key (stdin, or a prompt that does not echo) and print the scrypt$… hash to paste into api.keys')
    .option('--generate', 'make a new random key instead: the key is printed on stderr (give it to the client), the hash on stdout')
    .addHelpText('after', `
The key itself is never stored: the config holds its hash, with a name and a role.

Examples:
  haetae api hash-key --generate
  printf '%s' "$KEY" | haetae api hash-key

  # haetae.yaml
  api:
    keys:
      - { name: soar, role: analyst, hash: "scrypt$…" }`)
    .action(async (opts: { generate?: boolean }) => {
      let key: string;
      if (opts.generate) {
        key = generateKey();
        process.stderr.write(`key: ${key}\n(give this key to the client; it is not shown again)\n`);
      } else {
        key = process.stdin.isTTY ? await promptHidden('API key: ') : await readAll(process.stdin);
        key = key.replace(/\r?\n$/, '');
      }
      checkKey(key);
      process.stdout.write(`${await hashKey(key)}\n`);
    });
}

/** A key must be long enough not to be guessed, and printable (it travels in an HTTP header). */
export function checkKey(key: string): void {
  if (key.length < MIN_KEY_CHARS) throw new HaetaeError('HAETAE_USAGE', [`an API key needs at least ${MIN_KEY_CHARS} characters (this one has ${key.length}); haetae api hash-key --generate makes one`]);
  if (key.length > MAX_KEY_CHARS) throw new HaetaeError('HAETAE_USAGE', [`an API key has at most ${MAX_KEY_CHARS} characters`]);
  if (!/^[\x21-\x7e]+$/.test(key)) throw new HaetaeError('HAETAE_USAGE', ['an API key is printable ASCII without spaces (it is sent in an HTTP header)']);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error): void => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new HaetaeError('HAETAE_USAGE', ['interrupted']));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
