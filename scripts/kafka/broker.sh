#!/usr/bin/env bash
# The local Apache Kafka broker for development and tests: one KRaft node (broker + controller) on 127.0.0.1,
# run from the jars on Maven Central (scripts/kafka/pom.xml) with the machine's Java 17.
#
#   broker.sh start            resolve the jars (cached), format storage (once), start, wait until it serves
#   broker.sh stop             stop the broker this script started (by its PID)
#   broker.sh status           "running (pid N) at 127.0.0.1:9092" (exit 0) or "not running" (exit 1)
#   broker.sh tools CLASS ...  run one of Kafka's command-line tools, e.g.
#                              org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --describe --group g ...
#
# Listeners: PLAINTEXT on KAFKA_PORT (9092); for the security tests SASL_PLAINTEXT with SCRAM-SHA-256/512 on
# KAFKA_SASL_PORT (9094, users "eddy" / "eddy-secret" and "eddy-limited" / "eddy-limited-secret") and SSL on
# KAFKA_SSL_PORT (9095) with a certificate for 127.0.0.1 signed by a CA made on first start (<home>/tls/ca.pem).
#
# Authorization: KRaft's StandardAuthorizer checks ACLs. The PLAINTEXT and SSL listeners' principal (User:ANONYMOUS)
# and User:eddy are super users, so every test that does not ask for ACLs runs as before; User:eddy-limited has only
# the ACLs a test grants it (tests/runtime/acl_test.ts). KAFKA_AUTHORIZER=none starts the broker without one.
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_SASL_PORT (9094), KAFKA_SSL_PORT (9095),
# EDDY_KAFKA_HOME (<project>/.kafka: jars, data, logs), KAFKA_HEAP_OPTS (-Xms256m -Xmx768m), KAFKA_START_TIMEOUT (120 s),
# KAFKA_AUTHORIZER (standard | none), KAFKA_EXTRA_PROPERTIES (lines appended to server.properties, e.g.
# "transaction.max.timeout.ms=60000" for a broker of one's own: the tests assume the defaults).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=${EDDY_KAFKA_HOME:-$(cd "$here/../.." && pwd)/.kafka}
# Its real path: a worktree whose .kafka links to another checkout's uses that checkout's broker, and the broker's
# command line (which broker_pid checks) names the real path. Without this, `start` in such a worktree would take the
# running broker for stopped, truncate its log, fail to start a second one and delete the running one's pid file.
[ -d "$home" ] && home=$(cd "$home" && pwd -P)
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-9093}
sasl_port=${KAFKA_SASL_PORT:-9094}
ssl_port=${KAFKA_SSL_PORT:-9095}
tls=$home/tls
libs=$home/libs
pidfile=$home/broker.pid
log=$home/logs/server.log

die() { echo "broker.sh: $*" >&2; exit 1; }

# Copies the broker's runtime jars into .kafka/libs once per version of pom.xml.
resolve_jars() {
  local stamp
  stamp=$libs/.resolved-$(sha1sum "$here/pom.xml" | cut -c1-12)
  [ -f "$stamp" ] && return
  command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the Kafka jars from Maven Central (Debian: apt-get install maven)"
  echo "broker.sh: fetching Apache Kafka $(kafka_version) from Maven Central into $libs" >&2
  rm -rf "$libs"
  mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2 ||
    die "could not resolve the Kafka jars (see Maven's output above)"
  touch "$stamp"
}

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml"; }

# The PID of the broker this script started, if it still runs (the command line is checked against PID reuse).
# Paths compare resolved: checkouts that share one home through a symlink (.kafka -> ../main/.kafka) share its broker,
# whichever of them started it; a mismatch would start a second broker on the first one's data and port.
broker_pid() {
  local pid config
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -r "/proc/$pid/cmdline" ] || return 1
  config=$(tr '\0' '\n' <"/proc/$pid/cmdline" | grep -A1 -x kafka.Kafka | tail -n 1) || return 1
  [ -n "$config" ] && [ "$(readlink -f "$config")" = "$(readlink -f "$home/server.properties")" ] || return 1
  echo "$pid"
}

write_config() {
  mkdir -p "$home/logs" "$home/data"
  cat >"$home/server.properties" <<EOF
# Written by scripts/kafka/broker.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SSL://127.0.0.1:$ssl_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
# Secured listeners for the security tests: SCRAM users are added after start (add_scram_user).
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$tls/server.pem
listener.name.ssl.ssl.client.auth=none
log.dirs=$home/data
# One node: every internal topic has one replica.
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests join groups all the time: no delay before the first rebalance.
group.initial.rebalance.delay.ms=0
# Topics are created explicitly (as Eddy does for its internal topics); a typo must not create a topic.
auto.create.topics.enable=false
# The log cleaner looks for work every second (default 15 s), so compaction tests wait seconds, not minutes.
log.cleaner.backoff.ms=1000
$(authorizer_config)
${KAFKA_EXTRA_PROPERTIES:-}
EOF
  cat >"$home/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
EOF
  cat >"$home/tools-log4j2.properties" <<EOF
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
EOF
}

