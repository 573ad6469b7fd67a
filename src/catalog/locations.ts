import { resolve } from 'node:path';
import { ValidationError, errorMessage } from '../errors.js';
import { canonicalPath, isUnder, joinPath, toLocalPath } from '../io/paths.js';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Where a catalog's tables live. A local warehouse (a path or `file:` URI) keeps every table
 * inside its folder, as plain absolute paths; a remote one (`s3://bucket/prefix`) takes table
 * locations on the same scheme, inside the warehouse unless `confine` is false.
 */
export class WarehouseLocations {
  /** The warehouse root: an absolute local path, or a URI without a trailing slash. */
  readonly root: string;
  readonly local: boolean;

  constructor(
    warehouse: string,
    private readonly confine = true,
  ) {
    const scheme = SCHEME.exec(warehouse)?.[1]?.toLowerCase();
    this.local = scheme === undefined || scheme === 'file';
    this.root = this.local ? resolve(/^file:/i.test(warehouse) ? toLocalPath(warehouse) : warehouse) : warehouse.replace(/\/+$/, '');
  }

  /** spec: JdbcCatalog/GlueCatalog default, `<warehouse>/<namespace>.db/<table>`. */
  defaultTableLocation(namespace: string[], table: string): string {
    return this.local ? `${this.root}/${namespace.join('.')}.db/${table}` : joinPath(this.root, `${namespace.join('.')}.db`, table);
  }

  /** The canonical form of a requested table location; ValidationError when it is off this warehouse's storage. */
  tableLocation(location: string): string {
    const trimmed = location.replace(/\/+$/, '');
    if (this.local) {
      let local: string;
      try {
        local = resolve(toLocalPath(trimmed));
      } catch (e) {
        throw new ValidationError(`location ${trimmed} is not on this warehouse's storage: ${errorMessage(e)}`, { cause: e });
      }
      if (this.confine && !isUnder(local, this.root)) throw new ValidationError(`location ${trimmed} is outside the warehouse ${this.root}`);
      return local;
    }
    // Hadoop's s3a:// and s3n:// name the same objects as s3:// (Spark writes them): compared in
    // canonical form, the requested spelling is kept, as Iceberg keeps the location it is given.
    const [path, root] = [canonicalPath(trimmed), canonicalPath(this.root)];
    if (SCHEME.exec(path)?.[1]?.toLowerCase() !== SCHEME.exec(root)?.[1]?.toLowerCase()) {
      throw new ValidationError(`location ${trimmed} is not on this warehouse's storage (${this.root})`);
    }
    if (this.confine && !isUnder(path, root)) throw new ValidationError(`location ${trimmed} is outside the warehouse ${this.root}`);
    return trimmed;
  }
}
