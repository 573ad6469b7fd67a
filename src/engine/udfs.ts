import {
  BIGINT,
  BLOB,
  INTEGER,
  VARCHAR,
  DuckDBBlobValue,
  DuckDBScalarFunction,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import { bucketHash } from '../spec/transforms.js';
import type { PrimitiveTypeName } from '../spec/types.js';

/**
 * Scalar functions DuckDB lacks but Iceberg needs while writing: the bucket transform
 * (spec appendix B: 32-bit Murmur3 of the value's canonical bytes, masked and taken modulo N).
 *  - iceberg_bucket_long(BIGINT, n): int, long, date (as days), time and timestamps (as µs)
 *  - iceberg_bucket_string(VARCHAR, n): string
 *  - iceberg_bucket_bytes(BLOB, n): binary, fixed, and uuid (its 16 bytes)
 */
export function registerIcebergFunctions(connection: DuckDBConnection): void {
  register(connection, 'iceberg_bucket_long', BIGINT, 'long', (v) => (typeof v === 'bigint' ? v : BigInt(v as number)));
  register(connection, 'iceberg_bucket_string', VARCHAR, 'string', (v) => String(v));
  register(connection, 'iceberg_bucket_bytes', BLOB, 'binary', (v) =>
    v instanceof DuckDBBlobValue ? v.bytes : (v as Uint8Array),
  );
}

function register(
  connection: DuckDBConnection,
  name: string,
  inputType: DuckDBType,
  icebergType: PrimitiveTypeName,
  toValue: (v: unknown) => unknown,
): void {
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name,
      returnType: INTEGER,
      parameterTypes: [inputType, INTEGER],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0);
        const buckets = input.getColumnVector(1);
        for (let row = 0; row < input.rowCount; row++) {
          const v = values.getItem(row);
          const n = buckets.getItem(row);
          if (v === null || n === null) {
            output.setItem(row, null);
            continue;
          }
          const hash = bucketHash(icebergType, toValue(v));
          output.setItem(row, (hash & 0x7fffffff) % Number(n));
        }
        output.flush();
      },
    }),
  );
}
