/**
 * Standard 5-field cron (minute hour day-of-month month day-of-week), read the way Kubernetes
 * reads a CronJob's `schedule` (robfig/cron v3 `ParseStandard`), so one expression means the same
 * on both platforms: the CronJob takes it as it is, the Docker scheduler loop gets the value sets
 * expanded here. Pure; every time is UTC.
 *
 * What is accepted: `*` and `?`, numbers, lists (`1,15`), ranges (`1-5`), steps (`*\/15`, `0-30/10`,
 * and `5/15` = `5-59/15` as robfig reads it), month names `JAN`..`DEC`, weekday names `SUN`..`SAT`
 * (any case), and the macros `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight`
 * `@hourly`. Day-of-week is 0-6 with 0 = Sunday: Kubernetes' parser refuses 7.
 */

export interface CronField {
  /** `minute`, `hour`, `day-of-month`, `month`, `day-of-week`. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

export const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
  },
  { name: "day-of-week", min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

/** What the Kubernetes CronJob controller accepts in place of five fields. */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A parsed schedule: the allowed values of each field, ascending. */
export interface Cron {
  /** The expression as given. */
  readonly source: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday. */
  readonly daysOfWeek: readonly number[];
  /**
   * Whether day-of-month and day-of-week were given as `*` (or `?`, or `*\/n`). When neither was, a
   * day matches when EITHER matches (cron's historical rule: `0 0 1 * MON` runs on the 1st and on Mondays).
   */
  readonly domStar: boolean;
  readonly dowStar: boolean;
}

export type CronResult = { ok: true; cron: Cron } | { ok: false; error: string };

/** Parses a cron expression; the error names the field, its text and what would be valid. */
export function parseCron(expression: string): CronResult {
  const source = expression;
  const trimmed = expression.trim();
  let text = trimmed;
  if (trimmed.startsWith("@")) {
    const macro = CRON_MACROS[trimmed.toLowerCase()];
    if (!macro) return { ok: false, error: `"${trimmed}" is not a known macro (macros: ${Object.keys(CRON_MACROS).join(", ")})` };
    text = macro;
  }
  const parts = text.split(/\s+/).filter((p) => p !== "");
  if (parts.length !== 5) {
    return { ok: false, error: `has ${parts.length} field${parts.length === 1 ? "" : "s"}, expected 5 (minute hour day-of-month month day-of-week)` };
  }
  const sets: number[][] = [];
  const stars: boolean[] = [];
  for (let i = 0; i < 5; i++) {
    const field = parseField(parts[i], CRON_FIELDS[i], i + 1);
    if (typeof field === "string") return { ok: false, error: field };
    sets.push(field.values);
    stars.push(field.star);
  }
  return {
    ok: true,
    cron: { source, minutes: sets[0], hours: sets[1], daysOfMonth: sets[2], months: sets[3], daysOfWeek: sets[4], domStar: stars[2], dowStar: stars[4] },
  };
}

/** `parseCron` for callers that have validated the expression: throws on an invalid one. */
export function cron(expression: string): Cron {
  const result = parseCron(expression);
  if (!result.ok) throw new Error(`cron "${expression}": ${result.error}`);
  return result.cron;
}

function parseField(text: string, field: CronField, position: number): { values: number[]; star: boolean } | string {
  const where = `field ${position} (${field.name})`;
  const range = `${field.min}-${field.max}`;
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(",")) {
    if (part === "") return `${where} "${text}" has an empty list item`;
    const [rangeText, stepText, ...extra] = part.split("/");
    if (extra.length > 0) return `${where} "${part}" has more than one /`;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) return `${where} "${part}": the step after / must be a whole number of at least 1`;
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (rangeText === "*" || rangeText === "?") {
      [start, end] = [field.min, field.max];
      star = true;
    } else {
      const bounds = rangeText.split("-");
      if (bounds.length > 2 || bounds.includes("")) return `${where} "${part}" is not a value or a range (e.g. 5, 1-5)`;
      const parsed: number[] = [];
      for (const b of bounds) {
        const v = value(b, field);
        if (v === undefined) return `${where} "${b}" is not a number${field.names ? ` or a name (${Object.keys(field.names).map((n) => n.toUpperCase()).join(" ")})` : ""}`;
        if (v < field.min || v > field.max) {
          const hint = field.name === "day-of-week" && v === 7 ? " (Sunday is 0: Kubernetes refuses 7)" : "";
          return `${where} "${b}" is out of range ${range}${hint}`;
        }
        parsed.push(v);
      }
      start = parsed[0];
      // `5/15` is `5-max/15`, as robfig/cron (Kubernetes) reads it.
      end = parsed.length === 2 ? parsed[1] : stepText !== undefined ? field.max : start;
      if (start > end) return `${where} "${part}": the range starts after it ends (${start} > ${end})`;
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values: [...values].sort((a, b) => a - b), star };
}

function value(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  return field.names?.[text.toLowerCase()];
}

/** Whether the schedule runs at the minute of `date` (UTC; seconds are ignored). */
export function matches(schedule: Cron, date: Date): boolean {
  return (
    schedule.minutes.includes(date.getUTCMinutes()) &&
    schedule.hours.includes(date.getUTCHours()) &&
    schedule.months.includes(date.getUTCMonth() + 1) &&
    dayMatches(schedule, date)
  );
}

function dayMatches(schedule: Cron, date: Date): boolean {
  const dom = schedule.daysOfMonth.includes(date.getUTCDate());
  const dow = schedule.daysOfWeek.includes(date.getUTCDay());
  return schedule.domStar || schedule.dowStar ? dom && dow : dom || dow;
}

const MINUTE = 60_000;
/** Longer than the longest gap a valid schedule can have (29 February on a given weekday: 28 years). */
const SEARCH_LIMIT_MS = 30 * 366 * 86_400_000;

/**
 * The next `n` minutes after `from` (exclusive) at which the schedule runs. Fewer when the
 * schedule never runs (`0 0 30 2 *`): the search stops after 30 years.
 */
export function nextRuns(schedule: Cron, from: Date, n: number): Date[] {
  const runs: Date[] = [];
  let t = Math.floor(from.getTime() / MINUTE) * MINUTE + MINUTE;
  const limit = from.getTime() + SEARCH_LIMIT_MS;
  while (runs.length < n && t <= limit) {
    const d = new Date(t);
    if (!schedule.months.includes(d.getUTCMonth() + 1)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    } else if (!dayMatches(schedule, d)) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    } else if (!schedule.hours.includes(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
    } else if (!schedule.minutes.includes(d.getUTCMinutes())) {
      t += MINUTE;
    } else {
      runs.push(d);
      t += MINUTE;
    }
  }
  return runs;
}

/**
 * The longest time between two consecutive runs, in seconds; undefined when it never runs.
 * A schedule whose days are `*` in day-of-month and month repeats every week, so two weeks show
 * every gap; any other is walked over 8 years from 2024-01-01 (two leap days, every month length).
 */
export function longestGapSeconds(schedule: Cron): number | undefined {
  const weekly = schedule.domStar && schedule.months.length === 12;
  const start = new Date(Date.UTC(2024, 0, 1));
  const end = start.getTime() + (weekly ? 14 : 8 * 366) * 86_400_000;
  let previous = nextRuns(schedule, new Date(start.getTime() - MINUTE), 1)[0];
  if (!previous) return undefined;
  let longest = 0;
  while (previous.getTime() <= end) {
    const next = nextRuns(schedule, previous, 1)[0];
    if (!next) return undefined;
    longest = Math.max(longest, next.getTime() - previous.getTime());
    previous = next;
  }
  return longest / 1000;
}
