import type { BoundListener, FrameSink, ListenerEvents, ListenerLimits, ListenerSpec } from '../syslog/listeners';

/** HTTP input (NDJSON and Splunk HEC). Placeholder until the HTTP listener lands. */
export function bindHttp(spec: ListenerSpec, _sink: FrameSink, _limits: ListenerLimits, _events: ListenerEvents): Promise<BoundListener> {
  return Promise.reject(new Error(`listener transport '${spec.transport}' is not available yet`));
}
