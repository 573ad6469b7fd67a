import { describe, expect, it } from 'vitest';
import { routeForAthena } from '../../src/sql/athena-dialect.js';

describe('routing statements to Athena', () => {
  it('sends statements Athena runs natively on Iceberg as written, without warnings', () => {
    const native = [
      "CREATE TABLE sales.orders (id bigint, ts timestamp) PARTITIONED BY (day(ts)) LOCATION 's3://lake/orders/' TBLPROPERTIES ('table_type' = 'ICEBERG')",
      'INSERT INTO sales.orders SELECT * FROM sales.staging',
      "DELETE FROM sales.orders WHERE id = 1",
      "UPDATE sales.orders SET id = 2 WHERE id = 1",
      'MERGE INTO sales.orders t USING sales.staging s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ts = s.ts WHEN NOT MATCHED THEN INSERT (id, ts) VALUES (s.id, s.ts)',
      'OPTIMIZE sales.orders REWRITE DATA USING BIN_PACK',
      'VACUUM sales.orders',
      'SELECT * FROM sales.orders FOR VERSION AS OF 123456789',
      "SELECT * FROM sales.orders FOR TIMESTAMP AS OF TIMESTAMP '2026-01-01 00:00:00'",
      'SHOW DATABASES',
    ];
    for (const sql of native) {
      const r = routeForAthena(sql);
      expect(r.sql, sql).toBe(sql);
      expect(r.warnings, sql).toEqual([]);
      expect(r.translated).toBe(false);
    }
  });

  it("translates Spark's CREATE TABLE … USING iceberg to Athena DDL with table_type ICEBERG", () => {
    const r = routeForAthena(
      "CREATE TABLE sales.orders (id BIGINT, amount DECIMAL(10,2), ts TIMESTAMP, tags ARRAY<STRING>) USING iceberg PARTITIONED BY (day(ts), bucket(16, id)) LOCATION 's3://lake/orders' TBLPROPERTIES ('write_compression' = 'zstd', 'write.delete.mode' = 'merge-on-read')",
    );
    expect(r.translated).toBe(true);
    expect(r.sql).toBe(
      "CREATE TABLE sales.orders (id bigint, amount decimal(10,2), ts timestamp, tags array<string>) PARTITIONED BY (day(ts), bucket(16, id)) LOCATION 's3://lake/orders' TBLPROPERTIES ('table_type' = 'ICEBERG', 'write_compression' = 'zstd')",
    );
    expect(r.warnings).toEqual([expect.stringMatching(/dropped write\.delete\.mode/)]);
  });

  it('translates floe CTAS to Athena CTAS and CREATE NAMESPACE to CREATE DATABASE', () => {
    const ctas = routeForAthena("CREATE TABLE a.b PARTITIONED BY (month(ts)) LOCATION 's3://lake/b' AS SELECT * FROM a.c");
    expect(ctas.sql).toBe("CREATE TABLE a.b WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake/b', partitioning = ARRAY['month(ts)']) AS SELECT * FROM a.c");
    expect(ctas.warnings).toEqual([expect.stringMatching(/at most 100 partitions/)]);
    expect(routeForAthena('CREATE NAMESPACE IF NOT EXISTS sales').sql).toBe('CREATE DATABASE IF NOT EXISTS sales');
  });

  it('warns before statements Athena does not support on Iceberg', () => {
    const cases: [string, RegExp][] = [
      ["CALL system.rollback_to_snapshot('s.t', 1)", /CALL procedures/],
      ['ALTER TABLE s.t CREATE BRANCH audit', /CREATE BRANCH/],
      ['ALTER TABLE s.t DROP TAG v1', /DROP TAG/],
      ['INSERT OVERWRITE s.t SELECT * FROM s.u', /INSERT OVERWRITE/],
      ['INSERT INTO s.t.branch_audit VALUES (1)', /branches/],
      ["ALTER TABLE s.t SET TBLPROPERTIES ('format-version' = '3')", /format version 3/],
      ["ALTER TABLE s.t ADD COLUMN c INT DEFAULT 7", /DEFAULT values are an Iceberg v3 feature/],
      ["CREATE TABLE s.t (id BIGINT) TBLPROPERTIES ('table_type' = 'ICEBERG', 'format-version' = '3')", /format version 3/],
      ['MERGE INTO s.t USING s.u ON s.t.id = s.u.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *', /UPDATE SET \*/],
      ['ALTER TABLE s.t ADD PARTITION FIELD bucket(4, id)', /ALTER TABLE form/],
    ];
    for (const [sql, warning] of cases) {
      const r = routeForAthena(sql);
      expect(r.warnings.join(' | '), sql).toMatch(warning);
      expect(r.sql, sql).toBe(sql);
    }
  });

  it('warns about what the translation cannot carry over', () => {
    const r = routeForAthena('CREATE TABLE s.t (id BIGINT NOT NULL, at TIMESTAMPTZ, u UUID) USING iceberg');
    expect(r.warnings).toEqual([
      expect.stringMatching(/needs LOCATION/),
      expect.stringMatching(/NOT NULL: column id/),
      expect.stringMatching(/TIMESTAMPTZ: column at/),
      expect.stringMatching(/uuid type: column u/),
    ]);
    expect(r.sql).toBe("CREATE TABLE s.t (id bigint, at timestamp, u string) TBLPROPERTIES ('table_type' = 'ICEBERG')");
  });
});
