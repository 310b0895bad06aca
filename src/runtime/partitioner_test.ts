import { equal } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { murmur2, partitionOfKey } from "./partitioner.ts";
import { Partitioners } from "../kafka/kafkajs.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("murmur2() gives Kafka's own test vectors (UtilsTest.testMurmur2)", () => {
  equal(murmur2(bytes("21")), -973932308);
  equal(murmur2(bytes("foobar")), -790332482);
  equal(murmur2(bytes("a-little-bit-long-string")), -985981536);
  equal(murmur2(bytes("a-little-bit-longer-string")), -1486304829);
  equal(murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  equal(murmur2(bytes("abc")), 479470107);
});

Deno.test("partitionOfKey() picks the partition kafkajs' default partitioner picks", () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 2, 3, 7, 8, 12, 100]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
      offlineReplicas: [],
    }));
    for (let i = 0; i < 500; i++) {
      const key = `key-${i}-${"é".repeat(i % 5)}-${i * 7919}`;
      const expected = partitioner({ topic: "t", partitionMetadata, message: { key: Buffer.from(key), value: null } });
      equal(partitionOfKey(bytes(key), partitions), expected, `${key} over ${partitions} partitions`);
    }
  }
  equal(partitionOfKey(new Uint8Array(), 8), partitionOfKey(bytes(""), 8), "an empty key is a key");
});
