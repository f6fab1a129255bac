import type { KafkaTestCluster, TopicState } from './kafka-test-cluster.js';
import { apiKeyList } from './kafka-test-cluster.js';
import { ApiKey, ErrorCode } from './protocol/messages.js';
import { CorruptBatchError, splitBatches } from './protocol/record-batch.js';
import type { Message } from './protocol/schema.js';

/** What a handler returns: the response, or 'drop' (close the connection unanswered) or 'none' (acks=0). */
export type Outcome = Message | 'drop' | 'none';

type M = Message;
const arr = (v: unknown): M[] => (v as M[] | null) ?? [];

/** Answers one decoded request on broker `self`. */
export async function handleRequest(c: KafkaTestCluster, self: number, apiKey: number, version: number, req: M): Promise<Outcome> {
  switch (apiKey) {
    case ApiKey.ApiVersions:
      return { errorCode: 0, apiKeys: apiKeyList() };
    case ApiKey.Metadata:
      return metadata(c, req, version);
    case ApiKey.Produce:
      return produce(c, self, req);
    case ApiKey.Fetch:
      return c.answerFetch(() => fetch(c, self, req, version));
    case ApiKey.ListOffsets:
      return c.answerListOffsets(() => listOffsets(c, self, req));
    case ApiKey.FindCoordinator:
      return findCoordinator(c, req, version);
    case ApiKey.OffsetCommit:
      return offsetCommit(c, req);
    case ApiKey.OffsetFetch:
      return offsetFetch(c, req, version);
    case ApiKey.InitProducerId:
      if (typeof req.transactionalId === 'string') return { throttleTimeMs: 0, ...c.txns.initProducerId(req.transactionalId) };
      return { errorCode: 0, producerId: c.newProducerId(), producerEpoch: 0 };
    case ApiKey.AddPartitionsToTxn:
      return addPartitionsToTxn(c, req);
    case ApiKey.AddOffsetsToTxn:
      return { throttleTimeMs: 0, errorCode: c.txns.addOffsets(req.transactionalId as string, req.producerId as bigint, req.producerEpoch as number, req.groupId as string) };
    case ApiKey.TxnOffsetCommit:
      return txnOffsetCommit(c, req);
    case ApiKey.EndTxn:
      return { throttleTimeMs: 0, errorCode: c.txns.endTxn(req.transactionalId as string, req.producerId as bigint, req.producerEpoch as number, req.committed as boolean) };
    case ApiKey.CreateTopics:
      return createTopics(c, req);
    case ApiKey.CreatePartitions:
      return createPartitions(c, req);
    case ApiKey.JoinGroup: {
      const r = await c.groups.join(req.groupId as string, req.memberId as string, arr(req.protocols) as { name: string; metadata: Buffer }[], version >= 4);
      return { ...r };
    }
    case ApiKey.SyncGroup:
      return c.groups.sync(req.groupId as string, req.generationId as number, req.memberId as string, arr(req.assignments) as { memberId: string; assignment: Buffer }[]);
    case ApiKey.Heartbeat:
      return { errorCode: c.groups.heartbeat(req.groupId as string, req.generationId as number, req.memberId as string) };
    case ApiKey.LeaveGroup: {
      const ids = version >= 3 ? arr(req.members).map((m) => m.memberId as string) : [req.memberId as string];
      for (const id of ids) c.groups.leave(req.groupId as string, id);
      return { errorCode: 0, members: ids.map((memberId) => ({ memberId, groupInstanceId: null, errorCode: 0 })) };
    }
    default:
      return 'drop';
  }
}

function liveLeader(c: KafkaTestCluster, leader: number): number {
  return c.isUp(leader) ? leader : -1;
}

function metadata(c: KafkaTestCluster, req: M, version: number): M {
  const wanted = req.topics as M[] | null;
  let topics: (TopicState | { name: string | null; id: string; missing: true })[];
  if (wanted === null || (version < 1 && wanted.length === 0)) {
    topics = [...c.topics.values()];
  } else {
    topics = wanted.map((w) => {
      const name = w.name as string | null;
      const byName = name !== null ? c.topics.get(name) : c.topicById(w.topicId as string);
      if (byName) return byName;
      if (name !== null && c.autoCreateTopics && req.allowAutoTopicCreation !== false) return c.createTopic(name, c.defaultPartitions);
      return { name, id: (w.topicId as string) ?? '0'.repeat(32), missing: true as const };
    });
  }
  const live = c.brokerIds.filter((id) => c.isUp(id));
  return {
    brokers: live.map((id) => ({ nodeId: id, host: c.host, port: c.portOf(id), rack: null })),
    clusterId: c.clusterId,
    controllerId: live[0] ?? -1,
    topics: topics.map((t) =>
      'missing' in t
        ? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: t.name, topicId: t.id, partitions: [] }
        : {
            errorCode: 0,
            name: t.name,
            topicId: t.id,
            isInternal: false,
            partitions: t.partitions.map((p) => {
              const leader = liveLeader(c, p.leader);
              return {
                errorCode: leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
                partitionIndex: p.partition,
                leaderId: leader,
                leaderEpoch: p.leaderEpoch,
                replicaNodes: [p.leader],
                isrNodes: leader < 0 ? [] : [p.leader],
                offlineReplicas: leader < 0 ? [p.leader] : [],
              };
            }),
          },
    ),
  };
}

