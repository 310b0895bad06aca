/**
 * Egress records outside a task's transaction: at-least-once egresses (and every egress under the at-least-once
 * processing guarantee) are written and awaited before the task commits; delivery `none` is written without waiting,
 * chained so records keep their order. One idempotent producer per egress, made on first use.
 *
 * @module
 */

import type { EgressRecord } from "./egress_router.ts";
import { describeError, type Logger } from "./logger.ts";
import type { AppKafka, OutgoingRecord, RecordWriter } from "./ports.ts";

/** The producers of an app's egresses outside transactions, with their failed writes. */
export class EgressSinks {
  readonly #kafka: AppKafka;
  readonly #writers = new Map<string, Promise<RecordWriter>>();
  readonly #errors = new Map<string, number>();
  #fireAndForget: Promise<void> = Promise.resolve();

  /** @param kafka Where producers come from. */
  constructor(kafka: AppKafka) {
    this.#kafka = kafka;
  }

  /** The producer of an egress (by id), or of the app's own records under at-least-once (`""`). */
  writer(egressId: string): Promise<RecordWriter> {
    let writer = this.#writers.get(egressId);
    if (writer === undefined) {
      writer = this.#kafka.recordWriter(egressId);
      this.#writers.set(egressId, writer);
      writer.catch(() => this.#writers.delete(egressId)); // a failed connect is tried again next time
    }
    return writer;
  }

  /** Failed writes per egress id. */
  errors(egressId: string): number {
    return this.#errors.get(egressId) ?? 0;
  }

  /** Writes records and resolves once every broker acknowledged them. */
  async sendAndWait(records: EgressRecord[]): Promise<void> {
    const byEgress = new Map<string, OutgoingRecord[]>();
    for (const { egress, record } of records) {
      const batch = byEgress.get(egress.id);
      if (batch === undefined) byEgress.set(egress.id, [record]);
      else batch.push(record);
    }
    try {
      await Promise.all([...byEgress].map(async ([id, batch]) => (await this.writer(id)).send(batch)));
    } catch (error) {
      for (const id of new Set(records.map(({ egress }) => egress.id))) {
        this.#errors.set(id, (this.#errors.get(id) ?? 0) + 1);
      }
      throw error;
    }
  }

  /** Writes records without waiting (delivery `none`): not awaited by any commit, but chained, so in order. */
  sendAndForget(records: EgressRecord[], log: Logger): void {
    this.#fireAndForget = this.#fireAndForget.then(() => this.sendAndWait(records)).catch((error) =>
      log.warn(`a record for an egress with delivery none was not written: ${describeError(error)}`)
    );
  }

  /** Waits for records still being written without waiting, then disconnects every producer. */
  async close(): Promise<void> {
    await this.#fireAndForget;
    for (const writer of this.#writers.values()) await writer.then((w) => w.disconnect()).catch(() => {});
  }
}
