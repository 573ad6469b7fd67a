import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ValidationError } from '../errors.js';
import type { ColumnInfo, SqlValue } from '../engine/duckdb.js';
import type { MaintenanceProgress, ProgressListener } from '../table/delete-files.js';
import { expireSnapshots, type ExpireSnapshotsResult } from '../table/expire-snapshots.js';
import { removeOrphanFiles, type RemoveOrphansResult } from '../table/remove-orphans.js';
import { rewriteManifests, type RewriteManifestsResult } from '../table/rewrite-manifests.js';
import type { Table } from '../table/table.js';
import type { Warehouse } from '../warehouse.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';

/**
 * `floe maintain TABLE` runs the standard sequence of steps; `floe maintain expire|orphans|
 * rewrite-manifests TABLE` runs one. Every operation takes `--dry-run`.
 */

/** What one step of `floe maintain TABLE` did: a line of the summary. */
export interface StepReport {
  step: string;
  result: string;
  filesDeleted: number;
  bytesDeleted: number;
}

export interface StepContext {
  warehouse: Warehouse;
  dryRun: boolean;
  /** `--older-than` of the sequence (snapshot expiry cutoff), as a timestamp. */
  olderThanMs?: number;
  retainLast?: number;
  /** `--orphans-older-than`, as a timestamp (default now − 3 days). */
  orphansOlderThanMs?: number;
  onProgress?: ProgressListener;
}

/** One step of the standard sequence; it reloads the table itself, as an earlier step may have committed. */
export interface MaintenanceStep {
  name: string;
  run(table: Table, ctx: StepContext): Promise<StepReport>;
}

/** Plug-ins for `floe maintain`: extra subcommands, and steps that run before the standard ones. */
export interface MaintainExtensions {
  /** Each receives the `maintain` command to add a subcommand to (e.g. `compact`). */
  subcommands?: ((maintain: Command, io: CliIO, globals: () => GlobalOptions) => void)[];
  /**
   * Steps run first in `floe maintain TABLE`, in order: compaction plugs in here (its rewrite
   * leaves manifests and snapshots that the standard steps then tidy and expire).
   */
  leadingSteps?: MaintenanceStep[];
}

export const rewriteManifestsStep: MaintenanceStep = {
  name: 'rewrite-manifests',
  async run(table, ctx) {
    const r = await rewriteManifests(table, { dryRun: ctx.dryRun, ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}) });
    return { step: 'rewrite-manifests', result: describeRewrite(r), filesDeleted: 0, bytesDeleted: 0 };
  },
};

export const expireStep: MaintenanceStep = {
  name: 'expire',
  async run(table, ctx) {
    const r = await expireSnapshots(table, {
      dryRun: ctx.dryRun,
      ...(ctx.olderThanMs !== undefined ? { olderThanMs: ctx.olderThanMs } : {}),
      ...(ctx.retainLast !== undefined ? { retainLast: ctx.retainLast } : {}),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    });
    return { step: 'expire', result: describeExpiry(r), filesDeleted: r.files.length, bytesDeleted: r.bytes };
  },
};

export const orphansStep: MaintenanceStep = {
  name: 'orphans',
  async run(table, ctx) {
    const r = await removeOrphanFiles(table, {
      dryRun: ctx.dryRun,
      ...(ctx.orphansOlderThanMs !== undefined ? { olderThanMs: ctx.orphansOlderThanMs } : {}),
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    });
    return { step: 'orphans', result: describeOrphans(r), filesDeleted: r.orphans.length, bytesDeleted: r.bytes };
  },
};

/** The standard sequence: leading steps (compaction), then rewrite-manifests → expire → orphans. */
export function maintenanceSteps(extensions: MaintainExtensions = {}): MaintenanceStep[] {
  return [...(extensions.leadingSteps ?? []), rewriteManifestsStep, expireStep, orphansStep];
}

