import { masterUrlFor } from './spark-master-url.js';

const SECRET_WHERE = "always on: every RPC carries the cluster secret; give the same one to 'sluice driver', every 'sluice worker' and the CLI with --secret-file FILE, SLUICE_SECRET_FILE or SLUICE_SECRET (make one with `openssl rand -hex 16`)";
const TLS_WHERE = "'--tls-cert CERT.pem --tls-key KEY.pem' on 'sluice driver' and 'sluice worker' (every RPC, and the driver's web UI over HTTPS) and '--tls-ca CA.pem' on every worker and client";
const UI_ACLS =
  "no UI ACLs or filters: the web UI and REST GETs answer whoever reaches the web port (127.0.0.1 unless --bind; '--web-port 0' turns it off); what changes the cluster needs the cluster secret (the REST POSTs' x-sluice-secret header, and 'sluice submit', 'sluice stop' over gRPC)";

/**
 * Spark settings a Spark user passes as `--conf KEY=VALUE` (the streaming programming guide's
 * Performance Tuning, Deploying and Fault-tolerance sections name them), and where each one is
 * set in Sluice: a StreamingContext option in the job, a connector's option, or a sluice
 * command's option. `value` is what the user gave after `=` (undefined without one).
 */
const SPARK_CONF_KEYS: Readonly<Record<string, (value: string) => string>> = {
  'spark.streaming.blockInterval': (v) => `new StreamingContext(sc, batch, { blockInterval: '${v}' }) in the job`,
  'spark.streaming.receiver.maxRate': (v) => `new StreamingContext(sc, batch, { receiverMaxRate: ${v} }) in the job`,
  'spark.streaming.backpressure.enabled': (v) => `new StreamingContext(sc, batch, { backpressure: ${v} }) in the job`,
  // Spark's receivers start at it even with backpressure off, and keep to it then (RateLimiter.getInitialRateLimit).
  'spark.streaming.backpressure.initialRate': (v) =>
    `new StreamingContext(sc, batch, { backpressure: { initialRate: ${v} } }) in the job; without backpressure Spark's receivers keep to it for good, which is { receiverMaxRate: ${v} }`,
  'spark.streaming.receiver.writeAheadLog.enable': (v) => `new StreamingContext(sc, batch, { writeAheadLog: ${v} }) in the job, with ssc.checkpoint(dir)`,
  'spark.streaming.concurrentJobs': (v) => `new StreamingContext(sc, batch, { concurrentJobs: ${v} }) in the job`,
  'spark.streaming.kafka.maxRatePerPartition': (v) => `KafkaUtils.createDirectStream(ssc, { ..., maxRatePerPartition: ${v} }) of @sluice/kafka in the job`,
  'spark.streaming.stopGracefullyOnShutdown': () => "'sluice run --stop-gracefully-on-shutdown' (a job on a standing driver: 'sluice stop --graceful JOB')",
  'spark.streaming.kinesis.retry.waitTime': (v) => `KinesisInputDStream.builder()...retryWait(ms) of @sluice/kinesis in the job (milliseconds: '${v}' given; default 1000)`,
  'spark.streaming.kinesis.retry.maxAttempts': () => "no limit to set: @sluice/kinesis's readers retry a failed GetRecords every retryWait until it succeeds (a throttled one silently, others reported as receiver errors); remove it",
  'spark.speculation': () => "'--speculation' on 'sluice run' and 'sluice driver' (and --speculation-quantile, --speculation-multiplier, --speculation-min-runtime)",
  'spark.driver.maxResultSize': (v) => `'--max-result-size ${v}' on 'sluice run' and 'sluice driver'`,
  // The rest of the configuration guide's Spark Streaming section (README "Spark's configuration keys in Sluice").
  'spark.streaming.unpersist': () =>
    "always on: a batch's RDDs are unpersisted once past their stream's remember duration; to keep them longer, ssc.remember(duration) (or a window) in the job",
  'spark.streaming.kafka.minRatePerPartition': (v) => `KafkaUtils.createDirectStream(ssc, { ..., minRatePerPartition: ${v} }) of @sluice/kafka in the job`,
  'spark.streaming.kafka.maxRetries': () =>
    "KafkaUtils.createDirectStream(ssc, { ..., retryTimeoutMs: MS }) of @sluice/kafka in the job: its offset lookups retry a broker that is down or no longer the leader for that long (default 30000), not a number of times",
  'spark.streaming.driver.writeAheadLog.closeFileAfterWrite': () =>
    'nothing to set: metadata checkpoints are whole files, each written under a temporary name and renamed (on S3, one object each); remove it',
  'spark.streaming.receiver.writeAheadLog.closeFileAfterWrite': () =>
    "nothing to set: the receivers' log appends each block to a segment file and fsyncs it before the block is reported; it cannot go to S3 (no append): checkpoint to a shared directory; remove it",
  'spark.streaming.receiver.writeAheadLog.rollingIntervalSecs': (v) => `new StreamingContext(sc, batch, { writeAheadLog: { rollingInterval: '${v}s' } }) in the job`,
  'spark.streaming.backpressure.pid.minRate': (v) => `new StreamingContext(sc, batch, { backpressure: { minRate: ${v} } }) in the job`,
  'spark.streaming.gracefulStopTimeout': (v) =>
    `'--conf spark.streaming.gracefulStopTimeout=${v}' on 'sluice run' or 'sluice driver' (for every job that driver runs: how long a stop may take before the driver cancels the program; 60 s by default)`,
  'spark.streaming.receiverRestartDelay': () => 'not settable: a receiver that stopped with an error is started again 2 s later (onReceiverStarted says when), as Spark\'s default',
  'spark.streaming.fileStream.minRememberDuration': (v) => `ssc.textFileStream(dir, { minRememberDuration: '${v}' }) (or fileStream) in the job`,
  // The configuration guide's Scheduling, Execution Behavior, Networking, Shuffle Behavior and
  // Memory Management sections, and the Tuning guide's settings.
  'spark.task.maxFailures': (v) => `'--task-max-failures ${v}' on 'sluice run' and 'sluice driver' (for every job that driver runs)`,
  'spark.stage.maxConsecutiveAttempts': (v) => `'--stage-max-consecutive-attempts ${v}' on 'sluice run' and 'sluice driver' (for every job that driver runs)`,
  'spark.speculation.interval': () => 'not settable: stragglers are looked for every 100 ms (Spark\'s default); --speculation-min-runtime bounds what is copied',
  'spark.locality.wait': (v) => `'--conf spark.locality.wait=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.locality.wait.process': (v) => `'--conf spark.locality.wait.process=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.locality.wait.node': () =>
    "no node level: a task that prefers a worker waits there, then runs anywhere; give the whole wait as '--conf spark.locality.wait=TIME' on 'sluice run', 'sluice driver' or 'sluice shell'",
  'spark.locality.wait.rack': () => "no racks: a task that prefers a worker waits there, then runs anywhere; give the wait as '--conf spark.locality.wait=TIME' on 'sluice run', 'sluice driver' or 'sluice shell'",
  'spark.locality.wait.legacyResetOnTaskLaunch': () =>
    "false only, on 'sluice run', 'sluice driver' or 'sluice shell': the wait restarts as Spark's default (false) after a pass that launched a task and refused no core for locality; the legacy restart on every launch is not provided",
  'spark.task.cpus': () => "not settable: a task takes one of a worker's --cores; give a worker fewer --cores to run fewer tasks at once",
  'spark.default.parallelism': (v) =>
    `'--conf spark.default.parallelism=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (sc.defaultParallelism of every job that driver runs; without it, the cluster's cores, at least 2) or 'sluice submit' (that job's), or give the partitions where it matters: sc.parallelize(data, ${v}), rdd.reduceByKey(f, ${v}), repartition(${v})`,
  'spark.network.timeout': () =>
    "'sluice driver --worker-timeout-ms MS' (a silent worker is declared lost after it; default 60000) and 'sluice worker --peer-connect-timeout DURATION' (shuffle and block fetches; default 30s)",
  'spark.executor.heartbeatInterval': (v) => `'sluice driver --heartbeat-ms MS' (milliseconds: '${v}' given; default 1000)`,
  'spark.rpc.askTimeout': () =>
    "not settable as one timeout: 'sluice driver --worker-timeout-ms MS' declares a silent worker lost, 'sluice worker --peer-connect-timeout DURATION' bounds a fetch from another worker, '--task-timeout' a task",
  'spark.rpc.message.maxSize': () => 'not settable: a task sent to a worker may be up to 128 MiB encoded (a task over 1000 KiB is warned about), a result of any size comes back in chunks; share large values with sc.broadcast',
  'spark.shuffle.compress': (v) => shuffleCompressWhere(v),
  'spark.shuffle.spill.compress': (v) => `${shuffleCompressWhere(v)}; a map task's spills are runs of its map output, compressed with it`,
  'spark.shuffle.checksum.enabled': (v) =>
    v.trim().toLowerCase() === 'false'
      ? "'sluice worker --no-shuffle-checksum' (or 'sluice run --no-shuffle-checksum'): map outputs written and read without a CRC-32 of each partition run"
      : 'on by default: each map output partition run carries a CRC-32 its readers verify (read once more, then computed again when it does not match); remove it',
  'spark.shuffle.checksum.algorithm': (v) =>
    v.trim().toUpperCase() === 'CRC32'
      ? 'CRC32 is the one shuffle checksum algorithm, always used; remove it'
      : `'${v.slice(0, 100)}' is not provided: the one shuffle checksum algorithm is CRC32 (on by default; 'sluice worker --no-shuffle-checksum' turns it off); ADLER32 and CRC32C are not implemented`,
  'spark.io.compression.codec': (v) =>
    v.toLowerCase() === 'lz4' || v.endsWith('.LZ4CompressionCodec')
      ? "lz4 is the codec of 'sluice worker --shuffle-compress' (and 'sluice run --shuffle-compress'); nothing else to set"
      : `'${v.slice(0, 100)}' is not provided: the one codec is lz4 ('sluice worker --shuffle-compress', or 'sluice run --shuffle-compress'); zstd, snappy and lzf are not implemented. Output files: rdd.saveAsTextFile(dir, 'gzip') or 'deflate'`,
  'spark.shuffle.reduceLocality.enabled': (v) =>
    `'--conf spark.shuffle.reduceLocality.enabled=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (whether the reduce tasks of every job of that driver prefer the workers holding a fifth or more of their input; true by default, as Spark's)`,
  'spark.rdd.compress': (v) =>
    `'--conf spark.rdd.compress=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (whether every job of that driver keeps its persisted RDDs' blocks LZ4-compressed; false by default, as Spark's)`,
  'spark.broadcast.compress': (v) =>
    `'--conf spark.broadcast.compress=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (whether every job of that driver keeps and sends its broadcast values LZ4-compressed; true by default, as Spark's)`,
  'spark.checkpoint.compress': (v) =>
    `'--conf spark.checkpoint.compress=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (whether every job of that driver writes its RDD and state checkpoints LZ4-compressed; false by default, as Spark's)`,
  'spark.shuffle.spill.numElementsForceSpillThreshold': (v) => `'sluice worker --shuffle-spill-records ${v}' (or 'sluice run --shuffle-spill-records ${v}')`,
  'spark.shuffle.file.buffer': () => 'nothing to set (map outputs are written whole per map task); remove it',
  'spark.reducer.maxSizeInFlight': () => 'nothing to set; remove it',
  'spark.shuffle.sort.bypassMergeThreshold': () => 'nothing to set (every map task writes one block of its reduce partitions\' segments and an index); remove it',
  'spark.shuffle.service.enabled': () =>
    "no external shuffle service: each worker serves its own map outputs; a worker leaving gracefully copies them to another ('sluice driver --no-decommission-shuffle' turns that off), a lost one's are recomputed",
  'spark.shuffle.io.maxRetries': () => "not settable: a fetch that fails is a fetch failure, and the lost map outputs are recomputed; bound a fetch with 'sluice worker --peer-connect-timeout DURATION'",
  'spark.shuffle.io.retryWait': () => "not settable: a fetch that fails is a fetch failure, and the lost map outputs are recomputed; bound a fetch with 'sluice worker --peer-connect-timeout DURATION'",
  'spark.memory.fraction': () =>
    "no unified memory regions: 'sluice worker --memory SIZE' bounds the blocks (received, cached) a worker keeps in memory before spilling them to --local-dir, and NODE_OPTIONS=--max-old-space-size=MIB bounds the process's JavaScript heap",
  'spark.memory.storageFraction': () =>
    "no unified memory regions: 'sluice worker --memory SIZE' bounds the blocks (received, cached) a worker keeps in memory before spilling them to --local-dir, and NODE_OPTIONS=--max-old-space-size=MIB bounds the process's JavaScript heap",
  'spark.memory.offHeap.enabled': () => 'not provided: \'sluice worker --memory SIZE\' bounds the blocks a worker keeps in memory; remove it',
  'spark.memory.offHeap.size': () => 'not provided: \'sluice worker --memory SIZE\' bounds the blocks a worker keeps in memory; remove it',
  'spark.executor.memoryOverhead': (v) => `NODE_OPTIONS=--max-old-space-size=${heapMiB(v)} sluice worker: the worker is a Node process, whose heap limit is in MiB`,
  'spark.serializer': () =>
    "nothing to choose: records, tasks and blocks are v8-serialized (Node's structured clone: Map, Set, Date, bigint and typed arrays kept); instances of the job's top-level classes keep their class, with no registration",
  'spark.kryo.registrationRequired': () =>
    "nothing to register: instances of the job's top-level classes keep their class across processes by name; an instance of a class defined inside a function fails when encoded, naming it",
  'spark.kryo.classesToRegister': () =>
    "nothing to register: instances of the job's top-level classes keep their class across processes by name; an instance of a class defined inside a function fails when encoded, naming it",
  'spark.kryoserializer.buffer.max': () => 'not settable: records are v8-serialized with no buffer to size; a task may be up to 128 MiB encoded; remove it',
  'spark.executor.extraJavaOptions': () =>
    "no JVM: V8's options go in NODE_OPTIONS on 'sluice worker' (the heap: --max-old-space-size=MIB; the young generation: --max-semi-space-size=MIB)",
  'spark.driver.extraJavaOptions': () =>
    "no JVM: V8's options go in NODE_OPTIONS on 'sluice driver' or 'sluice run' (the heap: --max-old-space-size=MIB)",
  'spark.cleaner.referenceTracking': (v) =>
    `'--conf spark.cleaner.referenceTracking=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (whether every job of that driver removes the shuffles, persisted RDDs and broadcasts its program no longer reaches once they are garbage collected; true by default, as Spark's)`,
  'spark.cleaner.periodicGC.interval': () =>
    "not settable: the driver program's thread is garbage collected after every 64 persisted RDDs or broadcasts it makes (at most once every 10 s) and every 8 RDD checkpoints (at most once a second), so what it drops is cleaned; remove it",
  'spark.cleaner.referenceTracking.blocking': () =>
    "'--conf spark.cleaner.referenceTracking.blocking=...' on 'sluice run', 'sluice driver' or 'sluice shell' is taken and has no effect: the cleaning never makes the program wait; remove it",
  'spark.files.maxPartitionBytes': (v) => `sc.textFile(path, minPartitions) in the job ('${v}' is a size; give a number of partitions)`,
  'spark.excludeOnFailure.enabled': (v) => `'--conf spark.excludeOnFailure.enabled=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.timeout': (v) => `'--conf spark.excludeOnFailure.timeout=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor': (v) => `'--conf spark.excludeOnFailure.task.maxTaskAttemptsPerExecutor=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.task.maxTaskAttemptsPerNode': (v) => `'--conf spark.excludeOnFailure.task.maxTaskAttemptsPerNode=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.stage.maxFailedTasksPerExecutor': (v) => `'--conf spark.excludeOnFailure.stage.maxFailedTasksPerExecutor=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.stage.maxFailedExecutorsPerNode': (v) => `'--conf spark.excludeOnFailure.stage.maxFailedExecutorsPerNode=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.application.maxFailedTasksPerExecutor': (v) => `'--conf spark.excludeOnFailure.application.maxFailedTasksPerExecutor=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.application.maxFailedExecutorsPerNode': (v) => `'--conf spark.excludeOnFailure.application.maxFailedExecutorsPerNode=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.application.fetchFailure.enabled': (v) => `'--conf spark.excludeOnFailure.application.fetchFailure.enabled=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.excludeOnFailure.killExcludedExecutors': (v) => `'--conf spark.excludeOnFailure.killExcludedExecutors=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (for every job that driver runs)`,
  'spark.scheduler.excludeOnFailure.unschedulableTaskSetTimeout': () =>
    'not settable: a stage with a task that every live worker is excluded for is aborted at once (Sluice starts no worker in place of an excluded one, as Spark without dynamic allocation); remove it',
  'spark.blacklist.enabled': (v) => `Spark 3.1 renamed it spark.excludeOnFailure.enabled: '--conf spark.excludeOnFailure.enabled=${v}' on 'sluice run', 'sluice driver' or 'sluice shell' (and spark.blacklist.* as spark.excludeOnFailure.*)`,
  // The submitting-applications and standalone guides' settings.
  'spark.master': (v) => masterUrlFor(v),
  'spark.app.name': (v) => `'--name ${v}' on 'sluice submit' and 'sluice run'`,
  'spark.executor.memory': (v) => `'sluice worker --memory ${v}'`,
  'spark.executor.cores': (v) => `'--cores ${v}' on 'sluice worker' and 'sluice run'`,
  'spark.executor.instances': (v) => `'sluice run --workers ${v}', or ${v} 'sluice worker' processes beside a standing driver`,
  'spark.driver.memory': (v) => `NODE_OPTIONS=--max-old-space-size=${heapMiB(v)} sluice driver (or sluice run): the driver is a Node process, whose heap limit is in MiB`,
  'spark.cores.max': () => "no cap a job sets: a driver's jobs share its workers' cores; a job of its own cluster: 'sluice run --workers N --cores C'",
  'spark.deploy.defaultCores': () => "no cap a job sets: a driver's jobs share its workers' cores; a job of its own cluster: 'sluice run --workers N --cores C'",
  'spark.deploy.recoveryMode': (v) =>
    v.toUpperCase() === 'ZOOKEEPER'
      ? "no standby drivers: run one driver on a '--state-dir DIR' and restart it when it fails (systemd, a restart policy, Kubernetes): it relaunches the jobs that were running, under their ids"
      : "'sluice driver --state-dir DIR' (FILESYSTEM's recovery directory: a driver started again on DIR relaunches the jobs that were running, under their ids)",
  'spark.deploy.recoveryDirectory': (v) => `'sluice driver --state-dir ${v}'`,
  'spark.deploy.zookeeper.url': () => "no standby drivers: run one driver on a '--state-dir DIR' and restart it when it fails: it relaunches the jobs that were running, under their ids",
  'spark.worker.timeout': (v) => `'sluice driver --worker-timeout-ms ${/^\d+$/.test(v) ? Number(v) * 1000 : 'MS'}' (milliseconds; Spark's is in seconds)`,
  'spark.master.ui.port': (v) => `'sluice driver --web-port ${v}' (the driver's one UI: workers and jobs)`,
  'spark.ui.port': (v) => `'--web-port ${v}' on 'sluice driver' and 'sluice run'`,
  'spark.master.rest.enabled': () => "no REST submission server: 'sluice submit --driver HOST:PORT' submits over the driver's gRPC port, and 'sluice stop' and 'sluice jobs' kill and list (the web port's /api/v1 is the monitoring API, read-only)",
  'spark.master.rest.port': () => "no REST submission server: 'sluice submit --driver HOST:PORT' submits over the driver's gRPC port, and 'sluice stop' and 'sluice jobs' kill and list (the web port's /api/v1 is the monitoring API, read-only)",
  'spark.local.dir': (v) => `'sluice worker --local-dir ${v}'`,
  'spark.streaming.ui.retainedBatches': (v) => `'--retained-batches ${v}' on 'sluice driver' and 'sluice run'`,
  'spark.speculation.quantile': (v) => `'--speculation --speculation-quantile ${v}' on 'sluice run' and 'sluice driver'`,
  'spark.speculation.multiplier': (v) => `'--speculation --speculation-multiplier ${v}' on 'sluice run' and 'sluice driver'`,
  'spark.speculation.minTaskRuntime': (v) => `'--speculation --speculation-min-runtime ${v}' on 'sluice run' and 'sluice driver'`,
  'spark.shuffle.io.connectionTimeout': (v) => `'sluice worker --peer-connect-timeout ${v}'`,
  'spark.decommission.enabled': () => "on by default: 'sluice driver --no-decommission' turns it off",
  'spark.streaming.dynamicAllocation.minExecutors': (v) => `'sluice driver --min-workers ${v}'`,
  'spark.streaming.dynamicAllocation.maxExecutors': (v) => `'sluice driver --max-workers ${v}'`,
  // The job scheduling guide's fair scheduler.
  'spark.checkpoint.dir': (v) => `sc.setCheckpointDir('${v}') in the job (a stream's: ssc.checkpoint('${v}'), or StreamingContext.getOrCreate('${v}', ...))`,
  'spark.scheduler.pool': (v) => `sc.setLocalProperty('spark.scheduler.pool', '${v}') in the job, around the actions of that pool (with sc.setSchedulerMode('FAIR'))`,
  'spark.scheduler.mode': (v) => `sc.setSchedulerMode('${v}') in the job (and sc.setLocalProperty('spark.scheduler.pool', name) for a pool)`,
  'spark.scheduler.allocation.file': (v) => `sc.setSchedulerMode('FAIR', { allocationFile: '${v}' }) in the job`,
  // The Security guide's settings (README "Security").
  'spark.authenticate': () => SECRET_WHERE,
  'spark.authenticate.secret': () => `${SECRET_WHERE}; not on a command line, where ps shows it`,
  'spark.authenticate.secret.file': (v) => `'--secret-file ${v}' (or SLUICE_SECRET_FILE=${v}) on 'sluice driver', every 'sluice worker' and the CLI`,
  'spark.authenticate.secret.driver.file': (v) => `'--secret-file ${v}' (or SLUICE_SECRET_FILE=${v}) on 'sluice driver', every 'sluice worker' and the CLI: one secret for all`,
  'spark.authenticate.secret.executor.file': (v) => `'--secret-file ${v}' (or SLUICE_SECRET_FILE=${v}) on 'sluice driver', every 'sluice worker' and the CLI: one secret for all`,
  'spark.network.crypto.enabled': () => TLS_WHERE,
  'spark.ssl.enabled': () => TLS_WHERE,
  'spark.ssl.ui.enabled': () => TLS_WHERE,
  'spark.ssl.keyStore': () => `PEM files, not a Java keystore (openssl pkcs12 -in KEYSTORE.p12 -nodes converts one): ${TLS_WHERE}`,
  'spark.ssl.trustStore': () => "'--tls-ca CA.pem' (PEM) on every worker and client",
  'spark.io.encryption.enabled': () =>
    "not provided: shuffle, spill, cached blocks and the write-ahead log are written unencrypted (the worker's scratch dir is its user's only, 0700); put 'sluice worker --local-dir' and the checkpoint directory on an encrypted filesystem, and remove it",
  'spark.redaction.regex': () => 'nothing to set: the cluster secret and job arguments are never printed in logs, the UI, the REST API or `sluice jobs`; remove it',
  'spark.acls.enable': () => UI_ACLS,
  'spark.ui.view.acls': () => UI_ACLS,
  'spark.modify.acls': () => UI_ACLS,
  'spark.admin.acls': () => UI_ACLS,
  'spark.ui.filters': () => UI_ACLS,
  'spark.driver.port': (v) => `'sluice driver --port ${v}'`,
  'spark.driver.bindAddress': (v) => `'--bind ${v}' on 'sluice driver' (its gRPC and web ports) and 'sluice worker'`,
  'spark.blockManager.port': (v) => `'sluice worker --port ${v}' (tasks, shuffle and block fetches share it)`,
  // The configuration guide's Application Properties, Runtime Environment, Spark UI and Dynamic
  // Allocation sections (README "Configuration"); the keys a properties file takes are in spark-properties.ts.
  'spark.logConf': () => "in a properties file ('--properties-file FILE', $SPARK_CONF_DIR/spark-defaults.conf): 'spark.logConf true' there prints the options sluice took from it",
  'spark.log.level': (v) => `'--log-level ${v.toLowerCase()}' on 'sluice run', 'sluice driver' and 'sluice worker'`,
  'spark.submit.deployMode': () => "a job's program always runs in the driver process, as in cluster mode ('sluice submit' prints its output); remove it",
  'spark.driver.cores': () => "a job's program runs on one thread of the driver; its tasks run on the workers' cores ('sluice worker --cores C', 'sluice run --cores C'); remove it",
  'spark.driver.supervise': () => "'sluice submit --supervise'",
  'spark.driver.memoryOverhead': (v) => `NODE_OPTIONS=--max-old-space-size=${heapMiB(v)} sluice driver: the driver is a Node process, whose heap limit is in MiB`,
  'spark.driver.host': () => "'--bind HOST' on 'sluice driver' (workers and clients reach it at the --driver HOST:PORT they are given)",
  'spark.extraListeners': () => 'sc.addSparkListener(listener) in the job (a SparkListener object; a StreamingListener: ssc.addStreamingListener)',
  'spark.driver.extraClassPath': () => "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  'spark.executor.extraClassPath': () => "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  'spark.driver.extraLibraryPath': () => "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  'spark.executor.extraLibraryPath': () => "the job file is bundled with the modules it imports: 'npm install' them in the job's project",
  'spark.driver.userClassPathFirst': () => "the job file is bundled with the modules it imports, its own versions first; remove it",
  'spark.executor.userClassPathFirst': () => "the job file is bundled with the modules it imports, its own versions first; remove it",
  'spark.jars': () => "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  'spark.jars.packages': () => "the job file is bundled with its npm dependencies: 'npm install' them in the job's project",
  'spark.submit.pyFiles': () => 'a job is one TypeScript or JavaScript file bundled with the modules it imports: import them from the job file',
  'spark.files': () => "nothing is copied to the workers by the CLI: sc.addFile(path) in the job, or a disk the driver and the workers share, or S3",
  'spark.archives': () => 'nothing is copied to the workers: put the files where the driver and the workers see them (a shared disk) or in S3',
  'spark.ui.enabled': () => "'--web-port 0' on 'sluice driver' turns its web UI off; 'sluice run' serves one only with '--web-port PORT'",
  'spark.ui.retainedJobs': () =>
    "not settable: the REST API and the UI keep a job's last max(1000, 4 x --retained-batches) finished actions and stages (running ones always); '--retained-batches N' on 'sluice driver' and 'sluice run' raises it",
  'spark.ui.retainedStages': () =>
    "not settable: the REST API and the UI keep a job's last max(1000, 4 x --retained-batches) finished actions and stages (running ones always); '--retained-batches N' on 'sluice driver' and 'sluice run' raises it",
  'spark.ui.retainedTasks': () => 'not settable: the REST API keeps the first 10,000 ended task attempts of each stage attempt (and every running one)',
  'spark.ui.killEnabled': () => "nothing to turn off: the web UI has no kill links; 'sluice stop JOB' (with the cluster secret) stops a job; remove it",
  'spark.ui.showConsoleProgress': () => "'--no-progress' on 'sluice run' and 'sluice submit' (the progress is drawn only when stderr is a terminal)",
  'spark.ui.liveUpdate.period': () => 'not settable: the REST API answers from live state, and the Streaming page reads it every second; remove it',
  'spark.eventLog.enabled': () =>
    'no event logs and no history server: the driver keeps what its REST API and UI show (finished jobs too, until it stops; with --state-dir, a restarted driver relaunches running jobs); remove it',
  'spark.eventLog.dir': () =>
    'no event logs and no history server: the driver keeps what its REST API and UI show (finished jobs too, until it stops; with --state-dir, a restarted driver relaunches running jobs); remove it',
  'spark.eventLog.compress': () => 'no event logs and no history server; remove it',
  'spark.dynamicAllocation.enabled': () => DYNAMIC_ALLOCATION,
  'spark.dynamicAllocation.minExecutors': (v) => `${DYNAMIC_ALLOCATION}; the floor: 'sluice driver --min-workers ${v}'`,
  'spark.dynamicAllocation.maxExecutors': (v) => `${DYNAMIC_ALLOCATION}; the ceiling: 'sluice driver --max-workers ${v}'`,
  'spark.dynamicAllocation.initialExecutors': (v) => `${DYNAMIC_ALLOCATION}; start ${v} workers ('sluice run --workers ${v}', or ${v} 'sluice worker' processes)`,
  'spark.dynamicAllocation.executorIdleTimeout': () => `${DYNAMIC_ALLOCATION}; it asks for one worker fewer when batches take at most --scaling-down-ratio of the interval`,
  'spark.dynamicAllocation.schedulerBacklogTimeout': () => `${DYNAMIC_ALLOCATION}; it asks for more when batches take --scaling-up-ratio of the interval or more`,
  'spark.streaming.dynamicAllocation.enabled': () => DYNAMIC_ALLOCATION,
};

