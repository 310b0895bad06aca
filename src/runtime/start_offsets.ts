/**
 * Where an ingress partition starts: its committed offset once the app has
 * committed one (the committed offsets are the app's checkpoint), else the
 * ingress's startup position (the app's first start), with the
 * `autoOffsetResetPosition` fallback for a partition the position does not
 * cover or an offset outside the log.
 *
 * @module
 */

import type { StartupPosition } from "../spec/model.ts";

/** What Kafka says about one partition. */
export interface PartitionFacts {
  /** The group's committed offset, or -1. */
  committed: number;
  /** The first offset in the log. */
  low: number;
  /** The log-end offset. */
  high: number;
  /** For a `date` position: the first offset at or after the date, or -1 when there is none. */
  offsetForDate?: number;
}

/** The offset to start from, and why (for the log). */
export interface StartOffset {
  /** The offset. */
  offset: number;
  /** Why, e.g. `committed` or `startup position earliest`. */
  reason: string;
}

/**
 * The offset a partition starts from.
 *
 * @param position The ingress's startup position.
 * @param reset The ingress's `autoOffsetResetPosition`.
 */
export function startOffset(
  position: StartupPosition,
  reset: "earliest" | "latest",
  topic: string,
  partition: number,
  facts: PartitionFacts,
): StartOffset {
  const inRange = (offset: number) => offset >= facts.low && offset <= facts.high;
  const fallback = (why: string): StartOffset => ({
    offset: reset === "earliest" ? facts.low : facts.high,
    reason: `autoOffsetResetPosition ${reset} (${why})`,
  });
  if (facts.committed >= 0) {
    return inRange(facts.committed)
      ? { offset: facts.committed, reason: "committed" }
      : fallback(`committed offset ${facts.committed} is outside ${facts.low}..${facts.high}`);
  }
  switch (position.type) {
    case "earliest":
      return { offset: facts.low, reason: "startup position earliest" };
    case "latest":
      return { offset: facts.high, reason: "startup position latest" };
    case "group-offsets":
      return fallback("no committed offset for group-offsets");
    case "specific-offsets": {
      const entry = position.offsets.find((offset) => offset.topic === topic && offset.partition === partition);
      if (entry === undefined) return fallback("no specific offset for this partition");
      return inRange(entry.offset)
        ? { offset: entry.offset, reason: "startup position specific-offsets" }
        : fallback(`specific offset ${entry.offset} is outside ${facts.low}..${facts.high}`);
    }
    case "date":
      return facts.offsetForDate !== undefined && facts.offsetForDate >= 0
        ? { offset: facts.offsetForDate, reason: `startup position date ${position.date}` }
        : fallback(`no record at or after ${position.date}`);
  }
}
