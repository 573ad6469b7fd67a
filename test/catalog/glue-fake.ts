import {
  AlreadyExistsException,
  ConcurrentModificationException,
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  EntityNotFoundException,
  GetDatabaseCommand,
  GetDatabasesCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  InvalidInputException,
  UpdateDatabaseCommand,
  UpdateTableCommand,
  type Database,
  type DatabaseInput,
  type Table,
  type TableInput,
} from '@aws-sdk/client-glue';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

const META = { $metadata: { httpStatusCode: 400 } };
const notFound = (what: string) => new EntityNotFoundException({ message: `${what} not found.`, ...META });
const invalid = (message: string) => new InvalidInputException({ message, ...META });

/** The TableInput fields Glue accepts (the SDK's TableInput type), checked at run time too. */
const TABLE_INPUT_KEYS = new Set<keyof TableInput>([
  'Name', 'Description', 'Owner', 'LastAccessTime', 'LastAnalyzedTime', 'Retention', 'StorageDescriptor', 'PartitionKeys',
  'ViewOriginalText', 'ViewExpandedText', 'TableType', 'Parameters', 'TargetTable', 'FederatedTable', 'ViewDefinition',
]);

/** Glue's own input rules for the parts floe sends: names, string parameters within Glue's lengths. */
function checkTableInput(input: TableInput | undefined): TableInput {
  if (!input?.Name) throw invalid('TableInput.Name is required');
  for (const k of Object.keys(input)) if (!TABLE_INPUT_KEYS.has(k as keyof TableInput)) throw invalid(`unknown TableInput field ${k}`);
  for (const [k, v] of Object.entries(input.Parameters ?? {})) {
    if (typeof v !== 'string' || k.length > 255 || v.length > 512_000) throw invalid(`bad table parameter ${k}`);
  }
  for (const c of input.StorageDescriptor?.Columns ?? []) if (!c.Name || c.Name.length > 255 || typeof c.Type !== 'string') throw invalid(`bad column ${c.Name}`);
  return input;
}

/** An opaque page token, as Glue's NextToken is. */
const token = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
const offsetOf = (t: string | undefined) => (t ? (JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as { offset: number }).offset : 0);

function page<T>(items: T[], nextToken: string | undefined, max: number | undefined, pageSize: number): { items: T[]; next?: string } {
  const from = offsetOf(nextToken);
  const size = Math.min(max ?? pageSize, pageSize);
  const slice = items.slice(from, from + size);
  return from + size < items.length ? { items: slice, next: token(from + size) } : { items: slice };
}

/**
 * An in-memory Glue Data Catalog behind aws-sdk-client-mock: databases and tables as Glue keeps
 * them (names lowercased, a VersionId per table bumped on every UpdateTable, which refuses a stale
 * VersionId with ConcurrentModificationException), paginated listings with NextToken.
 */
export class FakeGlue {
  readonly databases = new Map<string, Database>();
  readonly tables = new Map<string, Map<string, Table>>();
  /** Glue pages GetTables/GetDatabases; small here so that pagination is always exercised. */
  pageSize = 2;
  /** Runs before each command; a test may change the store or throw to simulate Glue. */
  before: (command: string, input: unknown) => void | Promise<void> = () => undefined;
  readonly calls: { command: string; input: unknown }[] = [];

