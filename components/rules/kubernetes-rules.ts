import { jobNames } from "../metrics/job-names";
import { alert, num, RuleGroup, RuleThresholds } from "./rule-types";
import { pct } from "./infra-rules";

/**
 * Kubernetes objects, from kube-state-metrics 2.20.0 (names and labels from
 * k8s.io/kube-state-metrics/v2@v2.20.0/internal/store/*.go), like kubernetes-mixin's apps and
 * resources alerts. Its series carry the objects' own `namespace` and `pod` labels, so its scrape
 * job must keep them (honor_labels).
 */
export function kubernetesGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.kubeStateMetrics}"`;
  const resources = [
    { resource: "cpu", name: "KubeCpuOvercommit", what: "CPU" },
    { resource: "memory", name: "KubeMemoryOvercommit", what: "memory" },
  ] as const;
  return {
    name: "kubernetes",
    rules: [
      alert(t, {
        name: "KubePodCrashLooping",
        // max_over_time: the waiting reason flips between CrashLoopBackOff and a short run.
        expr: `max_over_time(kube_pod_container_status_waiting_reason{${job}, reason="CrashLoopBackOff"}[5m]) >= 1`,
        for: "15m",
        severity: "warning",
        summary: "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} is crash-looping.",
        description: "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in CrashLoopBackOff for 15 minutes: it exits soon after every start and the kubelet backs off ever longer.",
      }),
      alert(t, {
        name: "KubePodNotReady",
        // Pending/Unknown/Failed, or Running but not Ready; Jobs' pods finish by design and are left out.
        expr:
          `(max by (namespace, pod) (kube_pod_status_phase{${job}, phase=~"Pending|Unknown|Failed"}) == 1` +
          ` or (max by (namespace, pod) (kube_pod_status_ready{${job}, condition="false"}) == 1 and on (namespace, pod) max by (namespace, pod) (kube_pod_status_phase{${job}, phase="Running"}) == 1))` +
          ` unless on (namespace, pod) max by (namespace, pod) (kube_pod_owner{${job}, owner_kind="Job"})`,
        for: "15m",
        severity: "warning",
        summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} has not been ready for 15 minutes.",
        description: "Pod {{ $labels.namespace }}/{{ $labels.pod }} has been pending, failed, unknown or running but not ready for 15 minutes: it serves no traffic. Look at its events and readiness probe.",
      }),
      alert(t, {
        name: "KubeContainerWaiting",
        expr: `max by (namespace, pod, container, reason) (kube_pod_container_status_waiting_reason{${job}, reason!="CrashLoopBackOff"}) == 1`,
        for: "1h",
        severity: "warning",
        summary: "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been waiting for an hour ({{ $labels.reason }}).",
        description: "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} has been in the waiting state ({{ $labels.reason }}) for an hour: an image that cannot be pulled, a missing ConfigMap or Secret, or a volume that does not attach.",
      }),
      alert(t, {
        name: "KubeDeploymentReplicasMismatch",
        expr: `kube_deployment_spec_replicas{${job}} > kube_deployment_status_replicas_available{${job}} and changes(kube_deployment_status_replicas_updated{${job}}[10m]) == 0`,
        for: "15m",
        severity: "warning",
        summary: "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has fewer available replicas than it wants.",
        description: "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had fewer available replicas than its spec for 15 minutes, and no rollout is moving: pods cannot be scheduled or do not become ready.",
      }),
      alert(t, {
        name: "KubeDeploymentRolloutStuck",
        expr: `kube_deployment_status_condition{${job}, condition="Progressing", status="false"} == 1`,
        for: "15m",
        severity: "warning",
        summary: "The rollout of Deployment {{ $labels.namespace }}/{{ $labels.deployment }} is stuck.",
        description: "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has reported Progressing=False ({{ $labels.reason }}) for 15 minutes: its progress deadline passed, the new pods do not become ready.",
      }),
      alert(t, {
        name: "KubeStatefulSetReplicasMismatch",
        expr: `kube_statefulset_status_replicas_ready{${job}} != kube_statefulset_replicas{${job}} and changes(kube_statefulset_status_replicas_updated{${job}}[10m]) == 0`,
        for: "15m",
        severity: "warning",
        summary: "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has {{ $value }} ready replicas, not the number it wants.",
        description: "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has not had the number of ready replicas of its spec for 15 minutes, and no update is moving.",
      }),
      alert(t, {
        name: "KubeStatefulSetUpdateNotRolledOut",
        // Current and update revisions differ (the `revision` label), not every replica is updated, and none was for 5 minutes.
        expr:
          `max by (namespace, statefulset) (kube_statefulset_status_current_revision{${job}} unless kube_statefulset_status_update_revision{${job}})` +
          ` * on (namespace, statefulset) (kube_statefulset_replicas{${job}} != kube_statefulset_status_replicas_updated{${job}})` +
          ` and on (namespace, statefulset) changes(kube_statefulset_status_replicas_updated{${job}}[5m]) == 0`,
        for: "15m",
        severity: "warning",
        summary: "The update of StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} is not rolled out.",
        description: "StatefulSet {{ $labels.namespace }}/{{ $labels.statefulset }} has replicas on an old revision and its update has not moved for 15 minutes: the next pod does not become ready.",
      }),
      alert(t, {
        name: "KubeDaemonSetRolloutStuck",
        // Aggregated by DaemonSet: each comparison keeps its own metric name, and two of them true
        // at once must still be one alert.
        expr:
          "max by (namespace, daemonset) (" +
          `kube_daemonset_status_current_number_scheduled{${job}} != kube_daemonset_status_desired_number_scheduled{${job}}` +
          ` or kube_daemonset_status_number_misscheduled{${job}} != 0` +
          ` or kube_daemonset_status_updated_number_scheduled{${job}} != kube_daemonset_status_desired_number_scheduled{${job}}` +
          ` or kube_daemonset_status_number_available{${job}} != kube_daemonset_status_desired_number_scheduled{${job}})` +
          ` and on (namespace, daemonset) max by (namespace, daemonset) (changes(kube_daemonset_status_updated_number_scheduled{${job}}[5m])) == 0`,
        for: "15m",
        severity: "warning",
        summary: "The rollout of DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} is stuck.",
        description: "DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} has not had its pod scheduled, updated and available on every node it wants for 15 minutes, and nothing moved: some nodes run an old version or none at all.",
      }),
      alert(t, {
        name: "KubeJobFailed",
        expr: `kube_job_failed{${job}, condition="true"} == 1`,
        for: "15m",
        severity: "warning",
        summary: "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed.",
        description: "Job {{ $labels.namespace }}/{{ $labels.job_name }} has reached its backoff limit or deadline and is marked Failed; its work was not done. Delete it once handled, or the alert stays.",
      }),
      alert(t, {
        name: "KubeNodeNotReady",
        expr: `kube_node_status_condition{${job}, condition="Ready", status="true"} == 0`,
        for: "15m",
        severity: "warning",
        summary: "Node {{ $labels.node }} is not ready.",
        description: "Node {{ $labels.node }} has not been Ready for 15 minutes: its kubelet is down or unreachable, and its pods are being evicted.",
      }),
      alert(t, {
        name: "KubeNodePressure",
        expr: `kube_node_status_condition{${job}, condition=~"MemoryPressure|DiskPressure|PIDPressure", status="true"} == 1`,
        for: "10m",
        severity: "warning",
        summary: "Node {{ $labels.node }} reports {{ $labels.condition }}.",
        description: "Node {{ $labels.node }} has reported {{ $labels.condition }} for 10 minutes: the kubelet evicts pods and the scheduler places no new ones there.",
      }),
      ...resources.map(({ resource, name, what }) => {
        const allocatable = `kube_node_status_allocatable{${job}, resource="${resource}"}`;
        // Requests of pods that hold or wait for room (Pending, Running), one series per container.
        const requests =
          `sum(max by (namespace, pod, container) (kube_pod_container_resource_requests{${job}, resource="${resource}"})` +
          ` and on (namespace, pod) max by (namespace, pod) (kube_pod_status_phase{${job}, phase=~"Pending|Running"} == 1))`;
        return alert(t, {
          name,
          // With several nodes: more than the cluster holds without its largest node (kubernetes-mixin's
          // n-1 rule); with one node: more than it has.
          expr: `${requests} > sum(${allocatable}) - ((max(${allocatable}) and count(${allocatable}) > 1) or vector(0))`,
          for: "10m",
          severity: "warning",
          summary: `Pods request more ${what} than the cluster can hold without its largest node.`,
          description: `The ${what} requests of pending and running pods ({{ $value | humanize }}) have exceeded the allocatable ${what} of the nodes, less the largest one when there are several, for 10 minutes: losing a node (or already now) leaves pods pending.`,
        });
      }),
    ],
  };
}

