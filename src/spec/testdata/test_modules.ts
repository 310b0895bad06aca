/**
 * The module spec unit tests share: one Kafka ingress `t/in` (topic `in`, values `t/text`, to `t/counter`) on
 * 127.0.0.1:9092, in consumer group `app`; `properties` lines and further documents go after it.
 *
 * @module
 */

/** The ingress document, then `after` (indented `properties:` lines, or `---` and more documents). */
export function ingressModule(after = ""): string {
  return `kind: io.statefun.kafka.v1/ingress
spec:
  id: t/in
  address: 127.0.0.1:9092
  consumerGroupId: app
  topics:
    - topic: in
      valueType: t/text
      targets: [t/counter]
${after}`;
}
