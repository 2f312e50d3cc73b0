/**
 * Event document ids come from the record's place in Kafka, so a replayed record gets the same id
 * and Elasticsearch answers 409 (already there) instead of storing a duplicate.
 */
export function eventDocumentId(topic: string, partition: number, offset: string): string {
  return `${topic}-${partition}-${offset}`;
}
