import { readFile } from 'node:fs/promises';
import { NotFoundError, ValidationError } from '../errors.js';

/**
 * What floe needs to reach a lakehouse the Terraform modules (infra/) stood up, as the complete
 * example's `floe` output gives it: `terraform output -json > floe-aws.json`.
 */
export interface AwsLakehouseConfig {
  region: string;
  /** Bucket per zone (raw, curated, analytics). */
  warehouseBuckets: Record<string, string>;
  resultsBucket?: string;
  glueCatalogId?: string;
  /** Glue database per zone. */
  glueDatabases: Record<string, string>;
  /** Athena workgroup per short name. */
  athenaWorkgroups: Record<string, string>;
  kmsKeyArns: Record<string, string>;
  roleArns: Record<string, string>;
  alertsTopicArn?: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `terraform output -json` (the `floe` output) or the bare output value. */
export function parseAwsConfig(text: string, source = 'AWS config'): AwsLakehouseConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(`${source} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  let value = obj(json);
  const wrapped = obj(value?.floe);
  if (wrapped) value = obj(wrapped.value) ?? wrapped;
  if (!value) throw new ValidationError(`${source} must be a JSON object (terraform output -json, or its "floe" value)`);
  const v = value;
  const str = (key: string, pattern?: RegExp): string => {
    const x = v[key];
    if (typeof x !== 'string' || x.length === 0) throw new ValidationError(`${source}: '${key}' is missing (expected the complete example's floe output)`);
    if (pattern && !pattern.test(x)) throw new ValidationError(`${source}: '${key}' value '${x}' is not valid`);
    return x;
  };
  const map = (key: string, pattern?: RegExp, required = true): Record<string, string> => {
    const x = obj(v[key]);
    if (!x) {
      if (required) throw new ValidationError(`${source}: '${key}' is missing or not an object`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(x)) {
      if (typeof val !== 'string' || (pattern && !pattern.test(val))) throw new ValidationError(`${source}: '${key}.${k}' is not valid`);
      out[k] = val;
    }
    return out;
  };
  const cfg: AwsLakehouseConfig = {
    region: str('region', REGION),
    warehouseBuckets: map('warehouse_buckets', BUCKET),
    glueDatabases: map('glue_databases'),
    athenaWorkgroups: map('athena_workgroups', undefined, false),
    kmsKeyArns: map('kms_key_arns', /^arn:aws[a-z-]*:kms:/, false),
    roleArns: map('role_arns', /^arn:aws[a-z-]*:iam::/, false),
  };
  if (!cfg.warehouseBuckets.raw) throw new ValidationError(`${source}: warehouse_buckets has no raw zone`);
  if (typeof v.results_bucket === 'string') cfg.resultsBucket = str('results_bucket', BUCKET);
  if (typeof v.glue_catalog_id === 'string') cfg.glueCatalogId = str('glue_catalog_id', /^\d{12}$/);
  if (typeof v.alerts_topic_arn === 'string') cfg.alertsTopicArn = v.alerts_topic_arn;
  return cfg;
}

/** Reads the file named by the argument or `FLOE_AWS_CONFIG`. */
export async function loadAwsConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<AwsLakehouseConfig> {
  const file = path ?? env['FLOE_AWS_CONFIG'];
  if (!file) throw new ValidationError('no AWS config: pass a file or set FLOE_AWS_CONFIG (terraform output -json > floe-aws.json)');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new NotFoundError(`AWS config file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseAwsConfig(text, file);
}

/** How floe connects to one zone of the lakehouse, derived from the Terraform outputs. */
export interface LakehouseConnection {
  zone: string;
  region: string;
  /** `s3://<zone bucket>/`: the Glue database of the zone puts its tables there too (its LocationUri). */
  warehouse: string;
  /** `glue://?region=…[&catalog-id=…]` (see catalog/open.ts). */
  catalog: string;
  /** The Glue database (Athena's default database) of the zone. */
  database?: string;
  /** infra/: the zone buckets deny PUTs without SSE-KMS under the `data` key. */
  sseKmsKeyId?: string;
  athenaWorkgroups: Record<string, string>;
}

/** The connection to `zone` (raw, curated or analytics); ValidationError naming the zones there are. */
export function lakehouseConnection(cfg: AwsLakehouseConfig, zone: string): LakehouseConnection {
  const bucket = cfg.warehouseBuckets[zone];
  if (!bucket) throw new ValidationError(`the AWS config has no zone '${zone}' (zones: ${Object.keys(cfg.warehouseBuckets).join(', ')})`);
  const query = new URLSearchParams({ region: cfg.region, ...(cfg.glueCatalogId ? { 'catalog-id': cfg.glueCatalogId } : {}) });
  const database = cfg.glueDatabases[zone];
  const key = cfg.kmsKeyArns['data'];
  return {
    zone,
    region: cfg.region,
    warehouse: `s3://${bucket}/`,
    catalog: `glue://?${query.toString()}`,
    ...(database ? { database } : {}),
    ...(key ? { sseKmsKeyId: key } : {}),
    athenaWorkgroups: cfg.athenaWorkgroups,
  };
}
