// Child process of test/layout.test.ts: for each module given, loads it in a fresh module cache
// (ts-node, transpile only) and prints which `@pulumi/*` packages loading it pulled in, as JSON.
//   node -r ts-node/register/transpile-only loads-pulumi.js <file.ts> ...
const out = {};
for (const file of process.argv.slice(2)) {
  for (const key of Object.keys(require.cache)) delete require.cache[key];
  require(require("path").resolve(file));
  out[file] = [...new Set(Object.keys(require.cache).map((k) => /node_modules\/(@pulumi(?:verse)?\/[^/]+)\//.exec(k)?.[1]).filter(Boolean))].sort();
}
process.stdout.write(JSON.stringify(out));
