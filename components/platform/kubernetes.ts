import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  checkWorkloadSpec,
  configDataSizeProblem,
  configMapGroups,
  cronJobSpec,
  defaultDenyIngress,
  defaultNodeAgentsNamespace,
  fileKey,
  isNodeAgent,
  jobClaimName,
  namespaceLabels,
  PART_OF,
  podTemplate,
  PodRefs,
  selectorLabels,
  serviceSpec,
  standardLabels,
  volumeClaimTemplates,
  workloadKind,
  workloadNetworkPolicy,
} from "./kubernetes-objects";
import { withoutDebugStackTraces } from "./stack-traces";
import { DeployedWorkload, DiscoverySpec, Platform, PlatformCapabilities, portNamed, ScrapeEndpoint, WorkloadSpec } from "./types";

export interface KubernetesPlatformArgs {
  /**
   * Namespace every workload runs in but the node agents; it enforces the `restricted` Pod
   * Security Standard. Default `observability`.
   */
  namespace?: string;
  /**
   * Namespace of the node agents (workloads with `host` access: node-exporter, the log agent),
   * which `restricted` forbids; it enforces `privileged` and warns and audits at `restricted`.
   * Created (when `createNamespace`) only once a node agent is deployed. Must differ from
   * `namespace`. Default `<namespace>-node-agents`.
   */
  nodeAgentsNamespace?: string;
  /**
   * Create the namespaces, labelled for Pod Security Admission. Default true. When false they
   * must exist, and their labels are left as they are.
   */
  createNamespace?: boolean;
  /**
   * Deny all ingress to each namespace's pods, then open each workload's ports to the stack's own
   * pods in either namespace (and to every namespace for ports with `ingress: "any"`). Default true.
   */
  networkPolicies?: boolean;
  /** StorageClass of persistent volumes whose spec names none. Default: the cluster's default StorageClass. */
  storageClass?: string;
  /**
   * Rewrites each workload's image reference before it is pulled or run (a registry mirror, a
   * per-image override). Default: every image as its spec names it.
   */
  imageOf?: (image: string) => string;

  /** Provider of every Kubernetes object. Default: the default provider (the ambient kubeconfig). */
  provider?: k8s.Provider;
}

/**
 * Runs workloads on a Kubernetes cluster: a Deployment, StatefulSet (when the spec has a volume) or
 * DaemonSet (`per-node`) per workload, with a ClusterIP Service, config files in auto-named
 * ConfigMaps and Secrets, a hardened pod whose only exceptions are those `spec.host` documents,
 * RBAC only for workloads that read the API, and a NetworkPolicy per workload. Two namespaces:
 * the stack's, enforcing the `restricted` Pod Security Standard, and the node agents' (the
 * workloads with `spec.host`), enforcing `privileged`.
 */
export class KubernetesPlatform extends pulumi.ComponentResource implements Platform {
  public readonly kind = "kubernetes" as const;
  // The kubelet embeds cAdvisor, so no privileged cAdvisor pod; a cluster has state worth exporting.
  public readonly capabilities: PlatformCapabilities = { containerMetrics: "kubelet", clusterState: true, scheduledJobs: "native" };
  /** The namespace every workload but the node agents runs in. */
  public readonly namespace: string;
  /** The namespace's name, resolved once it exists: objects placed in it wait for it. */
  public readonly namespaceName: pulumi.Output<string>;
  /** The namespace the node agents run in. */
  public readonly nodeAgentsNamespace: string;

  private readonly prefix: string;
  private readonly networkPolicies: boolean;
  private readonly storageClass: string | undefined;
  private readonly provider: k8s.Provider | undefined;
  /** Where each image comes from (KubernetesPlatformArgs.imageOf). */
  private readonly imageOf: ((image: string) => string) | undefined;
  private readonly createNamespace: boolean;
  /** The node agents' namespace name, once the first node agent asked for it. */
  private nodeAgentsNamespaceName: pulumi.Output<string> | undefined;

