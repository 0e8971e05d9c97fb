// build.mjs: bundles the dashboard with esbuild. `node build.mjs <outdir>` writes index.html,
// app.js (minified, es2020) and app.css into outdir; `node build.mjs --tests <outdir>` bundles
// test/*.test.ts into outdir/*.test.mjs for `node --test`. Type checking is `tsc --noEmit`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const tests = args[0] === '--tests';
const outdir = args[tests ? 1 : 0];
if (!outdir) {
  console.error('usage: node build.mjs [--tests] <outdir>');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });

if (tests) {
  const entries = readdirSync(join(here, 'test')).filter((f) => f.endsWith('.test.ts'));
  await build({
    entryPoints: entries.map((f) => join(here, 'test', f)),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node18',
    logLevel: 'warning',
  });
} else {
  await build({
    entryPoints: { app: join(here, 'src/main.ts') },
    outdir,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    legalComments: 'eof',
    logLevel: 'warning',
  });
  await build({
    entryPoints: { app: join(here, 'style.css') },
    outdir,
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
}
