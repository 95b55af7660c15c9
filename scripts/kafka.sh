#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft combined mode: broker and
# controller in one JVM) on loopback, for tests and for users without Docker.
#
#   scripts/kafka.sh fetch              resolve the pinned jars into the cache
#   scripts/kafka.sh start              fetch if needed, format, start, wait until ready
#   scripts/kafka.sh stop               stop cleanly (SIGTERM, then SIGKILL after a grace period)
#   scripts/kafka.sh status             exit 0 when running and answering Kafka requests
#   scripts/kafka.sh topics [N]         create the pipeline topics (N partitions, default 3)
#   scripts/kafka.sh logs               print the end of the broker log
#
# Options (each has an environment twin):
#   --port N             broker listener 127.0.0.1:N        SENTINEL_KAFKA_PORT (19092)
#   --controller-port N  controller listener 127.0.0.1:N    SENTINEL_KAFKA_CONTROLLER_PORT (port+1)
#   --data DIR           instance dir: config, data, log    SENTINEL_KAFKA_DATA (<cache>/run-<port>)
#   --partitions N       default partitions of new topics   SENTINEL_KAFKA_PARTITIONS (3)
#   --owner PID          start: stop the broker once process PID is gone (tests;
#                        no environment twin)
# Other environment:
#   SENTINEL_KAFKA_HOME          <cache>: jars and instance dirs (default: <repo>/.kafka, git-ignored)
#   SENTINEL_KAFKA_HEAP_OPTS     JVM heap flags (default "-Xms128m -Xmx512m")
#   SENTINEL_KAFKA_START_TIMEOUT seconds to wait for readiness (default 90)
#
# Several instances can run side by side with different ports and data dirs
# (the tests do so). The jars are shared; fetching is serialized with a lock.
#
# The pipeline on this broker (each stage in its own terminal; run more
# copies of a stage to scale it out in its consumer group):
#   deno task kafka start
#   deno task parser   --in 'kafka://127.0.0.1:19092/events.raw?group=parser' --out kafka://127.0.0.1:19092
#   deno task detector --in 'kafka://127.0.0.1:19092/events.enriched?group=detector' --out kafka://127.0.0.1:19092
#   deno task sink     --in 'kafka://127.0.0.1:19092/events.enriched,alerts,events.deadletter?group=sink'
#   deno task generator --rate 1000 --duration 60 --inject brute_force_ssh --out kafka://127.0.0.1:19092/events.raw
#   deno task kafka stop
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
pom="$here/kafka/pom.xml"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"

home="${SENTINEL_KAFKA_HOME:-$repo/.kafka}"
port="${SENTINEL_KAFKA_PORT:-19092}"
controller_port="${SENTINEL_KAFKA_CONTROLLER_PORT:-}"
data="${SENTINEL_KAFKA_DATA:-}"
partitions="${SENTINEL_KAFKA_PARTITIONS:-3}"
heap_opts="${SENTINEL_KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
start_timeout="${SENTINEL_KAFKA_START_TIMEOUT:-90}"

die() {
  echo "kafka.sh: error: $*" >&2
  exit 1
}
say() { echo "kafka.sh: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

cmd="${1:-}"
[ -n "$cmd" ] || {
  usage >&2
  exit 2
}
shift
topic_partitions=""
owner=""
while [ $# -gt 0 ]; do
  case "$1" in
  --port) port="$2"; shift 2 ;;
  --controller-port) controller_port="$2"; shift 2 ;;
  --data) data="$2"; shift 2 ;;
  --partitions) partitions="$2"; shift 2 ;;
  --owner) owner="$2"; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  [0-9]*) topic_partitions="$1"; shift ;;
  *) echo "kafka.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$port" in '' | *[!0-9]*) die "--port must be a number, got '$port'" ;; esac
controller_port="${controller_port:-$((port + 1))}"
data="${data:-$home/run-$port}"
libs="$home/lib-$kafka_version"
pidfile="$data/kafka.pid"
logfile="$data/kafka.log"
config="$data/server.properties"

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found on PATH. Install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) and retry."
  local v major
  v="$(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -1)"
  major="${v%%.*}"
  [ "$major" = "1" ] && major="$(echo "$v" | cut -d. -f2)"
  case "$major" in '' | *[!0-9]*) die "cannot tell the Java version from 'java -version' (got '$v')" ;; esac
  [ "$major" -ge 11 ] || die "Kafka $kafka_version needs Java 11 or newer (17 recommended); found Java $v"
}

fetch() {
  [ -f "$libs/.complete" ] && return 0
  command -v mvn >/dev/null 2>&1 ||
    die "the Kafka jars are not cached in $libs and mvn (Apache Maven) is not on PATH to fetch them. Install Maven 3.8+ (e.g. apt-get install maven) and retry."
  mkdir -p "$home"
  # One fetch at a time, even when several test files start brokers at once.
  exec 9>"$home/.fetch.lock"
  flock 9
  if [ ! -f "$libs/.complete" ]; then
    say "fetching Apache Kafka $kafka_version jars with Maven into $libs"
    local tmp="$home/.lib-$kafka_version.tmp.$$"
    rm -rf "$tmp"
    if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >"$home/fetch.log" 2>&1; then
      tail -n 30 "$home/fetch.log" >&2
      rm -rf "$tmp"
      die "Maven could not fetch the Kafka jars (full output in $home/fetch.log)"
    fi
    ls "$tmp"/kafka_2.13-"$kafka_version".jar >/dev/null 2>&1 || die "Maven finished but kafka_2.13-$kafka_version.jar is missing"
    touch "$tmp/.complete"
    rm -rf "$libs"
    mv "$tmp" "$libs"
  fi
  exec 9>&-
}

