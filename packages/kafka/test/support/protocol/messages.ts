import { arr, f, message, type MessageSchema } from './schema.js';

/**
 * The requests and responses the test broker speaks, each with the version range it
 * advertises in ApiVersions. Field names and version ranges follow Kafka's message
 * definitions; only the versions listed in API_RANGES are ever decoded or encoded.
 */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  CreateTopics: 19,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  CreatePartitions: 37,
} as const;

/** The versions this broker serves, per API key: kafkajs and @platformatic/kafka both find theirs here. */
export const API_RANGES: Readonly<Record<number, readonly [number, number]>> = {
  [ApiKey.Produce]: [3, 11],
  [ApiKey.Fetch]: [4, 17],
  [ApiKey.ListOffsets]: [1, 9],
  [ApiKey.Metadata]: [1, 12],
  [ApiKey.OffsetCommit]: [2, 9],
  [ApiKey.OffsetFetch]: [1, 9],
  [ApiKey.FindCoordinator]: [0, 6],
  [ApiKey.JoinGroup]: [2, 5],
  [ApiKey.Heartbeat]: [1, 3],
  [ApiKey.LeaveGroup]: [1, 3],
  [ApiKey.SyncGroup]: [1, 3],
  [ApiKey.ApiVersions]: [0, 3],
  [ApiKey.CreateTopics]: [2, 7],
  [ApiKey.InitProducerId]: [0, 5],
  [ApiKey.CreatePartitions]: [0, 3],
  [ApiKey.AddPartitionsToTxn]: [3, 3],
  [ApiKey.AddOffsetsToTxn]: [3, 3],
  [ApiKey.EndTxn]: [3, 3],
  [ApiKey.TxnOffsetCommit]: [3, 3],
};

export interface ApiSchemas {
  readonly request: MessageSchema;
  readonly response: MessageSchema;
}

const produce: ApiSchemas = {
  request: message(ApiKey.Produce, '9+', [
    f('transactionalId', 'string', '3+', { nullable: '3+' }),
    f('acks', 'int16', '0+'),
    f('timeoutMs', 'int32', '0+'),
    arr('topicData', '0+', [f('name', 'string', '0+'), arr('partitionData', '0+', [f('index', 'int32', '0+'), f('records', 'records', '0+', { nullable: '0+' })])]),
  ]),
  response: message(ApiKey.Produce, '9+', [
    arr('responses', '0+', [
      f('name', 'string', '0+'),
      arr('partitionResponses', '0+', [
        f('index', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('baseOffset', 'int64', '0+'),
        f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        arr('recordErrors', '8+', [f('batchIndex', 'int32', '8+'), f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' })]),
        f('errorMessage', 'string', '8+', { nullable: '8+' }),
      ]),
    ]),
    f('throttleTimeMs', 'int32', '1+'),
  ]),
};

const fetch: ApiSchemas = {
  request: message(ApiKey.Fetch, '12+', [
    f('replicaId', 'int32', '0-14', { default: -1 }),
    f('maxWaitMs', 'int32', '0+'),
    f('minBytes', 'int32', '0+'),
    f('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    f('isolationLevel', 'int8', '4+'),
    f('sessionId', 'int32', '7+'),
    f('sessionEpoch', 'int32', '7+', { default: -1 }),
    arr('topics', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      arr('partitions', '0+', [
        f('partition', 'int32', '0+'),
        f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
        f('fetchOffset', 'int64', '0+'),
        f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        f('partitionMaxBytes', 'int32', '0+'),
      ]),
    ]),
    arr('forgottenTopicsData', '7+', [f('topic', 'string', '7-12'), f('topicId', 'uuid', '13+'), f('partitions', '[]int32', '7+')]),
    f('rackId', 'string', '11+'),
  ]),
  response: message(ApiKey.Fetch, '12+', [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '7+'),
    f('sessionId', 'int32', '7+'),
    arr('responses', '0+', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      arr('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('highWatermark', 'int64', '0+'),
        f('lastStableOffset', 'int64', '4+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        arr('abortedTransactions', '4+', [f('producerId', 'int64', '4+'), f('firstOffset', 'int64', '4+')], { nullable: '4+' }),
        f('preferredReadReplica', 'int32', '11+', { default: -1 }),
        f('records', 'records', '0+', { nullable: '0+' }),
      ]),
    ]),
  ]),
};

const listOffsets: ApiSchemas = {
  request: message(ApiKey.ListOffsets, '6+', [
    f('replicaId', 'int32', '0+'),
    f('isolationLevel', 'int8', '2+'),
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      arr('partitions', '0+', [f('partitionIndex', 'int32', '0+'), f('currentLeaderEpoch', 'int32', '4+', { default: -1 }), f('timestamp', 'int64', '0+')]),
    ]),
  ]),
  response: message(ApiKey.ListOffsets, '6+', [
    f('throttleTimeMs', 'int32', '2+'),
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      arr('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('errorCode', 'int16', '0+'),
        f('timestamp', 'int64', '1+', { default: -1n }),
        f('offset', 'int64', '1+', { default: -1n }),
        f('leaderEpoch', 'int32', '4+', { default: -1 }),
      ]),
    ]),
  ]),
};

