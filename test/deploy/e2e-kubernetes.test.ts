/**
 * The prod stack's Kubernetes objects on a real Kubernetes control plane.
 *
 * What this is, plainly: NOT `pulumi up`. The Pulumi engine cannot run here (the Go module proxy,
 * the only source of Go code on these machines, serves neither the Node.js language host nor the
 * docker/random providers, nor the kubernetes provider at the release @pulumi/kubernetes asks for).
 * So the program (`index.ts` with `Pulumi.prod.yaml`) runs under Pulumi's mock engine, which
 * records every resource it registers with its inputs, and this test hands each recorded
 * Kubernetes object to a real kube-apiserver 1.36.3 (with etcd, kube-controller-manager,
 * kube-scheduler and kwok's fake nodes: `test/helpers/kube-cluster.ts`) by server-side apply, as
 * the provider would send it:
 *   - secrets are unwrapped (the provider decrypts them before it calls the API server);
 *   - an object registered without `metadata.name` (ConfigMaps, Secrets) is named as Pulumi's
 *     auto-naming does, the resource's name plus a suffix: here the mocks' fixed `-mock0000`
 *     (`mockAutoName`) in place of Pulumi's 8 random characters, because that is the name the
 *     pods' references to it already hold;
 *   - the Grafana provider's resources (`grafana:*`) are not Kubernetes objects and are left out
 *     (Grafana's own StatefulSet is applied; no image runs anywhere here: kwok reports pods ready).
 * What it does not check: anything the provider itself does (its await logic, its diffing, the
 * order it derives from dependencies; here: namespaces, then cluster-scoped objects, then the
 * rest), and whether any container works.
 *
 * What it checks: the API server accepts every object; Pod Security Admission admits every pod
 * the controllers create (the stack's namespace enforces `restricted`, the node agents'
 * `privileged`), and refuses what it should; the StatefulSets' claims bind and every workload
 * reports ready; a second apply changes nothing; deleting what was applied keeps the data claims
 * until the namespace goes, which is what `pulumi destroy` does.
 *
 * Run: npm run toolchain -- --only etcd,kubernetes,kwok, then
 *      npx jest -c jest.deploy.config.js test/deploy/e2e-kubernetes.test.ts (or npm run test:deploy)
 */
import { quantityValue } from "../../components/shared/config-primitives";
import { describeWithBinaries } from "../helpers/binaries";
import { manifestOf } from "../helpers/k8s-schema";
import { CONTROL_PLANE_BINARIES, KubeCluster, KubeObject, kwokNode, startKubeCluster } from "../helpers/kube-cluster";
import { MockRecorder, RegisteredResource, SECRET_SIG } from "../helpers/mocks";
import { sleep, stopAll, waitFor } from "../helpers/processes";
import { runProgram } from "../helpers/program";

const STACK_NAMESPACE = "observability";
const AGENTS_NAMESPACE = "observability-node-agents";
/** Our field manager: the provider uses one of its own; one name for every apply is what matters. */
const FIELD_MANAGER = "obs-e2e";
const NODES = ["kwok-node-0", "kwok-node-1"];
/** The test's StorageClass: static hostPath volumes the PV controller binds at once; Retain, so a released volume stays. */
const STORAGE_CLASS = "obs-e2e-static";

/** Apply order: what others need first. A kind not listed goes last but one, before the workloads. */
const RANK: Record<string, number> = {
  Namespace: 0,
  CustomResourceDefinition: 1,
  ClusterRole: 1,
  StorageClass: 1,
  PriorityClass: 1,
  ClusterRoleBinding: 2,
  ServiceAccount: 2,
  Role: 2,
  RoleBinding: 2,
  ConfigMap: 2,
  Secret: 2,
  Deployment: 4,
  StatefulSet: 4,
  DaemonSet: 4,
};
const rank = (o: KubeObject) => RANK[o.kind] ?? 3;
const label = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

