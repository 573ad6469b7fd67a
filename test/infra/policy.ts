import type { Placed } from './hcl.js';
import { strings } from './hcl.js';

/**
 * Security and cost controls, one rule per control, named after the equivalent checkov check
 * where one exists. A rule looks at every resource and data block of a configuration and the
 * local modules it calls, and returns what violates it.
 */
export interface Rule {
  id: string;
  title: string;
  check: (stack: Placed[]) => string[];
}

const of = (stack: Placed[], kind: 'resource' | 'data', type: string) => stack.filter((p) => p.kind === kind && p.type === type);
const refs = (p: Placed, attr: string, target: Placed) => strings(p.body[attr]).some((s) => new RegExp(`\\b${target.type}\\.${target.name}\\b`).test(s));
const label = (p: Placed) => `${p.type}.${p.name}`;
const first = (v: unknown): Record<string, unknown> | undefined => (Array.isArray(v) ? (v[0] as Record<string, unknown>) : undefined);

/** Blocks named `name` directly or through `dynamic "name" { content { … } }`. */
function blocks(body: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const direct = (body[name] as Record<string, unknown>[] | undefined) ?? [];
  const dyn = ((body.dynamic as Record<string, Record<string, unknown>[]> | undefined)?.[name] ?? []).flatMap((d) => (d.content as Record<string, unknown>[] | undefined) ?? []);
  return [...direct, ...dyn];
}

/** Buckets that receive server access logs (S3 cannot deliver logs to SSE-KMS buckets). */
function logTargets(stack: Placed[]): Set<Placed> {
  const buckets = of(stack, 'resource', 'aws_s3_bucket');
  return new Set(buckets.filter((b) => of(stack, 'resource', 'aws_s3_bucket_logging').some((l) => refs(l, 'target_bucket', b))));
}

function perBucket(type: string, ok: (cfg: Placed) => boolean, what: string, exempt?: (stack: Placed[]) => Set<Placed>) {
  return (stack: Placed[]): string[] => {
    const skip = exempt ? exempt(stack) : new Set<Placed>();
    return of(stack, 'resource', 'aws_s3_bucket')
      .filter((b) => !skip.has(b))
      .filter((b) => !of(stack, 'resource', type).some((c) => refs(c, 'bucket', b) && ok(c)))
      .map((b) => `${label(b)} (${b.dir.slice(b.dir.indexOf('infra/'))}) has no ${what}`);
  };
}

/** Policy documents used as key, bucket, topic or trust policies (resource policies). */
function resourcePolicies(stack: Placed[]): Set<Placed> {
  const users: [string, string][] = [
    ['aws_kms_key', 'policy'],
    ['aws_s3_bucket_policy', 'policy'],
    ['aws_sns_topic_policy', 'policy'],
    ['aws_iam_role', 'assume_role_policy'],
  ];
  return new Set(
    of(stack, 'data', 'aws_iam_policy_document').filter((d) => users.some(([type, attr]) => of(stack, 'resource', type).some((u) => refs(u, attr, d)))),
  );
}

/** Every other policy document is an identity policy (attached to roles directly or through locals). */
function identityPolicies(stack: Placed[]): Placed[] {
  const resource = resourcePolicies(stack);
  return of(stack, 'data', 'aws_iam_policy_document').filter((d) => !resource.has(d));
}

const allowStatements = (d: Placed) => blocks(d.body, 'statement').filter((s) => (s.effect ?? 'Allow') === 'Allow');