export function registerMaintain(program: Command, io: CliIO, globals: () => GlobalOptions, extensions: MaintainExtensions = {}): Command {
  const steps = maintenanceSteps(extensions);
  const maintain = program
    .command('maintain')
    .description(`keep a table healthy: \`floe maintain TABLE\` runs ${steps.map((s) => s.name).join(' → ')}; or one step by subcommand`);
  // The sequence is the default subcommand, so `floe maintain TABLE` runs it and each subcommand
  // keeps its own options (a parent command would take `--older-than` from them).
  maintain
    .command('run', { isDefault: true })
    .description(`run ${steps.map((s) => s.name).join(' → ')} (the default: \`floe maintain TABLE\`)`)
    .argument('<table>', 'namespace.table')
    .option('--dry-run', 'report what would be done; change nothing')
    .option('--older-than <when>', 'expire snapshots older than this (duration like 5d, 12h, 90m, or an ISO timestamp; default: table retention)')
    .option('--retain-last <n>', 'keep at least this many snapshots per branch')
    .option('--orphans-older-than <when>', 'only remove orphan files older than this', '3d')
    .action(async (name: string, opts: { dryRun?: boolean; olderThan?: string; retainLast?: string; orphansOlderThan: string }) => {
      const g = globals();
      const now = Date.now();
      await withWarehouse(g, async (wh) => {
        const reports: StepReport[] = [];
        for (const step of steps) {
          const table = await wh.loadTable(name);
          reports.push(
            await withProgress(io, step.name, (onProgress) =>
              step.run(table, {
                warehouse: wh,
                dryRun: opts.dryRun ?? false,
                ...(opts.olderThan !== undefined ? { olderThanMs: parseWhen(opts.olderThan, now) } : {}),
                ...(opts.retainLast !== undefined ? { retainLast: parseCount(opts.retainLast) } : {}),
                orphansOlderThanMs: parseWhen(opts.orphansOlderThan, now),
                ...(onProgress ? { onProgress } : {}),
              }),
            ),
          );
        }
        out(io, g, ['step', 'result', 'files_deleted', 'bytes_deleted'], reports.map((r) => [r.step, r.result, BigInt(r.filesDeleted), BigInt(r.bytesDeleted)]));
      });
    });

  maintain
    .command('expire')
    .description('expire snapshots past retention and delete the files only they referenced')
    .argument('<table>', 'namespace.table')
    .option('--older-than <when>', 'expire snapshots older than this (5d, 12h, 90m, or an ISO timestamp; default: table retention)')
    .option('--retain-last <n>', 'keep at least this many snapshots per branch')
    .option('--dry-run', 'list what would be removed; change nothing')
    .action(async (name: string, opts: { olderThan?: string; retainLast?: string; dryRun?: boolean }) => {
      const g = globals();
      const olderThanMs = opts.olderThan !== undefined ? parseWhen(opts.olderThan, Date.now()) : undefined;
      const retainLast = opts.retainLast !== undefined ? parseCount(opts.retainLast) : undefined;
      await withWarehouse(g, async (wh) => {
        const table = await wh.loadTable(name);
        const r = await withProgress(io, 'expire', (onProgress) =>
          expireSnapshots(table, {
            dryRun: opts.dryRun ?? false,
            ...(olderThanMs !== undefined ? { olderThanMs } : {}),
            ...(retainLast !== undefined ? { retainLast } : {}),
            ...(onProgress ? { onProgress } : {}),
          }),
        );
        if (r.dryRun) out(io, g, ['kind', 'path', 'size'], r.files.map((f) => [f.kind, f.path, BigInt(f.size)]));
        else out(io, g, ['kind', 'files', 'bytes'], kindRows(r));
        io.err(`${describeExpiry(r)}\n`);
      });
    });

  maintain
    .command('orphans')
    .description('delete files under the table location that no metadata references')
    .argument('<table>', 'namespace.table')
    .option('--older-than <when>', 'only files older than this (safety window for writes in flight)', '3d')
    .option('--dry-run', 'list the orphan files; delete nothing')
    .action(async (name: string, opts: { olderThan: string; dryRun?: boolean }) => {
      const g = globals();
      const olderThanMs = parseWhen(opts.olderThan, Date.now());
      await withWarehouse(g, async (wh) => {
        const table = await wh.loadTable(name);
        const r = await withProgress(io, 'orphans', (onProgress) =>
          removeOrphanFiles(table, { dryRun: opts.dryRun ?? false, olderThanMs, ...(onProgress ? { onProgress } : {}) }),
        );
        out(io, g, ['path', 'size', 'modified'], r.orphans.map((f) => [f.path, BigInt(f.size), new Date(f.mtimeMs).toISOString()]));
        io.err(`${describeOrphans(r)}\n`);
      });
    });

  maintain
    .command('rewrite-manifests')
    .description('rewrite the current snapshot\'s manifests clustered by partition')
    .argument('<table>', 'namespace.table')
    .option('--dry-run', 'report the plan; write nothing')
    .action(async (name: string, opts: { dryRun?: boolean }) => {
      const g = globals();
      await withWarehouse(g, async (wh) => {
        const table = await wh.loadTable(name);
        const r = await withProgress(io, 'rewrite-manifests', (onProgress) =>
          rewriteManifests(table, { dryRun: opts.dryRun ?? false, ...(onProgress ? { onProgress } : {}) }),
        );
        out(io, g, ['manifests_replaced', 'manifests_written', 'manifests_kept', 'entries', 'snapshot_id'], [
          [BigInt(r.replaced), BigInt(r.written), BigInt(r.kept), BigInt(r.entries), r.snapshotId ?? null],
        ]);
        io.err(`${describeRewrite(r)}\n`);
      });
    });

  for (const add of extensions.subcommands ?? []) add(maintain, io, globals);
  return maintain;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * `--older-than` values: a duration before `now` (`3d`, `12h`, `90m`, `30s`, `1w`, `500ms`, or
 * combined `1d12h`) or an ISO 8601 timestamp; returns a timestamp in ms.
 */
export function parseWhen(text: string, now: number): number {
  const s = text.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/i.test(s)) {
    let ms = 0;
    for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gi)) ms += Number(n) * UNITS[unit!.toLowerCase()]!;
    return now - ms;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw new ValidationError(`'${text}' is neither a duration (like 3d, 12h, 90m) nor an ISO timestamp`);
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ValidationError(`--retain-last needs a whole number of at least 1, got '${text}'`);
  return Number(text);
}

