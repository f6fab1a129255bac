import { randomUUID } from 'node:crypto';
import { ErrorCode } from './protocol/messages.js';

interface Member {
  readonly id: string;
  protocols: { name: string; metadata: Buffer }[];
}

interface PendingJoin {
  readonly memberId: string;
  readonly resolve: (r: JoinResult) => void;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  readonly members: { memberId: string; metadata: Buffer }[];
}

/**
 * Committed offsets of consumer groups, and a small classic-protocol group membership
 * (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) good enough for a stock client's group
 * consumer: joins arriving within `joinWindowMs` of each other form one generation whose
 * first joiner leads; members that did not rejoin are dropped. Commits from outside the
 * group's generation (generation -1, as a "simple" consumer sends them) are accepted.
 */
export class GroupCoordinator {
  private readonly offsets = new Map<string, Map<string, bigint>>();
  private readonly groups = new Map<
    string,
    {
      generation: number;
      members: Map<string, Member>;
      leader: string;
      protocol: string;
      pending: PendingJoin[];
      timer: NodeJS.Timeout | undefined;
      assignments: Map<string, Buffer>;
      syncWaiters: (() => void)[];
    }
  >();

  constructor(private readonly joinWindowMs = 200) {}

  commit(group: string, topic: string, partition: number, offset: bigint): void {
    let g = this.offsets.get(group);
    if (!g) this.offsets.set(group, (g = new Map()));
    g.set(`${topic}/${partition}`, offset);
  }

  committed(group: string, topic: string, partition: number): bigint {
    return this.offsets.get(group)?.get(`${topic}/${partition}`) ?? -1n;
  }

  /** Topics a group has commits for, with their partitions. */
  committedTopics(group: string): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const key of this.offsets.get(group)?.keys() ?? []) {
      const i = key.lastIndexOf('/');
      const t = key.slice(0, i);
      out.set(t, [...(out.get(t) ?? []), Number(key.slice(i + 1))]);
    }
    return out;
  }

  private group(id: string) {
    let g = this.groups.get(id);
    if (!g) {
      g = { generation: 0, members: new Map(), leader: '', protocol: '', pending: [], timer: undefined, assignments: new Map(), syncWaiters: [] };
      this.groups.set(id, g);
    }
    return g;
  }

  join(groupId: string, memberId: string, protocols: { name: string; metadata: Buffer }[], requireKnownId: boolean): Promise<JoinResult> {
    const g = this.group(groupId);
    if (memberId === '' && requireKnownId) {
      return Promise.resolve({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolName: '', leader: '', memberId: `member-${randomUUID()}`, members: [] });
    }
    const id = memberId || `member-${randomUUID()}`;
    return new Promise((resolve) => {
      g.pending = g.pending.filter((p) => p.memberId !== id);
      g.pending.push({ memberId: id, resolve });
      const member = g.members.get(id) ?? { id, protocols };
      member.protocols = protocols;
      g.members.set(id, member);
      if (g.timer) clearTimeout(g.timer);
      g.timer = setTimeout(() => this.completeJoin(g), this.joinWindowMs);
      g.timer.unref();
    });
  }

  private completeJoin(g: ReturnType<GroupCoordinator['group']>): void {
    g.timer = undefined;
    const joined = new Set(g.pending.map((p) => p.memberId));
    for (const id of [...g.members.keys()]) if (!joined.has(id)) g.members.delete(id);
    g.generation++;
    g.leader = g.pending[0]!.memberId;
    g.protocol = g.members.get(g.leader)!.protocols[0]?.name ?? '';
    g.assignments = new Map();
    const members = [...g.members.values()].map((m) => ({ memberId: m.id, metadata: m.protocols.find((p) => p.name === g.protocol)?.metadata ?? Buffer.alloc(0) }));
    for (const p of g.pending.splice(0)) {
      p.resolve({ errorCode: 0, generationId: g.generation, protocolName: g.protocol, leader: g.leader, memberId: p.memberId, members: p.memberId === g.leader ? members : [] });
    }
  }

  async sync(groupId: string, generation: number, memberId: string, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ errorCode: number; assignment: Buffer }> {
    const g = this.group(groupId);
    if (!g.members.has(memberId)) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) };
    if (generation !== g.generation) return { errorCode: ErrorCode.ILLEGAL_GENERATION, assignment: Buffer.alloc(0) };
    if (memberId === g.leader) {
      for (const a of assignments) g.assignments.set(a.memberId, a.assignment);
      for (const w of g.syncWaiters.splice(0)) w();
    } else if (!g.assignments.has(memberId)) {
      await new Promise<void>((r) => g.syncWaiters.push(r));
    }
    return { errorCode: 0, assignment: g.assignments.get(memberId) ?? Buffer.alloc(0) };
  }

  heartbeat(groupId: string, generation: number, memberId: string): number {
    const g = this.group(groupId);
    if (!g.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (g.timer !== undefined) return 27; // REBALANCE_IN_PROGRESS
    if (generation !== g.generation) return ErrorCode.ILLEGAL_GENERATION;
    return 0;
  }

  leave(groupId: string, memberId: string): void {
    const g = this.group(groupId);
    if (g.members.delete(memberId) && g.members.size > 0 && g.timer === undefined) g.generation++;
  }

  close(): void {
    for (const g of this.groups.values()) if (g.timer) clearTimeout(g.timer);
  }
}
