import { z } from "zod";

/**
 * Validating building blocks for the stack config. Each message says what the value is and what
 * would be valid; the loader prefixes it with the config path (`observability:prometheus.retention`).
 */

const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** A Prometheus duration: `15d`, `12h`, `1m30s`. Zero is rejected. */
export const duration = z.string().refine(
  (v) => v !== "" && DURATION.test(v) && /[1-9]/.test(v),
  (v) => ({ message: `"${v}" is not a duration (e.g. 15d, 12h, 30s)` }),
);

/** A Prometheus byte size for `--storage.tsdb.retention.size`: `512MB`, `10GB`. */
export const byteSize = z.string().refine(
  (v) => /^\d+(\.\d+)?(B|KB|MB|GB|TB|PB|EB)$/.test(v) && Number.parseFloat(v) > 0,
  (v) => ({ message: `"${v}" is not a positive size (e.g. 512MB, 10GB)` }),
);

/** A Kubernetes storage quantity: `10Gi`, `500Mi`, `512M`, `64k` (Kubernetes' suffixes: `k`, not `K`). */
export const storageQuantity = z.string().refine(
  (v) => /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(v) && Number.parseFloat(v) > 0,
  (v) => ({ message: `"${v}" is not a positive storage size (e.g. 10Gi, 500Mi)` }),
);

/** A CPU quantity: `250m`, `1`, `0.5`. */
export const cpuQuantity = z.string().refine(
  (v) => /^(\d+m|\d+(\.\d+)?)$/.test(v) && Number.parseFloat(v) > 0,
  (v) => ({ message: `"${v}" is not a CPU quantity (e.g. 250m, 1, 0.5)` }),
);

/** A Prometheus label name. */
export const labelName = z.string().refine(
  (v) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v) && !v.startsWith("__"),
  (v) => ({ message: `"${v}" is not a valid label name (letters, digits and _, not starting with a digit or __)` }),
);

/** Labels: valid names, string values. */
export const labels = z.record(z.string()).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    const parsed = labelName.safeParse(key);
    if (!parsed.success) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: parsed.error.issues[0].message });
  }
});

/** A TCP port. */
export const port = z
  .number({ invalid_type_error: "must be a port number (1-65535)" })
  .int("must be a whole port number (1-65535)")
  .min(1, "must be a port number (1-65535)")
  .max(65535, "must be a port number (1-65535)");

/** `host:port` as Prometheus targets are written. */
export const hostPort = z.string().refine(
  (v) => /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.test(v) && Number(v.split(":").pop()) <= 65535 && Number(v.split(":").pop()) > 0,
  (v) => ({ message: `"${v}" is not host:port (e.g. api:8080, 10.0.0.5:9100)` }),
);

/** An absolute http(s) URL. */
export const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  },
  (v) => ({ message: `"${v}" is not an http(s) URL (e.g. https://example.com/health)` }),
);

/** An IPv4 or IPv6 address to bind published ports to. */
export const ipAddress = z.string().refine(
  (v) => /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v) || /^[0-9a-fA-F:]+$/.test(v) && v.includes(":"),
  (v) => ({ message: `"${v}" is not an IP address (e.g. 127.0.0.1, 0.0.0.0)` }),
);

/** A DNS-1123 label (Kubernetes namespace, workload names). */
export const dnsLabel = z.string().refine(
  (v) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 63,
  (v) => ({ message: `"${v}" is not a DNS label (lowercase letters, digits and -, at most 63 characters)` }),
);

/** A scrape job name. */
export const jobName = z.string().refine(
  (v) => /^[a-zA-Z0-9_.:-]+$/.test(v),
  (v) => ({ message: `"${v}" is not a job name (letters, digits, _ . : -)` }),
);

/**
 * An object that rejects unknown keys, naming the valid ones: a typo such as `retension` is an
 * error at preview, not a silently ignored setting.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, noun = "field") {
  const valid = Object.keys(shape).sort().join(", ");
  return z.object(shape).strict({ message: `is not a known ${noun} (${noun}s: ${valid})` });
}

const QUANTITY_SUFFIXES: Record<string, number> = {
  "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a `cpuQuantity` or `storageQuantity` (`250m` → 0.25, `512Mi` → 536870912); undefined when it is neither. */
export function quantityValue(quantity: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.exec(quantity);
  return m ? Number(m[1]) * QUANTITY_SUFFIXES[m[2] ?? ""] : undefined;
}

/** CPU/memory requests and limits of one workload; a request may not exceed its limit (Kubernetes and Docker refuse it). */
export const resources = strictObject({
  requests: strictObject({ cpu: cpuQuantity, memory: storageQuantity }),
  limits: strictObject({ cpu: cpuQuantity, memory: storageQuantity }),
}).superRefine((r, ctx) => {
  for (const kind of ["cpu", "memory"] as const) {
    const [request, limit] = [r.requests?.[kind], r.limits?.[kind]];
    const [requested, limited] = [quantityValue(request ?? ""), quantityValue(limit ?? "")];
    if (requested !== undefined && limited !== undefined && requested > limited) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["requests", kind], message: `"${request}" is more than limits.${kind} ("${limit}"); a request cannot exceed its limit` });
    }
  }
});
