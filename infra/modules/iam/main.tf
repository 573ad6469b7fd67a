data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region

  catalog_arn = "arn:${local.partition}:glue:${local.region}:${local.account}:catalog"
  database_arns = {
    for z, d in var.glue_database_names : z => "arn:${local.partition}:glue:${local.region}:${local.account}:database/${d}"
  }
  table_arns = {
    for z, d in var.glue_database_names : z => "arn:${local.partition}:glue:${local.region}:${local.account}:table/${d}/*"
  }

  s3_read   = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"]
  s3_write  = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
  glue_read = ["glue:GetCatalog", "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
  glue_write = [
    "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:BatchCreatePartition",
    "glue:BatchDeletePartition", "glue:CreatePartition", "glue:UpdatePartition", "glue:DeletePartition",
  ]
  kms_use = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]

  roles = {
    ingest    = "Writes new objects to the raw zone only"
    transform = "Reads raw, writes curated and analytics Iceberg tables"
    analyst   = "Queries analytics through Athena"
    admin     = "Runs maintenance and manages lakehouse tables"
  }
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "AWS"
      identifiers = var.trusted_principal_arns
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.roles

  name                 = "${var.name_prefix}-${each.key}"
  description          = each.value
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = var.max_session_duration
  tags                 = merge(var.tags, { Role = each.key })
}

# ------------------------------------------------------------------------------------------------
# Policies: explicit actions on explicit ARNs; KMS only through S3/Glue/Athena (kms:ViaService).

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "WriteRawObjects"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:GetObject"]
    resources = ["${var.zone_bucket_arns["raw"]}/*"]
  }

  statement {
    sid       = "ListRaw"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.zone_bucket_arns["raw"]]
  }

  statement {
    sid       = "EncryptRaw"
    actions   = local.kms_use
    resources = [var.kms_key_arns["data"]]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "transform" {
  statement {
    sid       = "ReadRaw"
    actions   = local.s3_read
    resources = [var.zone_bucket_arns["raw"], "${var.zone_bucket_arns["raw"]}/*"]
  }

  statement {
    sid       = "WriteCuratedAndAnalytics"
    actions   = concat(local.s3_read, local.s3_write)
    resources = flatten([for z in ["curated", "analytics"] : [var.zone_bucket_arns[z], "${var.zone_bucket_arns[z]}/*"]])
  }

  statement {
    sid       = "CatalogTables"
    actions   = concat(local.glue_read, local.glue_write)
    resources = concat([local.catalog_arn], [for z in ["curated", "analytics"] : local.database_arns[z]], [for z in ["curated", "analytics"] : local.table_arns[z]])
  }

  statement {
    sid       = "UseDataAndCatalogKeys"
    actions   = local.kms_use
    resources = [var.kms_key_arns["data"], var.kms_key_arns["catalog"]]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "glue.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "analyst" {
  statement {
    sid       = "RunQueries"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
    resources = values(var.athena_workgroup_arns)
  }

  statement {
    sid       = "ReadAnalytics"
    actions   = local.s3_read
    resources = [var.zone_bucket_arns["analytics"], "${var.zone_bucket_arns["analytics"]}/*"]
  }

  statement {
    sid       = "QueryResults"
    actions   = concat(local.s3_read, ["s3:PutObject", "s3:AbortMultipartUpload"])
    resources = [var.results_bucket_arn, "${var.results_bucket_arn}/*"]
  }

  statement {
    sid       = "CatalogRead"
    actions   = local.glue_read
    resources = [local.catalog_arn, local.database_arns["analytics"], local.table_arns["analytics"]]
  }

  statement {
    sid       = "UseKeysThroughServices"
    actions   = local.kms_use
    resources = [var.kms_key_arns["data"], var.kms_key_arns["catalog"], var.kms_key_arns["results"]]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "glue.${local.region}.amazonaws.com", "athena.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "admin" {
  statement {
    sid     = "ManageLakeObjects"
    actions = concat(local.s3_read, local.s3_write, ["s3:ListBucketVersions", "s3:DeleteObjectVersion", "s3:GetLifecycleConfiguration"])
    resources = flatten([
      for arn in concat(values(var.zone_bucket_arns), [var.results_bucket_arn]) : [arn, "${arn}/*"]
    ])
  }

  statement {
    sid       = "ManageCatalog"
    actions   = concat(local.glue_read, local.glue_write, ["glue:UpdateDatabase"])
    resources = concat([local.catalog_arn], values(local.database_arns), values(local.table_arns))
  }

  statement {
    sid       = "UseAllLakeKeys"
    actions   = concat(local.kms_use, ["kms:ReEncryptFrom", "kms:ReEncryptTo"])
    resources = [var.kms_key_arns["data"], var.kms_key_arns["catalog"], var.kms_key_arns["results"]]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com", "glue.${local.region}.amazonaws.com", "athena.${local.region}.amazonaws.com"]
    }
  }
}

locals {
  policies = {
    ingest    = data.aws_iam_policy_document.ingest.json
    transform = data.aws_iam_policy_document.transform.json
    analyst   = data.aws_iam_policy_document.analyst.json
    admin     = data.aws_iam_policy_document.admin.json
  }
}

resource "aws_iam_policy" "this" {
  for_each = local.policies

  name        = "${var.name_prefix}-${each.key}"
  description = "Least-privilege lakehouse access: ${local.roles[each.key]}"
  policy      = each.value
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.policies

  role       = aws_iam_role.this[each.key].name
  policy_arn = aws_iam_policy.this[each.key].arn
}