function produce(c: KafkaTestCluster, self: number, req: M): Outcome {
  const responses = arr(req.topicData).map((t) => ({
    name: t.name,
    partitionResponses: arr(t.partitionData).map((p) => {
      const index = p.index as number;
      const done = (errorCode: number, baseOffset = -1n, errorMessage: string | null = null) => ({ index, errorCode, baseOffset, recordErrors: [], errorMessage });
      const log = c.log(t.name as string, index);
      if (!log) return done(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      if (log.leader !== self) return done(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      const records = (p.records as Buffer | null) ?? Buffer.alloc(0);
      let batches;
      try {
        batches = splitBatches(records);
      } catch (err) {
        if (err instanceof CorruptBatchError) return done(ErrorCode.CORRUPT_MESSAGE, -1n, err.message);
        throw err;
      }
      if (batches.some((b) => b.bytes.length > c.maxMessageBytes)) return done(ErrorCode.MESSAGE_TOO_LARGE, -1n, `batch larger than ${c.maxMessageBytes} bytes`);
      let first = -1n;
      for (const b of batches) {
        const r = log.append(b);
        if (r.errorCode !== 0) return done(r.errorCode);
        if (first < 0n) first = r.baseOffset;
      }
      return done(0, first);
    }),
  }));
  if (c.takeProduceDrop()) return 'drop';
  if (req.acks === 0) return 'none';
  return { responses, throttleTimeMs: 0 };
}

async function fetch(c: KafkaTestCluster, self: number, req: M, version: number): Promise<M> {
  const byId = version >= 13;
  // read_committed (1): nothing at or past the last stable offset, and the aborted transactions in range.
  const committedOnly = req.isolationLevel === 1;
  const maxWait = Math.min(req.maxWaitMs as number, 30_000);
  const deadline = Date.now() + maxWait;
  for (const t of arr(req.topics)) {
    const topic = byId ? c.topicById(t.topicId as string) : c.topics.get(t.topic as string);
    if (topic) for (const p of arr(t.partitions)) c.noteFetch(topic.name, p.partition as number, p.fetchOffset as bigint);
  }
  for (;;) {
    let total = 0;
    let failed = false;
    const waitOn: (() => () => void)[] = [];
    let budget = (req.maxBytes as number) > 0 ? (req.maxBytes as number) : 0x7fffffff;
    const responses = arr(req.topics).map((t) => {
      const topic = byId ? c.topicById(t.topicId as string) : c.topics.get(t.topic as string);
      return {
        topic: t.topic,
        topicId: t.topicId,
        partitions: arr(t.partitions).map((p) => {
          const partitionIndex = p.partition as number;
          const log = topic?.partitions[partitionIndex];
          const empty = (errorCode: number) => {
            failed = true;
            return { partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, records: null };
          };
          if (!log) return empty(byId && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (log.leader !== self) return empty(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const epoch = p.currentLeaderEpoch as number;
          if (epoch >= 0 && epoch < log.leaderEpoch) return empty(ErrorCode.FENCED_LEADER_EPOCH);
          if (epoch > log.leaderEpoch) return empty(ErrorCode.UNKNOWN_LEADER_EPOCH);
          const from = p.fetchOffset as bigint;
          if (from < log.startOffset || from > log.endOffset) return empty(ErrorCode.OFFSET_OUT_OF_RANGE);
          const limit = committedOnly ? log.lastStableOffset : log.endOffset;
          const records = budget > 0 ? log.read(from, Math.min(p.partitionMaxBytes as number, budget), limit) : Buffer.alloc(0);
          budget -= records.length;
          total += records.length;
          waitOn.push(() => log.onAppend(wake));
          const abortedTransactions = committedOnly ? log.abortedBetween(from, limit) : null;
          return { partitionIndex, errorCode: 0, highWatermark: log.endOffset, lastStableOffset: log.lastStableOffset, logStartOffset: log.startOffset, abortedTransactions, records };
        }),
      };
    });
    const remaining = deadline - Date.now();
    if (failed || total >= Math.max(1, req.minBytes as number) || remaining <= 0 || waitOn.length === 0) {
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
    }
    let wake: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, remaining);
      const cancels: (() => void)[] = [];
      wake = () => {
        clearTimeout(timer);
        for (const cancel of cancels) cancel();
        resolve();
      };
      for (const w of waitOn) cancels.push(w());
    });
  }
}

function listOffsets(c: KafkaTestCluster, self: number, req: M): M {
  return {
    throttleTimeMs: 0,
    topics: arr(req.topics).map((t) => ({
      name: t.name,
      partitions: arr(t.partitions).map((p) => {
        const partitionIndex = p.partitionIndex as number;
        const log = c.log(t.name as string, partitionIndex);
        if (!log) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (log.leader !== self) return { partitionIndex, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
        const ts = p.timestamp as bigint;
        const end = req.isolationLevel === 1 ? log.lastStableOffset : log.endOffset;
        if (ts >= 0n) {
          const found = log.offsetForTimestamp(ts, end);
          return { partitionIndex, errorCode: 0, timestamp: found?.timestamp ?? -1n, offset: found?.offset ?? -1n, leaderEpoch: log.leaderEpoch };
        }
        const offset = ts === -2n ? log.startOffset : end;
        return { partitionIndex, errorCode: 0, timestamp: -1n, offset, leaderEpoch: log.leaderEpoch };
      }),
    })),
  };
}

function coordinator(c: KafkaTestCluster): number {
  return c.brokerIds.find((id) => c.isUp(id)) ?? -1;
}

function findCoordinator(c: KafkaTestCluster, req: M, version: number): M {
  const id = coordinator(c);
  const one = { nodeId: id, host: c.host, port: id < 0 ? -1 : c.portOf(id), errorCode: id < 0 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : 0, errorMessage: null };
  if (version < 4) return { throttleTimeMs: 0, ...one };
  return { throttleTimeMs: 0, coordinators: (req.coordinatorKeys as string[]).map((key) => ({ key, ...one })) };
}

function offsetCommit(c: KafkaTestCluster, req: M): M {
  return {
    throttleTimeMs: 0,
    topics: arr(req.topics).map((t) => ({
      name: t.name,
      partitions: arr(t.partitions).map((p) => {
        const partitionIndex = p.partitionIndex as number;
        if (!c.log(t.name as string, partitionIndex)) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        c.groups.commit(req.groupId as string, t.name as string, partitionIndex, p.committedOffset as bigint);
        return { partitionIndex, errorCode: 0 };
      }),
    })),
  };
}

function committedTopics(c: KafkaTestCluster, group: string, topics: M[] | null): M[] {
  const wanted = topics === null ? [...c.groups.committedTopics(group)].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) : topics;
  return wanted.map((t) => ({
    name: t.name,
    partitions: (t.partitionIndexes as number[]).map((partitionIndex) => ({
      partitionIndex,
      committedOffset: c.groups.committed(group, t.name as string, partitionIndex),
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode: 0,
    })),
  }));
}

function offsetFetch(c: KafkaTestCluster, req: M, version: number): M {
  if (version < 8) return { throttleTimeMs: 0, errorCode: 0, topics: committedTopics(c, req.groupId as string, req.topics as M[] | null) };
  return {
    throttleTimeMs: 0,
    groups: arr(req.groups).map((g) => ({ groupId: g.groupId, errorCode: 0, topics: committedTopics(c, g.groupId as string, g.topics as M[] | null) })),
  };
}

function createTopics(c: KafkaTestCluster, req: M): M {
  return {
    throttleTimeMs: 0,
    topics: arr(req.topics).map((t) => {
      const name = t.name as string;
      if (c.topics.has(name)) return { name, errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: `Topic '${name}' already exists.`, configs: null };
      const n = (t.numPartitions as number) > 0 ? (t.numPartitions as number) : c.defaultPartitions;
      const created = req.validateOnly ? undefined : c.createTopic(name, n);
      return { name, topicId: created?.id ?? '0'.repeat(32), errorCode: 0, errorMessage: null, numPartitions: n, replicationFactor: 1, configs: [] };
    }),
  };
}

function createPartitions(c: KafkaTestCluster, req: M): M {
  return {
    throttleTimeMs: 0,
    results: arr(req.topics).map((t) => {
      const name = t.name as string;
      const topic = c.topics.get(name);
      if (!topic) return { name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
      const count = t.count as number;
      if (count <= topic.partitions.length) return { name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${topic.partitions.length} partitions, ${count} is not an increase.` };
      if (!req.validateOnly) c.addPartitions(name, count);
      return { name, errorCode: 0, errorMessage: null };
    }),
  };
}

function addPartitionsToTxn(c: KafkaTestCluster, req: M): M {
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: arr(req.topics).map((t) => {
      const partitions = (t.partitions as number[]) ?? [];
      const codes = c.txns.addPartitions(
        req.transactionalId as string,
        req.producerId as bigint,
        req.producerEpoch as number,
        partitions.map((p) => c.log(t.name as string, p)),
      );
      return { name: t.name, resultsByPartition: partitions.map((partitionIndex, i) => ({ partitionIndex, partitionErrorCode: codes[i] })) };
    }),
  };
}

function txnOffsetCommit(c: KafkaTestCluster, req: M): M {
  return {
    throttleTimeMs: 0,
    topics: arr(req.topics).map((t) => ({
      name: t.name,
      partitions: arr(t.partitions).map((p) => {
        const partitionIndex = p.partitionIndex as number;
        if (!c.log(t.name as string, partitionIndex)) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const errorCode = c.txns.txnOffsetCommit(
          req.transactionalId as string,
          req.producerId as bigint,
          req.producerEpoch as number,
          req.groupId as string,
          t.name as string,
          partitionIndex,
          p.committedOffset as bigint,
        );
        return { partitionIndex, errorCode };
      }),
    })),
  };
}
