#!/usr/bin/env bash
# Set up (install + build) and run every test with Node's test runner.
# Tests start real driver and worker processes on loopback. Each file runs in its own
# `node --test --test-concurrency=1 --test-timeout=240000`: on Node 20 a timeout for the file
# as a whole (tests get only the timeouts they declare), so nothing can hang CI. OWN_TIMEOUTS
# files, each of whose tests declares a timeout of its own, get 600 s as a whole instead: at
# load 30-45 their tests' waiting on batches and restarts adds up past 240 s (the soak alone
# is 180 s of kills; socket-text-stream is 7 tests of 60-120 s each; recovery-limits' 200 batches
# of 100 ms took 310 s at load 37, task-stream's nine jobs 220 s at load 39-54, streaming-faults'
# four tests, of 90-120 s each, passed the 240 s at load 45 with its third test just done).
# scripts/run-tests.mjs runs four files at a time, in four lanes, on this 2-core machine (three
# until 2026-12-06: the fresh-clone CI at 44f739e3, at load 23-36, took 2,746 s for 396 files,
# their walls summing to 8,224 s and their CPU to 1,896 s, 23% of it; the greedy queue already
# ended the three lanes within 6 s of each other, so only a shorter sum or more lanes could
# shorten it. Modelled on that run's walls: 2,105 s with four lanes, -640 s (-23%), ~-300 s of a
# 1,300 s run. Measured: 15 cli files of 11-22 s, lanes 3 and 4 alternated at load 30-35:
# 116 and 95 s with three lanes, 82 and 76 s with four, their walls summing to about the
# same (323, 271 s; 298, 281 s) and their CPU too (48, 43 s; 46, 43 s); at load 12-17, 60 and
# 64 s with three, 52 and 62 s with four, whose walls summed 14% more (188, 218 s against 169,
# 177 s): on a quieter machine the lanes share the cores more, so expect -190 s (walls +14%)
# to -320 s (walls as they were) of a 1,300 s run. Eight of the heaviest files (kinesis-count,
# recovery-backlog, local-cluster-start, straggler, stream-worker-pause, ...) passed four at a
# time at load 30-38, 158 s). Before, three:
# most files spend most of their wall time waiting (batch intervals, process start-up, kills
# and restarts), so two lanes left much of a core idle. Their CPU time, their processes'
# included, is about half their wall time on a quiet machine (the soak 28 s of 181 s; today
# at load 24-48, where CPU time grows with the waits, 1,781 s for all 154 files, against
# 2,136 s of walls in the last quiet run). This schedule modelled on today's walls scaled to
# that sum: 1,103 s with two lanes (the quiet run took 1,089 s), 754 s with three, before any
# slowdown from sharing the cores.
# The lanes:
#  - lanes 1 and 3 first run PACED, each taking the next from one list: files whose wall
#    time is mostly waiting on a clock (a 180 s soak with a kill every ~15 s, 6 + 6 kill runs,
#    the WAL kill runs, a 20 s SIGSTOP, two SIGTERMs mid-stream), at well under half of one
#    core each;
#  - lane 2 meanwhile runs OWN_CORE: the overload tests, which bound scheduling delay and each
#    worker's RSS under a 5x feed, and so share the machine only with two PACED files (together
#    under one core): never with another file that needs a core of its own. A lane whose
#    PACED files are done waits for the OWN_CORE files to end (the soak outlasts them anyway);
#    lane 4 starts once they have ended, taking PACED files first;
#  - then every lane takes the other files from one queue, LONG first (so no long file is
#    left to run alone at the end), one file each at a time. These tests are written to
#    pass on a machine shared with other engineers' test runs (load averages of 10-20), far
#    more than two other files beside them;
#  - last, ALONE runs with nothing beside it (none now: desired-workers was there, 33-43 s of
#    CI wall alone at the end, after it failed beside the overload-memory test at load 34; its
#    batches now take a set time, count included, within a wide band, and its waits follow
#    the stream's progress: it passed beside two CPU hogs and receiver-wal at load 25-29).
# A file that fails beside another must be made event-driven, or be moved to ALONE.
# `npm test -- ARGS` hands ARGS to every `node --test` (e.g. --test-name-pattern=...).
# The run ends with every file's wall and CPU time (its processes' included), longest first.
set -euo pipefail
cd "$(dirname "$0")/.."
# The TLS test makes a certificate with openssl.
if ! command -v openssl >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null) || echo "warning: could not install openssl" >&2
fi
# The Kafka exactly-once test runs Debian's PostgreSQL server (packages/test-servers/src/postgres-server.ts), and so do the @sluice/postgres tests.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || echo "warning: could not install postgresql" >&2
fi
# streaming-spark-suites5 makes its .bz2 files with Debian's bzip2 (Sluice reads them through the seek-bzip package).
if ! command -v bzip2 >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bzip2 >/dev/null) || echo "warning: could not install bzip2" >&2
fi
# spark-context-api3 makes the .zip sc.addArchive unpacks with Debian's zip.
if ! command -v zip >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip >/dev/null) || echo "warning: could not install zip" >&2
fi
# The console progress bar test runs `sluice` on a pseudo-terminal with util-linux `script` (package bsdutils).
if ! command -v script >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bsdutils >/dev/null) || echo "warning: could not install bsdutils (script)" >&2
fi
# The Streaming UI browser tests drive Debian's Chromium (headless) with playwright-core
# (packages/cli/test/streaming-ui-browser.test.ts, dashboard-browser.test.ts, streaming-spark-suites7.test.ts); playwright downloads no browser of its own.
if [ ! -x /usr/bin/chromium ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium" >&2
fi
# The MQTT tests run Debian's mosquitto broker (packages/mqtt/test/support/mosquitto.ts); the binary is in /usr/sbin.
if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null) || echo "warning: could not install mosquitto" >&2
fi
# The @sluice/redis tests run Debian's redis-server (packages/test-servers/src/redis-server.ts).
if ! command -v redis-server >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) || echo "warning: could not install redis-server" >&2
fi
# The LZ4 codec's test (packages/core/test/io/lz4.test.ts) checks its frames against Debian's lz4 command.
if ! command -v lz4 >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lz4 >/dev/null) || echo "warning: could not install lz4" >&2
fi
# The multi-host test runs driver and workers in network namespaces with iproute2's `ip` (packages/cli/test/multi-host-netns.test.ts).
if ! command -v ip >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null) || echo "warning: could not install iproute2 (ip)" >&2
fi
bash scripts/setup.sh
mapfile -t files < <(find packages/*/dist/test -name '*.test.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
t=packages/cli/dist/test
# Wall time on the quiet machine (the last fresh-clone CI run) and CPU time of the file with
# its processes (measured today under load averages of 20-40, where CPU time still holds):
# each PACED file uses well under half of one core.
PACED=(
  $t/soak.test.js                       # 181 s wall, 28 s CPU: a kill -9 every ~15 s for 180 s
  $t/streaming-stateful-faults.test.js  #  93 s, 15 s CPU with 6 + 6 kill -9 runs, now 3 + 3, each waiting for batches
  $t/receiver-wal.test.js               #  35 s, 12 s CPU: kill -9 of the receiver's worker, log off and on
  $t/driver-pause.test.js               #  31 s, 11-14 s CPU: a 20 s SIGSTOP of the driver
  $t/graceful-decommission.test.js      #  65 s at load 30, 20 s CPU: a 200 lines/s stream waiting for batches around two SIGTERMs
  $t/stream-worker-pause.test.js        #  two 20 s SIGSTOPs of a worker (stateful stream, WAL receiver), each waiting for batches
  $t/stream-replica-pause.test.js      #  37-47 s at load 18: a 20 s SIGSTOP of a receiver's replication peer
  $t/stream-block-read-failover.test.js #  20 s at load 16: a SIGSTOP of a receiver's worker as another worker reads its block (up to 50 s, ended once the read failed over)
  $t/shuffle-fetch-failover.test.js     #  31-41 s at load 3: four SIGSTOPs of a worker holding map outputs, each ended once the job or batch completed
  $t/driver-pause-checkpoint.test.js    #  50-120 s at load 16-22: a 20 s SIGSTOP of the driver while a state checkpoint is written
  $t/recovery-double-fault.test.js      #  13-16 s at load 3: kill -9 of the driver, then of two workers in a row during the recovery
  $t/receiver-double-fault.test.js      #  27 s at load 6: kill -9 of the driver, then of the recovered receiver's worker twice (WAL on)
  $t/receiver-driver-pause.test.js      #  41 s at load 15: a 10 s SIGSTOP of the driver under a receiver with the WAL
  $t/master-failure.test.js             #  52-62 s at load 5-11: sluice run killed -9 five times (twice with its process group) and run again, twice (file stream; receiver with the WAL), the two now at once
  $t/file-stream-pause.test.js          #  40 s at load 5: a 12 s SIGSTOP of a worker, then a 10 s SIGSTOP of the driver, under a file stream
  $t/receiver-checkpoint-kill.test.js   #  20 s at load 13: kill -9 of the driver, then of a worker, each during a state checkpoint's write (WAL receiver)
  $t/receiver-wal-torn-tail.test.js     #  13-21 s at load 12-13: kill -9 of a WAL receiver's worker, of the driver, of the other worker; a segment's tail torn, the driver run again
  packages/kafka/dist/test/kafka-driver-pause.test.js  # 25 s at load 13: a 10 s SIGSTOP of the driver under a direct Kafka stream
  $t/rdd-driver-pause.test.js           #  15 s at load 8: a 10 s SIGSTOP of the driver during an RDD job
  packages/kafka/dist/test/kafka-ahead-recovery.test.js  # 21 s at load 11: sluice run killed -9 while its direct stream waits, run again
  $t/network-partition-stream.test.js   #  68 s at load 24-33, 24 s CPU: a worker's links held, then cut, for 8 s each under a stateful stream
  $t/network-partition-rdd.test.js      #  13-23 s at load 19-33: a worker's links held, then cut, as another fetches its map outputs
  $t/network-one-way.test.js            #  40-97 s at load 17-56, 7 s CPU: what the driver sends a worker held (its heartbeats flow) as another fetches its map outputs
  $t/receiver-network-cut.test.js       #  50-135 s at load 2-5: a WAL receiver's worker's links cut, then held, for 8 s each while it receives
  $t/straggler.test.js                  #  40 s at load 14-25: a worker stopped 200 ms of every second for 12 s under a stateful stream
  $t/graceful-stop-kill.test.js         #  12-20 s at load 15: kill -9 of the driver inside a graceful stop (batches slowed 1 s), started again on its state dir
)
OWN_CORE=(
  $t/overload-backpressure.test.js      #  99 s, 25 s CPU: 60 s of a 5x feed; delay and RSS bounds
  $t/overload-memory.test.js            #  22-35 s CPU: RSS back near its start after an 8 s overload
)
ALONE=()
# The longest of the others (under load: 40-170 s wall, 20-52 s CPU each; kinesis-count, 100,000
# records through kinesalite, takes 52 s of CPU: not a file to put beside the overload tests).
LONG=(
  packages/kinesis/dist/test/kinesis-count.test.js
  $t/cli-logs.test.js $t/job-mistakes.test.js $t/cli-options.test.js $t/multi-host-netns.test.js
  $t/bad-input.test.js $t/fault-tolerance.test.js $t/packed-install.test.js $t/compose-config.test.js
  $t/init-next-steps.test.js  # packs, installs and type-checks twice: 98 s at load 6, past 240 s at load 40
  $t/recovery-backlog.test.js  # 24 s at load 5: a 6 s hold, then 300 pending batches re-run (1,000: 78 s at load 12)
)
OWN_TIMEOUTS=(
  "${PACED[@]}" "${OWN_CORE[@]}" "${ALONE[@]}" $t/socket-text-stream.test.js $t/packed-install.test.js $t/multi-host-netns.test.js
  # init-next-steps' two tests bound themselves (900 s each); at load 40 the first took 136 s and
  # the file ran out of the 240 s every other file gets.
  $t/init-next-steps.test.js
  # Three streams on fresh clusters of their own (175 s at load 38-43, where its custom receiver's
  # test ran out of its own 60 s): each test bounds itself (300 s). streaming-cleanup's 20
  # batches of a shuffle each ran out of its test's 120 s at load 64 (129 s as a file at load 38).
  $t/streaming-sources.test.js $t/streaming-cleanup.test.js
  # desired-workers (33-43 s, 4-8 s CPU: batches of 2.6 s, 3 s scaling intervals) waits on its
  # stream's progress; its test bounds itself (480 s).
  $t/desired-workers.test.js
  # Two `sluice run`s in a before hook, two in a test (11-13 s each at load 20), each bounded at 150 s.
  $t/checkpoint-spark-suite.test.js
  # One test of four steps on one job (186 s at load 50, where its receiver stored its first
  # record ~50 s late and the graceful stop then ran the batches queued behind the gate): 540 s.
  $t/streaming-ui-spark-suites.test.js
  $t/recovery-limits.test.js $t/task-stream.test.js $t/streaming-faults.test.js $t/slow-checkpoint.test.js
  $t/checkpoint-store-faults.test.js $t/receiver-wal-slow-metadata.test.js $t/recovery-backlog.test.js
  # Kafka files of 6-8 tests of 5-40 s each under load (whole files 117-371 s at load 20-30,
  # where a file of their length beside the other lanes can pass 240 s); each test bounds itself.
  packages/kafka/dist/test/kafka-spark-suites.test.js packages/kafka/dist/test/kafka-semantics.test.js
  packages/kafka/dist/test/direct-stream.test.js packages/kafka/dist/test/kafka-bad-input.test.js
  # Three jobs that print only their failure, each bounded at 150 s of silence (over 60 s at load 61-68).
  packages/kafka/dist/test/kafka-start-failure.test.js
  # One long run each, bounded by the file itself: dstream-operators' fixture (109-164 s at
  # load 20-30) in a before hook of its own 540 s; mqtt-count's 100,000 messages (its test
  # 110 s at load 29, then bounded by 120 s) in a test of 360 s.
  $t/dstream-operators.test.js packages/mqtt/dist/test/mqtt-count.test.js
  # Two driver kills under a file stream; its before hook (540 s) waits for the graceful stop
  # while batches go on (183 s, then failed at a fixed 60 s for the stop, at load 25-44).
  $t/recovery.test.js
  # A driver killed under spinning tasks, then a new one: process starts, a job on each
  # (216 s at load 46 with a 60 s poll lost to CLI start-up); its test bounds itself (540 s).
  $t/driver-death-kills-tasks.test.js
  # Four database restarts of 120 s each at most: under three CPU hogs at load 27-40 its first
  # test took 86 s, its third 60 s, and the file passed 240 s with its fourth still running.
  packages/postgres/dist/test/postgres-sink-restart.test.js
  # 100,000 records through kinesalite and a kill (240 s), then a 400-record stream (120 s):
  # 178-213 s as a whole at load 37-40 before its CPU was cut to ~14 s (flake7).
  packages/kinesis/dist/test/kinesis-count.test.js
)
join() { local IFS=,; echo "$*"; }
node scripts/run-tests.mjs --lanes 4 --paced "$(join "${PACED[@]}")" --own-core "$(join "${OWN_CORE[@]}")" --long "$(join "${LONG[@]}")" --alone "$(join "${ALONE[@]}")" --own-timeouts "$(join "${OWN_TIMEOUTS[@]}")" -- "${files[@]}" -- "$@"
