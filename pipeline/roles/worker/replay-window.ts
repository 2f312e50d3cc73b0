/**
 * Which partitions' next chunk may repeat records that are already indexed. The worker commits
 * after every chunk, so a previous owner of a partition (a worker that crashed, or this one before
 * a rebalance) can have indexed at most the chunk after the committed offset. A new assignment
 * therefore opens a window per partition: each chunk is looked up across the data stream until
 * one holds nothing already stored; from there on the partition's records are new to the stream.
 * The window is usually one chunk, so the lookup costs one search per partition per assignment.
 */
export class ReplayWindow {
  private readonly settled = new Set<string>();

  /** The consumer (re)joined its group: any partition may now come from another owner. */
  reassigned(): void {
    this.settled.clear();
  }

  mayBeReplay(topic: string, partition: number): boolean {
    return !this.settled.has(`${topic}:${partition}`);
  }

  /** After a chunk is indexed: `replayed` of its events were already in Elasticsearch. */
  indexed(topic: string, partition: number, replayed: number): void {
    if (replayed === 0) this.settled.add(`${topic}:${partition}`);
  }
}
