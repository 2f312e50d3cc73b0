/**
 * RELP offers (the DATA of `open` and of its answer): LF-separated `name[=value[,value...]]`
 * lines (doc/relp.md, OFFERS). librelp's client sends, e.g.
 *   relp_version=0 LF relp_software=librelp,1.11.0,https://librelp.adiscon.com LF commands=syslog
 */

export type Offers = Map<string, string[]>;

/** Bounds that keep a hostile `open` from costing more than its (already bounded) DATA. */
const MAX_OFFERS = 64;

export function parseOffers(data: Buffer): Offers {
  const offers: Offers = new Map();
  for (const line of data.toString('utf8').split('\n')) {
    if (offers.size >= MAX_OFFERS) break;
    const l = line.replace(/\r$/, '');
    if (l === '') continue;
    const eq = l.indexOf('=');
    const name = (eq < 0 ? l : l.slice(0, eq)).trim();
    if (name === '') continue;
    const values = eq < 0 ? [] : l.slice(eq + 1).split(',').map((v) => v.trim()).filter((v) => v !== '');
    offers.set(name, values);
  }
  return offers;
}

/**
 * What the server accepts of a client's offers, or why the session cannot open. We speak RELP
 * version 0 (what librelp calls its current protocol version) and the `syslog` command only.
 */
export function answerOffers(offers: Offers, software: string): { ok: true; data: string } | { ok: false; reason: string } {
  const version = offers.get('relp_version');
  if (!version || version.length === 0 || !/^\d{1,9}$/.test(version[0]!)) {
    return { ok: false, reason: `its open offers no valid relp_version (got ${version ? `'${version.join(',')}'` : 'none'})` };
  }
  if (!(offers.get('commands') ?? []).includes('syslog')) {
    return { ok: false, reason: `its open does not offer commands=syslog (got ${offers.has('commands') ? `'${offers.get('commands')!.join(',')}'` : 'no commands offer'})` };
  }
  // librelp's server answers min(client, own) and its client refuses a higher version than its own.
  return { ok: true, data: `200 OK\nrelp_version=0\nrelp_software=${software}\ncommands=syslog` };
}
