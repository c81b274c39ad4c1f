// Shared by the client scripts: arguments (--modules DIR --base URL --model NAME [--key K])
// and loading the pinned npm packages from DIR (build/npm-server/node_modules).
import { createRequire } from 'node:module';
import path from 'node:path';

export function parseArgs(argv) {
  const args = {};
  for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['modules', 'base']) if (!args[k]) throw new Error(`missing --${k}`);
  return args;
}

export function load(modules, name) {
  const require = createRequire(path.join(modules, 'noop.js'));
  return require(name);
}

// Prints one JSON result line; errors become {"script_error": message} and exit code 1.
export async function main(fn) {
  try {
    const out = await fn(parseArgs(process.argv));
    process.stdout.write(JSON.stringify(out) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ script_error: String(e && e.stack || e) }) + '\n');
    process.exit(1);
  }
}
