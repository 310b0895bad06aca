/**
 * Test-only packages. The official StateFun JS SDK serves as the oracle for
 * wire compatibility: what Eddy's SDK encodes must be byte-for-byte what it encodes.
 *
 * @module
 */

export * as officialSdk from "npm:apache-flink-statefun@3.3.0";

/** Property-based testing: the spec fuzz test (tests/spec/fuzz_test.ts) mutates real specs with it. */
export { default as fc } from "npm:fast-check@4.11.0";
