import type { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { ecsDynamicTemplates } from '../../pipeline/ecs/fields';
import { eventStreams } from './streams';
import { applyToExistingStream, planLifecycle, type LifecyclePlan, type LifecycleSettings } from './lifecycle';

type Properties = Record<string, estypes.MappingProperty>;

/**
 * Lucene refuses a term over 32,766 UTF-8 bytes, and Elasticsearch then refuses the whole document:
 * one sender-made long value would keep its event out of search. Every indexed string field
 * therefore has an `ignore_above`, counted in UTF-16 units: one unit is at most 3 UTF-8 bytes (a
 * 4-byte character is two units), so 8,191 units are at most 24,573 bytes. Longer values stay in
 * _source; only their term is skipped. Plain keywords use 1,024, well inside the limit.
 */
const MAX_TERM_CHARS = 8191;
const keyword = (ignoreAbove = 1024): estypes.MappingProperty => ({ type: 'keyword', ignore_above: ignoreAbove });
const obj = (properties: Properties): estypes.MappingProperty => ({ properties });

/**
 * ECS mappings for the fields haetae writes. Only field types present in every Elasticsearch
 * distribution are used (no match_only_text, constant_keyword or wildcard, which the integ-test
 * distribution lacks), so the same template works on the local stack and on a default install.
 * Strings not listed here become keywords through the dynamic template.
 */
export function eventMappings(): estypes.MappingTypeMapping {
  return {
    // ECS fields first (by ECS's type, as decoders emit them), then every other string a keyword.
    dynamic_templates: [
      ...ecsDynamicTemplates(MAX_TERM_CHARS),
      { strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
    ],
    properties: {
      '@timestamp': { type: 'date' },
      message: { type: 'text' },
      tags: keyword(),
      ecs: obj({ version: keyword() }),
      event: obj({
        original: { type: 'keyword', index: false, doc_values: false },
        created: { type: 'date' },
        ingested: { type: 'date' },
        kind: keyword(),
        dataset: keyword(),
        module: keyword(),
        severity: { type: 'long' },
        sequence: { type: 'long' },
      }),
      log: obj({
        source: obj({ address: keyword(), port: { type: 'long' } }),
        syslog: obj({
          priority: { type: 'long' },
          facility: obj({ code: { type: 'long' }, name: keyword() }),
          severity: obj({ code: { type: 'long' }, name: keyword() }),
          version: keyword(),
          hostname: keyword(),
          appname: keyword(),
          procid: keyword(),
          msgid: keyword(),
          // SD-IDs and param names are sender-chosen: mapping them as dynamic objects would let
          // one chatty device explode the field count; 'flattened' indexes them as keywords of one field.
          // Its keyed terms are "SD-ID.param\0value"; the parser caps both names at 32 bytes
          // (RFC 5424 SD-NAME), so 8,191 units of value plus the key stay under the term limit.
          structured_data: { type: 'flattened', ignore_above: MAX_TERM_CHARS },
        }),
      }),
      host: obj({ hostname: keyword(), name: keyword() }),
      process: obj({ name: keyword(), pid: { type: 'long' } }),
      source: obj({ ip: { type: 'ip' }, port: { type: 'long' }, address: keyword() }),
      network: obj({ transport: keyword(), protocol: keyword() }),
      observer: obj({ hostname: keyword(), type: keyword(), ip: { type: 'ip' } }),
      agent: obj({ type: keyword(), name: keyword() }),
      // SNMP traps: one flattened field for the varbinds by name, whatever MIB objects devices send.
      snmp: obj({
        version: keyword(),
        pdu: keyword(),
        trap: obj({ oid: keyword(), name: keyword(), enterprise: keyword(), generic: { type: 'long' }, specific: { type: 'long' }, uptime: { type: 'long' } }),
        agent: obj({ address: keyword() }),
        security: obj({ user: keyword(), level: keyword() }),
        engine: obj({ id: keyword() }),
        varbinds: { type: 'flattened', ignore_above: MAX_TERM_CHARS },
        varbind: obj({ oid: keyword(), name: keyword(), type: keyword(), value: keyword(MAX_TERM_CHARS), label: keyword() }),
        unresolved: { type: 'long' },
      }),
      related: obj({ hosts: keyword(), ip: { type: 'ip' } }),
      haetae: obj({
        raw: obj({ topic: keyword(), partition: { type: 'long' }, offset: keyword() }),
        syslog: obj({ format: keyword(), framing: keyword(), transport: keyword(), timestamp_text: keyword(), clock: keyword(), repeat_count: { type: 'long' } }),
        // The HTTP input: what the sender structured (HEC fields, a JSON event) is its own; like
        // structured_data, one flattened field each, so no sender can explode or conflict the mapping.
        http: obj({
          endpoint: keyword(), token: keyword(), channel: keyword(), source: keyword(), sourcetype: keyword(), index: keyword(), user_agent: keyword(),
          fields: { type: 'flattened', ignore_above: MAX_TERM_CHARS },
          event: { type: 'flattened', ignore_above: MAX_TERM_CHARS },
        }),
        parse: obj({ error: obj({ code: keyword(), reason: { type: 'text' } }), warnings: keyword() }),
        original_base64: { type: 'binary' },
        truncated: obj({ original_length: { type: 'long' } }),
        time: obj({ original: { type: 'date' }, correction: keyword(), skew_ms: { type: 'long' }, zone: keyword() }),
        rules: keyword(),
        decoder: obj({ id: keyword(), error: { type: 'text' }, skipped: keyword() }),
      }),
    },
  };
}

export function alertMappings(): estypes.MappingTypeMapping {
  return {
    dynamic: 'strict',
    properties: {
      '@timestamp': { type: 'date' },
      message: { type: 'text' },
      alert: obj({
        id: keyword(),
        status: keyword(),
        severity: keyword(),
        created: { type: 'date' },
        group_key: keyword(),
        assignee: keyword(),
        acknowledged_at: { type: 'date' },
        resolved_at: { type: 'date' },
        window: obj({ start: { type: 'date' }, end: { type: 'date' } }),
        resolved_by: keyword(),
        kind: keyword(),
        value: { type: 'double' },
        dedup_key: keyword(),
        last_seen: { type: 'date' },
        reopened_by: keyword(),
        acknowledged_by: keyword(),
        // Who did what to the alert: searchable by actor and action ("what did I acknowledge").
        history: obj({ at: { type: 'date' }, actor: keyword(), via: keyword(), action: keyword(), from: keyword(), to: keyword(), assignee: keyword(), note: { type: 'text' } }),
        history_dropped: { type: 'long' },
      }),
      rule: obj({ id: keyword(), title: { type: 'text', fields: { keyword: keyword() } }, description: { type: 'text' }, level: keyword(), tags: keyword(), file: keyword(), channels: keyword() }),
      events: obj({ ids: keyword(), count: { type: 'long' }, index: keyword() }),
      host: obj({ hostname: keyword() }),
      source: obj({ ip: { type: 'ip' } }),
    },
  };
}

export function alertEventMappings(): estypes.MappingTypeMapping {
  return {
    dynamic: 'strict',
    properties: {
      '@timestamp': { type: 'date' },
      alert: obj({ id: keyword() }),
      rule: obj({ id: keyword() }),
      event: obj({ id: keyword() }),
    },
  };
}

async function ensureIndex(client: Client, index: string, mappings: estypes.MappingTypeMapping, replicas: number): Promise<void> {
  if (await client.indices.exists({ index })) {
    // Adding fields is allowed on an existing index: an upgrade brings its new fields along.
    await client.indices.putMapping({ index, ...mappings });
    // Replicas are a dynamic setting: a changed elasticsearch.replicas applies at the next start.
    await client.indices.putSettings({ index, settings: { number_of_replicas: replicas } });
    return;
  }
  try {
    await client.indices.create({ index, settings: { number_of_replicas: replicas }, mappings });
  } catch (err) {
    // Two workers starting together both see "missing"; the loser's error is harmless.
    if (!String((err as { message?: string }).message).includes('resource_already_exists_exception')) throw err;
  }
}

/**
 * A template applies to the next backing index only; an existing data stream keeps writing with
 * the mapping it was created with. Updatable changes (new fields, a new `ignore_above`) are put on
 * its write index now; a change the write index cannot take (a field's type) makes the stream
 * roll over lazily, so the next event lands in a backing index made from the new template.
 */
async function updateLiveStream(client: Client, dataStream: string): Promise<void> {
  try {
    await client.indices.putMapping({ index: dataStream, write_index_only: true, ...eventMappings() });
  } catch (err) {
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status === 404) return; // the stream is created, from the template, by its first event
    if (status !== 400) throw err;
    await client.indices.rollover({ alias: dataStream, lazy: true });
  }
}

/**
 * Installs (or updates) the events index template — a data stream — and creates the alerts index.
 * Priority 510 wins over the built-in `logs-*-*` template (priority 100) of the default
 * distribution, which would otherwise apply its own mappings (and LogsDB mode in 9.x).
 * Replicas (elasticsearch.replicas) and the lifecycle (elasticsearch.lifecycle: ILM where the
 * cluster has it, else a data stream lifecycle) go into the template and onto the existing
 * stream; the plan returned says which lifecycle applies.
 */
export async function ensureIndexTemplates(
  client: Client,
  names: { eventsDataStream: string; alertsIndex: string; alertEventsIndex?: string; replicas?: number; lifecycle?: LifecycleSettings },
): Promise<LifecyclePlan> {
  const replicas = names.replicas ?? 0;
  const streams = eventStreams(names.eventsDataStream);
  // One lifecycle policy for every family stream, named after the configured stream.
  const lifecycle = await planLifecycle(client, names.eventsDataStream, names.lifecycle);
  await removeLegacyTemplate(client, names.eventsDataStream, eventsTemplateName(names.eventsDataStream));
  await client.indices.putIndexTemplate({
    // One template per configuration (its family pattern), so two configurations on one cluster do not fight over it.
    name: eventsTemplateName(names.eventsDataStream),
    index_patterns: [...streams.patterns],
    data_stream: {},
    // Above the 500 of an older haetae's per-stream template, which may stay (see removeLegacyTemplate).
    priority: 510,
    template: {
      settings: { number_of_replicas: replicas, 'index.mapping.total_fields.limit': 2000, ...lifecycle.template.settings },
      mappings: eventMappings(),
      ...(lifecycle.template.lifecycle ? { lifecycle: lifecycle.template.lifecycle } : {}),
    },
    _meta: { managed_by: 'haetae', description: 'haetae normalized events (ECS), one data stream per dataset family' },
  });
  for (const stream of await existingStreams(client, streams.searchTarget)) {
    await updateLiveStream(client, stream);
    await applyToExistingStream(client, stream, replicas, lifecycle);
  }
  await ensureIndex(client, names.alertsIndex, alertMappings(), replicas);
  if (names.alertEventsIndex) await ensureIndex(client, names.alertEventsIndex, alertEventMappings(), replicas);
  return lifecycle;
}

/** The events index template's name: one per configured stream's family pattern. */
export function eventsTemplateName(eventsDataStream: string): string {
  const streams = eventStreams(eventsDataStream);
  return `haetae-events-${streams.patterns[streams.patterns.length - 1]!.replace(/\*/g, 'all')}`;
}

/**
 * Before per-family streams, the template was named after the configured stream and matched it
 * alone (priority 500). It is removed when nothing uses it; Elasticsearch keeps a template its
 * data stream was created from, and then it stays, shadowed by the family template's higher
 * priority (new backing indices, at the next rollover, follow the family template).
 */
async function removeLegacyTemplate(client: Client, eventsDataStream: string, current: string): Promise<void> {
  const legacy = `haetae-${eventsDataStream}`;
  if (legacy === current) return;
  try {
    const found = await client.indices.getIndexTemplate({ name: legacy });
    const meta = found.index_templates[0]?.index_template._meta as { managed_by?: string } | undefined;
    if (meta?.managed_by === 'haetae') await client.indices.deleteIndexTemplate({ name: legacy });
  } catch (err) {
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status !== 404 && status !== 400) throw err; // 400: in use by its data stream
  }
}

/** The data streams that exist under the events patterns (none before the first event). */
async function existingStreams(client: Client, target: string): Promise<string[]> {
  try {
    // resolve_index, not GET _data_stream, which the integ-test distribution lacks.
    const res = await client.indices.resolveIndex({ name: target, expand_wildcards: 'all' });
    return res.data_streams.map((s) => s.name);
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return [];
    throw err;
  }
}
