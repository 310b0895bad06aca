/**
 * Kafka's default partitioner for keyed records — murmur2 of the key bytes,
 * made positive, modulo the partition count — as Java producers and kafkajs
 * compute it. Eddy uses it to find the task that owns an address: the task of
 * an id is the partition a default-partitioned producer writes its key to.
 *
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`) of some bytes, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    case 3:
      h ^= data[tail + 2] << 16;
    // falls through
    case 2:
      h ^= data[tail + 1] << 8;
    // falls through
    case 1:
      h ^= data[tail];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition Kafka's default partitioner picks for a key among `partitions`.
 *
 * @example
 * ```ts
 * partitionOfKey(new TextEncoder().encode("Ada"), 8); // the same partition a Java producer picks
 * ```
 */
export function partitionOfKey(key: Uint8Array, partitions: number): number {
  // Java's toPositive: clear the sign bit (not Math.abs).
  return (murmur2(key) & 0x7fffffff) % partitions;
}
