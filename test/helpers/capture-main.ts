// The child process of capture-program.ts: node -r ts-node/register/transpile-only capture-main.ts <stack> '<config>' '<secret keys>'
import { runProgramWithConfig } from "./program";

const [stack, configJson, secretKeysJson] = process.argv.slice(2);

(async () => {
  const { recorder } = await runProgramWithConfig(stack, JSON.parse(configJson), JSON.parse(secretKeysJson));
  const resources = recorder.resources.map((r) => ({
    type: r.type,
    name: r.name,
    inputs: r.inputs,
    opts: r.opts?.retainOnDelete === undefined ? undefined : { retainOnDelete: r.opts.retainOnDelete },
    parentName: r.parentName,
  }));
  process.stdout.write(`\n${JSON.stringify({ resources })}\n`);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
