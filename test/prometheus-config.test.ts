import * as yaml from "js-yaml";
import { renderBlackboxConfig } from "../components/metrics/blackbox-config";
import { defaultTimeout, durationSeconds, PrometheusRenderOptions, renderPrometheusConfig } from "../components/metrics/prometheus-config";
import { describeWithBinaries } from "./helpers/binaries";
import { promtoolCheckConfig, run, tempDir } from "./helpers/promtool";
import * as fs from "fs";
import * as path from "path";

const base: PrometheusRenderOptions = {
  scrapeInterval: "15s",
  evaluationInterval: "30s",
  externalLabels: { environment: "dev", cluster: "a" },
  ruleFiles: ["rules/*.yml"],
  alertmanagers: [{ kind: "static", targets: ["alertmanager:9093"] }],
  jobs: [{ kind: "targets", name: "prometheus", endpoint: { kind: "static", targets: ["localhost:9090"] } }],
};

const parse = (opts: PrometheusRenderOptions) => yaml.load(renderPrometheusConfig(opts)) as any;

describe("renderPrometheusConfig", () => {
  it("renders the global section with sorted external labels and a timeout within the interval", () => {
    expect(parse(base).global).toStrictEqual({
      scrape_interval: "15s",
      scrape_timeout: "10s",
      evaluation_interval: "30s",
      external_labels: { cluster: "a", environment: "dev" },
    });
    expect(parse({ ...base, scrapeInterval: "5s" }).global.scrape_timeout).toBe("5s");
  });

  it("points alerting at the Alertmanagers over API v2", () => {
    expect(parse(base).alerting).toStrictEqual({ alertmanagers: [{ api_version: "v2", static_configs: [{ targets: ["alertmanager:9093"] }] }] });
  });

  it("omits alerting and rule_files when there are none", () => {
    const cfg = parse({ ...base, alertmanagers: [], ruleFiles: [] });
    expect(cfg.alerting).toBeUndefined();
    expect(cfg.rule_files).toBeUndefined();
  });

  it("renders a blackbox probe job that sends each URL as ?target= to the exporter", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "probe", name: "blackbox-http", exporter: "blackbox-exporter:9115", module: "http_2xx", targets: ["https://a.example/health"] }] });
    expect(cfg.scrape_configs[0]).toStrictEqual({
      job_name: "blackbox-http",
      metrics_path: "/probe",
      params: { module: ["http_2xx"] },
      static_configs: [{ targets: ["https://a.example/health"] }],
      relabel_configs: [
        { source_labels: ["__address__"], target_label: "__param_target" },
        { source_labels: ["__param_target"], target_label: "instance" },
        { target_label: "__address__", replacement: "blackbox-exporter:9115" },
      ],
    });
  });

  it("scrapes a Kubernetes workload pod by pod, selected by its name label and port name", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "targets", name: "node-exporter", endpoint: { kind: "kubernetes-pods", namespace: "obs", name: "node-exporter", portName: "metrics" } }] });
    const job = cfg.scrape_configs[0];
    expect(job.kubernetes_sd_configs).toStrictEqual([{ role: "pod", namespaces: { names: ["obs"] }, selectors: [{ role: "pod", label: "app.kubernetes.io/name=node-exporter" }] }]);
    expect(job.relabel_configs[0]).toStrictEqual({ source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "metrics", action: "keep" });
  });

  it("discovers Docker containers labelled prometheus.io/scrape=true through the socket proxy", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "discovery", name: "discovered", discovery: { kind: "docker", host: "tcp://docker-socket-proxy:2375" } }] });
    const job = cfg.scrape_configs[0];
    expect(job.docker_sd_configs).toStrictEqual([{ host: "tcp://docker-socket-proxy:2375", refresh_interval: "30s", filters: [{ name: "label", values: ["prometheus.io/scrape=true"] }] }]);
    expect(job.relabel_configs[0]).toStrictEqual({ source_labels: ["__meta_docker_container_label_prometheus_io_scrape"], regex: "true", action: "keep" });
  });

  it("discovers Kubernetes pods by the prometheus.io annotations", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "discovery", name: "discovered", discovery: { kind: "kubernetes" } }] });
    const relabels = cfg.scrape_configs[0].relabel_configs.map((r: any) => r.source_labels?.join(","));
    expect(relabels).toEqual(expect.arrayContaining([
      "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
      "__meta_kubernetes_pod_annotation_prometheus_io_path",
      "__address__,__meta_kubernetes_pod_annotation_prometheus_io_port",
    ]));
  });

  it("gives a discovered container its service: prometheus.io/service, else its Compose service, else its name", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "discovery", name: "discovered", discovery: { kind: "docker", host: "tcp://docker-socket-proxy:2375" } }] });
    // In order: each later rule that finds its label set replaces what an earlier one gave.
    expect(cfg.scrape_configs[0].relabel_configs.filter((r: any) => r.target_label === "service")).toStrictEqual([
      { source_labels: ["__meta_docker_container_name"], regex: "/?(.+)", target_label: "service" },
      { source_labels: ["__meta_docker_container_label_com_docker_compose_service"], regex: "(.+)", target_label: "service" },
      { source_labels: ["__meta_docker_container_label_prometheus_io_service"], regex: "(.+)", target_label: "service" },
    ]);
  });

  it("gives a discovered pod its service: prometheus.io/service, else app.kubernetes.io/name, else app, else its container's name", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "discovery", name: "discovered", discovery: { kind: "kubernetes" } }] });
    expect(cfg.scrape_configs[0].relabel_configs.filter((r: any) => r.target_label === "service")).toStrictEqual([
      { source_labels: ["__meta_kubernetes_pod_container_name"], regex: "/?(.+)", target_label: "service" },
      { source_labels: ["__meta_kubernetes_pod_label_app"], regex: "(.+)", target_label: "service" },
      { source_labels: ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], regex: "(.+)", target_label: "service" },
      { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_service"], regex: "(.+)", target_label: "service" },
    ]);
  });

  it("labels a selected service's pods and a static job's targets with the labels given (service among them)", () => {
    const labels = { service: "cart", team: "shop" };
    const cfg = parse({
      ...base,
      jobs: [
        { kind: "kubernetes-selector", name: "cart", namespace: "shop", selector: { app: "cart" }, portName: "metrics", labels },
        { kind: "targets", name: "search", endpoint: { kind: "static", targets: ["search:9000"] }, labels: { service: "search" } },
      ],
    });
    expect(cfg.scrape_configs[0].relabel_configs.slice(-2)).toStrictEqual([
      { target_label: "service", replacement: "cart" },
      { target_label: "team", replacement: "shop" },
    ]);
    expect(cfg.scrape_configs[1].static_configs).toStrictEqual([{ targets: ["search:9000"], labels: { service: "search" } }]);
  });

  it("scrapes the kubelet's cAdvisor through the API server with the ServiceAccount token", () => {
    const cfg = parse({ ...base, jobs: [{ kind: "kubelet-cadvisor", name: "cadvisor" }] });
    expect(cfg.scrape_configs[0]).toMatchObject({
      scheme: "https",
      authorization: { credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
      kubernetes_sd_configs: [{ role: "node" }],
    });
  });

  it("rejects two jobs with one name", () => {
    expect(() => renderPrometheusConfig({ ...base, jobs: [...base.jobs, ...base.jobs] })).toThrow('duplicate scrape job name "prometheus"');
  });

  it("renders the same bytes for the same options", () => {
    expect(renderPrometheusConfig(base)).toBe(renderPrometheusConfig(JSON.parse(JSON.stringify(base))));
  });

  it.each([["15s", 15], ["1m30s", 90], ["2h", 7200], ["1d", 86400], ["500ms", 0.5]])("reads %s as %d seconds", (d, s) => {
    expect(durationSeconds(d)).toBe(s);
  });

  it("defaults the scrape timeout to 10s, or the interval when shorter", () => {
    expect(defaultTimeout("1m")).toBe("10s");
    expect(defaultTimeout("2s")).toBe("2s");
  });
});