const DYNAMIC_ALLOCATION =
  "Sluice never starts or stops workers itself: the driver publishes how many a job's streams need as sluice_desired_workers on /metrics, for an orchestrator to scale on (README: Prometheus metrics; 'sluice driver --min-workers, --max-workers, --scaling-up-ratio, --scaling-down-ratio, --scaling-interval-ms', Spark's spark.streaming.dynamicAllocation.*), and a worker leaving is decommissioned gracefully";

/** Where spark.shuffle.compress is set in Sluice, for the value given (Spark's default is true; Sluice's, off: README's Tuning table has the figures). */
function shuffleCompressWhere(v: string): string {
  return v.toLowerCase() === 'false'
    ? "off by default in Sluice (the figures are in README's Tuning section); remove it"
    : "'sluice worker --shuffle-compress' (or 'sluice run --shuffle-compress'): map outputs LZ4-compressed (spark.io.compression.codec lz4)";
}

/** spark.driver.memory's value ('2g', '512m', MiB without a unit, as Spark reads it) in MiB, or 'MIB' when it is not a size. */
function heapMiB(v: string): string {
  const m = /^\s*(\d+)\s*([kmgt]?)b?\s*$/i.exec(v);
  if (!m) return 'MIB';
  const mib = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'] * Number(m[1]);
  return String(Math.floor(mib));
}