/**
 * Persistent volumes, from the kubelet's own `/metrics` (`kubelet_volume_stats_*`, one series per
 * mounted PVC). Read-only-many claims are full by design and left out (kube-state-metrics).
 */
export function kubernetesStorageGroup(t: RuleThresholds): RuleGroup {
  const readOnly = `on (namespace, persistentvolumeclaim) kube_persistentvolumeclaim_access_mode{job="${jobNames.kubeStateMetrics}", access_mode="ReadOnlyMany"} == 1`;
  return {
    name: "kubernetes-storage",
    rules: [
      alert(t, {
        name: "KubePersistentVolumeFillingUp",
        expr: `kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < ${num(t.volumeAvailableRatio)} and kubelet_volume_stats_used_bytes > 0 unless ${readOnly}`,
        for: "15m",
        severity: "warning",
        summary: "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} space left.",
        description: `The persistent volume claimed by {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has had less than ${pct(t.volumeAvailableRatio)} of its space available for 15 minutes; when it is full, writes fail.`,
      }),
      alert(t, {
        name: "KubePersistentVolumeInodesFillingUp",
        expr: `kubelet_volume_stats_inodes_free / kubelet_volume_stats_inodes < ${num(t.volumeInodesFreeRatio)} and kubelet_volume_stats_inodes_used > 0 unless ${readOnly}`,
        for: "15m",
        severity: "warning",
        summary: "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has {{ $value | humanizePercentage }} of its inodes left.",
        description: `The persistent volume claimed by {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has had less than ${pct(t.volumeInodesFreeRatio)} of its inodes free for 15 minutes; with none left no file can be created, whatever the free space.`,
      }),
    ],
  };
}

