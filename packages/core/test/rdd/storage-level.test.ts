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
  // Not a level: a plain object with the flags (what travels is revived by revivedStorageLevel, not taken as is).
  assert.equal(toStorageLevel({ useDisk: false, useMemory: true, useOffHeap: false, deserialized: true, replication: 1 }), undefined);
});
