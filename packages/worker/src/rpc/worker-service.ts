import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { chunks, type wire } from '@sluice/core/internal';
import type { Executor } from '../executor/executor.js';
import type { BlockManager } from '../storage/block-manager.js';
import type { BlockMigrator } from '../storage/block-migrator.js';
import type { ShuffleStreamHandler } from './shuffle-stream-handler.js';
import { callError } from './call-error.js';
import { PutRefusals } from './put-refusals.js';
import { handleTaskStream } from './task-stream-handler.js';

/** Converts the Worker service's wire calls into Executor, BlockManager and shuffle stream calls. */
export function workerService(executor: Executor, blocks: BlockManager, shuffleStreams: ShuffleStreamHandler, migrator: BlockMigrator, log: Logger): wire.WorkerHandlers {
  const sendBlock = (call: grpc.ServerWritableStream<unknown, wire.BlockChunk>, blockId: string, segments: Uint8Array[] | undefined): void => {
    if (segments === undefined) {
      call.write({ block_id: blockId, missing: true });
      return;
    }
    for (const seg of segments) {
      const parts = [...chunks(seg)];
      parts.forEach((data, i) => call.write({ block_id: blockId, data, last: i === parts.length - 1 }));
    }
    call.write({ block_id: blockId, end_of_block: true });
  };

  const refusals = new PutRefusals(log);
  /** A unary call's answer: `work`'s result, or callError's words when it throws (gRPC would answer 'Unknown error'). */
  const answer = <T>(callback: grpc.sendUnaryData<T>, what: string, work: () => T): void => {
    let res: T;
    try {
      res = work();
    } catch (err) {
      log.warn({ err }, what);
      callback(callError(what, err));
      return;
    }
    callback(null, res);
  };

  return {
    RunTasks(call) {
      handleTaskStream(call, executor, log);
    },
    KillTask(call, callback) {
      const found = executor.kill(call.request.task_id);
      log.debug({ taskId: call.request.task_id, found }, 'kill task');
      callback(null, { found });
    },
    ShuffleStream(call) {
      shuffleStreams.handle(call);
    },
    GetBlock(call) {
      sendBlock(call, call.request.block_id, blocks.get(call.request.block_id));
      call.end();
    },
    PutBlock(call, callback) {
      let blockId = '';
      const segments: Uint8Array[] = [];
      let parts: Buffer[] = [];
      let size = 0;
      // A piece that cannot be joined (no memory for it) fails the call at its end, not the worker.
      let failed: unknown;
      call.on('data', (c: wire.BlockChunk__Output) => {
        blockId = c.block_id;
        if (c.end_of_block || failed !== undefined) return;
        parts.push(c.data);
        size += c.data.length;
        if (c.last) {
          // A segment in one message is kept as gRPC gave it; one in several (a received line
          // block's replica, in pieces of REPLICA_PIECE_BYTES) joined into one buffer, reused
          // memory for a large one (BlockManager.join: its memory serves a later replica once
          // this block is dropped).
          try {
            segments.push(parts.length === 1 ? parts[0] : blocks.join(parts, parts.reduce((a, p) => a + p.length, 0)));
          } catch (err) {
            failed = err;
          }
          parts = [];
        }
      });
      call.on('end', () => {
        if (!blockId) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'PutBlock: no block sent' });
        // A store that throws (a full --local-dir when older blocks spill, no memory) refuses
        // this block only: the sender is answered why (RESOURCE_EXHAUSTED for a full disk,
        // INTERNAL otherwise) and this worker goes on serving other calls, as Spark's
        // putBlockData failing fails that one upload.
        try {
          if (failed !== undefined) throw failed;
          blocks.put(blockId, segments, 'MEMORY_AND_DISK');
        } catch (err) {
          refusals.refused(blockId, err);
          return callback(callError(`worker cannot store block ${blockId}`, err));
        }
        refusals.stored(blockId);
        callback(null, { size });
      });
      call.on('error', (err) => log.warn({ err }, 'PutBlock stream failed'));
    },
    ReleaseJob(call, callback) {
      answer(callback, `worker cannot release job ${call.request.job_id}`, () => {
        executor.releaseJob(call.request.job_id);
        return {};
      });
    },
    RemoveBlocks(call, callback) {
      answer(callback, 'worker cannot remove blocks', () => ({ removed: executor.removeBlocks(call.request.block_ids, call.request.prefixes) }));
    },
    StartReceiver(call, callback) {
      executor.startReceiver(call.request).then(
        () => callback(null, {}),
        (err: Error) => callback({ code: grpc.status.FAILED_PRECONDITION, details: `worker cannot start the receiver: ${err.message}` }),
      );
    },
    StopReceiver(call, callback) {
      callback(null, { found: executor.stopReceiver(call.request.job_id, call.request.stream_id, { graceful: call.request.graceful }) });
    },
    MigrateBlocks(call, callback) {
      const peers = call.request.peers.map((p: wire.Peer__Output) => ({ workerId: p.worker_id, address: p.address }));
      migrator.migrate(peers, { rddBlocks: call.request.rdd_blocks, shuffleBlocks: call.request.shuffle_blocks }).then(
        (res) => callback(null, res),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: `cannot copy blocks: ${err.message}` }),
      );
    },
    RemoveRdd(call, callback) {
      answer(callback, `worker cannot remove RDD ${call.request.rdd_id}`, () => ({ removed: executor.removeRdd(call.request.job_id, call.request.rdd_id) }));
    },
    RemoveBroadcast(call, callback) {
      answer(callback, `worker cannot remove broadcast ${call.request.broadcast_id}`, () => ({ removed: executor.removeBroadcast(call.request.job_id, call.request.broadcast_id) }));
    },
  };
}