  constructor(name: string, args: KubernetesPlatformArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("observability:platform:Kubernetes", name, {}, opts);
    this.prefix = name;
    this.namespace = args.namespace ?? "observability";
    this.networkPolicies = args.networkPolicies ?? true;
    this.storageClass = args.storageClass;
    this.provider = args.provider;
    this.imageOf = args.imageOf;
    this.createNamespace = args.createNamespace ?? true;
    this.nodeAgentsNamespace = args.nodeAgentsNamespace ?? defaultNodeAgentsNamespace(this.namespace);
    if (this.nodeAgentsNamespace === this.namespace) {
      throw new Error(`${name}: nodeAgentsNamespace must differ from namespace ("${this.namespace}"): the stack's namespace enforces the restricted Pod Security Standard, which the node agents cannot meet`);
    }
    // The resource names of the first release (`<name>-namespace`, `<name>-default-deny-ingress`): kept, so an upgrade updates them in place.
    this.namespaceName = this.walledNamespace(name, "", this.namespace, "restricted");
    this.registerOutputs({ namespaceName: this.namespaceName });
  }

  /** A namespace of the stack (created and labelled when `createNamespace`) and its default-deny policy. */
  private walledNamespace(name: string, infix: string, namespace: string, enforce: "restricted" | "privileged"): pulumi.Output<string> {
    const created = this.createNamespace
      ? new k8s.core.v1.Namespace(`${name}${infix}-namespace`, { metadata: { name: namespace, labels: namespaceLabels(enforce) } }, this.childOpts(this))
      : undefined;
    const namespaceName = created ? created.metadata.name : pulumi.output(namespace);
    if (this.networkPolicies) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}${infix}-default-deny-ingress`,
        {
          metadata: { name: "default-deny-ingress", namespace: namespaceName, labels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/managed-by": "pulumi" } },
          spec: defaultDenyIngress(),
        },
        this.childOpts(this),
      );
    }
    return namespaceName;
  }

  /** The node agents' namespace, made on first use: a stack without node agents has no second namespace. */
  private nodeAgentsNamespaceOutput(): pulumi.Output<string> {
    this.nodeAgentsNamespaceName ??= this.walledNamespace(this.prefix, "-node-agents", this.nodeAgentsNamespace, "privileged");
    return this.nodeAgentsNamespaceName;
  }

  /** The namespace a workload runs in: the node agents' for a node agent (`isNodeAgent`), else the stack's. */
  private namespaceOf(spec: WorkloadSpec): string {
    return isNodeAgent(spec) ? this.nodeAgentsNamespace : this.namespace;
  }

  private childOpts(parent: pulumi.Resource): pulumi.CustomResourceOptions {
    return { parent, ...(this.provider ? { provider: this.provider } : {}) };
  }

  deploy(spec: WorkloadSpec, parent: pulumi.Resource): DeployedWorkload {
    return withoutDebugStackTraces(() => this.deployNow(this.imageOf ? { ...spec, image: this.imageOf(spec.image) } : spec, parent));
  }

  private deployNow(spec: WorkloadSpec, parent: pulumi.Resource): DeployedWorkload {
    checkWorkloadSpec(spec);
    const opts = this.childOpts(parent);
    // Prefixed with the platform's name: two stacks in one program must not share resource names.
    const base = `${this.prefix}-${spec.name}`;
    const labels = standardLabels(spec);
    // A node agent runs in the node agents' namespace, everything else in the stack's (isNodeAgent).
    const namespace = this.namespaceOf(spec);
    const namespaceName = isNodeAgent(spec) ? this.nodeAgentsNamespaceOutput() : this.namespaceName;
    const metadata = (name?: string) => ({ ...(name !== undefined ? { name } : {}), namespace: namespaceName, labels });
    const refs: PodRefs = {};

    // ConfigMaps and Secrets are auto-named (no metadata.name): a change of content creates one
    // under a new name, so the pod template changes and the pods roll onto it. A fixed name would
    // be updated in place and the pods would keep the old files. Immutable: nothing edits them in
    // place, and the kubelet need not watch them.
    const files = spec.files ?? [];
    // Over 1 MiB the API server refuses a ConfigMap: fail the preview instead (at once when every
    // file is known now; in the apply when it is an Output, such as Prometheus' config with the
    // services' jobs, known at seal).
    const withinLimit = (d: Record<string, string>): Record<string, string> => {
      const problem = configDataSizeProblem(spec.name, "ConfigMap", d);
      if (problem) throw new Error(problem);
      return d;
    };
    for (const group of configMapGroups(files)) {
      const entries = Object.fromEntries(group.files.map((f) => [fileKey(f.path), f.content]));
      const known = group.files.every((f) => typeof f.content === "string");
      const data = known ? withinLimit(entries as Record<string, string>) : pulumi.output(entries).apply(withinLimit);
      const configMap = new k8s.core.v1.ConfigMap(`${base}-${group.resourceSuffix}`, { metadata: metadata(), immutable: true, data }, opts);
      (refs.configMapNames ??= {})[group.volume] = configMap.metadata.name;
    }
    const secretFiles = files.filter((f) => f.secret);
    if (secretFiles.length > 0) {
      // stringData of a Secret: @pulumi/kubernetes keeps it a Pulumi secret in inputs and state.
      const stringData = Object.fromEntries(secretFiles.map((f) => [fileKey(f.path), f.content]));
      refs.fileSecretName = new k8s.core.v1.Secret(`${base}-files`, { metadata: metadata(), type: "Opaque", immutable: true, stringData }, opts).metadata.name;
    }
    if (spec.secretEnv && Object.keys(spec.secretEnv).length > 0) {
      refs.envSecretName = new k8s.core.v1.Secret(`${base}-env`, { metadata: metadata(), type: "Opaque", immutable: true, stringData: spec.secretEnv }, opts).metadata.name;
    }

    if (spec.kubernetesApi) {
      const account = new k8s.core.v1.ServiceAccount(`${base}`, { metadata: metadata(spec.name) }, opts);
      // Cluster-scoped names: the namespace keeps two installations in one cluster apart.
      const roleName = `${this.namespace}-${spec.name}`;
      const role = new k8s.rbac.v1.ClusterRole(`${base}`, { metadata: { name: roleName, labels }, rules: spec.kubernetesApi.clusterRules }, opts);
      new k8s.rbac.v1.ClusterRoleBinding(
        `${base}`,
        {
          metadata: { name: roleName, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
          subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: namespaceName }],
        },
        opts,
      );
      refs.serviceAccountName = account.metadata.name;
    }

    const template = podTemplate(spec, refs);
    const selector = { matchLabels: selectorLabels(spec) };
    const replicas = spec.replicas ?? 1;
    // Workloads keep a fixed name: a StatefulSet's claims are named after it (data-prometheus-0),
    // so a replaced StatefulSet finds its data again; with a random suffix it would start empty.
    let workload: pulumi.CustomResource;
    if (workloadKind(spec) === "CronJob") {
      // A job runs to completion: no Service, no probes, and a pod that restarts nothing on success.
      // A job's own volume (a backup destination) is a claim of its own, which the pod mounts
      // (podTemplate). Kept by `pulumi destroy` (a job's claim is not a StatefulSet's, which its
      // controller keeps): these are the backups. Deleting the namespace still deletes it (see
      // "Upgrades and data safety").
      if (spec.volume) {
        const [claim] = volumeClaimTemplates(spec, this.storageClass);
        new k8s.core.v1.PersistentVolumeClaim(`${base}-data`, { metadata: metadata(jobClaimName(spec)), spec: claim.spec }, { ...opts, retainOnDelete: true });
      }
      // Nothing connects to a job: the namespace's default-deny covers it, no allow is added.
      const job = new k8s.batch.v1.CronJob(base, { metadata: metadata(spec.name), spec: cronJobSpec(spec, template) }, opts);
      const none = (portName: string): never => {
        throw new Error(`workload "${spec.name}" is a CronJob: it has no port "${portName}" to reach`);
      };
      return { address: none, scrapeEndpoint: none, publicUrl: none, resources: [job] };
    }
    switch (workloadKind(spec)) {
      case "DaemonSet":
        workload = new k8s.apps.v1.DaemonSet(base, { metadata: metadata(spec.name), spec: { selector, template } }, opts);
        break;
      case "StatefulSet": {
        const headless = new k8s.core.v1.Service(`${base}-headless`, { metadata: metadata(`${spec.name}-headless`), spec: serviceSpec(spec, true) }, opts);
        workload = new k8s.apps.v1.StatefulSet(
          base,
          {
            metadata: metadata(spec.name),
            spec: { serviceName: headless.metadata.name, replicas, selector, template, volumeClaimTemplates: volumeClaimTemplates(spec, this.storageClass) },
          },
          opts,
        );
        break;
      }
      case "Deployment":
      default:
        workload = new k8s.apps.v1.Deployment(base, { metadata: metadata(spec.name), spec: { replicas, selector, template } }, opts);
        break;
    }
    // A workload without ports (a queue worker) gets no Service and no allow: nothing connects to it.
    const service = spec.ports.length > 0 ? new k8s.core.v1.Service(base, { metadata: metadata(spec.name), spec: serviceSpec(spec) }, opts) : undefined;
    if (this.networkPolicies && service) {
      new k8s.networking.v1.NetworkPolicy(`${base}-ingress`, { metadata: metadata(`${spec.name}-ingress`), spec: workloadNetworkPolicy(spec, [this.namespace, this.nodeAgentsNamespace]) }, opts);
    }

    const portOf = (portName: string): number => portNamed(spec, portName).port;
    return {
      address: (portName) => this.addressOf(spec, portName),
      // Every pod, not the Service: a Service would spread scrapes over replicas at random.
      scrapeEndpoint: (portName): ScrapeEndpoint => {
        portOf(portName);
        return { kind: "kubernetes-pods", namespace, name: spec.name, portName };
      },
      // Nothing is published on a node: users reach a port with `kubectl port-forward` or an ingress.
      publicUrl: (portName) => {
        portOf(portName);
        return undefined;
      },
      resources: service ? [workload, service] : [workload],
    };
  }

  /**
   * Pod annotation discovery across namespaces. Nothing to deploy: Prometheus's own ServiceAccount
   * gets the read rules, which the PrometheusStack asks for through `kubernetesApi`.
   */
  discovery(_parent: pulumi.Resource): DiscoverySpec {
    return { kind: "kubernetes" };
  }
  urlOf(spec: WorkloadSpec, portName: string): string {
    return `http://${this.addressOf(spec, portName)}`;
  }

  /** The workload's Service in its namespace. */
  addressOf(spec: WorkloadSpec, portName: string): string {
    return `${spec.name}.${this.namespaceOf(spec)}.svc:${portNamed(spec, portName).port}`;
  }

  /** Each StatefulSet pod's own DNS name under the governing headless Service. */
  peerAddresses(spec: WorkloadSpec, portName: string): string[] {
    const port = portNamed(spec, portName);
    // Only a StatefulSet's pods have stable names; a Deployment's are random.
    if (!spec.volume) throw new Error(`workload "${spec.name}" has no volume: only stateful workloads have stable peer addresses`);
    const namespace = this.namespaceOf(spec);
    return Array.from({ length: spec.replicas ?? 1 }, (_, i) => `${spec.name}-${i}.${spec.name}-headless.${namespace}.svc:${port.port}`);
  }

}
