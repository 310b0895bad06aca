package dev.eddy.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.statefun.flink.harness.Harness;

/**
 * StateFun 3.3 itself as a row of `deno task bench`: starts the real {@code StatefulFunctionsJob} on a local Flink
 * MiniCluster through StateFun's {@link Harness}, with the remote module read from a module.yaml file (the one Eddy's
 * remote rows run: an {@code io.statefun.endpoints.v2/http} endpoint, a Kafka ingress, an exactly-once Kafka egress).
 *
 * <p>Configuration as /work/shared/reference/statefun-anchor.md ran it: checkpoints every {@code <interval ms>},
 * exactly-once, the hashmap state backend, no restarts, parallelism {@code <parallelism>}; the MiniCluster's REST
 * endpoint on {@code <rest port>}, which this main polls, since Flink's job state turns RUNNING seconds before its
 * tasks do: it prints {@code eddy-bench: ready} once every task is RUNNING (the last "INITIALIZING to RUNNING"
 * transition, when it processes). On SIGTERM it prints {@code eddy-bench: stopped {json}}: the completed checkpoints
 * (each commits the egress's Kafka transactions) and their mean end-to-end duration, as last polled.
 *
 * <p>Usage: {@code StateFunRunner <module.yaml> <checkpoint interval ms> <parallelism> <rest port>}.
 */
public final class StateFunRunner {
  private static volatile long checkpoints = -1;
  private static volatile double meanCheckpointMs = Double.NaN;

  private StateFunRunner() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: StateFunRunner <module.yaml> <checkpoint interval ms> <parallelism> <rest port>");
      System.exit(2);
    }
    String module = args[0], interval = args[1] + "ms", restPort = args[3];
    int parallelism = Integer.parseInt(args[2]);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> announce("stopped {\"commits\":"
        + (checkpoints < 0 ? "null" : String.valueOf(checkpoints)) + ",\"meanCommitMs\":"
        + (Double.isNaN(meanCheckpointMs) ? "null" : String.valueOf(meanCheckpointMs)) + "}")));
    Thread poller = new Thread(() -> poll(restPort), "eddy-bench-poller");
    poller.setDaemon(true);
    poller.start();
    try {
      new Harness()
          .withConfiguration("statefun.remote.module-name", module)
          .withConfiguration("execution.checkpointing.interval", interval)
          .withConfiguration("execution.checkpointing.mode", "EXACTLY_ONCE")
          .withConfiguration("state.backend", "hashmap")
          .withConfiguration("restart-strategy", "none")
          .withConfiguration("rest.bind-address", "127.0.0.1")
          .withConfiguration("rest.address", "127.0.0.1")
          .withConfiguration("rest.bind-port", restPort)
          .withConfiguration("rest.port", restPort)
          .withParallelism(parallelism)
          .start();
    } catch (Exception error) {
      // The job ended by itself: it failed (restarts are off).
      error.printStackTrace();
      Runtime.getRuntime().halt(1);
    }
  }

  /** Polls the REST API: the tasks' states until all run, then the checkpoint counts, each second. */
  private static void poll(String port) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String base = "http://127.0.0.1:" + port;
    String job = null;
    boolean ready = false;
    while (true) {
      try {
        if (!ready) {
          String overview = get(client, base + "/jobs/overview");
          Matcher jid = Pattern.compile("\"jid\":\"([0-9a-f]+)\"").matcher(overview);
          long total = number(overview, "total"), running = number(overview, "running");
          if (jid.find() && total > 0 && running == total) {
            job = jid.group(1);
            ready = true;
            announce("ready");
          }
          Thread.sleep(100);
        } else {
          String stats = get(client, base + "/jobs/" + job + "/checkpoints");
          checkpoints = number(stats, "completed");
          Matcher avg = Pattern.compile("\"end_to_end_duration\":\\{[^}]*\"avg\":([0-9.]+)").matcher(stats);
          if (avg.find()) meanCheckpointMs = Double.parseDouble(avg.group(1));
          Thread.sleep(1000);
        }
      } catch (InterruptedException stop) {
        return;
      } catch (Exception notYet) {
        // the REST endpoint is not up yet, or the job is gone
        try {
          Thread.sleep(200);
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  private static String get(HttpClient client, String url) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The first {@code "key":<number>} in a JSON text, or -1. */
  private static long number(String json, String key) {
    Matcher matcher = Pattern.compile("\"" + key + "\":(\\d+)").matcher(json);
    return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
  }

  private static synchronized void announce(String event) {
    System.out.println("eddy-bench: " + event);
    System.out.flush();
  }
}
