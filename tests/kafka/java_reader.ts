/**
 * Reads a topic with Kafka's own Java console consumer (`scripts/kafka/broker.sh tools`, read_committed): the
 * broker's view of a log, independent of kafkajs and of Eddy's fetch handling, for tests that must not check a
 * kafkajs read with another kafkajs read (compacted logs).
 */

import { brokers } from "./helpers.ts";

/** A record as the Java consumer printed it. */
export interface JavaRecord {
  partition: number;
  offset: number;
  /** The key as text (absent when keys were not asked for). */
  key?: string;
  /** The value as text (absent when values were not asked for). */
  value?: string;
}

const BROKER_SH = new URL("../../scripts/kafka/broker.sh", import.meta.url).pathname;

/**
 * Every committed record of `topic` from the start, in each partition's offset order, read by the Java console
 * consumer until it sees nothing new for `idleMs`. Keys and values are printed only with `text` (they must be
 * UTF-8 text without tabs or line breaks then).
 */
export async function readWithJava(topic: string, options: { text?: boolean; idleMs?: number } = {}) {
  const text = options.text ?? false;
  const output = await new Deno.Command("bash", {
    args: [
      BROKER_SH,
      "tools",
      "org.apache.kafka.tools.consumer.ConsoleConsumer",
      "--bootstrap-server",
      brokers[0],
      "--topic",
      topic,
      "--from-beginning",
      "--isolation-level",
      "read_committed",
      "--timeout-ms",
      String(options.idleMs ?? 4_000),
      "--formatter-property",
      "print.partition=true",
      "--formatter-property",
      "print.offset=true",
      "--formatter-property",
      `print.key=${text}`,
      "--formatter-property",
      `print.value=${text}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  if (!/Processed a total of \d+ messages/.test(stderr)) {
    throw new Error(`the Java console consumer failed on ${topic}: ${stderr.slice(-2000)}`);
  }
  const records: JavaRecord[] = [];
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = /^Partition:(\d+)\tOffset:(\d+)(?:\t(.*)\t(.*))?$/.exec(line);
    if (match === null) continue;
    const record: JavaRecord = { partition: Number(match[1]), offset: Number(match[2]) };
    if (text) Object.assign(record, { key: match[3], value: match[4] });
    records.push(record);
  }
  return records.sort((a, b) => (a.partition - b.partition) || (a.offset - b.offset));
}