/** Runs `fn` with a progress bar on stderr when both stdout and stderr are terminals. */
async function withProgress<T>(io: CliIO, label: string, fn: (onProgress?: ProgressListener) => Promise<T>): Promise<T> {
  if (!io.isTty || !process.stderr.isTTY) return fn();
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label}: {phase} [{bar}] {value}/{total}`, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let phase: string | undefined;
  const onProgress = (p: MaintenanceProgress): void => {
    if (p.phase !== phase) {
      if (phase !== undefined) bar.stop();
      phase = p.phase;
      bar.start(p.total, p.done, { phase: p.phase });
    } else {
      bar.setTotal(p.total);
      bar.update(p.done, { phase: p.phase });
    }
  };
  try {
    return await fn(onProgress);
  } finally {
    if (phase !== undefined) bar.stop();
  }
}

function out(io: CliIO, g: GlobalOptions, columns: string[], rows: SqlValue[][]): void {
  const cols: ColumnInfo[] = columns.map((name) => ({ name, type: 'VARCHAR' }));
  io.out(`${render(formatOf(g, io), cols, rows)}\n`);
}

function kindRows(r: ExpireSnapshotsResult): SqlValue[][] {
  const bytes: Record<string, number> = {};
  for (const f of r.files) bytes[f.kind] = (bytes[f.kind] ?? 0) + Math.max(0, f.size);
  return Object.entries(r.counts).map(([kind, n]) => [kind, BigInt(n), BigInt(bytes[kind] ?? 0)]);
}

function describeExpiry(r: ExpireSnapshotsResult): string {
  const verb = r.dryRun ? 'would expire' : 'expired';
  const del = r.dryRun ? 'would delete' : 'deleted';
  const refs = r.removedRefs.length > 0 ? `, removed ref(s) ${r.removedRefs.join(', ')}` : '';
  const failed = r.failures.length > 0 ? `; ${r.failures.length} file(s) could not be deleted` : '';
  return `${verb} ${r.expiredSnapshotIds.length} snapshot(s)${refs}; ${del} ${r.files.length} file(s), ${r.bytes} bytes${failed}`;
}

function describeOrphans(r: RemoveOrphansResult): string {
  const failed = r.failures.length > 0 ? `; ${r.failures.length} could not be deleted` : '';
  return `${r.orphans.length} orphan file(s) of ${r.scanned} scanned ${r.dryRun ? 'would be deleted' : 'deleted'}, ${r.bytes} bytes${failed}`;
}

function describeRewrite(r: RewriteManifestsResult): string {
  if (r.written === 0) return `manifests already clustered (${r.kept} kept)`;
  return `${r.dryRun ? 'would rewrite' : 'rewrote'} ${r.replaced} manifest(s) into ${r.written}${r.kept > 0 ? `, kept ${r.kept}` : ''}`;
}
