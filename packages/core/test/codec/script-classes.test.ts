// Records that are instances of classes declared at `sluice shell`'s prompt (record-classes.ts):
// a batch carries its table of such classes once ([binding name, source]); the receiving thread
// takes the class it has under that name and source (registerScriptClass, or the prompt's own
// through setScriptClassLookup), else evaluates the source in the bundle's scope, once. Two
// "threads" are played by resetting the per-thread state (setRecordClassScope) between encode and
// decode. Classes are made by evaluating their source, as the REPL and reviveClosure make them.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, test } from 'node:test';
import { decodeRecords, encodeRecords } from '../../src/codec/codec.js';
import type { ShippedFunction } from '../../src/closure/shipped-function.js';
import { registerScriptClass, setRecordClassScope, setScriptClassLookup, toWire } from '../../src/codec/record-classes.js';

const P_SOURCE = 'class P { constructor(x) { this.x = x } get twice() { return this.x * 2 } }';
const globalEval = eval;
const scopeEval = (src: string): unknown => globalEval(src);
type Inst = { x: number; twice: number; constructor: Function };
const make = (source: string): new (x: number) => Inst => globalEval(`(${source}\n)`) as new (x: number) => Inst;

afterEach(() => setRecordClassScope(undefined));

/** The table and tagged records of an encoded batch, as v8 decodes them (no revival). */
function raw(bytes: Buffer): { k?: Array<[string, string, ShippedFunction?]>; v: unknown } {
  return v8.deserialize(bytes) as { k?: Array<[string, string, ShippedFunction?]>; v: unknown };
}

test('a batch of prompt-class instances carries the class once; another thread revives it from its source, one class for every batch', () => {
  setRecordClassScope(scopeEval, 'the bundle');
  const P = make(P_SOURCE);
  assert.equal(registerScriptClass(P, 'P', true), P);
  const records = [new P(1), new P(2), { nested: [new P(3)] }];
  const bytes = encodeRecords(records);
  assert.deepEqual(raw(bytes).k, [['P', P_SOURCE]]);
  const second = encodeRecords([new P(5)]);

  setRecordClassScope(scopeEval, 'the bundle'); // another thread: nothing registered
  const got = decodeRecords<[Inst, Inst, { nested: [Inst] }]>(bytes);
  const Revived = got[0].constructor;
  assert.notEqual(Revived, P);
  assert.equal(Revived.name, 'P');
  assert.deepEqual([got[0].twice, got[1].twice, got[2].nested[0].twice], [2, 4, 6]);
  assert.ok(got[1] instanceof Revived && got[2].nested[0] instanceof Revived);
  const again = decodeRecords<Inst[]>(second);
  assert.equal(again[0]!.constructor, Revived, 'a second batch: the class evaluated for the first');
  // And what this thread encodes of it travels on.
  assert.deepEqual(raw(encodeRecords(got)).k, [['P', P_SOURCE]]);
});

test("a thread's registered copy is the class records arrive as; registering an equal class again keeps the first unless it captures something", () => {
  setRecordClassScope(scopeEval, 'the bundle');
  const P0 = make(P_SOURCE);
  registerScriptClass(P0, 'P', true);
  const bytes = encodeRecords([new P0(1)]);
  setRecordClassScope(scopeEval, 'the bundle'); // another thread
  const P1 = make(P_SOURCE);
  const P2 = make(P_SOURCE);
  assert.equal(registerScriptClass(P1, 'P', true), P1);
  assert.equal(registerScriptClass(P2, 'P', true), P1, 'reused');
  assert.ok(decodeRecords<Inst[]>(bytes)[0] instanceof P1);
  const P3 = make(P_SOURCE);
  assert.equal(registerScriptClass(P3, 'P', false), P3, 'one that captures: replaces');
  assert.ok(decodeRecords<Inst[]>(bytes)[0] instanceof P3);
  // The same source under another binding name is another class.
  const Anon = make('class { constructor(x) { this.x = x } }');
  // (an anonymous class's binding name is the capture's: const A = class { ... })
  const Anon2 = make('class { constructor(x) { this.x = x } }');
  registerScriptClass(Anon, 'A', true);
  assert.equal(registerScriptClass(Anon2, 'B', true), Anon2);
  assert.deepEqual(raw(encodeRecords([new Anon(1), new Anon2(2), new Anon(3)])).k?.map(([n]) => n), ['A', 'B']);
});

