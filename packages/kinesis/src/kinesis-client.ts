import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisReaderConfig } from './kinesis-reader-config.js';

/** How long a call waits for the endpoint to take its connection (@smithy/node-http-handler's connectionTimeout). */
export const CONNECTION_TIMEOUT_MS = 5_000;
/** How long a call waits for its answer once sent (requestTimeout): past it the call fails and the reader retries. */
export const REQUEST_TIMEOUT_MS = 20_000;

/** A Kinesis client for one receiver run; every call is bounded in time, retries are the reader's. */
export function createKinesisClient(c: KinesisReaderConfig): KinesisClient {
  return new KinesisClient({
    endpoint: c.endpointUrl,
    region: c.regionName,
    ...(c.credentials ? { credentials: c.credentials } : {}),
    maxAttempts: 1,
    // HTTP/1.1: the client's default HTTP/2 handler is for SubscribeToShard (enhanced fan-out), not used here.
    // throwOnRequestTimeout: without it @smithy/node-http-handler 4.x only logs a warning when
    // requestTimeout passes and the call waits on, for ever against an endpoint that accepted
    // and stopped answering (a paused server): the reader then neither reports nor retries.
    requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true }),
  });
}

/**
 * Calls on connections the endpoint dropped (ECONNRESET, EPIPE) tried again at once, in a row,
 * before one is reported: an HTTP server closes keep-alive connections it found idle, and a
 * call that goes out on one as it closes gets the reset; the client's pool may hold several
 * such connections (an HTTP client's own retries hide this; the client here makes one attempt).
 * A Kinesis that went away refuses the next new connection, and that is reported.
 */
export const DROPPED_RETRIES = 3;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ENETUNREACH']);

/** What went wrong, as a kind the reader acts on. */
export type KinesisFailure = 'unreachable' | 'dropped' | 'no-answer' | 'foreign-sequence' | 'missing-stream' | 'credentials' | 'expired-iterator' | 'throttled' | 'other';

export function classify(err: unknown): KinesisFailure {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = e?.name ?? '';
  if (name === 'ResourceNotFoundException') return 'missing-stream';
  if (name === 'ExpiredIteratorException') return 'expired-iterator';
  // Kinesis's words for a sequence number of another stream: a checkpoint of a stream deleted and created again under its name.
  if (name === 'InvalidArgumentException' && /did not come from this stream/.test((err as Error)?.message ?? '')) return 'foreign-sequence';
  if (name === 'ProvisionedThroughputExceededException' || name === 'LimitExceededException' || name === 'KMSThrottlingException') return 'throttled';
  if (
    name === 'CredentialsProviderError' ||
    name === 'UnrecognizedClientException' ||
    name === 'InvalidSignatureException' ||
    name === 'AccessDeniedException' ||
    name === 'ExpiredTokenException' ||
    name === 'MissingAuthenticationTokenException'
  ) {
    return 'credentials';
  }
  const code = e?.code ?? e?.cause?.code;
  // @smithy/node-http-handler names a connection the endpoint reset or closed under a call
  // (ECONNRESET, EPIPE: Kinesis killed or restarted, a proxy dropping it) a TimeoutError too,
  // keeping the code: no timeout passed there, the endpoint went away.
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'dropped';
  // The handler's own timeouts are TimeoutErrors (its request timeout's with code ETIMEDOUT
  // too): one on the connection is an endpoint not reached; one on a call already sent
  // (requestTimeout, or the socket idle) is an endpoint that took it and stopped answering.
  if (name === 'TimeoutError' && !/did not establish a connection/.test((err as Error)?.message ?? '')) return 'no-answer';
  if ((code && UNREACHABLE.has(code)) || name === 'TimeoutError' || name === 'RequestTimeout') return 'unreachable';
  return 'other';
}

/** The message a receiver error carries: names Kinesis, the thing, the setting to fix. */
export function describeFailure(err: unknown, c: KinesisReaderConfig, retryMs: number): string {
  const message = (err as Error)?.message ?? String(err);
  switch (classify(err)) {
    case 'unreachable':
      return `Kinesis: cannot reach the endpoint ${c.endpointUrl} (endpointUrl) for stream '${c.streamName}': ${message}; check the URL and that Kinesis is reachable from the workers (retrying every ${retryMs} ms)`;
    case 'dropped':
      return `Kinesis: the endpoint ${c.endpointUrl} (endpointUrl) closed the connection of a call for stream '${c.streamName}' before answering it: ${message}; Kinesis stopped or restarted, or a proxy before it dropped the connection: check that it is up and reachable from the workers (retrying every ${retryMs} ms)`;
    case 'no-answer':
      return `Kinesis: the endpoint ${c.endpointUrl} (endpointUrl) took the connection but did not answer a call for stream '${c.streamName}' within ${REQUEST_TIMEOUT_MS} ms (the readers' request timeout): ${message}; Kinesis, or a proxy before it, is stopped or overloaded: check that it answers (retrying every ${retryMs} ms)`;
    case 'missing-stream':
      return `Kinesis: the stream '${c.streamName}' (streamName) does not exist at ${c.endpointUrl} in region ${c.regionName} (regionName): ${message}; create it or fix streamName, regionName or endpointUrl (retrying every ${retryMs} ms)`;
    case 'foreign-sequence':
      return `Kinesis: stream '${c.streamName}' (streamName) at ${c.endpointUrl} does not know the sequence number its reader resumes after (${message}): the stream was deleted and created again under that name, and this application's shard checkpoints (kinesis/${c.checkpointAppName}/${c.streamName}/ in the checkpoint directory) are of the old stream's shards: stop the job and submit it with a new checkpoint directory to read the new stream from initialPosition (its state starts over; deleting the shard checkpoints alone is not enough) (retrying every ${retryMs} ms)`;
    case 'credentials':
      return `Kinesis: ${c.endpointUrl} refused the credentials (kinesisCredentials ${c.credentials ? `with accessKeyId ${JSON.stringify(c.credentials.accessKeyId)}` : 'not set: the AWS SDK default chain on the worker'}): ${message}; check kinesisCredentials or the worker's AWS environment (retrying every ${retryMs} ms)`;
    default:
      return `Kinesis: stream '${c.streamName}' at ${c.endpointUrl}: ${(err as Error)?.name ?? 'Error'}: ${message} (retrying every ${retryMs} ms)`;
  }
}
