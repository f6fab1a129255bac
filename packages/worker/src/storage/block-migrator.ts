import type { Logger } from 'pino';
import type { MapOutputLocation, wire } from '@sluice/core/internal';
import type { BlockManager } from './block-manager.js';
import type { ShuffleClient } from '../shuffle/shuffle-client.js';
import { ReplicaRefusals } from '../shuffle/replica-refusals.js';
import { refusedByPeer } from '../rpc/call-error.js';

/** One unit to copy: a received or cached block, or a map output (one block: a peer serves it once it is stored whole). */
type Unit =
  | { readonly kind: 'block'; readonly blockId: string }
  | { readonly kind: 'mapOutput'; readonly jobId: string; readonly shuffleId: number; readonly mapPartition: number; readonly blockId: string };

/** Copies in flight to one peer at once. */
const LANES_PER_PEER = 4;

/** `shuffle_<job>_<shuffle>_<map>`: a map task's consolidated output, index and data (IndexShuffleBlockResolver); present only once committed. */
const MAP_OUTPUT = /^shuffle_([^_]+)_(\d+)_(\d+)$/;

/**
 * A decommissioning worker's copy of what it holds to the workers that stay, as Spark's
 * BlockManagerDecommissioner: received input and cached partitions (`rddBlocks`) and
 * shuffle map outputs (`shuffleBlocks`), spread round-robin over the peers, one copy at
 * a time per peer, all peers at once. A peer that does not answer a copy is not used again;
 * one that answers with its store's failure (its disk full) is kept; either way the unit goes
 * to the next one. Reports where each block and map output now lives.
 *
 * Threading: worker main thread (reads the BlockManager between awaits; the worker runs
 * no task while decommissioning, so nothing is added meanwhile).
 */
export class BlockMigrator {
  constructor(
    private readonly blocks: BlockManager,
    private readonly shuffle: ShuffleClient,
    private readonly log: Logger,
  ) {}

  /** The units to copy now, in order: map outputs, then received input, then cached blocks. */
  private units(kinds: { readonly rddBlocks: boolean; readonly shuffleBlocks: boolean }): Unit[] {
    const ids = this.blocks.ids();
    const out: Unit[] = [];
    if (kinds.shuffleBlocks) {
      for (const id of ids) {
        const m = MAP_OUTPUT.exec(id);
        if (m) out.push({ kind: 'mapOutput', jobId: m[1], shuffleId: Number(m[2]), mapPartition: Number(m[3]), blockId: id });
      }
    }
    if (kinds.rddBlocks) {
      for (const id of ids) if (id.startsWith('input_')) out.push({ kind: 'block', blockId: id });
      for (const id of ids) if (id.startsWith('rdd_')) out.push({ kind: 'block', blockId: id });
    }
    return out;
  }

  async migrate(peers: readonly MapOutputLocation[], kinds: { readonly rddBlocks: boolean; readonly shuffleBlocks: boolean }): Promise<wire.MigrateBlocksResponse> {
    const units = this.units(kinds);
    const blocks: wire.MovedBlock[] = [];
    const mapOutputs: wire.MovedMapOutput[] = [];
    let bytes = 0;
    let failed = 0;
    const usable = [...peers];
    const queue = [...units];
    let turn = 0;
    const refusals = new ReplicaRefusals(this.log, 'a decommissioning copy');
    /** Copy one unit to `peer`: false when it is gone here (removed meanwhile: its batch is done); throws when the peer fails. */
    const copy = async (u: Unit, peer: MapOutputLocation): Promise<boolean> => {
      const ids = [u.blockId];
      const all: Uint8Array[][] = [];
      for (const id of ids) {
        const segments = this.blocks.get(id);
        if (segments === undefined) return false;
        all.push(segments);
      }
      for (let i = 0; i < ids.length; i++) {
        await this.shuffle.putRemoteSegments(peer.address, ids[i], all[i]);
        bytes += all[i].reduce((a, s) => a + s.length, 0);
      }
      if (u.kind === 'block') blocks.push({ block_id: u.blockId, worker_id: peer.workerId });
      else mapOutputs.push({ job_id: u.jobId, shuffle_id: u.shuffleId, map_partition: u.mapPartition, worker_id: peer.workerId });
      return true;
    };
    // LANES_PER_PEER lanes per peer; each takes the next unit and, if its peer refuses, tries the unit on the next peer.
    const lane = async (): Promise<void> => {
      for (;;) {
        const u = queue.shift();
        if (!u) return;
        let done = false;
        /** The peers that refused this unit: not offered it again. */
        const refusedBy = new Set<MapOutputLocation>();
        while (!done) {
          const candidates = usable.filter((p) => !refusedBy.has(p));
          if (candidates.length === 0) break;
          const peer = candidates[turn++ % candidates.length];
          try {
            await copy(u, peer);
            refusals.taken(peer.workerId, u.blockId);
            done = true;
          } catch (err) {
            // A peer that answered with its store's failure (its disk full) is up: this unit
            // goes to another peer, said once (ReplicaRefusals), and the refusing one stays in
            // use for the next units; a unit every peer refused fails. A peer that did not
            // answer is not used again.
            if (refusedByPeer(err)) {
              refusals.refused(peer.workerId, u.blockId, err);
              refusedBy.add(peer);
              continue;
            }
            this.log.warn({ err, peer: peer.workerId }, 'a peer did not answer a decommissioning copy; not using it again');
            const i = usable.indexOf(peer);
            if (i >= 0) usable.splice(i, 1);
          }
        }
        if (!done) failed++;
      }
    };
    await Promise.all(Array.from({ length: peers.length * LANES_PER_PEER }, () => lane()));
    this.log.info({ blocks: blocks.length, mapOutputs: mapOutputs.length, bytes, failed, peers: peers.map((p) => p.workerId) }, 'copied blocks to the workers that stay');
    return { blocks, map_outputs: mapOutputs, bytes, failed };
  }
}
