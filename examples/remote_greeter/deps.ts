/** The official StateFun JS SDK, pinned: the remote greeter's functions are written with it. */
export { kafkaEgressMessage, messageBuilder, StateFun } from "npm:apache-flink-statefun@3.3.0";
