import { mapBounded } from '../io/bounded.js';
import { quoteIdent, quoteString, type DuckDBEngine } from './duckdb.js';

/** spec: reserved field ids of position delete files. */
export const POS_FILE_PATH_ID = 2147483546;
export const POS_POS_ID = 2147483545;

/** Positions kept loaded per engine (about 12 bytes each) before the least recently used loads are dropped. */
const DEFAULT_BUDGET_POSITIONS = 4_000_000;

/**
 * Rows of keep masks held per engine before the least recently used are dropped. Masks live in an
 * in-memory database with compression (DuckDB stores a mostly-true BOOLEAN column as Roaring
 * bitmaps), so a mask costs about two bytes per deleted row plus a few per row group.
 */
const DEFAULT_MASK_BUDGET_ROWS = 2_000_000_000;

/** The in-memory, compressed database that holds keep masks (one per engine's DuckDB instance). */
const MASK_DB = '__floe_masks';

/** Masks checked by one query (a UNION ALL of one row per mask). */
const CHECKS_PER_QUERY = 64;

/** The BOOLEAN column of a keep mask: true for a row the deletes keep. */
export const KEEP_COLUMN = '__floe_keep';

/** The position delete files that apply to one data file. */
export interface DeletedPositionsRequest {
  /** The data file's path as stored in metadata: delete rows name it in `file_path`. */
  dataPath: string;
  /** Each delete file by its resolved location (its identity) and its size. */
  deletes: { location: string; size: number }[];
}

/** Where one data file's deleted positions are: table `table`, rows whose `entry` column is `entry`. */
export interface CachedPositions {
  table: string;
  entry: number;
}

/** A loaded entry, with what it was loaded for (to build larger delete sets on top of it). */
interface Entry extends CachedPositions {
  dataPath: string;
  files: Set<string>;
}

interface Load {
  table: string;
  positions: number;
  usedAt: number;
}

/** A keep mask: table `table` holds one row per row of the data file, in file order. */
interface Mask {
  table: string;
  rows: number;
  usedAt: number;
}

/** A data file whose keep mask is asked for: its position deletes and its local (readable) copy. */
export interface KeepMaskRequest extends DeletedPositionsRequest {
  localData: string;
}

const caches = new WeakMap<DuckDBEngine, PositionDeleteCache>();
/** Temp table names are unique in the process, so caches sharing an engine never collide. */
let tableCount = 0;
let maskCount = 0;

/**
 * Deleted row positions of data files, read from their position delete files once and kept in
 * DuckDB temp tables, so a read over merge-on-read deletes neither re-reads nor re-decodes them.
 * An entry is keyed by the data file's stored path and the exact set of delete files (location and
 * size) that apply to it: Iceberg files are immutable (spec: "data files are immutable"; delete
 * files likewise), so an entry never goes stale, and a scan whose deletes differ (a later DELETE,
 * time travel to an older snapshot, another branch) asks for a different key. Loads are dropped
 * least recently used beyond a budget of positions, never those of the request at hand; a view
 * built before its load was dropped then fails with DuckDB's missing-table error, never reading
 * deleted rows back.
 */
