/**
 * Kafka record headers and metadata as functions see them: `message.kafka` of a message that came from a Kafka ingress
 * (topic, partition, offset, timestamp, key and headers, read-only, its headers decoded only when first read), the
 * header values an egress record may carry, and the byte form the runtime keeps headers in.
 *
 * @module
 */

/** A header value as a function reads it: a string where the bytes are valid UTF-8, else the bytes. */
export type HeaderValue = string | Uint8Array;

/**
 * Headers as a function writes them on an egress record (`kafkaEgressMessage({ headers })`): a string (written as
 * UTF-8) or bytes per name; a list writes the header once per value, in order.
 */
export type OutgoingHeaders = Readonly<Record<string, HeaderValue | readonly HeaderValue[]>>;

/** Headers as the runtime holds them: the bytes per name, or each value's bytes in order for a repeated header. */
export type RawHeaders = Readonly<Record<string, Uint8Array | readonly Uint8Array[]>>;

/** What the runtime knows of an ingress record; `message.kafka` is made from it when a function first reads it. */
export interface KafkaRecordSource {
  /** The topic. */
  readonly topic: string;
  /** The partition. */
  readonly partition: number;
  /** The offset. */
  readonly offset: number;
  /** The record's timestamp, ms since the epoch (-1 when the producer set none). */
  readonly timestamp: number;
  /** Its headers. */
  readonly headers: RawHeaders;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** No headers (shared and frozen). */
export const NO_HEADERS: RawHeaders = Object.freeze({});

/**
 * A header's bytes as a function reads them: the string when they are valid UTF-8 (a byte-order mark kept), else a
 * copy of the bytes.
 *
 * @example
 * ```ts
 * decodeHeaderValue(new TextEncoder().encode("abc")); // "abc"
 * decodeHeaderValue(new Uint8Array([0xff, 0x00])); // Uint8Array [255, 0]
 * ```
 */
export function decodeHeaderValue(bytes: Uint8Array): HeaderValue {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return new Uint8Array(bytes);
  }
}

/**
 * Sets a header on an object of headers: an own property even for the name `__proto__` (a plain assignment would
 * set the object's prototype; header names come from records anyone may write).
 */
export function setHeader<T>(headers: Record<string, T>, name: string, value: T): void {
  if (name === "__proto__") {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  } else headers[name] = value;
}

/** Each header by name, decoded: a repeated header's last value. */
export function decodeHeaders(raw: RawHeaders): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value instanceof Uint8Array) setHeader(headers, name, decodeHeaderValue(value));
    else if (value.length > 0) setHeader(headers, name, decodeHeaderValue(value[value.length - 1]));
  }
  return headers;
}

/** Every value of a header, decoded, in the record's order; empty when the record has no such header. */
export function decodeHeaderValues(raw: RawHeaders, name: string): HeaderValue[] {
  if (!Object.hasOwn(raw, name)) return [];
  const value = raw[name];
  return value instanceof Uint8Array ? [decodeHeaderValue(value)] : value.map(decodeHeaderValue);
}

/**
 * The Kafka record a message came from, read-only: `message.kafka` of a message from a Kafka ingress (undefined for
 * messages from functions and timers).
 *
 * @example
 * ```ts
 * const text = (value: string) => new TextEncoder().encode(value);
 * const headers = { "x-trace": text("abc"), tag: [text("a"), new Uint8Array([0xff])] };
 * const kafka = new KafkaRecordMetadata({ topic: "names", partition: 0, offset: 7, timestamp: 0, headers }, "Ada");
 * kafka.headers["x-trace"]; // "abc"
 * kafka.headers.tag; // Uint8Array [255]: the last value, not UTF-8
 * kafka.headerValues("tag"); // ["a", Uint8Array [255]]
 * ```
 */
export class KafkaRecordMetadata {
  /** The topic. */
  readonly topic: string;
  /** The partition. */
  readonly partition: number;
  /** The offset. */
  readonly offset: number;
  /** The record's timestamp, ms since the epoch (CreateTime or LogAppendTime, as the topic says; -1: none). */
  readonly timestamp: number;
  /** The record's key as the string the address id came from (so the message's id), or null. */
  readonly key: string | null;
  readonly #raw: RawHeaders;
  #headers: Readonly<Record<string, HeaderValue>> | undefined;

  /**
   * Creates it; the headers are decoded when first read.
   *
   * @param source The record.
   * @param key Its key as text.
   */
  constructor(source: KafkaRecordSource, key: string | null) {
    this.topic = source.topic;
    this.partition = source.partition;
    this.offset = source.offset;
    this.timestamp = source.timestamp;
    this.key = key;
    this.#raw = source.headers;
    Object.freeze(this);
  }

  /**
   * The headers by name: a string where the value is valid UTF-8, else a Uint8Array; a repeated header's last value
   * (`headerValues` has them all). Decoded on first read; frozen.
   */
  get headers(): Readonly<Record<string, HeaderValue>> {
    return this.#headers ??= Object.freeze(decodeHeaders(this.#raw));
  }

  /** Every value of a header in the record's order, decoded as `headers` decodes them; [] when it has none. */
  headerValues(name: string): HeaderValue[] {
    return decodeHeaderValues(this.#raw, name);
  }
}
