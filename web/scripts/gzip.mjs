// Writes a precompressed <file>.gz beside every text file of the built SPA (the dashboard
// listener serves it when the client accepts gzip). Usage: node scripts/gzip.mjs <dir>
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/gzip.mjs <dir>');
  process.exit(2);
}
const compressible = /\.(html|js|mjs|css|svg|json|txt|webmanifest)$/;
function walk(d) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) {
      walk(p);
    } else if (compressible.test(name)) {
      const gz = gzipSync(readFileSync(p), { level: constants.Z_BEST_COMPRESSION });
      writeFileSync(p + '.gz', gz);
    }
  }
}
walk(dir);
