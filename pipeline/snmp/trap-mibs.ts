/**
 * The MIB store as the trap normalizer sees it (pipeline/normalize/snmp.ts TrapMibs): names by
 * longest-prefix OID resolution, values rendered by the resolved object's syntax.
 */
import type { TrapMibs } from '../normalize/snmp';
import { renderValue } from './mib/render';
import type { MibStore } from './mib/store';
import type { Resolved } from './mib/types';

export function trapMibs(store: MibStore): TrapMibs {
  const translate = (oid: string): string => store.translate(oid);
  // The normalizer asks name(oid) then render() of the same varbind: resolve each OID once.
  let lastOid: string | null = null;
  let last: Resolved | null = null;
  const resolve = (oid: string): Resolved | null => {
    if (oid !== lastOid) {
      lastOid = oid;
      last = objectOf(store.resolve(oid));
    }
    return last;
  };
  return {
    name(oid) {
      const r = resolve(oid);
      return r ? { module: r.module, name: r.name, index: r.index } : null;
    },
    render(vb) {
      const r = resolve(vb.oid);
      if (!r) return null;
      const out = renderValue(r.node, { type: vb.type, value: vb.value ?? null }, translate);
      return { text: out.text, ...(out.label !== undefined ? { label: out.label } : {}) };
    },
  };
}

/**
 * A longest-prefix match names an OID only when it is the node itself or an instance of a scalar
 * or column. An OID further under a registration node (enterprises, a vendor's subtree) or under a
 * table or row is an object no loaded MIB defines: it stays numeric and is counted as unresolved,
 * instead of every unknown vendor varbind being called `enterprises`.
 */
function objectOf(r: Resolved | null): Resolved | null {
  if (!r || r.index === '') return r;
  return r.node.kind === 'object-type' && !/^SEQUENCE/.test(r.node.syntax?.base ?? '') ? r : null;
}