/** The `--conf` argument in `argv` (`--conf KEY=VALUE` or `--conf=KEY=VALUE`), split at its first `=`. */
export function confArgument(argv: readonly string[]): { key: string; value: string; given: string } | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const given = a === '--conf' ? argv[i + 1] : a.startsWith('--conf=') ? a.slice('--conf='.length) : undefined;
    if (given === undefined) continue;
    const eq = given.indexOf('=');
    return eq < 0 ? { key: given, value: '', given } : { key: given.slice(0, eq), value: given.slice(eq + 1), given };
  }
  return undefined;
}

/** Where Sluice sets the Spark setting `--conf` was given, or undefined for a key not listed. */
export function sparkConfInstead(argv: readonly string[]): string | undefined {
  const conf = confArgument(argv);
  if (conf === undefined) return undefined;
  if (!conf.given.includes('=')) return `'--conf ${conf.key.slice(0, 100)}' has no '=': spark-submit's takes KEY=VALUE`;
  const where = sparkKeyInstead(conf.key, conf.value === '' ? '...' : conf.value);
  return where === undefined ? undefined : `for ${conf.key}, ${where}`;
}

/** Where Sluice sets the Spark setting `key` (given `value`), or undefined for a key not listed. */
export function sparkKeyInstead(key: string, value: string): string | undefined {
  const prefix = SPARK_CONF_PREFIXES.find(([p]) => key.startsWith(p) && key.length > p.length);
  if (prefix !== undefined) return prefix[1](key.slice(prefix[0].length), value);
  return SPARK_CONF_KEYS[key]?.(value);
}