java_cmd() { java -cp "$libs/*" "$@"; }

# The authorizer's lines of server.properties (none with KAFKA_AUTHORIZER=none).
authorizer_config() {
  case "${KAFKA_AUTHORIZER:-standard}" in
  none) echo "# KAFKA_AUTHORIZER=none: no authorizer" ;;
  standard)
    echo "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    echo "super.users=User:ANONYMOUS;User:eddy"
    ;;
  *) die "KAFKA_AUTHORIZER must be standard or none (was ${KAFKA_AUTHORIZER})" ;;
  esac
}

# A CA and a server certificate for 127.0.0.1 (PEM, PKCS#8 key), made once.
make_tls() {
  [ -f "$tls/server.pem" ] && return
  command -v openssl >/dev/null || die "openssl is needed to make the test certificates (Debian: apt-get install openssl)"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=eddy-test-ca" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key.rsa" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/san.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
    -extfile "$tls/san.ext" -out "$tls/server.crt" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$tls/server.key.rsa" -out "$tls/server.key"
  cat "$tls/server.key" "$tls/server.crt" "$tls/ca.pem" >"$tls/server.pem"
}

# The SCRAM users of the security tests (idempotent): eddy (a super user) and eddy-limited (only granted ACLs).
add_scram_user() {
  local mechanism user
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    for user in eddy eddy-limited; do
      java_cmd -Dlog4j2.configurationFile="$home/tools-log4j2.properties" kafka.admin.ConfigCommand \
        --bootstrap-server "127.0.0.1:$port" --alter --entity-type users --entity-name "$user" \
        --add-config "$mechanism=[password=$user-secret]" >/dev/null
    done
  done
}

start() {
  local pid
  if pid=$(broker_pid); then
    echo "Kafka already running (pid $pid) at 127.0.0.1:$port"
    return
  fi
  command -v java >/dev/null || die "Java 17 is needed to run the Kafka broker (Debian: apt-get install openjdk-17-jre-headless)"
  resolve_jars
  write_config
  make_tls
  if [ ! -f "$home/data/meta.properties" ]; then
    java_cmd -Dlog4j2.configurationFile="$home/tools-log4j2.properties" kafka.tools.StorageTool format \
      -t "$(java_cmd kafka.tools.StorageTool random-uuid)" -c "$home/server.properties" >/dev/null
  fi
  : >"$log"
  # setsid: the broker outlives the shell that started it, until `broker.sh stop`.
  # shellcheck disable=SC2086
  setsid nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$home/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$home/server.properties" >"$home/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_until_serving "$!"
  add_scram_user
  echo "Kafka $(kafka_version) running (pid $(cat "$pidfile")) at 127.0.0.1:$port"
}

# Serving = the process logged that it started and accepts connections on the client port.
wait_until_serving() {
  local pid=$1 deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      fail_start "the broker exited during start"
    fi
    if grep -q "Kafka Server started" "$log" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return
    fi
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  fail_start "the broker did not start serving on 127.0.0.1:$port within ${KAFKA_START_TIMEOUT:-120}s"
}

fail_start() {
  echo "broker.sh: $1; last lines of $log and $home/logs/stdout.log:" >&2
  tail -n 30 "$log" "$home/logs/stdout.log" >&2 || true
  echo "broker.sh: errors logged:" >&2
  grep -E "^\[[^]]*\] (ERROR|FATAL) " "$log" | tail -n 5 >&2 || true
  rm -f "$pidfile"
  exit 1
}

stop() {
  local pid
  if ! pid=$(broker_pid); then
    echo "Kafka not running"
    rm -f "$pidfile"
    return
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "broker.sh: pid $pid did not stop within 30s; killing it" >&2
    kill -KILL "$pid"
  fi
  rm -f "$pidfile"
  echo "Kafka stopped (pid $pid)"
}

status() {
  local pid
  if pid=$(broker_pid); then
    echo "Kafka $(kafka_version) running (pid $pid) at 127.0.0.1:$port (data and logs in $home)"
  else
    echo "Kafka not running"
    return 1
  fi
}

tools() {
  [ $# -ge 1 ] || die "usage: broker.sh tools <main class> [args...]"
  resolve_jars
  [ -f "$home/tools-log4j2.properties" ] || write_config
  java_cmd -Dlog4j2.configurationFile="$home/tools-log4j2.properties" "$@"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
tools) shift && tools "$@" ;;
*) die "usage: broker.sh start|stop|status|tools <main class> [args...]" ;;
esac
