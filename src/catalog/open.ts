import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { Catalog } from './catalog.js';
import { GlueCatalog } from './glue.js';
import { PostgresCatalog } from './postgres.js';

export interface OpenCatalogOptions {
  /** Where the catalog's tables live (a local folder or `s3://bucket/prefix`). */
  warehouse: string;
  io: FileIO;
  catalogName?: string;
}

/**
 * A catalog from its URI, as `--catalog` and `openWarehouse({ catalog })` name it:
 * - `postgres://user:password@host:port/database` (or `postgresql://`): the JDBC layout on a PostgreSQL server;
 * - `glue` or `glue://?region=eu-west-1&catalog-id=123456789012`: the AWS Glue Data Catalog
 *   (credentials from the standard provider chain).
 */
export async function openCatalog(uri: string, options: OpenCatalogOptions): Promise<Catalog> {
  if (/^postgres(ql)?:\/\//i.test(uri)) {
    return PostgresCatalog.connect({ url: uri, warehouse: options.warehouse, io: options.io, ...(options.catalogName ? { catalogName: options.catalogName } : {}) });
  }
  if (/^glue(:|$)/i.test(uri)) {
    const query = new URLSearchParams(uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '');
    const region = query.get('region');
    const catalogId = query.get('catalog-id');
    return new GlueCatalog({
      warehouse: options.warehouse,
      io: options.io,
      ...(region ? { region } : {}),
      ...(catalogId ? { catalogId } : {}),
      ...(options.catalogName ? { catalogName: options.catalogName } : {}),
    });
  }
  throw new ValidationError(`unknown catalog '${uri.replace(/\/\/[^@/]*@/, '//…@')}': use postgres://user@host:port/database or glue (the embedded SQLite catalog is the default)`);
}