/** For one submitted job alone: what a per-application environment variable of Spark's becomes. */
const ONE_JOB = (v: string): string => `for one submitted job alone, pass the value as a job argument ('sluice submit --driver HOST:PORT job.ts ${v}', the program's args), which a function that captures it takes to the tasks`;
const DRIVER_ENV = (name: string, v: string): string =>
  `the environment of the driver process, which a submitted job's program reads as process.env.${name}: '${name}=${v} sluice driver' (sluice run's program has sluice run's: '${name}=${v} sluice run ...'); a submitted job does not get the environment of the shell that ran sluice submit (as Spark's cluster mode through its REST gateway, which passes only SPARK_* variables); ${ONE_JOB(v)}`;

/** Settings named by a prefix and a name of the user's (spark.executorEnv.[EnvironmentVariableName]). */
const SPARK_CONF_PREFIXES: readonly (readonly [string, (name: string, value: string) => string])[] = [
  ['spark.executorEnv.', (name, v) => `one job's: '--conf spark.executorEnv.${name}=${v}' on 'sluice run' or 'sluice submit' (that job's tasks and receivers read it as process.env.${name}, no other job's); for every job on a standing cluster, the environment of the worker processes: '${name}=${v} sluice worker ...'`],
  ['spark.driverEnv.', DRIVER_ENV],
  // Spark's own for the driver's environment in cluster mode (YARN's application master, Kubernetes' driver pod).
  ['spark.yarn.appMasterEnv.', DRIVER_ENV],
  ['spark.kubernetes.driverEnv.', DRIVER_ENV],
  // Whole families a spark-submit user passes, each refused naming what Sluice has instead.
  [
    'spark.hadoop.',
    (name) =>
      `Hadoop's ${name.slice(0, 100)}: there is no Hadoop: S3 goes through the AWS SDK, set by its environment on the driver and every worker (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, and AWS_ENDPOINT_URL for an S3-compatible server) or by configureS3({ endpoint, region, credentials }) of @sluice/s3 at the top level of the job file (README: Where checkpoints live); for HDFS, a directory the driver and workers share, or S3`,
  ],
  ['spark.sql.', () => "Spark SQL's: Sluice has no DataFrames or SQL: a job works on RDDs and DStreams, and a shuffle's partitions are its operator's (reduceByKey(f, n), repartition(n)) or spark.default.parallelism"],
  ['spark.yarn.', () => "no YARN: workers are 'sluice worker' processes you start, or an orchestrator starts (README: Running on several hosts)"],
  ['spark.kubernetes.', () => "Sluice starts no pods: deploy/ has manifests that run 'sluice driver' and 'sluice worker' on Kubernetes (README: Kubernetes)"],
];
