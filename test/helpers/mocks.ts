import * as pulumi from "@pulumi/pulumi";

/** Pulumi's wire marker for a secret value: mocks receive secret inputs wrapped in it. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** One resource the program registered, as the engine would have seen it. */
export interface RegisteredResource {
  type: string;
  name: string;
  /** Inputs as sent to the engine; secret values are still wrapped in `{[SECRET_SIG]: ..., value}`. */
  inputs: any;
  /** Resource options, recorded through a `transformations` hook (mocks do not carry options). */
  opts?: pulumi.CustomResourceOptions;
  /** Name of the parent resource, when known. */
  parentName?: string;
}

export interface MockRecorder {
  resources: RegisteredResource[];
  /** Pass as `{ transformations: [recorder.transformation] }` on the root component. */
  transformation: pulumi.ResourceTransformation;
  byType(type: string): RegisteredResource[];
  /** Resources of the given type and name (exact match). */
  one(type: string, name: string): RegisteredResource;
  reset(): void;
}

/**
 * Installs Pulumi mocks and records every registered resource. Call before the module under test
 * is imported (use `await import(...)` inside tests or `require` after this call).
 */
export function installMocks(opts: { project?: string; stack?: string; config?: Record<string, string> } = {}): MockRecorder {
  const resources: RegisteredResource[] = [];
  const optsByName = new Map<string, { opts: pulumi.CustomResourceOptions; parentName?: string }>();
  if (opts.config) {
    // The Node SDK reads stack config from this variable; keys are `project:key`.
    process.env.PULUMI_CONFIG = JSON.stringify(opts.config);
    // Secret config keys must be listed so getSecret/requireSecret do not warn.
    process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(Object.keys(opts.config));
  }
  pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        registrations++;
        const rec = optsByName.get(`${args.type}::${args.name}`);
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, opts: rec?.opts, parentName: rec?.parentName });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    opts.project ?? "observability",
    opts.stack ?? "test",
    true,
  );
  const recorder: MockRecorder = {
    resources,
    transformation: (args) => {
      optsByName.set(`${args.type}::${args.name}`, {
        opts: args.opts as pulumi.CustomResourceOptions,
        parentName: (args.opts.parent as any)?.__name,
      });
      return undefined;
    },
    byType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${resources.filter((r) => r.type === type).map((r) => r.name).join(", ")}`);
      }
      return found[0];
    },
    reset: () => {
      resources.length = 0;
      optsByName.clear();
    },
  };
  return recorder;
}

/** What a mocked `RandomPassword` generates: distinctive, to search resources for. */
export const GENERATED_PASSWORD = "Gen3rated-Admin-Passw0rd-xyz";

/**
 * The name the emulated Kubernetes provider gives an object created without `metadata.name`.
 * The real provider appends a random suffix; a fixed one lets tests assert exact references.
 */
export function mockAutoName(pulumiName: string): string {
  return `${pulumiName}-mock0000`;
}

/**
 * Outputs the real providers compute and the stack reads: a RandomPassword's `result`, a
 * RemoteImage's `imageId`, the tls provider's keys and certificates, and the
 * name of a Kubernetes object created without `metadata.name` (so a pod's reference to an
 * auto-named ConfigMap resolves). Recorded inputs stay as they were sent.
 */
function computedOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  if (args.type === "random:index/randomPassword:RandomPassword") return { result: GENERATED_PASSWORD };
  // The real provider's imageId is the local image's id; the image's name stands for it here.
  if (args.type === "docker:index/remoteImage:RemoteImage") return { imageId: args.inputs.name };
  // Key material the tls provider generates: a distinctive text per resource, to find where it went.
  const pem = (kind: string) => `-----BEGIN ${kind}-----\nmock ${args.name}\n-----END ${kind}-----\n`;
  if (args.type === "tls:index/privateKey:PrivateKey") return { privateKeyPem: pem("RSA PRIVATE KEY"), privateKeyPemPkcs8: pem("PRIVATE KEY"), publicKeyPem: pem("PUBLIC KEY") };
  if (args.type === "tls:index/selfSignedCert:SelfSignedCert" || args.type === "tls:index/locallySignedCert:LocallySignedCert") return { certPem: pem("CERTIFICATE") };
  if (args.type === "tls:index/certRequest:CertRequest") return { certRequestPem: pem("CERTIFICATE REQUEST") };
  const metadata = args.inputs.metadata;
  if (args.type.startsWith("kubernetes:") && metadata && typeof metadata === "object" && metadata.name === undefined) {
    return { metadata: { ...metadata, name: mockAutoName(args.name) } };
  }
  return {};
}

/** Registrations seen by the mocks, across recorders: `settle` waits for it to stop moving. */
let registrations = 0;

/**
 * Lets every pending registration reach the mocks: waits until no new resource has arrived for
 * several ticks (resources created inside `apply` arrive late), at most 10 s.
 */
export async function settle(): Promise<void> {
  // The SDK's own count of registrations in flight; then a short quiet period for applies.
  const { awaitStackRegistrations } = require("@pulumi/pulumi/runtime/settings");
  await awaitStackRegistrations();
  let quiet = 0;
  for (let i = 0; i < 400 && quiet < 4; i++) {
    const before = registrations;
    await new Promise((r) => setTimeout(r, 25));
    quiet = registrations === before ? quiet + 1 : 0;
  }
}

/** True when `value` is (or is inside) a secret-wrapped input. */
export function isSecretInput(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as any)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
}

/** Removes secret wrappers, for asserting on values. */
export function unwrap(value: any): any {
  if (isSecretInput(value)) return unwrap(value.value);
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
  }
  return value;
}

/**
 * Every place in `inputs` where `needle` occurs as a plain (non-secret) string: a secret that
 * leaked. Returns JSON paths; an empty list means the needle only ever appears inside secrets.
 */
export function plainOccurrences(inputs: any, needle: string, path = "$"): string[] {
  if (isSecretInput(inputs)) return [];
  if (typeof inputs === "string") return inputs.includes(needle) ? [path] : [];
  if (Array.isArray(inputs)) return inputs.flatMap((v, i) => plainOccurrences(v, needle, `${path}[${i}]`));
  if (inputs && typeof inputs === "object") {
    return Object.entries(inputs).flatMap(([k, v]) => plainOccurrences(v, needle, `${path}.${k}`));
  }
  return [];
}

/** The value of an Output under mocks. */
export function resolveOutput<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}
