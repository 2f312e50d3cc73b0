import dns from 'node:dns';
import net from 'node:net';
import { Agent } from 'undici';
import { cidrMatcher, parseCidr, parseIp } from '../../pipeline/detect/modifiers/cidr';

/**
 * Where the notifier may connect (config notifier.outbound). A channel URL is configuration, but a
 * URL that leads to a cloud metadata service or a link-local address is how a webhook becomes a
 * server-side request forgery: those are denied unless listed in `allow`. Loopback and private
 * networks are allowed (self-hosted Jira and SMTP live there). The check runs on the addresses a
 * name resolves to, at connect time (so a DNS answer that changes between a check and the
 * connection cannot slip past it).
 */
export interface OutboundPolicy {
  allow: readonly string[];
  deny: readonly string[];
}

/** Denied unless allowed: link-local (with the AWS/GCP/Azure metadata address), AWS's IPv6 metadata, Alibaba's, "this network". */
export const DEFAULT_DENY = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32', '0.0.0.0/8', 'metadata.google.internal', 'metadata.goog'];

interface Compiled {
  nets: Array<(x: unknown) => boolean>;
  names: Set<string>;
}

function compile(entries: readonly string[], key: string): Compiled {
  const nets: Array<(x: unknown) => boolean> = [];
  const names = new Set<string>();
  for (const e of entries) {
    const n = parseCidr(e.trim());
    if (n) nets.push(cidrMatcher(n));
    else if (/^[a-z0-9.-]+$/i.test(e.trim())) names.add(e.trim().toLowerCase().replace(/\.$/, ''));
    else throw new Error(`${key}: '${e}' is neither an address, a network (CIDR) nor a host name`);
  }
  return { nets, names };
}

export class OutboundGuard {
  private readonly allow: Compiled;
  private readonly deny: Compiled;

  constructor(policy: OutboundPolicy) {
    this.allow = compile(policy.allow, 'notifier.outbound.allow');
    this.deny = compile([...DEFAULT_DENY, ...policy.deny], 'notifier.outbound.deny');
  }

  /** Why connecting to this host (a name, before resolving) is refused, or null. */
  refuseName(host: string): string | null {
    const h = host.toLowerCase().replace(/\.$/, '').replace(/^\[|\]$/g, '');
    if (this.allow.names.has(h)) return null;
    return this.deny.names.has(h) ? `${host} is denied (notifier.outbound)` : null;
  }

  /** Why connecting to this resolved address is refused, or null. */
  refuseAddress(address: string, host: string): string | null {
    const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    if (parseIp(a) === null) return `${a} is not an address`;
    if (this.allow.names.has(host.toLowerCase()) || this.allow.nets.some((m) => m(a))) return null;
    if (this.deny.nets.some((m) => m(a))) return `${host}${host === a ? '' : ` (${a})`} is in a denied network (link-local or cloud metadata; list it in notifier.outbound.allow to permit it)`;
    return null;
  }

  /** dns.lookup that refuses denied names and addresses: for undici's connect and for SMTP. */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void): void => {
    const byName = this.refuseName(hostname);
    if (byName) return callback(denied(byName), []);
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const why = this.refuseAddress(a.address, hostname);
        if (why) return callback(denied(why), []);
      }
      if (options.all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };

  /** Resolves and checks a host once (SMTP, whose client resolves on its own): throws when refused. */
  async check(host: string): Promise<void> {
    const byName = this.refuseName(host);
    if (byName) throw denied(byName);
    const list = net.isIP(host) ? [{ address: host }] : await dns.promises.lookup(host, { all: true });
    for (const a of list) {
      const why = this.refuseAddress(a.address, host);
      if (why) throw denied(why);
    }
  }

  /** An undici dispatcher whose connections go through the check. */
  dispatcher(): Agent {
    return new Agent({ connect: { lookup: this.lookup } });
  }
}

/** A refusal: code EOUTBOUNDDENIED, so delivery errors classify it as permanent. */
function denied(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: 'EOUTBOUNDDENIED' });
}