describeWithBinaries("rendered configs checked by the pinned promtool and blackbox exporter", ["promtool", "blackbox_exporter"], () => {
  const everyKindOfJob = (): string =>
    renderPrometheusConfig({
      ...base,
      alertmanagers: [{ kind: "kubernetes-pods", namespace: "obs", name: "alertmanager", portName: "http" }],
      jobs: [
        ...base.jobs,
        { kind: "targets", name: "api", endpoint: { kind: "static", targets: ["api:4000"] }, metricsPath: "/metrics", scheme: "https", labels: { team: "core" }, interval: "5s" },
        { kind: "probe", name: "blackbox-tcp", exporter: "blackbox-exporter:9115", module: "tcp_connect", targets: ["db:5432"] },
        { kind: "discovery", name: "discovered", discovery: { kind: "docker", host: "tcp://docker-socket-proxy:2375" } },
        { kind: "discovery", name: "pods", discovery: { kind: "kubernetes" } },
        { kind: "targets", name: "ksm", endpoint: { kind: "kubernetes-pods", namespace: "obs", name: "kube-state-metrics", portName: "metrics" } },
        { kind: "kubelet-cadvisor", name: "cadvisor" },
      ],
    });

  it("promtool accepts a config with every kind of job, its kubernetes_sd_configs as rendered", () => {
    const text = everyKindOfJob();
    // The Kubernetes discovery blocks reach promtool as they are deployed: nothing is swapped out.
    const cfg = yaml.load(text) as any;
    const sdRoles = [...cfg.scrape_configs, ...cfg.alerting.alertmanagers].flatMap((j: any) => (j.kubernetes_sd_configs ?? []).map((sd: any) => sd.role));
    expect(sdRoles.sort()).toStrictEqual(["node", "pod", "pod", "pod"]);
    const result = promtoolCheckConfig(text, { "empty.yml": "groups: []\n" });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  it("promtool rejects a broken config, so the check above can fail", () => {
    const text = renderPrometheusConfig(base).replace("scrape_interval: 15s", "scrape_interval: fifteen");
    expect(promtoolCheckConfig(text, {}).code).not.toBe(0);
  });

  it.each<[string, (sd: any) => void, RegExp]>([
    ["an unknown role", (sd) => (sd.role = "pods"), /unknown Kubernetes SD role "pods"/],
    ["a selector of another role than a pod SD's", (sd) => (sd.selectors = [{ role: "service", label: "app=x" }]), /pod role supports only pod, node selectors/],
    ["an unknown field", (sd) => (sd.namespace = "obs"), /field namespace not found/],
  ])("promtool checks each kubernetes_sd_config: it rejects %s", (_what, breakIt, error) => {
    const cfg = yaml.load(everyKindOfJob()) as any;
    const ksm = cfg.scrape_configs.find((j: any) => j.job_name === "ksm");
    breakIt(ksm.kubernetes_sd_configs[0]);
    const result = promtoolCheckConfig(yaml.dump(cfg, { lineWidth: -1 }), { "empty.yml": "groups: []\n" });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(error);
  });

  it("the blackbox exporter accepts the rendered blackbox.yml", () => {
    const dir = tempDir("blackbox");
    const file = path.join(dir, "blackbox.yml");
    fs.writeFileSync(file, renderBlackboxConfig());
    const result = run("blackbox_exporter", [`--config.file=${file}`, "--config.check"]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.code).toBe(0);
  });
});
