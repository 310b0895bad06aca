/**
 * Producers for egresses outside the task transaction: `at-least-once` (an
 * idempotent producer whose sends the runtime awaits before it commits the
 * task, so a crash can repeat a record but not lose one) and `none` (sent
 * without waiting). Records are split into requests the broker accepts.
 *
 * @module
 */

import { CompressionTypes, type Kafka, Partitioners, type Producer } from "./kafkajs.ts";
import type { OutgoingRecord, RecordWriter, WrittenOffsets } from "../runtime/ports.ts";
import { addWrittenOffsets, chunkRecords, toTopicMessages } from "./outgoing_records.ts";

/** Options of an egress producer. */
export interface EgressProducerOptions {
  /** Largest request (default 900 KiB). */
  maxRequestBytes?: number;
  /** Compress with gzip (`compression.type=gzip`). */
  gzip?: boolean;
}

/** An idempotent producer for one egress cluster. */
export class EgressProducer implements RecordWriter {
  readonly #producer: Producer;
  readonly #maxRequestBytes: number;
  readonly #compression: CompressionTypes;

  /** @param kafka The client for the egress's cluster. */
  constructor(kafka: Kafka, options: EgressProducerOptions = {}) {
    this.#producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.#maxRequestBytes = options.maxRequestBytes ?? 900 * 1024;
    this.#compression = options.gzip ? CompressionTypes.GZIP : CompressionTypes.None;
  }

  /** Connects. */
  async connect(): Promise<void> {
    await this.#producer.connect();
  }

  /** Disconnects. */
  async disconnect(): Promise<void> {
    await this.#producer.disconnect();
  }

  /**
   * Sends records in order and resolves when every broker acknowledged them
   * (acks=all); rejects with the first failure.
   */
  async send(records: readonly OutgoingRecord[]): Promise<WrittenOffsets> {
    const written = new Map<string, number>();
    for (const chunk of chunkRecords(records, this.#maxRequestBytes)) {
      const metadata = await this.#producer.sendBatch({
        acks: -1,
        compression: this.#compression,
        topicMessages: toTopicMessages(chunk),
      });
      addWrittenOffsets(written, chunk, metadata);
    }
    return written;
  }
}
