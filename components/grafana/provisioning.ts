import { allDashboards, DashboardLoadError, deployedDashboards, loadUserDashboards } from "../../dashboards";
import { Dashboard, DATASOURCE_UIDS as DASHBOARD_UIDS, FOLDERS, VALID_DATASOURCE_UIDS } from "../../dashboards/common";
import { checkDatasources, checkQueries, datasourceReferences, duplicateUids, validateDashboard } from "../../dashboards/validate";
import { correlations, TraceBackend } from "./correlations";
import { images, imageTag } from "../shared/versions";
import type { DeployedParts } from "../rules/rule-files";

/**
 * What the GrafanaStack pushes through the Grafana provider, as plain data: datasources with their
 * correlation links, folders, and the validated dashboards. Pure, so the same plan is pushed to a
 * deployed and to an existing Grafana, and tests compare the two.
 */

/** In-network URLs Grafana itself uses to reach each backend; a datasource exists only when its URL is given. */
export interface DatasourceUrls {
  /** e.g. `http://prometheus:9090`. Default none: no Prometheus datasource. */
  prometheusUrl?: string;
  /** e.g. `http://loki:3100`. Default none: no Loki datasource. */
  lokiUrl?: string;
  /** The trace backend's query API, e.g. `http://jaeger:16686` or `http://tempo:3200`. Default none: no traces datasource. */
  tracesUrl?: string;
  /** Which backend `tracesUrl` is. Default `tempo`. */
  tracesBackend?: TraceBackend;
  /** e.g. `http://alertmanager:9093`. Default none: no Alertmanager datasource. */
  alertmanagerUrl?: string;
  /**
   * The OpenSearch logs backend (`https://opensearch:9200`), its log index pattern and the read-only
   * user Grafana logs in as. Its password and CA are secure data the GrafanaStack adds. Default none.
   */
  opensearch?: { url: string; indexPattern: string; username: string };
}

/** The Grafana plugin the OpenSearch datasource needs (not bundled with Grafana), pinned. */
export const OPENSEARCH_PLUGIN = { id: "grafana-opensearch-datasource", version: "2.34.2" } as const;

/** One `grafana.oss.DataSource`. */
export interface DatasourcePlan {
  name: string;
  type: string;
  /** Stable: dashboards and correlation links name it. */
  uid: string;
  url: string;
  isDefault: boolean;
  jsonData: Record<string, unknown>;
  /** Basic auth as this user; the password is secure data (`secure`). */
  basicAuthUser?: string;
  /** Which secure data the stack adds (never in the plan: it is secret). */
  secure?: "opensearch";
}

/**
 * Datasource names carry a suffix: a Grafana that already has a datasource called "Prometheus"
 * (existing mode) would refuse a second one, whereas our uids are our own.
 */
const NAME_SUFFIX = " (observability)";


/**
 * The datasources for the URLs given, with the links between them: exemplars open traces,
 * trace ids in logs open traces, traces open their logs and their span metrics. A link is only
 * made when its target datasource exists.
 */
