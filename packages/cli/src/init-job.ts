import fs from 'node:fs';
import path from 'node:path';
import { SluiceError, makeDirectorySync } from '@sluice/core/internal';

/** This CLI's own package.json: the scaffold depends on the Sluice release that made it. */
const CLI_PACKAGE = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The TypeScript and Node type versions the Sluice packages are built and tested with. */
const TYPESCRIPT_RANGE = '~5.6.3';
const NODE_TYPES_RANGE = '^20.17.0';

const JOB_FILE = 'job.ts';

function packageJson(name: string): string {
  const sluice = `^${CLI_PACKAGE.version}`;
  return `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { start: `sluice run ${JOB_FILE}`, typecheck: 'tsc --noEmit' },
      dependencies: { '@sluice/core': sluice },
      devDependencies: { '@sluice/cli': sluice, '@types/node': NODE_TYPES_RANGE, typescript: TYPESCRIPT_RANGE },
      engines: { node: '>=20' },
    },
    null,
    2,
  )}\n`;
}

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    },
    include: ['**/*.ts'],
    exclude: ['node_modules'],
  },
  null,
  2,
)}\n`;

const JOB = `// A streaming word count, typed end to end: three batches of lines come from a queue, each
// batch's counts are printed, and running totals are kept per word across batches.
//
//   npx tsc --noEmit                       type-check (or: npx sluice run --typecheck job.ts)
//   npx sluice run job.ts                  run on an embedded local cluster (a driver and 2 workers)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamingContext, type SluiceContext } from '@sluice/core';

const BATCHES: readonly (readonly string[])[] = [
  ['to be or not to be', 'that is the question'],
  ['to sleep perchance to dream'],
  ['the rest is silence'],
];

export default async function wordCount(sc: SluiceContext): Promise<void> {
  // updateStateByKey keeps its state in a checkpoint directory.
  const checkpoints = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-job-'));
  const ssc = new StreamingContext(sc, '500ms');
  ssc.checkpoint(checkpoints);
  let completed = 0;
  const done = new Promise<void>((resolve) => {
    ssc.addStreamingListener({ onBatchCompleted: () => void (++completed === BATCHES.length && resolve()) });
  });

  const words = ssc
    .queueStream(BATCHES.map((lines) => sc.parallelize(lines, 2)))
    .flatMap((line) => line.split(' '))
    .map((word): [string, number] => [word, 1]);
  words.reduceByKey((a, b) => a + b).print();
  const totals = words.updateStateByKey<number>((ones, total) => (total ?? 0) + ones.length);
  totals.foreachRDD(async (rdd, time) => {
    const top = (await rdd.collect()).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 3);
    console.log(\`totals at \${time}: \${top.map(([w, n]) => \`\${w}=\${n}\`).join(' ')}\`);
  });

  ssc.start();
  try {
    await done;
  } finally {
    await ssc.stop({ graceful: true });
    fs.rmSync(checkpoints, { recursive: true, force: true });
  }
}
`;

const GITIGNORE = 'node_modules/\n';

/**
 * `sluice init DIR`: scaffold a job project in DIR (made if missing, refused if it has
 * files): package.json depending on the Sluice packages, a strict tsconfig.json, and a
 * typed streaming job that `tsc --noEmit` accepts and `sluice run job.ts` runs.
 * Returns the files written, relative to DIR.
 */
export function initJob(dir: string): string[] {
  const abs = path.resolve(dir);
  if (fs.existsSync(abs)) {
    if (!fs.statSync(abs).isDirectory()) throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice init: '${dir}' exists and is not a directory (${abs}); give a new folder's name`);
    const present = fs.readdirSync(abs);
    if (present.length > 0) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `sluice init: '${dir}' is not empty (${abs} holds ${present.slice(0, 3).join(', ')}${present.length > 3 ? ', ...' : ''}); give a new or empty folder, nothing was written`);
    }
  }
  const name = path.basename(abs).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'sluice-job';
  const files: [string, string][] = [
    ['package.json', packageJson(name)],
    ['tsconfig.json', TSCONFIG],
    [JOB_FILE, JOB],
    ['.gitignore', GITIGNORE],
  ];
  makeDirectorySync(abs);
  for (const [f, text] of files) fs.writeFileSync(path.join(abs, f), text, { flag: 'wx' });
  return files.map(([f]) => f);
}
