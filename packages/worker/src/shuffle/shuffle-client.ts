import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CHANNEL_OPTIONS, channelCredentials, chunks, loadProto, secretMetadata, shuffleBlockId, type MapOutputLocation, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { BlockManager } from '../storage/block-manager.js';

export type FetchResult =
  | { readonly ok: true; readonly segments: Uint8Array[] }
  | { readonly ok: false; readonly mapPartition: number; readonly workerId: string; readonly message: string };

/**
 * Reads the blocks of one reduce partition from every worker holding its map outputs:
 * local ones from this worker's block store, remote ones with one FetchBlocks stream per
 * worker, all workers at once. A worker that cannot be reached or no longer has an
 * output yields a fetch failure naming the lost map output.
 */
export class ShuffleClient {
  private readonly clients = new Map<string, wire.WorkerClient>();

  constructor(
    private readonly selfWorkerId: string,
    private readonly blocks: BlockManager,
    private readonly security: SecurityConfig,
    private readonly log: Logger,
  ) {}

  /** Whether this worker holds the committed output of a map task. */
  static mapOutputMarker(jobId: string, shuffleId: number, mapPartition: number): string {
    return `mapout_${jobId}_${shuffleId}_${mapPartition}`;
  }

  async fetch(jobId: string, shuffleId: number, reduce: number, locations: readonly MapOutputLocation[]): Promise<FetchResult> {
    const byWorker = new Map<string, { address: string; maps: number[] }>();
    locations.forEach((loc, map) => {
      let e = byWorker.get(loc.workerId);
      if (!e) byWorker.set(loc.workerId, (e = { address: loc.address, maps: [] }));
      e.maps.push(map);
    });
    const results = await Promise.all(
      [...byWorker.entries()].map(async ([workerId, { address, maps }]): Promise<FetchResult> => {
        if (workerId === this.selfWorkerId) return this.fetchLocal(jobId, shuffleId, reduce, maps);
        return this.fetchRemote(workerId, address, maps.map((m) => [m, shuffleBlockId(jobId, shuffleId, m, reduce)] as const));
      }),
    );
    const segments: Uint8Array[] = [];
    for (const r of results) {
      if (!r.ok) return r;
      for (const s of r.segments) segments.push(s);
    }
    return { ok: true, segments };
  }

  private fetchLocal(jobId: string, shuffleId: number, reduce: number, maps: number[]): FetchResult {
    const segments: Uint8Array[] = [];
    for (const m of maps) {
      if (!this.blocks.has(ShuffleClient.mapOutputMarker(jobId, shuffleId, m))) {
        return { ok: false, mapPartition: m, workerId: this.selfWorkerId, message: `map output ${m} of shuffle ${shuffleId} is no longer on this worker` };
      }
      for (const s of this.blocks.get(shuffleBlockId(jobId, shuffleId, m, reduce)) ?? []) segments.push(s);
    }
    return { ok: true, segments };
  }

  /** A client for a peer; throws (grpc-js cannot parse the target) for a malformed address such as ''. */
  private client(address: string): wire.WorkerClient {
    const existing = this.clients.get(address);
    if (existing) return existing;
    const c = new (loadProto().sluice.v1.Worker)(address, channelCredentials(this.security), CHANNEL_OPTIONS);
    this.clients.set(address, c);
    return c;
  }

