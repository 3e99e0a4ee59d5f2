import * as yaml from "js-yaml";

/** A user's alert from the stack config; carries everything the stack's own alerts carry. */
export interface CustomAlert {
  alert: string;
  expr: string;
  for: string;
  severity: "critical" | "warning" | "info";
  summary: string;
  description: string;
  runbookUrl: string;
  labels: Record<string, string>;
}

/** A user's recording rule, named `level:metric:operations`. */
export interface CustomRecord {
  record: string;
  expr: string;
  labels: Record<string, string>;
}

export type CustomRule = CustomAlert | CustomRecord;

/** The file name of the user's rules among the stack's rule files. */
export const CUSTOM_RULES_FILE = "custom.yml";

/** Renders the user's rules as one `custom` group (`custom.yml`). Pure; deterministic. */
export function renderCustomRules(rules: readonly CustomRule[]): string {
  const rendered = rules.map((r) => {
    const labels = Object.keys(r.labels).length > 0 ? sorted(r.labels) : undefined;
    if ("record" in r) return { record: r.record, expr: r.expr, ...(labels ? { labels } : {}) };
    return {
      alert: r.alert,
      expr: r.expr,
      for: r.for,
      labels: sorted({ ...r.labels, severity: r.severity }),
      annotations: { summary: r.summary, description: r.description, runbook_url: r.runbookUrl },
    };
  });
  return yaml.dump({ groups: [{ name: "custom", rules: rendered }] }, { lineWidth: -1, noRefs: true });
}

function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
