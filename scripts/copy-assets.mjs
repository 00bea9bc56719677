// tsc compiles src/ to dist/; the engine also reads Lua scripts and JSON data that live beside the
// code that uses them. Copy those so that dist/ mirrors src/.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const ASSET = /\.(lua|json)$/;
function copy(from, to) {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (statSync(src).isDirectory()) copy(src, dst);
    else if (ASSET.test(name)) {
      mkdirSync(to, { recursive: true });
      cpSync(src, dst);
    }
  }
}
copy('src', 'dist');
