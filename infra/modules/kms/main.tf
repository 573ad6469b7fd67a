data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # One key per purpose, each usable only through the service that needs it.
  keys = {
    data = {
      description = "Lakehouse data in S3 (raw, curated, analytics zones)"
      via         = ["s3.${local.region}.amazonaws.com"]
    }
    catalog = {
      description = "Glue Data Catalog metadata and connection passwords"
      via         = ["glue.${local.region}.amazonaws.com"]
    }
    results = {
      description = "Athena query results"
      via         = ["s3.${local.region}.amazonaws.com", "athena.${local.region}.amazonaws.com"]
    }
    alerts = {
      description = "Budget and usage alert topic"
      via         = ["sns.${local.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "key" {
  for_each = local.keys

  # The account root keeps control of the key so it can never become unmanageable; IAM policies
  # in the account (see the iam module) decide who may use it.
  statement {
    sid       = "AccountRootAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.admin_role_arns) > 0 ? [1] : []

    content {
      sid = "KeyAdministrators"
      actions = [
        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
        "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
        "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
      ]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.admin_role_arns
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "alerts" ? [1] : []

    content {
      sid       = "BudgetsAndCloudWatchPublishEncrypted"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = "${var.name_prefix}: ${each.value.description}"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key[each.key].json
  tags                    = merge(var.tags, { Purpose = each.key })
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
