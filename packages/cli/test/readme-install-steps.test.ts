// README's "Using Sluice in your own project", checked against the packages a user can install
// (every package under packages/ that is not private): the pack loop packs each of them, the
// first paragraph names each, `sluice init` is run from the tarballs of the CLI and of every
// @sluice package it depends on, and the install names the tarballs by the file names
// `pnpm pack` gives them (`sluice-<dir>-<version>.tgz`). packed-install.test.ts runs the same
// steps (pack, install the CLI's tarballs, `npx sluice init`, install into the project).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_DIR } from './harness.js';

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly dependencies?: Record<string, string>;
}

const manifests = new Map<string, Manifest>(); // by directory under packages/
for (const dir of fs.readdirSync(path.join(REPO_DIR, 'packages'))) {
  const file = path.join(REPO_DIR, 'packages', dir, 'package.json');
  if (fs.existsSync(file)) manifests.set(dir, JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest);
}
const published = [...manifests].filter(([, m]) => m.private !== true);
const tarballOf = (name: string): string => {
  const [dir, m] = published.find(([, p]) => p.name === name) ?? assert.fail(`${name} is no package a user installs`);
  return `sluice-${dir}-${m.version}.tgz`;
};

/** The section's text, from its heading to the next heading of its level. */
function section(heading: string): string {
  const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has '## ${heading}'`);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

test("README's steps for installing from tarballs pack every package a user installs, and run sluice init from the CLI's tarballs", () => {
  const text = section('Using Sluice in your own project');
  const names = published.map(([, m]) => m.name).sort();
  assert.ok(names.includes('@sluice/core') && names.includes('@sluice/cli') && names.length >= 6, names.join(' '));

  const loop = /^for p in ([a-z0-9 -]+); do \(cd packages\/\$p && corepack pnpm pack --pack-destination (\S+)\); done$/m.exec(text);
  assert.ok(loop, 'the section has the pack loop');
  assert.deepEqual(loop[1].trim().split(/\s+/).sort(), published.map(([dir]) => dir).sort(), 'the loop packs every non-private package, and only those');

  const intro = text.slice(0, text.indexOf('```'));
  for (const name of names) assert.ok(intro.includes(`\`${name}\``), `the first paragraph names ${name}`);

  // sluice init from the tarballs: the CLI's and those of the @sluice packages it needs.
  const needed = new Set<string>();
  const add = (name: string): void => {
    if (needed.has(name)) return;
    needed.add(name);
    const [, m] = published.find(([, p]) => p.name === name)!;
    for (const dep of Object.keys(m.dependencies ?? {})) if (dep.startsWith('@sluice/')) add(dep);
  };
  add('@sluice/cli');
  const init = /^npx -y((?: -p \S+)+) sluice init my-job$/m.exec(text);
  assert.ok(init, 'the section runs sluice init with npx -p and the tarballs');
  const dest = loop[2].replace(/\/$/, '');
  assert.match(text, new RegExp(`^T=${dest.replace(/[/.]/g, '\\$&')}$`, 'm'), 'T names the directory the loop packs into');
  const given = init[1].trim().split(/\s*-p\s+/).filter(Boolean).sort();
  assert.deepEqual(given, [...needed].map((n) => `$T/${tarballOf(n)}`).sort(), 'npx -p gives the CLI and every @sluice package it depends on');

  // The project's install names the same tarballs (and connectors), each one the loop makes.
  const install = /^cd my-job && npm install ((?:\$T\/\S+\s+(?:\\\n\s*)?)+)/m.exec(text);
  assert.ok(install, "the section installs the tarballs into the job's project");
  const installed = install[1].split(/[\s\\]+/).filter(Boolean);
  for (const t of given) assert.ok(installed.includes(t), `the project's install has ${t}`);
  const made = new Set(published.map(([, m]) => `$T/${tarballOf(m.name)}`));
  for (const t of installed) assert.ok(made.has(t), `${t} is a tarball the loop makes`);
});

test('README never installs a @sluice package by name alone: each such install gives, beside it, the tarball the pack loop makes', () => {
  const readme = fs.readFileSync(path.join(REPO_DIR, 'README.md'), 'utf8');
  // A newcomer following a connector's section ran `pnpm add @sluice/redis` and got npm's E404
  // (user56, 2026-12-06): the packages are not on the registry yet.
  const paragraphs = readme.split(/\n\s*\n/);
  let installs = 0;
  for (const paragraph of paragraphs) {
    for (const m of paragraph.matchAll(/`(?:npm install|npm i|pnpm add|yarn add) (@sluice\/[a-z0-9-]+)/g)) {
      installs++;
      const tarball = `$T/${tarballOf(m[1]!)}`;
      assert.ok(paragraph.includes(tarball), `README's \`${m[0].slice(1)}\` fails with E404 until the packages are on npm: its paragraph should give \`npm install ${tarball}\`\n${paragraph.slice(0, 400)}`);
    }
  }
  assert.ok(installs >= 6, `README installs the connectors by name (${installs} found)`);
});
