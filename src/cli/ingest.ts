import type { Command } from 'commander';
import type { SqlValue } from '../engine/duckdb.js';
import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { S3FileIO } from '../io/s3.js';
import { s3OptionsFromEnv } from '../io/s3-env.js';
import { isS3Uri } from '../io/s3-uri.js';
import { ingest, parseIntoTarget } from '../zones/raw.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';
import { progressBar } from './progress.js';

/**
 * `floe ingest SOURCE… --into raw/<dataset>`: stores files (folders recursively) unchanged and
 * content-addressed in the raw zone; prints one row per file and a total. Any rejected file makes
 * the exit status 3 (validation) after the others were ingested.
 */
export function registerIngest(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('ingest')
    .description('store CSV / JSON / NDJSON / Parquet files (optionally .gz / .zst) in the raw zone, exactly once')
    .argument('<sources...>', 'files or folders')
    .requiredOption('--into <target>', 'raw/<dataset>')
    .action(async (sources: string[], opts: { into: string }) => {
      const g = globals();
      const dataset = parseIntoTarget(opts.into);
      await withWarehouse(g, async (wh) => {
        const started = performance.now();
        const bar = progressBar('bytes');
        let outcomes;
        // s3:// sources are read through the warehouse's S3 storage, or one configured from the
        // environment (FLOE_S3_ENDPOINT, AWS_REGION, …) for a local warehouse.
        const own = sources.some(isS3Uri) && !(wh.io instanceof S3FileIO) ? new S3FileIO(s3OptionsFromEnv()) : undefined;
        const remote: FileIO | undefined = own ?? (wh.io instanceof S3FileIO ? wh.io : undefined);
        try {
          outcomes = await ingest({ root: wh.root, io: wh.io }, sources, { dataset, onProgress: (d, t, s) => bar.update(d, t, s), ...(remote ? { remote } : {}) });
        } finally {
          bar.stop();
          await own?.close();
        }
        const seconds = (performance.now() - started) / 1000;
        const rows: SqlValue[][] = outcomes.map((o) => [o.source, o.status, BigInt(o.bytes), o.sha256, o.format, o.compression, o.message]);
        const count = (s: string): number => outcomes.filter((o) => o.status === s).length;
        const bytes = outcomes.filter((o) => o.status === 'ingested').reduce((a, o) => a + o.bytes, 0);
        rows.push([
          'total',
          `${count('ingested')} ingested, ${count('already-ingested')} already ingested, ${count('rejected')} rejected`,
          BigInt(bytes),
          null,
          null,
          null,
          `${seconds.toFixed(2)} s, ${(bytes / 1e6 / Math.max(seconds, 1e-3)).toFixed(1)} MB/s`,
        ]);
        const cols = ['source', 'status', 'bytes', 'sha256', 'format', 'compression', 'message'];
        io.out(`${render(formatOf(g, io), cols.map((c) => ({ name: c, type: c === 'bytes' ? 'BIGINT' : 'VARCHAR' })), rows)}\n`);
        const rejected = outcomes.filter((o) => o.status === 'rejected');
        if (rejected.length > 0) {
          throw new ValidationError(`${rejected.length} of ${outcomes.length} file(s) rejected; first: ${rejected[0]!.source}: ${rejected[0]!.message}`);
        }
      });
    });
}
