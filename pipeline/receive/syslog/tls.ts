import type { BoundListener, FrameSink, ListenerEvents, ListenerLimits, ListenerSpec } from './listeners';

/** Syslog over TLS (RFC 5425). Placeholder until the TLS listener lands. */
export function bindTls(spec: ListenerSpec, _sink: FrameSink, _limits: ListenerLimits, _events: ListenerEvents): Promise<BoundListener> {
  return Promise.reject(new Error(`listener transport '${spec.transport}' is not available yet`));
}
