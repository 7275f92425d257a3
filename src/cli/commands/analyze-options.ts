import { z } from "zod";
import { REPORT_FORMATS, type ReportFormat } from "../../report/index.js";
import { UsageError } from "../command.js";
import { parseDuration } from "../duration.js";
import { parseAnalyzeFlags, parseThreads } from "./analyze-flags.js";

export interface AnalyzeArgs {
  logs: string[];
  activity: string[];
  from?: Date;
  to?: Date;
  format: ReportFormat;
  /** Log Analytics workspace ids (--workspace): query them instead of reading files. */
  workspaces?: string[];
  /** Archive account blob endpoint or connection string (--archive-account). */
  archiveAccount?: string;
  /** Accounts whose classic `$logs` to read (--classic-account, repeatable): blob endpoints or connection strings. */
  classicAccounts?: string[];
  /** --since for workspaces and archive accounts, in ms (default 1 h). */
  sinceMs?: number;
  /** --cloud for workspaces: public (default), china or usgov. */
  cloud?: "public" | "china" | "usgov";
  /** --threads for --logs: threads reading the files (default: the cores, up to 2; scan-threads.ts). */
  threads?: number;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** ISO 8601 date or date-time; a time without a zone is UTC (logs are in UTC). */
export function parseIsoFlag(flag: string, value: string): Date {
  const m = ISO_RE.exec(value.trim());
  if (!m) {
    throw new UsageError(
      `--${flag} '${value}' is not an ISO 8601 date-time; use e.g. 2026-11-20T09:00:00Z or 2026-11-20`,
    );
  }
  let text = value.trim().replace(" ", "T");
  if (text.includes("T") && !m[1]) text += "Z";
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new UsageError(`--${flag} '${value}' is not a valid date; use e.g. 2026-11-20T09:00:00Z`);
  }
  return new Date(ms);
}

const argsSchema = z.object({
  logs: z.array(z.string().min(1, "an empty path")),
  activity: z.array(z.string().min(1, "an empty path")),
  format: z.enum(REPORT_FORMATS as [ReportFormat, ...ReportFormat[]], {
    error: () => `--format must be one of ${REPORT_FORMATS.join(", ")}`,
  }),
});

export function parseAnalyzeArgs(argv: string[]): AnalyzeArgs {
  const { values, lists } = parseAnalyzeFlags(argv);
  const checked = argsSchema.safeParse({
    logs: lists["logs"],
    activity: lists["activity"],
    format: values.format ?? "text",
  });
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const path = issue.path.length ? `--${String(issue.path[0])}: ` : "";
    throw new UsageError(`${path}${issue.message}`);
  }
  const remote = parseRemoteSourceFlags(values, checked.data.logs.length > 0);
  if (
    checked.data.logs.length === 0 &&
    !remote.workspaces &&
    !remote.archiveAccount &&
    !remote.classicAccounts
  ) {
    throw new UsageError(
      "no input: give --logs PATH... (files or directories of Storage logs), --workspace ID (Log Analytics), --archive-account URL (archived logs) or --classic-account URL (classic $logs)",
    );
  }
  const args: AnalyzeArgs = { ...checked.data, ...remote };
  if (values.from !== undefined) args.from = parseIsoFlag("from", values.from);
  if (values.to !== undefined) args.to = parseIsoFlag("to", values.to);
  if (values.threads !== undefined) {
    if (checked.data.logs.length === 0)
      throw new UsageError("--threads applies to --logs (local files) only");
    args.threads = parseThreads(values.threads);
  }
  if (args.from && args.to && args.from.getTime() > args.to.getTime()) {
    throw new UsageError(
      `--from (${args.from.toISOString()}) is after --to (${args.to.toISOString()}); swap them`,
    );
  }
  return args;
}

const CLOUDS = ["public", "china", "usgov"] as const;

type RemoteFields = "workspaces" | "archiveAccount" | "classicAccounts" | "sinceMs" | "cloud";

/** --workspace / --archive-account / --classic-account / --since / --cloud: the production sources, one at a time. */
function parseRemoteSourceFlags(
  values: {
    workspace?: string[];
    "archive-account"?: string;
    "classic-account"?: string[];
    since?: string;
    cloud?: string;
    from?: string;
    to?: string;
  },
  hasLogs: boolean,
): Pick<AnalyzeArgs, RemoteFields> {
  const workspaces = values.workspace?.filter((w) => w.trim() !== "");
  const archiveAccount = values["archive-account"];
  const classicAccounts = values["classic-account"];
  const sources = [
    hasLogs,
    (workspaces?.length ?? 0) > 0,
    archiveAccount !== undefined,
    classicAccounts !== undefined,
  ].filter(Boolean).length;
  if (sources > 1) {
    throw new UsageError(
      "give one source: --logs PATH..., --workspace ID..., --archive-account URL or --classic-account URL..., not several",
    );
  }
  const out: Pick<AnalyzeArgs, RemoteFields> = {};
  if (workspaces?.length) out.workspaces = workspaces;
  if (archiveAccount !== undefined) {
    if (archiveAccount.trim() === "")
      throw new UsageError("--archive-account: give the account's blob endpoint URL");
    out.archiveAccount = archiveAccount.trim();
  }
  if (classicAccounts !== undefined) {
    const accounts = classicAccounts.map((a) => a.trim());
    if (accounts.some((a) => a === ""))
      throw new UsageError("--classic-account: give each logged account's blob endpoint URL");
    out.classicAccounts = accounts;
  }
  const remote =
    out.workspaces !== undefined || out.archiveAccount !== undefined || out.classicAccounts !== undefined;
  if (values.since !== undefined) {
    if (!remote)
      throw new UsageError(
        "--since goes with --workspace, --archive-account or --classic-account; for files use --from/--to",
      );
    out.sinceMs = parseDuration("since", values.since);
  }
  if (remote && (values.from !== undefined || values.to !== undefined)) {
    throw new UsageError(
      "--from/--to go with --logs; with --workspace, --archive-account or --classic-account use --since DURATION",
    );
  }
  if (values.cloud !== undefined) {
    if (!out.workspaces) throw new UsageError("--cloud goes with --workspace");
    if (!(CLOUDS as readonly string[]).includes(values.cloud)) {
      throw new UsageError(`--cloud must be one of ${CLOUDS.join(", ")}`);
    }
    out.cloud = values.cloud as (typeof CLOUDS)[number];
  }
  return out;
}
