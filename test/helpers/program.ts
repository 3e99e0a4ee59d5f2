import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, RegisteredResource, settle } from "./mocks";
import { secretsFor, stackFileConfig } from "./stack-files";

/**
 * Runs the Pulumi program (`index.ts`) under mocks with `Pulumi.<stack>.yaml`, as
 * `pulumi preview --stack <stack>` would: inside the root Stack resource, whose outputs are the
 * module's exports. A stack transformation records every resource's options, which mocks drop.
 * One stack per test file: the SDK's mock monitor is process-wide.
 */
export async function runProgram(stack: "dev" | "prod"): Promise<{ recorder: MockRecorder; outputs: Record<string, unknown> }> {
  const secrets = secretsFor(stack);
  return runProgramWithConfig(stack, { ...stackFileConfig(stack), ...secrets }, Object.keys(secrets));
}

/** `runProgram` with a config of the caller's (`<project>:<key>` -> value as the engine passes it) and its secret keys. */
export async function runProgramWithConfig(
  stack: string,
  config: Record<string, string>,
  secretKeys: string[],
): Promise<{ recorder: MockRecorder; outputs: Record<string, unknown> }> {
  const recorder = installMocks({ stack });
  pulumi.runtime.setAllConfig(config, secretKeys);
  let outputs: Record<string, unknown> = {};
  const { runInPulumiStack } = require("@pulumi/pulumi/runtime/stack");
  await runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(recorder.transformation);
    outputs = require("../../index");
    return outputs;
  });
  await settle();
  return { recorder, outputs };
}

/** Every image a recorded resource pulls or runs. */
export const images = (resources: RegisteredResource[]): string[] =>
  resources.flatMap((r) => {
    if (r.type === "docker:index/remoteImage:RemoteImage") return [r.inputs.name];
    if (/^kubernetes:apps\/v1:(Deployment|StatefulSet|DaemonSet)$/.test(r.type)) {
      return r.inputs.spec.template.spec.containers.map((c: { image: string }) => c.image);
    }
    return [];
  });