  /** Mocks one client, or every GlueClient (the class) for code that makes its own, as the CLI does. */
  attach(client: GlueClient | typeof GlueClient): AwsClientStub<GlueClient> {
    const stub = mockClient(client);
    const on = <I, O>(command: string, run: (input: I) => O) => async (input: I): Promise<O> => {
      this.calls.push({ command, input: structuredClone(input) });
      await this.before(command, input);
      return run(input);
    };
    stub.on(CreateDatabaseCommand).callsFake(on('CreateDatabase', (i: CreateDatabaseCommand['input']) => this.createDatabase(i.DatabaseInput)));
    stub.on(GetDatabaseCommand).callsFake(on('GetDatabase', (i: GetDatabaseCommand['input']) => ({ Database: structuredClone(this.database(i.Name)) })));
    stub.on(GetDatabasesCommand).callsFake(
      on('GetDatabases', (i: GetDatabasesCommand['input']) => {
        const p = page([...this.databases.values()], i.NextToken, i.MaxResults, this.pageSize);
        return { DatabaseList: structuredClone(p.items), ...(p.next ? { NextToken: p.next } : {}) };
      }),
    );
    stub.on(UpdateDatabaseCommand).callsFake(
      on('UpdateDatabase', (i: UpdateDatabaseCommand['input']) => {
        const d = this.database(i.Name);
        if (!i.DatabaseInput?.Name) throw invalid('DatabaseInput.Name is required');
        this.databases.set(d.Name!, { ...structuredClone(i.DatabaseInput), Name: d.Name, CreateTime: d.CreateTime });
        return {};
      }),
    );
    stub.on(DeleteDatabaseCommand).callsFake(
      on('DeleteDatabase', (i: DeleteDatabaseCommand['input']) => {
        const d = this.database(i.Name);
        // Glue deletes a database's tables with it.
        this.databases.delete(d.Name!);
        this.tables.delete(d.Name!);
        return {};
      }),
    );
    stub.on(CreateTableCommand).callsFake(on('CreateTable', (i: CreateTableCommand['input']) => this.createTable(i.DatabaseName, i.TableInput)));
    stub.on(GetTableCommand).callsFake(on('GetTable', (i: GetTableCommand['input']) => ({ Table: structuredClone(this.table(i.DatabaseName, i.Name)) })));
    stub.on(GetTablesCommand).callsFake(
      on('GetTables', (i: GetTablesCommand['input']) => {
        const d = this.database(i.DatabaseName);
        const all = [...(this.tables.get(d.Name!)?.values() ?? [])];
        const p = page(all, i.NextToken, i.MaxResults, this.pageSize);
        return { TableList: structuredClone(p.items), ...(p.next ? { NextToken: p.next } : {}) };
      }),
    );
    stub.on(UpdateTableCommand).callsFake(on('UpdateTable', (i: UpdateTableCommand['input']) => this.updateTable(i)));
    stub.on(DeleteTableCommand).callsFake(
      on('DeleteTable', (i: DeleteTableCommand['input']) => {
        const t = this.table(i.DatabaseName, i.Name);
        this.tables.get(t.DatabaseName!)!.delete(t.Name!);
        return {};
      }),
    );
    return stub;
  }

  database(name: string | undefined): Database {
    if (!name) throw invalid('database name is required');
    const d = this.databases.get(name.toLowerCase());
    if (!d) throw notFound(`Database ${name}`);
    return d;
  }

  table(db: string | undefined, name: string | undefined): Table {
    const d = this.database(db);
    if (!name) throw invalid('table name is required');
    const t = this.tables.get(d.Name!)?.get(name.toLowerCase());
    if (!t) throw notFound(`Table ${name}`);
    return t;
  }

  createDatabase(input: DatabaseInput | undefined): Record<string, never> {
    if (!input?.Name) throw invalid('DatabaseInput.Name is required');
    const name = input.Name.toLowerCase();
    if (this.databases.has(name)) throw new AlreadyExistsException({ message: `Database already exists.`, ...META });
    this.databases.set(name, { ...structuredClone(input), Name: name, CreateTime: new Date() });
    this.tables.set(name, new Map());
    return {};
  }

  createTable(db: string | undefined, input: TableInput | undefined): Record<string, never> {
    const d = this.database(db);
    const t = checkTableInput(input);
    const name = t.Name!.toLowerCase();
    const tables = this.tables.get(d.Name!)!;
    if (tables.has(name)) throw new AlreadyExistsException({ message: `Table already exists.`, ...META });
    tables.set(name, { ...structuredClone(t), Name: name, DatabaseName: d.Name, CreateTime: new Date(), VersionId: '1' });
    return {};
  }

  updateTable(i: UpdateTableCommand['input']): Record<string, never> {
    const input = checkTableInput(i.TableInput);
    const current = this.table(i.DatabaseName, input.Name);
    if (i.VersionId !== undefined && i.VersionId !== current.VersionId) {
      throw new ConcurrentModificationException({ message: `Update table failed due to concurrent modifications.`, ...META });
    }
    this.tables.get(current.DatabaseName!)!.set(current.Name!, {
      ...structuredClone(input),
      Name: current.Name,
      DatabaseName: current.DatabaseName,
      CreateTime: current.CreateTime,
      UpdateTime: new Date(),
      VersionId: String(Number(current.VersionId) + 1),
    });
    return {};
  }
}