/**
 * The API server, from its own `/metrics` (scraped only with `kubernetes.flavor: self-managed`).
 * `apiserver_request_total` with `code` and `verb` labels is the API server's since Kubernetes
 * 1.x (k8s.io/apiserver pkg/endpoints/metrics). The scheduler, controller-manager and etcd listen on
 * node-local ports with their own authentication; the stack does not scrape them, so it has no
 * alerts about them either.
 */
export function kubernetesControlPlaneGroup(t: RuleThresholds): RuleGroup {
  const job = `job="${jobNames.apiserver}"`;
  return {
    name: "kubernetes-control-plane",
    rules: [
      alert(t, {
        name: "KubeAPIDown",
        expr: `up{${job}} == 0 or absent(up{${job}})`,
        for: "5m",
        severity: "critical",
        summary: "Prometheus cannot reach the Kubernetes API server's metrics.",
        description: "The Kubernetes API server has not answered Prometheus' scrape for 5 minutes (or there is no such target): the control plane is down or unreachable from the cluster, and no object can be changed.",
      }),
      alert(t, {
        name: "KubeAPIErrorsHigh",
        // Long-running requests (WATCH, CONNECT) are left out: they end with whatever code the client saw.
        expr:
          `sum(rate(apiserver_request_total{${job}, code=~"5..", verb!~"WATCH|CONNECT"}[5m])) / sum(rate(apiserver_request_total{${job}, verb!~"WATCH|CONNECT"}[5m])) > ${num(t.apiServerErrorRatio)}`,
        for: "10m",
        severity: "warning",
        summary: "The Kubernetes API server answers {{ $value | humanizePercentage }} of requests with 5xx.",
        description: `More than ${pct(t.apiServerErrorRatio)} of the API server's requests have failed with a 5xx code for 10 minutes: controllers, the kubelet and deploys see errors.`,
      }),
    ],
  };
}
