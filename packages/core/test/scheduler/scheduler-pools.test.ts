// The fair scheduler's allocation file (src/scheduler/scheduler-pools.ts), Spark's
// fairscheduler.xml read as FairSchedulableBuilder reads it (PoolSuite's "valid data" file), and
// a bad one refused naming the file, the pool and the field where Spark warns and takes a default.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseAllocations, readAllocationFile, schedulingModeOf } from '../../src/scheduler/scheduler-pools.js';
import { parseXml, xmlText } from '../../src/scheduler/small-xml.js';

const VALID = `<?xml version="1.0"?>
<!-- PoolSuite's fairscheduler-with-valid-data.xml, in its shape -->
<allocations>
  <pool name="pool1">
    <minShare>3</minShare>
    <weight>1</weight>
    <schedulingMode>FIFO</schedulingMode>
  </pool>
  <pool name='pool2'>
    <minShare> 4 </minShare>
    <weight>2</weight>
    <schedulingMode>fair</schedulingMode>
  </pool>
  <pool name="pool3"><minShare>2</minShare><weight>3</weight><schedulingMode>FAIR</schedulingMode></pool>
  <pool name="empty"/>
</allocations>
`;

test("Spark's pools, then 'default' with Spark's defaults; fields left out take the defaults", () => {
  assert.deepEqual(parseAllocations(VALID, 'f.xml'), [
    { name: 'pool1', schedulingMode: 'FIFO', weight: 1, minShare: 3 },
    { name: 'pool2', schedulingMode: 'FAIR', weight: 2, minShare: 4 },
    { name: 'pool3', schedulingMode: 'FAIR', weight: 3, minShare: 2 },
    { name: 'empty', schedulingMode: 'FIFO', weight: 1, minShare: 0 },
    { name: 'default', schedulingMode: 'FIFO', weight: 1, minShare: 0 },
  ]);
  // A file's own 'default' pool is kept as it says.
  assert.deepEqual(parseAllocations('<allocations><pool name="default"><weight>5</weight></pool></allocations>', 'f.xml'), [{ name: 'default', schedulingMode: 'FIFO', weight: 5, minShare: 0 }]);
});

test('bad files and values: SLUICE_BAD_ARGUMENT naming the file, the pool, the field and the line', () => {
  const refused = (xml: string, message: RegExp): void => {
    assert.throws(
      () => parseAllocations(xml, '/etc/fair.xml'),
      (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && /the fair scheduler's allocation file '\/etc\/fair\.xml': /.test(e.message) && message.test(e.message),
    );
  };
  refused('<allocations><pool name="p"><weight>0</weight></pool></allocations>', /pool 'p': weight '0' \(line 1\) is not a whole number of at least 1/);
  refused('<allocations>\n<pool name="p">\n<minShare>-1</minShare></pool></allocations>', /pool 'p': minShare '-1' \(line 3\) is not a whole number of at least 0/);
  refused('<allocations><pool name="p"><minShare>1.5</minShare></pool></allocations>', /minShare '1\.5'/);
  refused('<allocations><pool name="p"><schedulingMode>NONE</schedulingMode></pool></allocations>', /pool 'p': schedulingMode 'NONE' \(line 1\) is neither FIFO nor FAIR/);
  refused('<allocations><pool name="p"><wieght>2</wieght></pool></allocations>', /pool 'p': unknown field <wieght>/);
  refused('<allocations><pool><weight>2</weight></pool></allocations>', /a <pool> without a name attribute/);
  refused('<allocations><pool name="p"/><pool name="p"/></allocations>', /pool 'p' is defined twice/);
  refused('<pools><pool name="p"/></pools>', /its root element is <pools>, not <allocations>/);
  refused('<allocations><pool name="p"></allocations>', /not well-formed XML: <\/allocations> closes <pool>/);
  refused('<allocations><pool name="p">\n<weight>2</weight>\n', /not well-formed XML: <pool> is never closed by <\/pool> \(line 1\)/);
});

test('a file that cannot be read names itself', () => {
  const missing = path.join(os.tmpdir(), 'sluice-no-such-fairscheduler.xml');
  assert.throws(() => readAllocationFile(missing), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message.includes(`'${missing}' cannot be read`));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pools-'));
  try {
    fs.writeFileSync(path.join(dir, 'f.xml'), VALID);
    assert.equal(readAllocationFile(path.join(dir, 'f.xml')).length, 5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the scheduling mode: FIFO or FAIR in any case, as Spark upper-cases it; anything else refused", () => {
  assert.equal(schedulingModeOf('fair', 'x'), 'FAIR');
  assert.equal(schedulingModeOf(' FIFO ', 'x'), 'FIFO');
  assert.throws(() => schedulingModeOf('NONE', 'sc.setSchedulerMode'), /sc\.setSchedulerMode: the scheduling mode must be 'FIFO' or 'FAIR'/);
});

test('the small XML reader: entities, CDATA, comments, attributes in either quote', () => {
  const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE a>\n<a x='1' y="&quot;2&quot;"><!-- c --><b>&lt;&#65;&#x42;&amp;</b><![CDATA[<raw>]]></a>`);
  assert.equal(root.name, 'a');
  assert.deepEqual([...root.attributes], [['x', '1'], ['y', '"2"']]);
  assert.equal(xmlText(root.children[0] as never), '<AB&');
  assert.equal(root.children[1], '<raw>');
  assert.throws(() => parseXml('<a>&bogus;</a>'), /unknown entity &bogus;/);
  assert.throws(() => parseXml('<a>x & y</a>'), /a bare '&'/);
  assert.throws(() => parseXml('<a/><b/>'), /something after the root element/);
});
