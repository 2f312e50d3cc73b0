import eventSchema from '../../../schemas/event.schema.json';

/**
 * The event fields today's pipeline can carry: those of the event contract (schemas/event.schema.json)
 * — a dotted name for every leaf — plus `decoded`, the fields the shipped vendor decoders are seen
 * to produce on their samples (pipeline/decoders/shipped.ts). An object whose keys are open (log.syslog.structured_data) admits any
 * field below it. Used to tell a reachable field from one no event will ever hold.
 */
export interface EventFieldSet {
  has(field: string): boolean;
}

interface SchemaNode { properties?: Record<string, SchemaNode>; additionalProperties?: unknown; type?: unknown }

export function eventFieldSet(schema: SchemaNode = eventSchema as SchemaNode, decoded: Iterable<string> = []): EventFieldSet {
  const leaves = new Set<string>(decoded);
  const openPrefixes: string[] = [];
  const walk = (node: SchemaNode, prefix: string): void => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const name = prefix + key;
      leaves.add(name); // an object field can be tested with `exists`
      if (child.properties) walk(child, `${name}.`);
      if (child.additionalProperties !== undefined && child.additionalProperties !== false) openPrefixes.push(`${name}.`);
    }
  };
  walk(schema, '');
  return { has: (field) => leaves.has(field) || openPrefixes.some((p) => field.startsWith(p)) };
}