  private fetchRemote(workerId: string, address: string, blocks: readonly (readonly [number, string])[]): Promise<FetchResult> {
    let client: wire.WorkerClient;
    try {
      client = this.client(address);
    } catch (err) {
      // A location this worker cannot even dial is a lost map output, not a crash.
      this.log.warn({ err, peer: workerId, address }, 'bad shuffle location');
      return Promise.resolve({ ok: false, mapPartition: blocks[0][0], workerId, message: `cannot fetch shuffle blocks from worker ${workerId} at '${address}': ${(err as Error).message}` });
    }
    return new Promise((resolve) => {
      const byBlock = new Map(blocks.map(([m, id]) => [id, m]));
      const segments: Uint8Array[] = [];
      const closed = new Set<string>();
      let chunks: Buffer[] = [];
      let settled = false;
      const fail = (mapPartition: number, message: string): void => {
        if (settled) return;
        settled = true;
        call.cancel();
        resolve({ ok: false, mapPartition, workerId, message });
      };
      const call = client.FetchBlocks({ block_ids: blocks.map(([, id]) => id) }, secretMetadata(this.security.secret));
      call.on('data', (c: wire.BlockChunk__Output) => {
        if (c.missing) return fail(byBlock.get(c.block_id) ?? blocks[0][0], `block ${c.block_id} is missing on worker ${workerId}`);
        if (c.end_of_block) {
          closed.add(c.block_id);
          return;
        }
        chunks.push(c.data);
        if (c.last) {
          segments.push(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
          chunks = [];
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (err.code === grpc.status.CANCELLED && settled) return;
        this.log.warn({ err, peer: workerId, address }, 'shuffle fetch failed');
        fail(blocks.find(([, id]) => !closed.has(id))?.[0] ?? blocks[0][0], `cannot fetch shuffle blocks from worker ${workerId} at ${address}: ${err.details || err.message}`);
      });
      call.on('end', () => {
        if (settled) return;
        const open = blocks.find(([, id]) => !closed.has(id));
        if (open) return fail(open[0], `worker ${workerId} ended the fetch before sending block ${open[1]}`);
        settled = true;
        resolve({ ok: true, segments });
      });
    });
  }

  /**
   * Store a block on another worker (replication of received input). Bounded by
   * `timeoutMs`: a peer that is gone must not hold up the receiver's next blocks.
   */
  putRemoteBlock(address: string, blockId: string, data: Uint8Array, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.client(address).PutBlock(secretMetadata(this.security.secret), { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve()));
      const parts = [...chunks(data)];
      parts.forEach((c, i) => call.write({ block_id: blockId, data: c, last: i === parts.length - 1 }));
      call.write({ block_id: blockId, end_of_block: true });
      call.end();
    });
  }

  /**
   * Store a block of any number of segments on another worker (a decommissioning worker's
   * copies). Bounded by `timeoutMs`.
   */
  putRemoteSegments(address: string, blockId: string, segments: readonly Uint8Array[], timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let call: ReturnType<wire.WorkerClient['PutBlock']>;
      try {
        call = this.client(address).PutBlock(secretMetadata(this.security.secret), { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
        return;
      }
      for (const seg of segments) {
        const parts = [...chunks(seg)];
        if (parts.length === 0) parts.push(Buffer.alloc(0));
        parts.forEach((c, i) => call.write({ block_id: blockId, data: c, last: i === parts.length - 1 }));
      }
      call.write({ block_id: blockId, end_of_block: true });
      call.end();
    });
  }

  /**
   * A stored block from the first of `locations` (other than this worker) that has it;
   * else what each one answered (`misses`), for an error message that tells the truth.
   */
  async getRemoteBlock(blockId: string, locations: readonly MapOutputLocation[]): Promise<{ segments: Uint8Array[] } | { misses: string[] }> {
    const misses: string[] = [];
    for (const loc of locations) {
      const where = `${loc.workerId} (${loc.address || 'no address'})`;
      if (loc.workerId === this.selfWorkerId) {
        misses.push(`${where}: this worker does not hold it`);
        continue;
      }
      let client: wire.WorkerClient;
      try {
        client = this.client(loc.address);
      } catch (err) {
        misses.push(`${where}: cannot be dialled: ${(err as Error).message}`);
        continue;
      }
      const got = await new Promise<Uint8Array[] | string>((resolve) => {
        const segments: Uint8Array[] = [];
        let parts: Buffer[] = [];
        let missing = false;
        const call = client.GetBlock({ block_id: blockId }, secretMetadata(this.security.secret), { deadline: Date.now() + 30_000 });
        call.on('data', (c: wire.BlockChunk__Output) => {
          if (c.missing) missing = true;
          else if (!c.end_of_block) {
            parts.push(c.data);
            if (c.last) {
              segments.push(Buffer.concat(parts));
              parts = [];
            }
          }
        });
        call.on('error', (err: grpc.ServiceError) => {
          this.log.warn({ err, blockId, peer: loc.workerId }, 'block fetch failed');
          resolve(`unreachable (${err.details || err.message})`);
        });
        call.on('end', () => resolve(missing ? 'alive, but does not hold it (removed)' : segments));
      });
      if (typeof got !== 'string') return { segments: got };
      misses.push(`${where}: ${got}`);
    }
    return { misses };
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