export function grafanaDatasources(urls: DatasourceUrls): DatasourcePlan[] {
  const backend = urls.tracesBackend ?? "tempo";
  const links = correlations(backend);
  const has = { prometheus: urls.prometheusUrl !== undefined, loki: urls.lokiUrl !== undefined, traces: urls.tracesUrl !== undefined };
  const out: DatasourcePlan[] = [];
  if (urls.prometheusUrl !== undefined) {
    out.push({
      name: `Prometheus${NAME_SUFFIX}`,
      type: "prometheus",
      uid: DASHBOARD_UIDS.prometheus,
      url: urls.prometheusUrl,
      isDefault: true,
      // POST: long dashboard queries do not hit URL length limits.
      jsonData: { httpMethod: "POST", ...(has.traces ? { exemplarTraceIdDestinations: links.prometheus.exemplarTraceIdDestinations } : {}) },
    });
  }
  if (urls.lokiUrl !== undefined) {
    out.push({
      name: `Loki${NAME_SUFFIX}`,
      type: "loki",
      uid: DASHBOARD_UIDS.loki,
      url: urls.lokiUrl,
      isDefault: false,
      jsonData: { maxLines: 1000, ...(has.traces ? { derivedFields: links.loki.derivedFields } : {}) },
    });
  }
  if (urls.tracesUrl !== undefined) {
    const t = links.traces.jsonData;
    out.push({
      name: `${backend === "jaeger" ? "Jaeger" : "Tempo"}${NAME_SUFFIX}`,
      type: links.traces.type,
      uid: DASHBOARD_UIDS.traces,
      url: urls.tracesUrl,
      isDefault: false,
      jsonData: {
        ...(has.loki ? { tracesToLogsV2: t.tracesToLogsV2 } : {}),
        ...(has.prometheus ? { tracesToMetrics: t.tracesToMetrics } : {}),
        // Tempo draws its service map from service-graph metrics in Prometheus; Jaeger from its own dependencies API.
        ...(backend === "tempo" && has.prometheus ? { serviceMap: { datasourceUid: DASHBOARD_UIDS.prometheus } } : {}),
        nodeGraph: t.nodeGraph,
      },
    });
  }
  if (urls.opensearch !== undefined) {
    out.push({
      name: `OpenSearch${NAME_SUFFIX}`,
      type: OPENSEARCH_PLUGIN.id,
      uid: DASHBOARD_UIDS.opensearch,
      url: urls.opensearch.url,
      isDefault: false,
      basicAuthUser: urls.opensearch.username,
      secure: "opensearch",
      jsonData: {
        flavor: "opensearch",
        version: imageTag(images.opensearch),
        database: urls.opensearch.indexPattern,
        timeField: "@timestamp",
        logMessageField: "body",
        logLevelField: "severity.text",
        pplEnabled: true,
        maxConcurrentShardRequests: 5,
        // The stack's CA verifies OpenSearch's certificate (tlsCACert is secure data).
        tlsAuthWithCACert: true,
        tlsSkipVerify: false,
        // A trace id in a log line opens the trace, as Loki's derived field does.
        ...(has.traces ? { dataLinks: [{ field: "traceId", url: "${__value.raw}", datasourceUid: DASHBOARD_UIDS.traces }] } : {}),
      },
    });
  }
  if (urls.alertmanagerUrl !== undefined) {
    out.push({
      name: `Alertmanager${NAME_SUFFIX}`,
      type: "alertmanager",
      uid: DASHBOARD_UIDS.alertmanager,
      url: urls.alertmanagerUrl,
      isDefault: false,
      // Shows Prometheus' alerts and silences. Grafana's own alerts stay in Grafana's Alertmanager,
      // which gets the same contact points and policy: sending them here too would notify twice.
      jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
    });
  }
  return out;
}

/** The stable uid of a dashboard folder: `obs-<key>` for the `FOLDERS` areas, `obs-<slug>` for others (`Custom`). */
export function folderUid(title: string): string {
  const key = (Object.keys(FOLDERS) as (keyof typeof FOLDERS)[]).find((k) => FOLDERS[k] === title);
  const slug = key ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return `obs-${slug}`.slice(0, 40);
}

/** Grafana folder of the user's dashboards. */
export const USER_DASHBOARDS_FOLDER = "Custom";

export interface DashboardPlanOptions {
  /** Uids of the datasources the stack creates (`grafanaDatasources(...).map(d => d.uid)`). */
  datasourceUids: readonly string[];
  /** The traces backend: the traces dashboard's queries differ. Default `parts.tracing`, else `tempo`. */
  tracesBackend?: TraceBackend;
  /** The user's dashboards folder. Default none. */
  dashboardsDir?: string;
  /**
   * The parts the stack deploys (`deployedPartsOf(config)`, the same that picks the rule groups):
   * only their dashboards and dashboard rows are pushed. Default every part (each built-in
   * dashboard with all its rows, for a library caller that does not say).
   */
  parts?: DeployedParts;
  /** Push the example business dashboard too. Default false: it reads an application's metrics no part of the stack produces. */
  includeExamples?: boolean;
}

export interface DashboardPlan {
  /** Every dashboard to push: built-in, then the user's, each validated. */
  dashboards: Dashboard[];
  /** Built-in dashboards left out, and why: their part is not deployed, a datasource they read is not created, or an example not asked for. */
  skipped: { uid: string; reason: string }[];
}

