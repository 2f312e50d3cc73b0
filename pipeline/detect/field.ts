/**
 * Reads a dotted ECS field path from an event. Events are nested objects, but documents may also
 * carry flat dotted keys ("log.syslog.appname"); both are found.
 */
export function getField(event: unknown, path: string): unknown {
  if (event === null || typeof event !== 'object') return undefined;
  const obj = event as Record<string, unknown>;
  if (path in obj) return obj[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  // Try every split point so "a.b.c" finds {a: {b: {c}}}, {"a.b": {c}} and {a: {"b.c"}}.
  for (let i = dot; i >= 0; i = path.indexOf('.', i + 1)) {
    const head = path.slice(0, i);
    if (head in obj) {
      const found = getField(obj[head], path.slice(i + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
