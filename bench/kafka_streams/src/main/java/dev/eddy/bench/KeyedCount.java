package dev.eddy.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The keyed count of `deno task bench` on Kafka Streams, the same work as Eddy's count function: for each input
 * {@code {"name":…,"sentAt":…}} keyed by name, add one to the key's count in a state store and write
 * {@code {"name":…,"count":n,"sentAt":…}} (the input's send time carried through, for the end-to-end latency).
 *
 * <p>The store is in memory (Eddy keeps state in memory too), logged to its changelog topic and cached, so a commit
 * writes a key's last count once, as Eddy's commit does; the output goes out per input. One stream thread.
 *
 * <p>Usage: {@code KeyedCount <brokers> <input> <output> <application id> <exactly_once_v2|at_least_once> <state dir>}.
 * Prints {@code eddy-bench: ready} once the app is RUNNING and, on SIGTERM, {@code eddy-bench: stopped {json}} with
 * its commit count and mean commit latency after a clean close.
 */
public final class KeyedCount {
  private static final String STORE = "counts";

  private KeyedCount() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 6) {
      System.err.println("usage: KeyedCount <brokers> <input> <output> <application id> <guarantee> <state dir>");
      System.exit(2);
    }
    String brokers = args[0], input = args[1], output = args[2], applicationId = args[3], guarantee = args[4];
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.STATE_DIR_CONFIG, args[5]);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE), Serdes.String(), Serdes.Long())
            .withCachingEnabled());
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
        .process(Count::new, STORE)
        .to(output, Produced.with(Serdes.String(), Serdes.String()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch closed = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) announce("ready");
      if (now == KafkaStreams.State.ERROR) System.err.println("kafka streams: state ERROR");
    });
    streams.setUncaughtExceptionHandler(error -> {
      System.err.println("kafka streams: " + error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      String report = commitReport(streams);
      streams.close(Duration.ofSeconds(30));
      announce("stopped " + report);
      closed.countDown();
    }));
    streams.start();
    closed.await();
  }

  /** The stream thread's commits (each one transaction under exactly_once_v2) and their mean latency, as JSON. */
  private static String commitReport(KafkaStreams streams) {
    double commits = Double.NaN, latency = Double.NaN;
    for (Map.Entry<MetricName, ? extends Metric> entry : streams.metrics().entrySet()) {
      MetricName name = entry.getKey();
      if (!name.group().equals("stream-thread-metrics")) continue;
      Object value = entry.getValue().metricValue();
      if (!(value instanceof Double number)) continue;
      if (name.name().equals("commit-total")) commits = number;
      if (name.name().equals("commit-latency-avg")) latency = number;
    }
    return "{\"commits\":" + (Double.isNaN(commits) ? "null" : String.valueOf((long) commits))
        + ",\"meanCommitMs\":" + (Double.isNaN(latency) ? "null" : String.valueOf(latency)) + "}";
  }

  private static void announce(String event) {
    System.out.println("eddy-bench: " + event);
    System.out.flush();
  }

  /** Counts per key in the store and forwards one output per input. */
  private static final class Count implements Processor<String, String, String, String> {
    private ProcessorContext<String, String> context;
    private KeyValueStore<String, Long> counts;

    @Override
    public void init(ProcessorContext<String, String> context) {
      this.context = context;
      this.counts = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, String> record) {
      String name = record.key();
      Long previous = counts.get(name);
      long count = previous == null ? 1 : previous + 1;
      counts.put(name, count);
      String value = "{\"name\":\"" + name + "\",\"count\":" + count + ",\"sentAt\":" + sentAt(record.value()) + "}";
      context.forward(record.withValue(value));
    }

    /** The number after "sentAt": in the input's JSON (the bench writes it; no JSON library needed). */
    private static String sentAt(String json) {
      int at = json.indexOf("\"sentAt\":");
      if (at < 0) return "null";
      int start = at + 9, end = start;
      while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == '-')) end++;
      return json.substring(start, end);
    }
  }
}
