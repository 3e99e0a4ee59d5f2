// Runs a compiled Pulumi program under Pulumi's mocks, as `pulumi preview` would run it, in a
// process of its own (so `pulumi-observability` resolves by name to the built package), and
// prints what it registered as JSON on the last line of stdout.
//   node run-under-mocks.js <program.js> <project> '<config json>' '<secret keys json>'
const path = require("path");
const pulumi = require("@pulumi/pulumi");
const { runInPulumiStack } = require("@pulumi/pulumi/runtime/stack");
const { awaitStackRegistrations } = require("@pulumi/pulumi/runtime/settings");

const [program, project, configJson, secretKeysJson] = process.argv.slice(2);
const resources = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      resources.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: (args) => args.inputs,
  },
  project,
  "test",
  true,
);
pulumi.runtime.setAllConfig(JSON.parse(configJson || "{}"), JSON.parse(secretKeysJson || "[]"));

(async () => {
  let exports = {};
  await runInPulumiStack(async () => {
    exports = require(path.resolve(program));
    return exports;
  });
  await awaitStackRegistrations();
  // Outputs resolved after the program's turn (the sealed stack's files) need a few more ticks.
  for (let i = 0, n = -1; i < 200 && n !== resources.length; i++) {
    n = resources.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(JSON.stringify({ resources }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
