import type { Redis } from 'ioredis';
import type { PartitionCheckpoint } from './partition';

/**
 * Correlator checkpoints in Redis: one hash per (consumer group, topic, partition) holding the
 * partition's state and the offset it covers, written in one command so they never disagree.
 * The write is refused when the stored offset is ahead — a correlator that lost its partition in
 * a rebalance and finishes a batch late cannot roll the new owner's checkpoint back.
 */
const SAVE_IF_NOT_BEHIND = `
local cur = redis.call('HGET', KEYS[1], 'next')
if cur and ARGV[1] ~= '' and tonumber(cur) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'next', ARGV[1], 'state', ARGV[2], 'saved', ARGV[3])
return 1
`;

export class CheckpointStore {
  constructor(private readonly redis: Redis, private readonly group: string, private readonly topic: string) {}

  key(partition: number): string {
    return `haetae:correlator:${this.group}:${this.topic}:${partition}`;
  }

  async load(partition: number): Promise<PartitionCheckpoint | null> {
    const state = await this.redis.hget(this.key(partition), 'state');
    if (state === null) return null;
    return JSON.parse(state) as PartitionCheckpoint;
  }

  /** Returns false when a newer checkpoint (a higher offset) is already stored. */
  async save(partition: number, cp: PartitionCheckpoint, now: Date): Promise<boolean> {
    const res = await this.redis.eval(SAVE_IF_NOT_BEHIND, 1, this.key(partition), cp.next ?? '', JSON.stringify(cp), now.toISOString());
    return res === 1;
  }

  async clear(partitions: readonly number[]): Promise<void> {
    if (partitions.length > 0) await this.redis.del(...partitions.map((p) => this.key(p)));
  }
}