const metadata: ApiSchemas = {
  request: message(ApiKey.Metadata, '9+', [
    arr('topics', '0+', [f('topicId', 'uuid', '10+'), f('name', 'string', '0+', { nullable: '10+' })], { nullable: '1+' }),
    f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    f('includeClusterAuthorizedOperations', 'bool', '8-10'),
    f('includeTopicAuthorizedOperations', 'bool', '8+'),
  ]),
  response: message(ApiKey.Metadata, '9+', [
    f('throttleTimeMs', 'int32', '3+'),
    arr('brokers', '0+', [f('nodeId', 'int32', '0+'), f('host', 'string', '0+'), f('port', 'int32', '0+'), f('rack', 'string', '1+', { nullable: '1+' })]),
    f('clusterId', 'string', '2+', { nullable: '2+' }),
    f('controllerId', 'int32', '1+', { default: -1 }),
    arr('topics', '0+', [
      f('errorCode', 'int16', '0+'),
      f('name', 'string', '0+', { nullable: '12+' }),
      f('topicId', 'uuid', '10+'),
      f('isInternal', 'bool', '1+'),
      arr('partitions', '0+', [
        f('errorCode', 'int16', '0+'),
        f('partitionIndex', 'int32', '0+'),
        f('leaderId', 'int32', '0+'),
        f('leaderEpoch', 'int32', '7+', { default: -1 }),
        f('replicaNodes', '[]int32', '0+'),
        f('isrNodes', '[]int32', '0+'),
        f('offlineReplicas', '[]int32', '5+'),
      ]),
      f('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
    ]),
    f('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
  ]),
};

const offsetCommit: ApiSchemas = {
  request: message(ApiKey.OffsetCommit, '8+', [
    f('groupId', 'string', '0+'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+' }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1n }),
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      arr('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('committedOffset', 'int64', '0+'),
        f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
        f('commitTimestamp', 'int64', '1', { default: -1n }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ]),
  response: message(ApiKey.OffsetCommit, '8+', [
    f('throttleTimeMs', 'int32', '3+'),
    arr('topics', '0+', [f('name', 'string', '0+'), arr('partitions', '0+', [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')])]),
  ]),
};

const offsetFetchPartition = (v: string) => [
  f('partitionIndex', 'int32', v),
  f('committedOffset', 'int64', v),
  f('committedLeaderEpoch', 'int32', v === '0-7' ? '5-7' : v, { default: -1 }),
  f('metadata', 'string', v, { nullable: v }),
  f('errorCode', 'int16', v),
];

const offsetFetch: ApiSchemas = {
  request: message(ApiKey.OffsetFetch, '6+', [
    f('groupId', 'string', '0-7'),
    arr('topics', '0-7', [f('name', 'string', '0-7'), f('partitionIndexes', '[]int32', '0-7')], { nullable: '2-7' }),
    arr(
      'groups',
      '8+',
      [
        f('groupId', 'string', '8+'),
        f('memberId', 'string', '9+', { nullable: '9+' }),
        f('memberEpoch', 'int32', '9+', { default: -1 }),
        arr('topics', '8+', [f('name', 'string', '8+'), f('partitionIndexes', '[]int32', '8+')], { nullable: '8+' }),
      ],
    ),
    f('requireStable', 'bool', '7+'),
  ]),
  response: message(ApiKey.OffsetFetch, '6+', [
    f('throttleTimeMs', 'int32', '3+'),
    arr('topics', '0-7', [f('name', 'string', '0-7'), arr('partitions', '0-7', offsetFetchPartition('0-7'))]),
    f('errorCode', 'int16', '2-7'),
    arr('groups', '8+', [
      f('groupId', 'string', '8+'),
      arr('topics', '8+', [f('name', 'string', '8+'), arr('partitions', '8+', offsetFetchPartition('8+'))]),
      f('errorCode', 'int16', '8+'),
    ]),
  ]),
};

const findCoordinator: ApiSchemas = {
  request: message(ApiKey.FindCoordinator, '3+', [f('key', 'string', '0-3'), f('keyType', 'int8', '1+'), f('coordinatorKeys', '[]string', '4+')]),
  response: message(ApiKey.FindCoordinator, '3+', [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3' }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    arr('coordinators', '4+', [
      f('key', 'string', '4+'),
      f('nodeId', 'int32', '4+'),
      f('host', 'string', '4+'),
      f('port', 'int32', '4+'),
      f('errorCode', 'int16', '4+'),
      f('errorMessage', 'string', '4+', { nullable: '4+' }),
    ]),
  ]),
};

const joinGroup: ApiSchemas = {
  request: message(ApiKey.JoinGroup, '6+', [
    f('groupId', 'string', '0+'),
    f('sessionTimeoutMs', 'int32', '0+'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+' }),
    f('protocolType', 'string', '0+'),
    arr('protocols', '0+', [f('name', 'string', '0+'), f('metadata', 'bytes', '0+')]),
  ]),
  response: message(ApiKey.JoinGroup, '6+', [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16', '0+'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolName', 'string', '0+'),
    f('leader', 'string', '0+'),
    f('memberId', 'string', '0+'),
    arr('members', '0+', [f('memberId', 'string', '0+'), f('groupInstanceId', 'string', '5+', { nullable: '5+' }), f('metadata', 'bytes', '0+')]),
  ]),
};

const syncGroup: ApiSchemas = {
  request: message(ApiKey.SyncGroup, '4+', [
    f('groupId', 'string', '0+'),
    f('generationId', 'int32', '0+'),
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    arr('assignments', '0+', [f('memberId', 'string', '0+'), f('assignment', 'bytes', '0+')]),
  ]),
  response: message(ApiKey.SyncGroup, '4+', [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16', '0+'), f('assignment', 'bytes', '0+')]),
};

const heartbeat: ApiSchemas = {
  request: message(ApiKey.Heartbeat, '4+', [f('groupId', 'string', '0+'), f('generationId', 'int32', '0+'), f('memberId', 'string', '0+'), f('groupInstanceId', 'string', '3+', { nullable: '3+' })]),
  response: message(ApiKey.Heartbeat, '4+', [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16', '0+')]),
};

const leaveGroup: ApiSchemas = {
  request: message(ApiKey.LeaveGroup, '4+', [f('groupId', 'string', '0+'), f('memberId', 'string', '0-2'), arr('members', '3+', [f('memberId', 'string', '3+'), f('groupInstanceId', 'string', '3+', { nullable: '3+' })])]),
  response: message(ApiKey.LeaveGroup, '4+', [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0+'),
    arr('members', '3+', [f('memberId', 'string', '3+'), f('groupInstanceId', 'string', '3+', { nullable: '3+' }), f('errorCode', 'int16', '3+')]),
  ]),
};

const apiVersions: ApiSchemas = {
  request: message(ApiKey.ApiVersions, '3+', [f('clientSoftwareName', 'string', '3+'), f('clientSoftwareVersion', 'string', '3+')]),
  response: message(ApiKey.ApiVersions, '3+', [
    f('errorCode', 'int16', '0+'),
    arr('apiKeys', '0+', [f('apiKey', 'int16', '0+'), f('minVersion', 'int16', '0+'), f('maxVersion', 'int16', '0+')]),
    f('throttleTimeMs', 'int32', '1+'),
  ]),
};

const createTopics: ApiSchemas = {
  request: message(ApiKey.CreateTopics, '5+', [
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      f('numPartitions', 'int32', '0+'),
      f('replicationFactor', 'int16', '0+'),
      arr('assignments', '0+', [f('partitionIndex', 'int32', '0+'), f('brokerIds', '[]int32', '0+')]),
      arr('configs', '0+', [f('name', 'string', '0+'), f('value', 'string', '0+', { nullable: '0+' })]),
    ]),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '1+'),
  ]),
  response: message(ApiKey.CreateTopics, '5+', [
    f('throttleTimeMs', 'int32', '2+'),
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      f('topicId', 'uuid', '7+'),
      f('errorCode', 'int16', '0+'),
      f('errorMessage', 'string', '1+', { nullable: '0+' }),
      f('numPartitions', 'int32', '5+', { default: -1 }),
      f('replicationFactor', 'int16', '5+', { default: -1 }),
      arr('configs', '5+', [f('name', 'string', '5+'), f('value', 'string', '5+', { nullable: '5+' }), f('readOnly', 'bool', '5+'), f('configSource', 'int8', '5+', { default: -1 }), f('isSensitive', 'bool', '5+')], {
        nullable: '5+',
      }),
    ]),
  ]),
};

const initProducerId: ApiSchemas = {
  request: message(ApiKey.InitProducerId, '2+', [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32', '0+'),
    f('producerId', 'int64', '3+', { default: -1n }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ]),
  response: message(ApiKey.InitProducerId, '2+', [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+'), f('producerId', 'int64', '0+', { default: -1n }), f('producerEpoch', 'int16', '0+')]),
};

const createPartitions: ApiSchemas = {
  request: message(ApiKey.CreatePartitions, '2+', [
    arr('topics', '0+', [f('name', 'string', '0+'), f('count', 'int32', '0+'), arr('assignments', '0+', [f('brokerIds', '[]int32', '0+')], { nullable: '0+' })]),
    f('timeoutMs', 'int32', '0+'),
    f('validateOnly', 'bool', '0+'),
  ]),
  response: message(ApiKey.CreatePartitions, '2+', [
    f('throttleTimeMs', 'int32', '0+'),
    arr('results', '0+', [f('name', 'string', '0+'), f('errorCode', 'int16', '0+'), f('errorMessage', 'string', '0+', { nullable: '0+' })]),
  ]),
};

// The transaction APIs, at the one (flexible) version @platformatic/kafka and kafkajs-era clients both speak.
const addPartitionsToTxn: ApiSchemas = {
  request: message(ApiKey.AddPartitionsToTxn, '3+', [
    f('transactionalId', 'string', '0-3'),
    f('producerId', 'int64', '0-3'),
    f('producerEpoch', 'int16', '0-3'),
    arr('topics', '0-3', [f('name', 'string', '0+'), f('partitions', '[]int32', '0+')]),
  ]),
  response: message(ApiKey.AddPartitionsToTxn, '3+', [
    f('throttleTimeMs', 'int32', '0+'),
    arr('resultsByTopicV3AndBelow', '0-3', [f('name', 'string', '0+'), arr('resultsByPartition', '0+', [f('partitionIndex', 'int32', '0+'), f('partitionErrorCode', 'int16', '0+')])]),
  ]),
};

const addOffsetsToTxn: ApiSchemas = {
  request: message(ApiKey.AddOffsetsToTxn, '3+', [f('transactionalId', 'string', '0+'), f('producerId', 'int64', '0+'), f('producerEpoch', 'int16', '0+'), f('groupId', 'string', '0+')]),
  response: message(ApiKey.AddOffsetsToTxn, '3+', [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+')]),
};

const endTxn: ApiSchemas = {
  request: message(ApiKey.EndTxn, '3+', [f('transactionalId', 'string', '0+'), f('producerId', 'int64', '0+'), f('producerEpoch', 'int16', '0+'), f('committed', 'bool', '0+')]),
  response: message(ApiKey.EndTxn, '3+', [f('throttleTimeMs', 'int32', '0+'), f('errorCode', 'int16', '0+')]),
};

const txnOffsetCommit: ApiSchemas = {
  request: message(ApiKey.TxnOffsetCommit, '3+', [
    f('transactionalId', 'string', '0+'),
    f('groupId', 'string', '0+'),
    f('producerId', 'int64', '0+'),
    f('producerEpoch', 'int16', '0+'),
    f('generationId', 'int32', '3+', { default: -1 }),
    f('memberId', 'string', '3+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    arr('topics', '0+', [
      f('name', 'string', '0+'),
      arr('partitions', '0+', [
        f('partitionIndex', 'int32', '0+'),
        f('committedOffset', 'int64', '0+'),
        f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ]),
  response: message(ApiKey.TxnOffsetCommit, '3+', [
    f('throttleTimeMs', 'int32', '0+'),
    arr('topics', '0+', [f('name', 'string', '0+'), arr('partitions', '0+', [f('partitionIndex', 'int32', '0+'), f('errorCode', 'int16', '0+')])]),
  ]),
};

export const SCHEMAS: Readonly<Record<number, ApiSchemas>> = {
  [ApiKey.Produce]: produce,
  [ApiKey.Fetch]: fetch,
  [ApiKey.ListOffsets]: listOffsets,
  [ApiKey.Metadata]: metadata,
  [ApiKey.OffsetCommit]: offsetCommit,
  [ApiKey.OffsetFetch]: offsetFetch,
  [ApiKey.FindCoordinator]: findCoordinator,
  [ApiKey.JoinGroup]: joinGroup,
  [ApiKey.Heartbeat]: heartbeat,
  [ApiKey.LeaveGroup]: leaveGroup,
  [ApiKey.SyncGroup]: syncGroup,
  [ApiKey.ApiVersions]: apiVersions,
  [ApiKey.CreateTopics]: createTopics,
  [ApiKey.InitProducerId]: initProducerId,
  [ApiKey.CreatePartitions]: createPartitions,
  [ApiKey.AddPartitionsToTxn]: addPartitionsToTxn,
  [ApiKey.AddOffsetsToTxn]: addOffsetsToTxn,
  [ApiKey.EndTxn]: endTxn,
  [ApiKey.TxnOffsetCommit]: txnOffsetCommit,
};

/** Kafka error codes the broker answers with. */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_NOT_AVAILABLE: 15,
  INVALID_TOPIC_EXCEPTION: 17,
  ILLEGAL_GENERATION: 22,
  UNKNOWN_MEMBER_ID: 25,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  MEMBER_ID_REQUIRED: 79,
  PRODUCER_FENCED: 90,
  UNKNOWN_TOPIC_ID: 100,
} as const;
