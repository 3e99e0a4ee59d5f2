import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder } from "./mocks";

/**
 * The name the emulated Kubernetes provider gives an object created without `metadata.name`.
 * The real provider appends a random suffix; a fixed one lets tests assert exact references.
 */
export function mockAutoName(pulumiName: string): string {
  return `${pulumiName}-mock0000`;
}

/**
 * `installMocks`, plus what the Kubernetes provider does on create: an object without
 * `metadata.name` comes back auto-named (`mockAutoName`). Without it, a pod's reference to an
 * auto-named ConfigMap or Secret resolves to nothing under mocks and cannot be asserted. The
 * recorded inputs are unchanged: they still show the object was sent without a name.
 */
export function installKubernetesMocks(opts: Parameters<typeof installMocks>[0] = {}): MockRecorder {
  const runtime = pulumi.runtime as { setMocks: typeof pulumi.runtime.setMocks };
  const realSetMocks = runtime.setMocks;
  runtime.setMocks = (mocks, ...rest) =>
    realSetMocks(
      {
        call: (args) => mocks.call(args),
        async newResource(args) {
          const result = await mocks.newResource(args);
          const metadata = result.state?.metadata;
          if (!args.type.startsWith("kubernetes:") || !metadata || typeof metadata !== "object" || metadata.name !== undefined) return result;
          return { ...result, state: { ...result.state, metadata: { ...metadata, name: mockAutoName(args.name) } } };
        },
      },
      ...rest,
    );
  try {
    return installMocks(opts);
  } finally {
    runtime.setMocks = realSetMocks;
  }
}