export const RULES: Rule[] = [
  {
    id: 'CKV2_AWS_6',
    title: 'S3 buckets block all public access',
    check: perBucket(
      'aws_s3_bucket_public_access_block',
      (c) => ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].every((k) => c.body[k] === true),
      'public access block with all four settings on',
    ),
  },
  {
    id: 'CKV_AWS_145',
    title: 'S3 buckets are encrypted with KMS (access-log targets with SSE-S3, which S3 logging requires)',
    check: (stack) => {
      const targets = logTargets(stack);
      return perBucket('aws_s3_bucket_server_side_encryption_configuration', (c) => {
        const d = first(first(c.body.rule)?.apply_server_side_encryption_by_default);
        return d?.sse_algorithm === 'aws:kms' && typeof d.kms_master_key_id === 'string';
      }, 'SSE-KMS default encryption', () => targets)(stack).concat(
        [...targets].filter((b) => !of(stack, 'resource', 'aws_s3_bucket_server_side_encryption_configuration').some((c) => refs(c, 'bucket', b))).map((b) => `${label(b)} (log target) has no default encryption`),
      );
    },
  },
  {
    id: 'CKV_AWS_21',
    title: 'S3 buckets are versioned',
    check: perBucket('aws_s3_bucket_versioning', (c) => first(c.body.versioning_configuration)?.status === 'Enabled', 'versioning enabled'),
  },
  {
    id: 'CKV_AWS_18',
    title: 'S3 buckets log access (except the log target itself)',
    check: perBucket('aws_s3_bucket_logging', (c) => typeof c.body.target_bucket === 'string', 'server access logging', logTargets),
  },
  {
    id: 'CKV2_AWS_61',
    title: 'S3 buckets have a lifecycle configuration that cleans up noncurrent versions and multipart uploads',
    check: perBucket(
      'aws_s3_bucket_lifecycle_configuration',
      (c) => {
        const rules = blocks(c.body, 'rule');
        return rules.some((r) => r.noncurrent_version_expiration) && rules.some((r) => r.abort_incomplete_multipart_upload);
      },
      'lifecycle configuration with noncurrent-version and multipart cleanup',
    ),
  },
  {
    id: 'FLOE_S3_TLS',
    title: 'S3 bucket policies deny every request made without TLS',
    check: (stack) => {
      const docs = of(stack, 'data', 'aws_iam_policy_document');
      const denies = (d: Placed) =>
        blocks(d.body, 'statement').some(
          (st) =>
            st.effect === 'Deny' &&
            strings(st.actions).includes('s3:*') &&
            blocks(st, 'condition').some((c) => c.variable === 'aws:SecureTransport' && strings(c.values).includes('false')),
        );
      return perBucket('aws_s3_bucket_policy', (c) => docs.some((d) => refs(c, 'policy', d) && denies(d)), 'bucket policy denying insecure transport')(stack);
    },
  },
  {
    id: 'CKV_AWS_7',
    title: 'KMS keys rotate',
    check: (stack) => of(stack, 'resource', 'aws_kms_key').filter((k) => k.body.enable_key_rotation !== true).map((k) => `${label(k)} does not rotate`),
  },
  {
    id: 'CKV_AWS_82/CKV_AWS_159',
    title: 'Athena workgroups enforce their configuration and encrypt results with KMS, with a scan limit',
    check: (stack) =>
      of(stack, 'resource', 'aws_athena_workgroup').flatMap((w) => {
        const c = first(w.body.configuration);
        const enc = first(first(c?.result_configuration)?.encryption_configuration);
        const out: string[] = [];
        if (c?.enforce_workgroup_configuration !== true) out.push(`${label(w)} does not enforce its configuration`);
        if (!enc || !['SSE_KMS', 'CSE_KMS'].includes(String(enc.encryption_option)) || typeof enc.kms_key_arn !== 'string') out.push(`${label(w)} does not encrypt results with KMS`);
        if (c?.bytes_scanned_cutoff_per_query === undefined) out.push(`${label(w)} has no bytes-scanned cutoff`);
        return out;
      }),
  },
  {
    id: 'CKV_AWS_1/CKV_AWS_49/CKV_AWS_62/CKV_AWS_63/CKV_AWS_355/CKV_AWS_356',
    title: 'Identity policies allow no wildcard actions or resources',
    check: (stack) =>
      identityPolicies(stack).flatMap((d) =>
        allowStatements(d).flatMap((s) => {
          const out: string[] = [];
          const actions = strings(s.actions);
          const resources = strings(s.resources);
          if (s.not_actions || s.not_resources) out.push(`data.${label(d)}: NotAction/NotResource in an Allow`);
          for (const a of actions) if (a === '*' || /:\*$/.test(a)) out.push(`data.${label(d)} allows wildcard action '${a}'`);
          for (const r of resources) if (r === '*') out.push(`data.${label(d)} allows resource '*'`);
          return out;
        }),
      ),
  },
  {
    id: 'FLOE_NO_PUBLIC_PRINCIPAL',
    title: 'No Allow statement names the public principal',
    check: (stack) =>
      of(stack, 'data', 'aws_iam_policy_document').flatMap((d) =>
        allowStatements(d)
          .filter((s) => blocks(s, 'principals').some((p) => strings(p.identifiers).includes('*')))
          .map(() => `data.${label(d)} allows the public principal`),
      ),
  },
  {
    id: 'CKV_AWS_26',
    title: 'SNS topics are encrypted with KMS',
    check: (stack) => of(stack, 'resource', 'aws_sns_topic').filter((t) => typeof t.body.kms_master_key_id !== 'string').map((t) => `${label(t)} is not encrypted`),
  },
  {
    id: 'CKV_AWS_94',
    title: 'Glue Data Catalog encrypts metadata and connection passwords with KMS',
    check: (stack) => {
      const dbs = of(stack, 'resource', 'aws_glue_catalog_database');
      if (dbs.length === 0) return [];
      const ok = of(stack, 'resource', 'aws_glue_data_catalog_encryption_settings').some((e) => {
        const s = first(e.body.data_catalog_encryption_settings);
        return first(s?.encryption_at_rest)?.catalog_encryption_mode === 'SSE-KMS' && first(s?.connection_password_encryption)?.return_connection_password_encrypted === true;
      });
      return ok ? [] : ['the Glue Data Catalog is not encrypted with KMS'];
    },
  },
];