/** The Kubernetes objects the program registered, as manifests, in apply order. */
function kubernetesObjects(resources: RegisteredResource[]): KubeObject[] {
  return resources
    .filter((r) => r.type.startsWith("kubernetes:"))
    .map((r) => manifestOf(r) as KubeObject)
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map(({ o }) => o);
}

/** One volume per claim of the program's own (a backup job's), sized to it. */
function volumesForClaims(claims: KubeObject[]): KubeObject[] {
  return claims.map((claim) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${claim.metadata.name}` },
    spec: {
      capacity: { storage: claim.spec.resources.requests.storage },
      accessModes: claim.spec.accessModes,
      storageClassName: STORAGE_CLASS,
      persistentVolumeReclaimPolicy: "Retain",
      hostPath: { path: `/var/lib/obs-e2e/pv-${claim.metadata.name}` },
    },
  }));
}

/** One volume per claim each StatefulSet replica will make, sized to it. */
function volumesFor(statefulSets: KubeObject[]): KubeObject[] {
  return statefulSets.flatMap((sts) =>
    Array.from({ length: sts.spec.replicas ?? 1 }, (_, i) =>
      (sts.spec.volumeClaimTemplates ?? []).map((claim: any) => {
        const name = `pv-${claim.metadata.name}-${sts.metadata.name}-${i}`;
        return {
          apiVersion: "v1",
          kind: "PersistentVolume",
          metadata: { name },
          spec: {
            capacity: { storage: claim.spec.resources.requests.storage },
            accessModes: claim.spec.accessModes,
            storageClassName: STORAGE_CLASS,
            persistentVolumeReclaimPolicy: "Retain",
            hostPath: { path: `/var/lib/obs-e2e/${name}` },
          },
        };
      }),
    ).flat(),
  );
}


/** The controllers' FailedCreate events that Pod Security Admission caused, in the stack's namespaces. */
async function admissionFailures(client: KubeCluster["client"]): Promise<string[]> {
  const events = [...(await client.list("v1", "Event", STACK_NAMESPACE)), ...(await client.list("v1", "Event", AGENTS_NAMESPACE))];
  return events.filter((e) => e.reason === "FailedCreate" && /PodSecurity/.test(e.message)).map((e) => `${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.message}`);
}

describeWithBinaries("the prod stack's Kubernetes objects on a real API server (Kubernetes 1.36.3, kwok nodes)", CONTROL_PLANE_BINARIES, () => {
  let cluster: KubeCluster;
  let recorder: MockRecorder;
  let objects: KubeObject[];
  const seconds: Record<string, number> = {};
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      seconds[phase] = (Date.now() - t0) / 1000;
    }
  };
  const workloadsOf = (kind: string) => objects.filter((o) => o.kind === kind);
  /** The objects the program registers with retainOnDelete: `pulumi destroy` leaves them. */
  let retained: Set<string>;

  beforeAll(async () => {
    ({ recorder } = await timed("program under mocks", () => runProgram("prod")));
    objects = kubernetesObjects(recorder.resources);
    retained = new Set(recorder.resources.filter((r) => r.type.startsWith("kubernetes:") && r.opts?.retainOnDelete).map((r) => label(manifestOf(r) as KubeObject)));
    cluster = await timed("control plane start", startKubeCluster);
    const { client } = cluster;
    // What a cluster brings along: nodes, and a default StorageClass with volumes for the claims.
    for (const node of NODES) await client.ok("POST", "/api/v1/nodes", kwokNode(node));
    await client.ok("POST", "/apis/storage.k8s.io/v1/storageclasses", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubernetes.io/no-provisioner",
      reclaimPolicy: "Retain",
      volumeBindingMode: "Immediate",
    });
    for (const pv of [...volumesFor(workloadsOf("StatefulSet")), ...volumesForClaims(workloadsOf("PersistentVolumeClaim"))]) await client.ok("POST", "/api/v1/persistentvolumes", pv);
    await waitFor(async () => {
      const nodes = await client.list("v1", "Node");
      return nodes.length === NODES.length && nodes.every((n) => n.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
    }, 60000, "kwok nodes Ready", 250);

    await timed("apply", async () => {
      for (const o of objects) await client.apply(o, FIELD_MANAGER);
    });
    await timed("ready", () =>
      waitFor(async () => {
        // A pod refused by admission is never retried into existence: stop waiting, the tests say which.
        if ((await admissionFailures(client)).length > 0) return true;
        for (const o of workloadsOf("Deployment")) {
          const s = (await client.get(o)).body.status ?? {};
          if (s.availableReplicas !== o.spec.replicas) return false;
        }
        for (const o of workloadsOf("StatefulSet")) {
          const s = (await client.get(o)).body.status ?? {};
          if (s.readyReplicas !== o.spec.replicas || s.currentReplicas !== o.spec.replicas) return false;
        }
        for (const o of workloadsOf("DaemonSet")) {
          const s = (await client.get(o)).body.status ?? {};
          if (s.desiredNumberScheduled !== NODES.length || s.numberReady !== NODES.length) return false;
        }
        return true;
      }, 240000, "every workload ready", 500),
    );
  }, 8 * 60000);

  afterAll(async () => {
    // Measurements only: what each phase took on this machine.
    // eslint-disable-next-line no-console
    console.log(`e2e-kubernetes, ${objects?.length ?? 0} objects; phases (s): ${Object.entries(seconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}`);
    cluster?.client.close();
    await stopAll();
  }, 60000);

  it("registers the Kubernetes objects a cluster needs, and only Grafana's provider resources beside them", () => {
    const others = [...new Set(recorder.resources.map((r) => r.type).filter((t) => !t.startsWith("kubernetes:") && !t.startsWith("observability:") && t !== "pulumi:pulumi:Stack"))].sort();
    expect(others.filter((t) => !t.startsWith("grafana:") && !t.startsWith("pulumi:providers:") && !t.startsWith("random:"))).toStrictEqual([]);
    expect(objects.length).toBeGreaterThanOrEqual(55);
    expect(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name)).toStrictEqual([STACK_NAMESPACE, AGENTS_NAMESPACE]);
    // Secrets unwrapped, as the provider sends them: no mock wire marker reaches the API server.
    expect(JSON.stringify(objects)).not.toContain(SECRET_SIG);
  });

  it("has the API server accept every object: each reads back as applied", async () => {
    const missing: string[] = [];
    for (const o of objects) {
      const res = await cluster.client.get(o);
      if (res.status !== 200) missing.push(`${label(o)}: ${res.status}`);
      // Our labels, as applied (the API server adds its own: a namespace's `kubernetes.io/metadata.name`).
      else expect([label(o), res.body.metadata.labels]).toStrictEqual([label(o), expect.objectContaining(o.metadata.labels)]);
    }
    expect(missing).toStrictEqual([]);
  });

  it("labels the namespaces for Pod Security Admission as the program does", async () => {
    const ns = await cluster.client.list("v1", "Namespace");
    const psa = (name: string) => Object.fromEntries(Object.entries(ns.find((n) => n.metadata.name === name).metadata.labels).filter(([k]) => k.startsWith("pod-security.kubernetes.io/")));
    expect([psa(STACK_NAMESPACE), psa(AGENTS_NAMESPACE)]).toStrictEqual([
      { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" },
      { "pod-security.kubernetes.io/enforce": "privileged", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" },
    ]);
  });

  it("has every pod the controllers create admitted: each workload at its desired count, no admission failure", async () => {
    const { client } = cluster;
    const pods = [...(await client.list("v1", "Pod", STACK_NAMESPACE)), ...(await client.list("v1", "Pod", AGENTS_NAMESPACE))];
    const expected =
      workloadsOf("Deployment").reduce((n, o) => n + o.spec.replicas, 0) + workloadsOf("StatefulSet").reduce((n, o) => n + o.spec.replicas, 0) + workloadsOf("DaemonSet").length * NODES.length;
    expect(pods.filter((p) => p.status.phase === "Running" && p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")).length).toBe(expected);
    // Every node agent's pod is in the node agents' namespace, and nothing else is.
    const byNamespace = (ns: string) => [...new Set(pods.filter((p) => p.metadata.namespace === ns).map((p) => p.metadata.labels["app.kubernetes.io/name"]))].sort();
    expect(byNamespace(AGENTS_NAMESPACE)).toStrictEqual(["alloy", "node-exporter"]);
    expect(byNamespace(STACK_NAMESPACE)).toHaveLength(10);
    expect(await admissionFailures(client)).toStrictEqual([]);
  });

  it("admits each workload's pod as restricted allows it where it runs, and would refuse the node agents in the stack's namespace", async () => {
    const { client } = cluster;
    // The pod a controller makes of the template; a StatefulSet's also mounts its first replica's claims.
    const podOf = (w: KubeObject, namespace: string): KubeObject => {
      const claims = (w.spec.volumeClaimTemplates ?? []).map((c: any) => ({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-${w.metadata.name}-0` } }));
      return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${w.metadata.name}-psa-check`, namespace, labels: w.spec.template.metadata.labels },
        spec: { ...w.spec.template.spec, volumes: [...(w.spec.template.spec.volumes ?? []), ...claims] },
      };
    };
    const workloads = ["Deployment", "StatefulSet", "DaemonSet"].flatMap(workloadsOf);
    // The backup CronJobs' pods too (the Job controller makes them at the schedule, not during this test).
    const jobs = workloadsOf("CronJob").map((c) => ({ ...c, spec: { template: c.spec.jobTemplate.spec.template } }));
    expect(jobs.map((j) => j.metadata.name).sort()).toStrictEqual(["backup-alertmanager", "backup-grafana", "backup-prometheus"]);
    for (const w of [...workloads, ...jobs].filter((w) => w.metadata.namespace === STACK_NAMESPACE)) {
      // Dry run: admission runs in full, nothing is stored. No warning: nothing departs from restricted.
      const res = await client.create(podOf(w, STACK_NAMESPACE), { dryRun: true });
      expect([w.metadata.name, res.status, res.warnings]).toStrictEqual([w.metadata.name, 201, []]);
    }
    const agents = workloads.filter((w) => w.metadata.namespace === AGENTS_NAMESPACE);
    expect(agents.map((w) => w.metadata.name).sort()).toStrictEqual(["alloy", "node-exporter"]);
    // Admitted where they run, warn=restricted naming exactly their documented exceptions (and nothing else of theirs).
    const violations: Record<string, string> = {
      alloy: 'restricted volume types (volume "host-0" uses restricted volume type "hostPath"), runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false), runAsUser=0 (pod must not set runAsUser=0)',
      "node-exporter": 'host namespaces (hostNetwork=true, hostPID=true), hostPort (container "node-exporter" uses hostPort 9100), restricted volume types (volumes "host-0", "host-1", "host-2" use restricted volume type "hostPath")',
    };
    for (const w of agents) {
      const there = await client.create(podOf(w, AGENTS_NAMESPACE), { dryRun: true });
      expect([w.metadata.name, there.status, there.warnings]).toStrictEqual([w.metadata.name, 201, [`would violate PodSecurity "restricted:latest": ${violations[w.metadata.name]}`]]);
      // Refused in the stack's namespace: the reason for the second namespace. (Its ServiceAccount
      // lives beside it, and the ServiceAccount admission plugin would refuse first: left out.)
      const moved = podOf(w, STACK_NAMESPACE);
      delete moved.spec.serviceAccountName;
      const here = await client.create(moved, { dryRun: true });
      expect([w.metadata.name, here.status, here.body.message]).toStrictEqual([
        w.metadata.name,
        403,
        `pods "${w.metadata.name}-psa-check" is forbidden: violates PodSecurity "restricted:latest": ${violations[w.metadata.name]}`,
      ]);
    }
  });

  it("refuses an unhardened pod in the stack's namespace (the negative control: the check can fail)", async () => {
    const res = await cluster.client.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "unhardened", namespace: STACK_NAMESPACE },
      spec: { containers: [{ name: "c", image: "busybox:1.37.0" }] },
    });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false .*unrestricted capabilities .*runAsNonRoot != true .*seccompProfile/);
  });

  it("binds every StatefulSet claim and the backup jobs' claims, and has every StatefulSet report ready", async () => {
    const { client } = cluster;
    const claims = await client.list("v1", "PersistentVolumeClaim", STACK_NAMESPACE);
    const expected = [
      ...workloadsOf("StatefulSet").flatMap((s) => Array.from({ length: s.spec.replicas }, (_, i) => `data-${s.metadata.name}-${i}`)),
      ...workloadsOf("PersistentVolumeClaim").map((c) => c.metadata.name),
    ].sort();
    expect(workloadsOf("PersistentVolumeClaim").map((c) => c.metadata.name).sort()).toStrictEqual(["data-backup-alertmanager", "data-backup-grafana", "data-backup-prometheus"]);
    expect(claims.map((c) => [c.metadata.name, c.status.phase]).sort()).toStrictEqual(expected.map((n) => [n, "Bound"]));
    for (const c of claims) expect(quantityValue(c.status.capacity.storage)).toBeGreaterThanOrEqual(quantityValue(c.spec.resources.requests.storage)!);
    for (const s of workloadsOf("StatefulSet")) {
      const status = (await client.get(s)).body.status;
      expect([s.metadata.name, status.readyReplicas, status.availableReplicas]).toStrictEqual([s.metadata.name, s.spec.replicas, s.spec.replicas]);
    }
  });

  it("holds the default-deny and per-workload NetworkPolicies in both namespaces, each admitting the stack's pods of both by namespace name, and the RBAC objects", async () => {
    const { client } = cluster;
    const names = async (apiVersion: string, kind: string, namespace?: string) => (await client.list(apiVersion, kind, namespace)).map((o) => o.metadata.name).sort();
    const expected = (kind: string, namespace?: string) => objects.filter((o) => o.kind === kind && o.metadata.namespace === namespace).map((o) => o.metadata.name).sort();
    for (const ns of [STACK_NAMESPACE, AGENTS_NAMESPACE]) {
      const policies = await names("networking.k8s.io/v1", "NetworkPolicy", ns);
      expect(policies).toStrictEqual(expected("NetworkPolicy", ns));
      expect(policies).toContain("default-deny-ingress");
      // Of the service accounts the controller makes itself (`default`), none is ours.
      expect((await names("v1", "ServiceAccount", ns)).filter((n) => n !== "default")).toStrictEqual(expected("ServiceAccount", ns));
    }
    expect(expected("NetworkPolicy", AGENTS_NAMESPACE)).toStrictEqual(["alloy-ingress", "default-deny-ingress", "node-exporter-ingress"]);
    // Every policy's "the stack's pods" peer selects both namespaces by the labels they really carry
    // (the API server's `kubernetes.io/metadata.name`): Alloy may reach Loki, Prometheus may reach Alloy.
    const namespaces = await client.list("v1", "Namespace");
    const selects = (selector: any, ns: any) =>
      (selector.matchExpressions ?? []).every((e: any) => e.operator === "In" && e.values.includes(ns.metadata.labels[e.key])) &&
      Object.entries(selector.matchLabels ?? {}).every(([k, v]) => ns.metadata.labels[k] === v);
    for (const policy of objects.filter((o) => o.kind === "NetworkPolicy" && o.metadata.name !== "default-deny-ingress")) {
      const peer = policy.spec.ingress[0].from[0];
      const selected = namespaces.filter((ns) => selects(peer.namespaceSelector, ns)).map((ns) => ns.metadata.name).sort();
      expect([policy.metadata.namespace, policy.metadata.name, selected]).toStrictEqual([policy.metadata.namespace, policy.metadata.name, [STACK_NAMESPACE, AGENTS_NAMESPACE]]);
    }
    const clusterRoles = await names("rbac.authorization.k8s.io/v1", "ClusterRole");
    const bindings = await client.list("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
    for (const role of objects.filter((o) => o.kind === "ClusterRole")) expect(clusterRoles).toContain(role.metadata.name);
    // Each binding names a ServiceAccount that exists, in the namespace its workload runs in.
    for (const b of objects.filter((o) => o.kind === "ClusterRoleBinding")) {
      const live = bindings.find((x) => x.metadata.name === b.metadata.name);
      expect(live.subjects).toStrictEqual(b.subjects);
      for (const s of live.subjects) expect((await client.request("GET", `/api/v1/namespaces/${s.namespace}/serviceaccounts/${s.name}`)).status).toBe(200);
    }
    expect(bindings.find((b) => b.metadata.name === "observability-alloy").subjects).toStrictEqual([{ kind: "ServiceAccount", name: "alloy", namespace: AGENTS_NAMESPACE }]);
  });

  it("changes nothing when the same objects are applied again", async () => {
    const { client } = cluster;
    const before = new Map<string, { resourceVersion: string; generation?: number }>();
    for (const o of objects) {
      const m = (await client.get(o)).body.metadata;
      before.set(label(o), { resourceVersion: m.resourceVersion, generation: m.generation });
    }
    const changed: string[] = [];
    for (const o of objects) {
      const m = (await client.apply(o, FIELD_MANAGER)).body.metadata;
      const was = before.get(label(o))!;
      if (m.resourceVersion !== was.resourceVersion || m.generation !== was.generation) changed.push(`${label(o)}: ${was.resourceVersion}/${was.generation} -> ${m.resourceVersion}/${m.generation}`);
    }
    expect(changed).toStrictEqual([]);
  });

  it("keeps the data claims when every object but the namespaces is deleted; deleting the namespaces (as `pulumi destroy` does) takes the claims, and only the volumes' Retain policy keeps the data", async () => {
    const { client } = cluster;
    const claimNames = async () => (await client.list("v1", "PersistentVolumeClaim", STACK_NAMESPACE)).map((c) => `${c.metadata.name} ${c.status.phase}`).sort();
    const claimsBefore = await claimNames();
    await timed("delete", async () => {
      // Reverse apply order, as the engine deletes dependents before what they depend on; what the
      // program marks retainOnDelete (the backup jobs' claims) the engine leaves in place.
      for (const o of [...objects].reverse().filter((o) => o.kind !== "Namespace" && !retained.has(label(o)))) await client.delete(o);
      await waitFor(async () => {
        for (const ns of [STACK_NAMESPACE, AGENTS_NAMESPACE]) if ((await client.list("v1", "Pod", ns)).length > 0) return false;
        return true;
      }, 120000, "every pod gone", 500);
    });
    for (const o of objects.filter((o) => o.kind !== "Namespace")) expect([label(o), (await client.get(o)).status]).toStrictEqual([label(o), retained.has(label(o)) ? 200 : 404]);
    expect([...retained].sort()).toStrictEqual(["PersistentVolumeClaim observability/data-backup-alertmanager", "PersistentVolumeClaim observability/data-backup-grafana", "PersistentVolumeClaim observability/data-backup-prometheus"]);
    // A StatefulSet's claims outlive it (persistentVolumeClaimRetentionPolicy: Retain, the default).
    expect(await claimNames()).toStrictEqual(claimsBefore);
    await sleep(1000);
    expect(await claimNames()).toStrictEqual(claimsBefore);

    // `pulumi destroy` deletes the namespaces it created last, and the namespace controller deletes
    // everything in them, the claims included.
    await timed("delete namespaces", async () => {
      for (const o of objects.filter((o) => o.kind === "Namespace")) await client.delete(o);
      await waitFor(async () => {
        for (const o of objects.filter((o) => o.kind === "Namespace")) if ((await client.get(o)).status !== 404) return false;
        return true;
      }, 180000, "namespaces gone", 500);
    });
    expect(await client.list("v1", "PersistentVolumeClaim")).toStrictEqual([]);
    const volumes = await client.list("v1", "PersistentVolume");
    expect(volumes.map((v) => [v.spec.claimRef?.name, v.status.phase]).sort()).toStrictEqual(claimsBefore.map((c) => [c.split(" ")[0], "Released"]).sort());
  });
});