/** What is wrong with the dashboards to push: each problem names its dashboard or file. */
export interface DashboardProblems {
  /** Problems of the built-in dashboards: a bug of this package, not of the config. */
  builtIn: string[];
  /** Problems of the user's folder (`dashboardsDir`), each `<file>: <problem>`. */
  user: string[];
}

/**
 * Picks and validates the dashboards to push, and returns every problem instead of throwing.
 * Pure but for reading `dashboardsDir`.
 *
 * Decision: a BUILT-IN dashboard whose part is not deployed (`parts`), or that reads a datasource
 * the stack does not create (the traces dashboard with tracing off, the logs dashboard with logs
 * off), is skipped: it would only show "No data" or "datasource not found". A USER dashboard that
 * reads a missing datasource is an error: the user asked for it, and a silently missing dashboard
 * is worse than a failed preview.
 */
export function checkDashboards(o: DashboardPlanOptions): { plan: DashboardPlan; problems: DashboardProblems } {
  const includeExamples = o.includeExamples ?? false;
  const tracesBackend = o.tracesBackend ?? o.parts?.tracing ?? "tempo";
  // With `parts`, the traces dashboard is that of the backend `tracesBackend` names, else of `parts.tracing`.
  const parts = o.parts && o.parts.tracing !== undefined ? { ...o.parts, tracing: tracesBackend } : o.parts;
  const chosen = parts
    ? deployedDashboards(parts, { includeExamples })
    : { dashboards: allDashboards({ tracesBackend, includeExamples }), left: includeExamples ? [] : [{ uid: "obs-example-business", reason: "an example: pushed only when asked for" }] };
  const builtIn = chosen.dashboards;
  const problems: DashboardProblems = { builtIn: [], user: [] };
  const dashboards: Dashboard[] = [];
  const skipped: DashboardPlan["skipped"] = [...chosen.left];
  for (const d of builtIn) {
    const json = d.build();
    const where = `built-in dashboard "${d.title}" (${d.uid})`;
    if (checkDatasources(json, o.datasourceUids).length > 0 && checkDatasources(json, VALID_DATASOURCE_UIDS).length === 0) {
      const used = new Set(datasourceReferences(json).map((r) => r.uid));
      const missing = VALID_DATASOURCE_UIDS.filter((uid) => used.has(uid) && !o.datasourceUids.includes(uid));
      skipped.push({ uid: d.uid, reason: `reads datasource ${missing.join(", ")}, which this stack does not create` });
      continue;
    }
    problems.builtIn.push(...validateDashboard(json, o.datasourceUids).map((p) => `${where}: ${p}`));
    dashboards.push(d);
  }
  problems.builtIn.push(...duplicateUids(builtIn.map((d) => ({ uid: d.uid, source: `the built-in dashboard "${d.title}"` }))));
  if (o.dashboardsDir !== undefined) {
    try {
      // Every built-in uid is taken, deployed or not (enabling a part later must not clash); the
      // example's only when it is pushed, so that a copy of it may keep its uid.
      const reserved = allDashboards({ includeExamples });
      const user = loadUserDashboards(o.dashboardsDir, { folder: USER_DASHBOARDS_FOLDER, builtIn: reserved, validUids: o.datasourceUids });
      for (const d of user) problems.user.push(...checkQueries(d.build()).map((p) => `${d.source}: ${p}`));
      dashboards.push(...user);
    } catch (e) {
      if (!(e instanceof DashboardLoadError)) throw e;
      problems.user.push(...e.problems);
    }
  }
  return { plan: { dashboards, skipped }, problems };
}

/**
 * Picks and validates the dashboards to push (see `checkDashboards`). Every problem is collected
 * and thrown together as one `DashboardLoadError`, before anything is created.
 */
export function planDashboards(o: DashboardPlanOptions): DashboardPlan {
  const { plan, problems } = checkDashboards(o);
  const all = [...problems.builtIn, ...problems.user];
  if (all.length > 0) throw new DashboardLoadError(all);
  return plan;
}
