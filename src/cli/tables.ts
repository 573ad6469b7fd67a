import type { Command } from 'commander';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';

/** `floe tables [NS]`: tables of one namespace, or of every namespace. */
export function registerTables(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('tables')
    .description('list tables (of one namespace, or all)')
    .argument('[namespace]', 'namespace, dotted for nested ones')
    .action(async (ns: string | undefined) => {
      const g = globals();
      await withWarehouse(g, async (wh) => {
        const namespaces = ns !== undefined ? [ns.split('.')] : await allNamespaces(wh.catalog);
        const rows: string[][] = [];
        for (const n of namespaces) {
          for (const t of await wh.catalog.listTables(n)) rows.push([t.namespace.join('.'), t.name]);
        }
        rows.sort((a, b) => a.join('.').localeCompare(b.join('.')));
        io.out(`${render(formatOf(g, io), [{ name: 'namespace', type: 'VARCHAR' }, { name: 'table_name', type: 'VARCHAR' }], rows)}\n`);
      });
    });
}

async function allNamespaces(catalog: { listNamespaces(parent?: string[]): Promise<string[][]> }): Promise<string[][]> {
  const out: string[][] = [];
  const walk = async (parent?: string[]): Promise<void> => {
    for (const ns of await catalog.listNamespaces(parent)) {
      out.push(ns);
      await walk(ns);
    }
  };
  await walk();
  return out;
}
