import * as pulumi from "@pulumi/pulumi";
import { mockAutoName, RegisteredResource, unwrap } from "./mocks";

/**
 * Validates the Kubernetes objects a program registered under mocks against the Kubernetes
 * OpenAPI schema, as compiled by `kubernetes-models`.
 *
 * What it catches: missing required fields, wrong types and enum values. What it does not:
 * unknown (misspelt) fields, which these schemas allow; the `@pulumi/kubernetes` input types
 * reject those at compile time in object literals.
 */

/** A resource type token `kubernetes:apps/v1:StatefulSet` as apiVersion, kind and the kubernetes-models module. */
export function kubernetesTypeOf(type: string): { apiVersion: string; kind: string; module: string } | undefined {
  const m = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z]+)$/.exec(type);
  if (!m) return undefined;
  const [, group, version, kind] = m;
  return group === "core"
    ? { apiVersion: version, kind, module: `kubernetes-models/${version}` }
    : { apiVersion: `${group}/${version}`, kind, module: `kubernetes-models/${group}/${version}` };
}

/** JSON paths of values that were unknown at registration: they cannot be validated. */
function unknownPaths(value: unknown, path = "$"): string[] {
  if (value === pulumi.runtime.unknownValue) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${path}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, `${path}.${k}`));
  return [];
}

/**
 * The manifest the provider would send: recorded inputs, secrets unwrapped, and for an auto-named
 * object the name the mocks gave it. The provider names an object without metadata.name after the
 * Pulumi resource plus a random suffix (`<name>-1a2b3c4d`); the mocks' fixed suffix
 * (`mockAutoName`) is what other objects' references (a pod's ConfigMap volume) already hold, so
 * the manifests of one program refer to each other as the deployed objects would.
 */
export function manifestOf(resource: RegisteredResource): Record<string, any> {
  const t = kubernetesTypeOf(resource.type);
  if (!t) throw new Error(`${resource.type} is not a Kubernetes object type`);
  const inputs = unwrap(resource.inputs);
  const metadata = { ...(inputs.metadata ?? {}) };
  if (metadata.name === undefined) metadata.name = mockAutoName(resource.name);
  return { ...inputs, apiVersion: t.apiVersion, kind: t.kind, metadata };
}

/**
 * Every schema error of every recorded `kubernetes:*` resource, as `type name: message`; an empty
 * list means all are valid. A type kubernetes-models does not know (a CRD, a Helm release) is an
 * error too, so nothing passes unvalidated.
 */
export function validateRecordedKubernetesObjects(resources: RegisteredResource[]): string[] {
  const errors: string[] = [];
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    const where = `${r.type} ${r.name}`;
    const t = kubernetesTypeOf(r.type);
    let Model: (new (data: unknown) => { validate(): void }) | undefined;
    try {
      Model = t ? require(t.module)[t.kind] : undefined;
    } catch {
      Model = undefined;
    }
    if (!Model) {
      errors.push(`${where}: no Kubernetes schema known for this type`);
      continue;
    }
    const manifest = manifestOf(r);
    const unknown = unknownPaths(manifest);
    if (unknown.length > 0) {
      errors.push(`${where}: unknown values at ${unknown.join(", ")}`);
      continue;
    }
    try {
      new Model(manifest).validate();
    } catch (e) {
      errors.push(`${where}: ${(e as Error).message}`);
    }
  }
  return errors;
}
