import fs from 'node:fs';
import path from 'node:path';

/** A ```ts block of a Markdown file: its text and the file line its first line is on. */
export interface Snippet {
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a Markdown text, in order, each out-dented by its common indentation (a block in a list item). */
export function typeScriptBlocks(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    const body = lines.slice(start, end);
    const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
    out.push({ line: start + 1, code: body.map((l) => l.slice(indent)).join('\n') });
    i = end;
  }
  return out;
}

/**
 * The names README fragments use without defining them (they continue a job the text shows
 * around them), with the type each stands for, declared for a fragment that uses the name and
 * does not define it at its top level.
 */
const FREE_NAMES: Record<string, string> = {
  sc: "import('@sluice/core').SluiceContext",
  ssc: "import('@sluice/core').StreamingContext",
  stream: "import('@sluice/core').DStream<number>",
  counts: "import('@sluice/core').DStream<[string, number]>",
  latest: "import('@sluice/core').DStream<[string, string]>",
  rdd: "import('@sluice/core').RDD<[number, string, number]>",
  time: 'number',
  outDir: 'string',
  url: 'string',
  connectionString: 'string',
  host: 'string',
  port: 'number',
  accessKeyId: 'string',
  secretAccessKey: 'string',
  queue: '{ receive(max: number): Promise<{ body: string; seq: number }[]>; ack(msgs: unknown[]): Promise<void> }',
};

/** Exports fragments use without importing them, and where they come from. */
const KNOWN_EXPORTS: Record<string, string> = {
  StreamingContext: '@sluice/core',
  SluiceContext: '@sluice/core',
  Receiver: '@sluice/core',
  DStream: '@sluice/core',
  RDD: '@sluice/core',
  FlumeUtils: '@sluice/flume',
  KafkaUtils: '@sluice/kafka',
  MQTTUtils: '@sluice/mqtt',
};

/**
 * A fragment as a module that type-checks on its own: imports of the known exports it uses
 * and does not import, `declare const` for the free names it uses and does not define at its
 * top level, then the fragment itself. `header` is how many lines come before it.
 */
export function asModule(code: string): { text: string; header: number } {
  const uses = (name: string): boolean => new RegExp(`(?<![\\w$.'"])${name}(?![\\w$'"])`).test(code);
  const imported = (name: string): boolean => new RegExp(`^import[^;]*\\b${name}\\b[^;]*from`, 'm').test(code);
  const topLevel = (name: string): boolean => new RegExp(`^(?:export\\s+)?(?:const|let|var|function|class)\\s+${name}\\b`, 'm').test(code);
  const head: string[] = [];
  for (const [name, from] of Object.entries(KNOWN_EXPORTS)) if (uses(name) && !imported(name) && !topLevel(name)) head.push(`import { ${name} } from '${from}';`);
  for (const [name, type] of Object.entries(FREE_NAMES)) if (uses(name) && !imported(name) && !topLevel(name)) head.push(`declare const ${name}: ${type};`);
  head.push('export {};');
  return { text: `${head.join('\n')}\n${code}\n`, header: head.length };
}

/** Writes each block as `block-<line>.ts` under `dir` with a strict NodeNext tsconfig.json; returns the files' headers by name. */
export function writeSnippetProject(dir: string, blocks: readonly Snippet[]): Map<string, { line: number; header: number }> {
  const files = new Map<string, { line: number; header: number }>();
  for (const b of blocks) {
    const { text, header } = asModule(b.code);
    const name = `block-${b.line}.ts`;
    fs.writeFileSync(path.join(dir, name), text);
    files.set(name, { line: b.line, header });
  }
  const compilerOptions = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], strict: true, noEmit: true, skipLibCheck: true };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
  return files;
}
