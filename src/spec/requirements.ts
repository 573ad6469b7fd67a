import { CommitFailedError } from '../errors.js';
import type { TableMetadata, TableRequirement } from './types.js';
import { MAIN_BRANCH } from './types.js';

/**
 * Checks commit requirements against the metadata a catalog currently holds (null: no table).
 * A failed requirement means another writer changed the table: CommitFailedError, nothing applied.
 */
export function checkRequirements(current: TableMetadata | null, requirements: TableRequirement[]): void {
  for (const r of requirements) {
    if (r.type === 'assert-create') {
      if (current) throw new CommitFailedError('requirement failed: the table already exists');
      continue;
    }
    if (!current) throw new CommitFailedError(`requirement ${r.type} failed: the table does not exist`);
    switch (r.type) {
      case 'assert-table-uuid':
        if (current['table-uuid'] !== r.uuid) {
          throw new CommitFailedError(`requirement failed: table uuid is ${current['table-uuid']}, expected ${r.uuid}`);
        }
        break;
      case 'assert-ref-snapshot-id': {
        const ref = current.refs[r.ref];
        const actual = ref ? ref['snapshot-id'] : r.ref === MAIN_BRANCH ? (current['current-snapshot-id'] ?? null) : null;
        if (actual !== r['snapshot-id']) {
          throw new CommitFailedError(
            `requirement failed: branch '${r.ref}' is at snapshot ${actual ?? 'none'}, expected ${r['snapshot-id'] ?? 'none'} (another writer committed first)`,
          );
        }
        break;
      }
      case 'assert-last-assigned-field-id':
        if (current['last-column-id'] !== r['last-assigned-field-id']) {
          throw new CommitFailedError(`requirement failed: last assigned field id is ${current['last-column-id']}, expected ${r['last-assigned-field-id']}`);
        }
        break;
      case 'assert-current-schema-id':
        if (current['current-schema-id'] !== r['current-schema-id']) {
          throw new CommitFailedError(`requirement failed: current schema is ${current['current-schema-id']}, expected ${r['current-schema-id']}`);
        }
        break;
      case 'assert-last-assigned-partition-id':
        if (current['last-partition-id'] !== r['last-assigned-partition-id']) {
          throw new CommitFailedError(
            `requirement failed: last assigned partition id is ${current['last-partition-id']}, expected ${r['last-assigned-partition-id']}`,
          );
        }
        break;
      case 'assert-default-spec-id':
        if (current['default-spec-id'] !== r['default-spec-id']) {
          throw new CommitFailedError(`requirement failed: default spec is ${current['default-spec-id']}, expected ${r['default-spec-id']}`);
        }
        break;
      case 'assert-default-sort-order-id':
        if (current['default-sort-order-id'] !== r['default-sort-order-id']) {
          throw new CommitFailedError(
            `requirement failed: default sort order is ${current['default-sort-order-id']}, expected ${r['default-sort-order-id']}`,
          );
        }
        break;
      default: {
        const never: never = r;
        throw new CommitFailedError(`unknown requirement ${JSON.stringify(never)}`);
      }
    }
  }
}
