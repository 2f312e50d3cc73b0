import type { BoundListener, FrameSink, ListenerEvents, ListenerLimits, ListenerSpec } from '../syslog/listeners';

/** RELP (rsyslog's Reliable Event Logging Protocol). Placeholder until the RELP listener lands. */
export function bindRelp(spec: ListenerSpec, _sink: FrameSink, _limits: ListenerLimits, _events: ListenerEvents): Promise<BoundListener> {
  return Promise.reject(new Error(`listener transport '${spec.transport}' is not available yet`));
}