export class PositionDeleteCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loads = new Map<string, Load>();
  private readonly masks = new Map<string, Mask>();
  /** Keys whose mask failed its check: those files keep the hash probe, without a rebuild per scan. */
  private readonly unmaskable = new Set<string>();
  private tick = 0;

  constructor(
    private readonly engine: DuckDBEngine,
    private readonly budget = DEFAULT_BUDGET_POSITIONS,
    private readonly maskBudget = DEFAULT_MASK_BUDGET_ROWS,
  ) {}

  /** The cache of an engine (its temp tables live in the engine's connection). */
  static of(engine: DuckDBEngine): PositionDeleteCache {
    let cache = caches.get(engine);
    if (!cache) caches.set(engine, (cache = new PositionDeleteCache(engine)));
    return cache;
  }

  /** Positions currently held, over every load. */
  get positions(): number {
    let n = 0;
    for (const l of this.loads.values()) n += l.positions;
    return n;
  }

  /** Number of loads (temp tables) currently held. */
  get size(): number {
    return this.loads.size;
  }

  /**
   * Loads what is missing and returns where each request's positions are, in request order.
   * `localPath` makes a delete file readable by DuckDB (a download when storage is remote); it is
   * called only for delete files of requests not loaded yet, at most `concurrency` at once.
   */
  async positionsOf(
    requests: DeletedPositionsRequest[],
    localPath: (location: string) => Promise<string>,
    concurrency = 1,
  ): Promise<CachedPositions[]> {
    const keys = requests.map(keyOf);
    const missing = new Map<string, DeletedPositionsRequest>();
    keys.forEach((k, i) => {
      if (!this.entries.has(k) && !missing.has(k)) missing.set(k, requests[i]!);
    });
    if (missing.size > 0) await this.load(missing, localPath, concurrency);
    const now = ++this.tick;
    const out = keys.map((k) => this.entries.get(k)!);
    for (const c of out) this.loads.get(c.table)!.usedAt = now;
    await this.evict(new Set(out.map((c) => c.table)));
    return out.map((c) => ({ table: c.table, entry: c.entry }));
  }

  /** Number of keep masks currently held. */
  get maskCount(): number {
    return this.masks.size;
  }

  /**
   * Keep masks of data files, in request order: tables with one BOOLEAN column (KEEP_COLUMN) and
   * one row per row of the data file, in file order, false where a position delete applies. A
   * scan then reads a file POSITIONAL JOIN its mask, which costs a fraction of probing a hash table
   * of deleted positions with every row. A mask is keyed like the positions it is built from (an
   * immutable set of files), it has a row for each row DuckDB reads from the data file (never the
   * manifest's record_count), and its order is checked against the positions (DuckDB numbers table
   * rows by insertion, `rowid`). `undefined` for a mask that failed that check, so the caller
   * falls back to the hash probe.
   */
  async keepMasksOf(
    requests: KeepMaskRequest[],
    localPath: (location: string) => Promise<string>,
    concurrency = 1,
  ): Promise<(string | undefined)[]> {
    const keys = requests.map(keyOf);
    const missing = new Map<string, KeepMaskRequest>();
    keys.forEach((k, i) => {
      if (!this.masks.has(k) && !this.unmaskable.has(k) && !missing.has(k)) missing.set(k, requests[i]!);
    });
    if (missing.size > 0) {
      const wanted = [...missing];
      const positions = await this.positionsOf(
        wanted.map(([, r]) => r),
        localPath,
        concurrency,
      );
      await this.engine.run(`ATTACH IF NOT EXISTS ':memory:' AS ${MASK_DB} (COMPRESS)`);
      // One row per row of the data file (its footer's count), in order: range() runs on one
      // thread, so rows go in as it counts. (Built from read_parquet's file_row_number, which
      // DuckDB reads on several threads, the NOT IN probe was seen to scramble the insertion order;
      // the check below caught it.)
      const locals = [...new Set(wanted.map(([, r]) => r.localData))];
      const footer = await this.engine.query(`SELECT file_name, num_rows FROM parquet_file_metadata([${locals.map(quoteString).join(', ')}])`);
      const rowsOf = new Map(footer.rows.map((r) => [String(r[0]), Number(r[1])]));
      const built: { key: string; table: string; deleted: string }[] = [];
      for (let i = 0; i < wanted.length; i++) {
        const [key, r] = wanted[i]!;
        const p = positions[i]!;
        const rows = rowsOf.get(r.localData);
        if (rows === undefined) throw new Error(`no Parquet footer row count for ${r.localData}`);
        const table = `${MASK_DB}.keep_${maskCount++}`;
        const deleted = `SELECT DISTINCT pos FROM ${quoteIdent(p.table)} WHERE entry = ${p.entry}`;
        await this.engine.run(`CREATE TABLE ${table} AS SELECT range NOT IN (${deleted}) AS ${KEEP_COLUMN} FROM range(${rows})`);
        built.push({ key, table, deleted });
      }
      // Compression applies at checkpoint: until then a mask holds a byte or more per row.
      await this.engine.run(`CHECKPOINT ${MASK_DB}`);
      // The check: the rows a mask drops (by rowid, its insertion order) have the count, sum and
      // sum of squares of the deleted positions within the file; a mask out of order would not.
      const sums = (rows: string): string => `[count(*), sum(${rows}::HUGEINT), sum(${rows}::HUGEINT * ${rows})]`;
      const checks: unknown[][] = [];
      for (let at = 0; at < built.length; at += CHECKS_PER_QUERY) {
        const part = built.slice(at, at + CHECKS_PER_QUERY);
        const r = await this.engine.query(
          part
            .map(
              (b, i) =>
                `SELECT ${at + i} AS i, (SELECT count(*) FROM ${b.table}) AS n,
                   (SELECT ${sums('rowid')} FROM ${b.table} WHERE NOT ${KEEP_COLUMN}) IS NOT DISTINCT FROM
                   (SELECT ${sums('pos')} FROM (${b.deleted}) WHERE pos < (SELECT count(*) FROM ${b.table})) AS ok`,
            )
            .join(' UNION ALL '),
        );
        checks.push(...r.rows);
      }
      for (const [i, n, ok] of checks) {
        const b = built[Number(i)]!;
        if (ok !== true) {
          await this.engine.run(`DROP TABLE ${b.table}`);
          this.unmaskable.add(b.key);
          continue;
        }
        this.masks.set(b.key, { table: b.table, rows: Number(n), usedAt: this.tick });
      }
    }
    const now = ++this.tick;
    const out = keys.map((k) => (this.unmaskable.has(k) ? undefined : this.masks.get(k)));
    for (const m of out) if (m) m.usedAt = now;
    await this.evictMasks(new Set(out.filter((m) => m !== undefined).map((m) => m.table)));
    return out.map((m) => m?.table);
  }

  /** Drops every load (their temp tables) and every keep mask. */
  async clear(): Promise<void> {
    const tables = [...this.loads.keys(), ...[...this.masks.values()].map((m) => m.table)];
    this.loads.clear();
    this.entries.clear();
    this.masks.clear();
    this.unmaskable.clear();
    for (const t of tables) await this.engine.run(`DROP TABLE IF EXISTS ${t.startsWith(`${MASK_DB}.`) ? t : quoteIdent(t)}`);
  }

  /**
   * Loads the missing entries into one new temp table. An entry whose data file already has a
   * loaded entry for a subset of its delete files (the same file before the latest DELETE) copies
   * those positions and reads only the delete files the subset lacks.
   */
  private async load(missing: Map<string, DeletedPositionsRequest>, localPath: (location: string) => Promise<string>, concurrency: number): Promise<void> {
    const table = `__floe_pos_${tableCount++}`;
    const fresh: { dataPath: string; location: string; entry: number }[] = [];
    const copies: string[] = [];
    const added: [string, Entry][] = [];
    let entry = 0;
    for (const [key, r] of missing) {
      const files = new Set(r.deletes.map(fileKey));
      const base = this.largestSubset(r.dataPath, files);
      if (base) copies.push(`SELECT ${entry}::UINTEGER AS entry, pos FROM ${quoteIdent(base.table)} WHERE entry = ${base.entry}`);
      for (const d of r.deletes) if (!base?.files.has(fileKey(d))) fresh.push({ dataPath: r.dataPath, location: d.location, entry });
      added.push([key, { table, entry: entry++, dataPath: r.dataPath, files }]);
    }
    const local = new Map<string, string>();
    await mapBounded([...new Set(fresh.map((f) => f.location))], concurrency, async (l) => void local.set(l, await localPath(l)));
    const parts = [...copies];
    if (fresh.length > 0) {
      const files = `[${[...local.values()].map(quoteString).join(', ')}]`;
      const pairs = fresh.map((f) => `(${quoteString(local.get(f.location)!)}, ${quoteString(f.dataPath)}, ${f.entry})`);
      // A delete row applies to the data file its file_path names (spec: "Position Delete Files").
      parts.push(
        `SELECT m.__entry::UINTEGER AS entry, p.pos FROM read_parquet(${files}, schema = map {${POS_FILE_PATH_ID}: {name: 'file_path', type: 'VARCHAR', default_value: NULL}, ${POS_POS_ID}: {name: 'pos', type: 'BIGINT', default_value: NULL}}, filename = true) p JOIN (VALUES ${pairs.join(', ')}) m(__dlocal, __path, __entry) ON m.__dlocal = p.filename AND m.__path = p.file_path WHERE p.pos IS NOT NULL`,
      );
    }
    await this.engine.run(`CREATE TEMP TABLE ${quoteIdent(table)} AS SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY 1, 2`);
    const count = await this.engine.query(`SELECT count(*) FROM ${quoteIdent(table)}`);
    this.loads.set(table, { table, positions: Number(count.rows[0]?.[0] ?? 0), usedAt: this.tick });
    for (const [key, e] of added) this.entries.set(key, e);
  }

  /** The loaded entry of `dataPath` with the most delete files, all of them among `files`. */
  private largestSubset(dataPath: string, files: Set<string>): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.entries.values()) {
      if (e.dataPath !== dataPath || e.files.size >= files.size || (best && best.files.size >= e.files.size)) continue;
      if ([...e.files].every((f) => files.has(f))) best = e;
    }
    return best;
  }

  private async evict(keep: Set<string>): Promise<void> {
    await dropLeastRecentlyUsed(this.loads, (l) => l.positions, this.budget, keep, async (table) => {
      this.loads.delete(table);
      for (const [k, c] of this.entries) if (c.table === table) this.entries.delete(k);
      await this.engine.run(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
    });
  }

  private async evictMasks(keep: Set<string>): Promise<void> {
    await dropLeastRecentlyUsed(this.masks, (m) => m.rows, this.maskBudget, keep, async (key, m) => {
      this.masks.delete(key);
      await this.engine.run(`DROP TABLE IF EXISTS ${m.table}`);
    });
  }
}

/**
 * Drops the least recently used of `items` while their total `weight` exceeds `budget`, never an
 * item whose table is in `keep`.
 */
async function dropLeastRecentlyUsed<V extends { table: string; usedAt: number }>(
  items: Map<string, V>,
  weight: (v: V) => number,
  budget: number,
  keep: Set<string>,
  drop: (key: string, v: V) => Promise<void>,
): Promise<void> {
  let total = 0;
  for (const v of items.values()) total += weight(v);
  if (total <= budget) return;
  const byAge = [...items].filter(([, v]) => !keep.has(v.table)).sort((a, b) => a[1].usedAt - b[1].usedAt);
  for (const [key, v] of byAge) {
    if (total <= budget) break;
    total -= weight(v);
    await drop(key, v);
  }
}

function fileKey(d: { location: string; size: number }): string {
  return `${d.location}\u0000${d.size}`;
}

function keyOf(r: DeletedPositionsRequest): string {
  return JSON.stringify([r.dataPath, [...new Set(r.deletes.map(fileKey))].sort()]);
}
