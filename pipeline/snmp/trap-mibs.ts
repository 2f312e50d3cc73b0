/**
 * The MIB store as the trap normalizer sees it (pipeline/normalize/snmp.ts TrapMibs): names by
 * longest-prefix OID resolution, values rendered by the resolved object's syntax.
 */
import type { TrapMibs } from '../normalize/snmp';
import { renderValue } from './mib/render';
import type { MibStore } from './mib/store';

export function trapMibs(store: MibStore): TrapMibs {
  const translate = (oid: string): string => store.translate(oid);
  return {
    name(oid) {
      const r = store.resolve(oid);
      return r ? { module: r.module, name: r.name, index: r.index } : null;
    },
    render(vb) {
      const r = store.resolve(vb.oid);
      if (!r) return null;
      const out = renderValue(r.node, { type: vb.type, value: vb.value ?? null }, translate);
      return { text: out.text, ...(out.label !== undefined ? { label: out.label } : {}) };
    },
  };
}
