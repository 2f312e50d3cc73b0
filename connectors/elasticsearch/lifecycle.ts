import { errors, type Client, type estypes } from '@elastic/elasticsearch';

/** elasticsearch.lifecycle in the config; the schema fills the defaults repeated here. */
export interface LifecycleSettings {
  /** Age after rollover at which a backing index is deleted; null keeps events forever. */
  retention?: string | null | undefined;
  rollover?: { maxAge?: string | undefined; maxPrimaryShardSize?: string | undefined } | undefined;
}

const DEFAULTS = { retention: '30d', maxAge: '1d', maxPrimaryShardSize: '50gb' } as const;

/**
 * Who rolls the events data stream over and expires it:
 * - `ilm`: the cluster has index lifecycle management; haetae's own policy (rollover by age and
 *   primary shard size, delete after the retention) is named in the template;
 * - `data stream lifecycle`: no ILM; the template carries the retention, and the cluster's data
 *   stream lifecycle rolls over by its own defaults (`cluster.lifecycle.default.rollover`: a
 *   template cannot set rollover conditions). The local integ-test distribution accepts the
 *   block but has no service running it: there, nothing rolls over or expires.
 */
export type LifecycleManager = 'ilm' | 'data stream lifecycle';

export interface LifecyclePlan {
  manager: LifecycleManager;
  /** The ILM policy the template names (ilm only). */
  policy?: string;
  retention: string | null;
  /** What goes into the index template. */
  template: { settings: Record<string, string>; lifecycle?: estypes.IndicesDataStreamLifecycle };
}

/** haetae's ILM policy for one events data stream. */
export function ilmPolicyName(dataStream: string): string {
  return `haetae-${dataStream}`;
}

export function ilmPolicy(settings: LifecycleSettings): estypes.IlmPolicy {
  const retention = settings.retention === undefined ? DEFAULTS.retention : settings.retention;
  return {
    _meta: { managed_by: 'haetae', description: 'haetae events: rollover and retention from elasticsearch.lifecycle' },
    phases: {
      hot: {
        actions: {
          rollover: {
            max_age: settings.rollover?.maxAge ?? DEFAULTS.maxAge,
            max_primary_shard_size: settings.rollover?.maxPrimaryShardSize ?? DEFAULTS.maxPrimaryShardSize,
          },
        },
      },
      ...(retention !== null ? { delete: { min_age: retention, actions: { delete: {} } } } : {}),
    },
  };
}

/**
 * Does the cluster run ILM? `GET /_ilm/status` answers 200 where it does; the integ-test
 * distribution answers 405 (no such endpoint), a cluster that forbids us to ask answers 403 —
 * either way we do not use it. A connection error is thrown (the caller retries).
 */
export async function hasIlm(client: Client): Promise<boolean> {
  try {
    await client.ilm.getStatus();
    return true;
  } catch (err) {
    if (err instanceof errors.ResponseError) return false;
    throw err;
  }
}

/** Decides the lifecycle and, with ILM, installs (or updates) haetae's policy for the stream. */
export async function planLifecycle(client: Client, dataStream: string, settings: LifecycleSettings = {}): Promise<LifecyclePlan> {
  const retention = settings.retention === undefined ? DEFAULTS.retention : settings.retention;
  if (await hasIlm(client)) {
    const policy = ilmPolicyName(dataStream);
    await client.ilm.putLifecycle({ name: policy, policy: ilmPolicy(settings) });
    return { manager: 'ilm', policy, retention, template: { settings: { 'index.lifecycle.name': policy } } };
  }
  return {
    manager: 'data stream lifecycle',
    retention,
    template: { settings: {}, lifecycle: { enabled: true, ...(retention !== null ? { data_retention: retention } : {}) } },
  };
}

/**
 * A template applies to backing indices created after it, so an existing stream is brought in
 * line too: replicas and the ILM policy are index settings of its backing indices; a data stream
 * lifecycle is set on the stream itself, through an API the integ-test distribution lacks (there
 * the template's block is all there is, applied to streams created after it).
 */
export async function applyToExistingStream(client: Client, dataStream: string, replicas: number, plan: LifecyclePlan): Promise<void> {
  await client.indices.putSettings({
    index: dataStream,
    ignore_unavailable: true,
    allow_no_indices: true,
    settings: { number_of_replicas: replicas, ...plan.template.settings },
  });
  if (plan.manager !== 'data stream lifecycle') return;
  try {
    await client.indices.putDataLifecycle({ name: dataStream, ...plan.template.lifecycle });
  } catch (err) {
    // 404: the stream does not exist yet (its first event creates it from the template);
    // 400/405: no data stream lifecycle API on this distribution.
    const status = err instanceof errors.ResponseError ? err.statusCode ?? 0 : 0;
    if (status !== 400 && status !== 404 && status !== 405) throw err;
  }
}
