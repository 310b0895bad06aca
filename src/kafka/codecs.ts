/**
 * Snappy, LZ4 and ZSTD for kafkajs, which only decodes gzip: without these a
 * record batch compressed by a Java producer crashes the consumer
 * (tests/kafka/codecs_test.ts). Eddy reads all three and produces gzip or
 * uncompressed records itself, so the codecs decompress only.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { lz4Decompress, snappy, zstdDecompress } from "../deps.ts";
import { CompressionCodecs, CompressionTypes } from "./kafkajs.ts";

// snappy-java's stream format, used by Kafka's Java client: a magic header, two versions, then
// length-prefixed snappy blocks.
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_LENGTH = 16;

/** Decompresses Kafka's snappy payloads: xerial-framed (Java) or a bare snappy block (librdkafka). */
export function snappyDecompress(input: Uint8Array): Uint8Array {
  if (!XERIAL_MAGIC.every((byte, index) => input[index] === byte)) return snappy.uncompress(input);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const blocks: Uint8Array[] = [];
  for (let offset = XERIAL_HEADER_LENGTH; offset < input.length;) {
    const length = view.getInt32(offset);
    offset += 4;
    blocks.push(snappy.uncompress(input.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(blocks);
}

function decompressOnly(name: string, decompress: (input: Uint8Array) => Uint8Array) {
  return () => ({
    compress(): Promise<Buffer> {
      return Promise.reject(new Error(`Eddy does not write ${name} batches; it writes gzip or uncompressed records`));
    },
    decompress(buffer: Buffer): Promise<Buffer> {
      return Promise.resolve(Buffer.from(decompress(new Uint8Array(buffer))));
    },
  });
}

/** Registers the snappy, LZ4 and ZSTD decompressors with kafkajs (process-wide; idempotent). */
export function registerCompressionCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = decompressOnly("snappy", snappyDecompress);
  CompressionCodecs[CompressionTypes.LZ4] = decompressOnly("lz4", (input) => lz4Decompress(input));
  CompressionCodecs[CompressionTypes.ZSTD] = decompressOnly("zstd", (input) => zstdDecompress(input));
}
