// Builds the candidate's web client into dist/web (or --outdir): an esbuild bundle of
// web/src/main.ts and web/src/styles.css with content-hashed names, web/index.html pointing at
// them, web/public/* copied, and .gz/.br copies for the static handler (src/http/static.ts).
// The new build is written beside the old one and swapped in, so a running server never serves
// an index.html whose assets are missing.
import { brotliCompressSync, gzipSync, constants as z } from 'node:zlib';
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(WEB, '..');

export async function buildWeb({ outdir = path.join(ROOT, 'dist/web'), quiet = false } = {}) {
  const out = path.resolve(outdir);
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  const result = await esbuild.build({
    entryPoints: { main: path.join(WEB, 'src/main.ts'), styles: path.join(WEB, 'src/styles.css') },
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    // WeChat's in-app browser: Chromium-based on Android, WebKit on iOS.
    target: ['chrome79', 'safari13'],
    outdir: path.join(tmp, 'assets'),
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: quiet ? 'error' : 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const find = (entry, ext) => {
    const hit = outputs.find(([file, o]) => o.entryPoint && o.entryPoint.endsWith(entry) && file.endsWith(ext));
    if (!hit) throw new Error(`web build: no output for ${entry}`);
    return '/assets/' + path.basename(hit[0]);
  };
  const html = readFileSync(path.join(WEB, 'index.html'), 'utf8')
    .replace('%MAIN_JS%', find('src/main.ts', '.js'))
    .replace('%MAIN_CSS%', find('src/styles.css', '.css'));
  writeFileSync(path.join(tmp, 'index.html'), html);
  cpSync(path.join(WEB, 'public'), tmp, { recursive: true });
  compressTree(tmp);

  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.dirname(out), { recursive: true });
  renameSync(tmp, out);
  if (!quiet) process.stdout.write(`web client built into ${path.relative(process.cwd(), out) || out}\n`);
  return out;
}

function compressTree(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) compressTree(file);
    else if (/\.(js|css|html|svg|map)$/.test(name)) {
      const data = readFileSync(file);
      if (data.length < 1024) continue;
      writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }));
      writeFileSync(`${file}.br`, brotliCompressSync(data, { params: { [z.BROTLI_PARAM_QUALITY]: 11 } }));
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outdir');
  buildWeb(i > 0 ? { outdir: process.argv[i + 1] } : {}).catch((e) => {
    process.stderr.write(`web build failed: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
