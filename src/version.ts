/**
 * Eddy's version, and the StateFun version whose specs and protocol it follows.
 *
 * @module
 */

/** Eddy's version. */
export const VERSION = "0.1.0";

/** The Apache Flink Stateful Functions release Eddy is compatible with. */
export const STATEFUN_VERSION = "3.3";