test("at the shell: the prompt's own classes travel and come back as themselves; Node's and those declared inside a function are refused", () => {
  setRecordClassScope(scopeEval, 'the bundle');
  const P = make(P_SOURCE);
  const INNER = 'class Inner { }';
  const Inner = make(INNER) as unknown as new () => object;
  setScriptClassLookup({ classNamed: (name) => (name === 'P' ? P : undefined), typed: (source) => source === P_SOURCE || source === INNER });
  const bytes = encodeRecords([new P(4)]);
  const [entry] = raw(bytes).k!;
  assert.deepEqual(entry!.slice(0, 2), ['P', P_SOURCE]);
  assert.equal(entry![2]!.source, `(${P_SOURCE}\n)`, 'the class, shipped as a function is');
  const back = decodeRecords<Inst[]>(bytes);
  assert.ok(back[0] instanceof P);
  assert.equal(back[0]!.twice, 8);
  // Not bound at the prompt's top level, though typed there.
  assert.throws(() => encodeRecords([new Inner()]), { code: 'SLUICE_BAD_RECORD', message: /class Inner cannot travel between processes: the class was declared at the shell's prompt, but inside a function or block/ });
  // A class of Node's (URL): not typed at the prompt.
  assert.throws(() => encodeRecords([new URL('http://h/')]), { code: 'SLUICE_BAD_RECORD', message: /class URL cannot travel between processes: it is not a class of the job's code but Node's/ });
  // A name bound to another class than the record's: refused.
  const Other = make(P_SOURCE);
  assert.throws(() => encodeRecords([new Other(1)]), { code: 'SLUICE_BAD_RECORD' });
});

test('records without prompt classes: no table, plain data untouched', () => {
  setRecordClassScope(scopeEval, 'the bundle');
  const plain = [{ a: 1 }, [2, 3]];
  assert.equal(toWire(plain), plain);
  assert.equal(raw(encodeRecords(plain)).k, undefined);
});

test('a class that cannot be rebuilt from its source (it extends a class this thread lacks) is refused naming what to do', () => {
  setRecordClassScope(scopeEval, 'the bundle');
  const Base = make('class Base { }');
  registerScriptClass(Base, 'Base', true);
  const Sub = globalEval('(Base) => class Sub extends Base { }')(Base) as new () => object;
  registerScriptClass(Sub, 'Sub', false);
  const bytes = encodeRecords([new Sub()]);
  setRecordClassScope(scopeEval, 'the bundle');
  assert.throws(() => decodeRecords(bytes), { code: 'SLUICE_BAD_RECORD', message: /a record of class Sub \(declared at the shell's prompt\) arrived, but the class cannot be rebuilt in this process/ });
});

test("at the shell: a prompt class travels with what it captures of the prompt (a const its methods use, the class it extends), rebuilt where no copy of it is", () => {
  setRecordClassScope(scopeEval, 'the bundle');
  // A classic script's top level, as the REPL's: rate and Base are captured from its Script scope.
  const [Base, Sub] = vm.runInThisContext(
    'const scriptClassesRate = 5; class Base { constructor(x) { this.x = x } get v() { return this.x * scriptClassesRate } }; class Sub extends Base { get w() { return this.v + 1 } }; [Base, Sub]',
  ) as [new (x: number) => { v: number }, new (x: number) => { v: number; w: number }];
  setScriptClassLookup({ classNamed: (name) => ({ Base, Sub })[name as 'Base'], typed: () => true });
  const bytes = encodeRecords([new Sub(2), new Base(3)]);
  assert.deepEqual(raw(bytes).k?.map(([n]) => n), ['Sub', 'Base']);
  setRecordClassScope(scopeEval, 'the bundle'); // a worker's thread: no copy of either
  const [sub, base] = decodeRecords<[{ v: number; w: number; constructor: Function }, { v: number; constructor: Function }]>(bytes);
  assert.deepEqual([sub.v, sub.w, base.v], [10, 11, 15]);
  assert.notEqual(sub.constructor, Sub);
  assert.equal(Object.getPrototypeOf(sub.constructor), base.constructor, "the rebuilt Sub's parent is the rebuilt Base");
});
