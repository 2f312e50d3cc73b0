import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from '../../../connectors/kafka/murmur2';

// kafkajs' default partitioner is the Java client's (murmur2 over the key bytes): the receiver
// picks partitions itself with the 32-bit version, and a key must land where it always did.
const kafkajs = Partitioners.DefaultPartitioner();
const kafkajsPartition = (key: Buffer | string, partitions: number): number =>
  kafkajs({ topic: 't', partitionMetadata: Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })), message: { key, value: null } });

describe('murmur2 partitioning', () => {
  it('puts 5,000 random keys (0–40 bytes, strings and buffers) on the partition kafkajs would', () => {
    for (let i = 0; i < 5_000; i++) {
      const bytes = randomBytes(i % 41);
      const partitions = 1 + (i % 12);
      expect(partitionForKey(bytes, partitions)).toBe(kafkajsPartition(bytes, partitions));
      const text = `10.${i % 256}.${(i * 7) % 256}.${i % 97}`;
      expect(partitionForKey(text, partitions)).toBe(kafkajsPartition(text, partitions));
    }
  });

  it('hashes the empty key and multi-byte UTF-8 keys like kafkajs', () => {
    for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'héllo wörld', '::ffff:192.0.2.1', 'fe80::1%eth0']) {
      expect(partitionForKey(key, 1_000_003)).toBe(kafkajsPartition(key, 1_000_003));
    }
    expect(Number.isInteger(murmur2(Buffer.from('21')))).toBe(true);
  });
});
