/**
 * Event document ids come from the record's place in Kafka, so a replayed record gets the same id
 * and Elasticsearch answers 409 (already there) instead of storing a duplicate.
 */
export function eventDocumentId(topic: string, partition: number, offset: string): string {
  return `${topic}-${partition}-${offset}`;
}

/**
 * The document id of an event whose envelope carries a receiver-assigned id: the same for every
 * copy of the record Kafka may hold (a produce retry stores a message again at a new offset), so
 * a copy is refused by `create` like a replay. The id has a '.', so it never equals an
 * offset-derived id.
 */
export function envelopeDocumentId(topic: string, envelopeId: string): string {
  return `${topic}-${envelopeId}`;
}