# Sends a Kafka ApiVersions v0 request over plain TCP and checks the reply
# carries our correlation id and error code 0: proof that the broker listener
# accepts and processes Kafka requests, not merely that the port is open.
probe() {
  local reply
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0f\x00\x12\x00\x00\x00\x00\x00\x07\x00\x05probe" >&3
    head -c 10 <&3 | od -An -tx1' _ "$port" 2>/dev/null)" || return 1
  reply="$(echo $reply)"
  # bytes 4..7: correlation id 7; bytes 8..9: error code 0
  [[ "$reply" == *"00 00 00 07 00 00" ]]
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

write_config() {
  mkdir -p "$data/logs"
  cat >"$config" <<EOF
# Written by scripts/kafka.sh; rewritten at every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=$partitions
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
# No initial wait before the first rebalance: consumers join at once.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
auto.create.topics.enable=true
log.retention.hours=24
num.network.threads=2
num.io.threads=4
EOF
  cat >"$data/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.log=WARN
EOF
}

format_storage() {
  [ -f "$data/logs/meta.properties" ] && return 0
  local cluster_id
  # A cluster id is a base64url-encoded 16-byte UUID without padding. One
  # that starts with "-" reads as an option to the storage tool (1 run in 64
  # failed that way), so draw again, as Kafka's own Uuid.randomUuid does.
  cluster_id="-"
  while [ "${cluster_id#-}" != "$cluster_id" ]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  java -cp "$libs/*" -Dlog4j.configuration="file:$data/log4j.properties" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$config" --ignore-formatted \
    >>"$logfile" 2>&1 || {
    tail -n 20 "$logfile" >&2
    die "formatting the storage in $data/logs failed (log: $logfile)"
  }
}

port_busy() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + start_timeout))
  while ! probe; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$logfile" >&2
      rm -f "$pidfile"
      die "the broker exited during start-up (log: $logfile)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || {
      tail -n 20 "$logfile" >&2
      die "the broker did not answer on 127.0.0.1:$port within ${start_timeout}s (log: $logfile)"
    }
    sleep 0.3
  done
}

start() {
  need_java
  local pid
  if pid="$(running_pid)"; then
    wait_ready "$pid"
    say "already running (pid $pid) on 127.0.0.1:$port"
    echo "127.0.0.1:$port"
    return 0
  fi
  fetch
  for p in "$port" "$controller_port"; do
    port_busy "$p" && die "port 127.0.0.1:$p is already in use by another process; choose another with --port/--controller-port"
  done
  write_config
  format_storage
  say "starting Kafka $kafka_version on 127.0.0.1:$port (controller :$controller_port, data $data)"
  # setsid: the broker outlives the shell that started it and is not hit by
  # signals sent to that shell's process group.
  # shellcheck disable=SC2086
  setsid nohup java $heap_opts -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$data/log4j.properties" \
    -cp "$libs/*" kafka.Kafka "$config" >>"$logfile" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  if [ -n "$owner" ]; then
    # Watchdog: when the owner (e.g. a test run) is gone, stop this broker,
    # so an aborted or filtered test run leaves no JVM behind.
    setsid nohup bash -c '
      while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
      kill -0 "$2" 2>/dev/null && exec bash "$3" stop --port "$4" --data "$5"
    ' _ "$owner" "$pid" "${BASH_SOURCE[0]}" "$port" "$data" >/dev/null 2>&1 </dev/null &
  fi
  wait_ready "$pid"
  say "ready (pid $pid) on 127.0.0.1:$port"
  echo "127.0.0.1:$port"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$pidfile"
    say "not running (127.0.0.1:$port)"
    return 0
  fi
  say "stopping pid $pid (127.0.0.1:$port)"
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "no clean exit after 30s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if probe; then
      echo "running pid=$pid broker=127.0.0.1:$port data=$data"
      return 0
    fi
    echo "starting pid=$pid broker=127.0.0.1:$port (not answering yet)"
    return 3
  fi
  echo "stopped broker=127.0.0.1:$port data=$data"
  return 3
}

topics() {
  probe || die "no broker answers on 127.0.0.1:$port; run 'scripts/kafka.sh start' first"
  local deno="${DENO:-}"
  [ -n "$deno" ] || { [ -x "$repo/tools/deno/node_modules/.bin/deno" ] && deno="$repo/tools/deno/node_modules/.bin/deno"; }
  [ -n "$deno" ] || deno="$(command -v deno || true)"
  [ -n "$deno" ] || die "deno not found (looked at \$DENO, tools/deno/node_modules/.bin/deno and PATH)"
  "$deno" run -A "$here/kafka/topics.ts" "127.0.0.1:$port" "${topic_partitions:-$partitions}"
}

case "$cmd" in
fetch)
  need_java
  fetch
  say "jars cached in $libs"
  ;;
start) start ;;
stop) stop ;;
restart) stop; start ;;
status) status ;;
topics) topics ;;
logs) tail -n 100 "$logfile" ;;
-h | --help | help) usage ;;
*) echo "kafka.sh: unknown command: $cmd" >&2; usage >&2; exit 2 ;;
esac
