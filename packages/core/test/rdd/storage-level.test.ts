// StorageLevel as a value: a level made by a second copy of the module (another @sluice/core
// instance in the same process, which a job's code can reach) is taken as this copy's constant
// with the same flags, never refused for failing `instanceof` (a stream's updateStateByKey once
// failed 'rdd.persist: unknown storage level StorageLevel(memory, deserialized, 1 replicas)').
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageLevel, revivedStorageLevel, storedLevel, toStorageLevel } from '../../src/rdd/storage-level.js';

type StorageLevelModule = typeof import('../../src/rdd/storage-level.js');

test("a second copy's StorageLevel is taken as the constant with its flags; a plain object is not a level", async () => {
  // The same file under another URL: a module instance of its own, with its own StorageLevel class.
  const second = (await import(new URL('../../src/rdd/storage-level.js?a-second-copy', import.meta.url).href)) as StorageLevelModule;
  assert.notEqual(second.StorageLevel, StorageLevel);
  const foreign = second.StorageLevel.MEMORY_ONLY;
  assert.ok(!(foreign instanceof StorageLevel));
  assert.equal(toStorageLevel(foreign), StorageLevel.MEMORY_ONLY);
  assert.equal(toStorageLevel(second.StorageLevel.DISK_ONLY_2), StorageLevel.DISK_ONLY_2);
  assert.equal(storedLevel(second.StorageLevel.MEMORY_AND_DISK_SER_2), 'MEMORY_AND_DISK');
  assert.equal(storedLevel(second.StorageLevel.NONE), undefined);
  assert.ok(StorageLevel.MEMORY_ONLY.equals(foreign));
  assert.ok(!StorageLevel.MEMORY_ONLY_SER.equals(foreign));
  assert.equal(revivedStorageLevel(foreign), StorageLevel.MEMORY_ONLY);
  // Flags no constant has: an instance of this copy with them.
  const custom = toStorageLevel(new second.StorageLevel(true, false, false, false, 5));
  assert.ok(custom instanceof StorageLevel);
  assert.deepEqual([custom.useDisk, custom.useMemory, custom.useOffHeap, custom.deserialized, custom.replication], [true, false, false, false, 5]);
  // The other copy takes this copy's levels the same way.
  assert.equal(second.toStorageLevel(StorageLevel.MEMORY_AND_DISK), second.StorageLevel.MEMORY_AND_DISK);
  // A copy whose class name a minifier changed: known by the brand every copy puts on its prototype.
  class Minified {
    constructor(readonly useDisk: boolean, readonly useMemory: boolean, readonly useOffHeap: boolean, readonly deserialized: boolean, readonly replication = 1) {}
  }
  Object.defineProperty(Minified.prototype, Symbol.for('sluice.StorageLevel'), { value: true });
  assert.equal(toStorageLevel(new Minified(true, false, false, false)), StorageLevel.DISK_ONLY);
  // A class of that name rebuilt from its text (its own prototype, no brand): taken by its flags.
  const Rebuilt = class StorageLevel {
    constructor(readonly useDisk: boolean, readonly useMemory: boolean, readonly useOffHeap: boolean, readonly deserialized: boolean, readonly replication = 1) {}
  };
  assert.equal(toStorageLevel(new Rebuilt(true, true, false, false)), StorageLevel.MEMORY_AND_DISK_SER);
  assert.equal(storedLevel(new Rebuilt(false, true, false, true, 2)), 'MEMORY_ONLY');
  // Not a level: a plain object with the flags (what travels is revived by revivedStorageLevel, not taken as is).
  assert.equal(toStorageLevel({ useDisk: false, useMemory: true, useOffHeap: false, deserialized: true, replication: 1 }), undefined);
});
