import type { Command } from 'commander';
import { ancestorsOf, currentSnapshot } from '../spec/metadata.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';

/** `floe history TABLE`: when each snapshot became current, what it did, and whether it still counts. */
export function registerHistory(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('history')
    .description('list a table\'s snapshots in the order they became current')
    .argument('<table>', 'namespace.table')
    .action(async (name: string) => {
      const g = globals();
      await withWarehouse(g, async (wh) => {
        const table = await wh.loadTable(name);
        const m = table.metadata;
        const head = currentSnapshot(m);
        const live = new Set(head ? ancestorsOf(m, head['snapshot-id']).map((s) => s['snapshot-id']) : []);
        const rows = m['snapshot-log'].map((e) => {
          const s = m.snapshots.find((x) => x['snapshot-id'] === e['snapshot-id']);
          return [
            new Date(e['timestamp-ms']).toISOString(),
            e['snapshot-id'],
            s?.['parent-snapshot-id'] ?? null,
            s?.summary.operation ?? null,
            s?.summary['added-records'] !== undefined ? BigInt(s.summary['added-records']) : null,
            s?.summary['deleted-records'] !== undefined ? BigInt(s.summary['deleted-records']) : null,
            s?.summary['total-records'] !== undefined ? BigInt(s.summary['total-records']) : null,
            live.has(e['snapshot-id']),
          ];
        });
        const cols = ['made_current_at', 'snapshot_id', 'parent_id', 'operation', 'added_records', 'deleted_records', 'total_records', 'is_current_ancestor'];
        io.out(`${render(formatOf(g, io), cols.map((c) => ({ name: c, type: 'VARCHAR' })), rows)}\n`);
      });
    });
}
