# Optional cross-region replication of raw (the source of truth) to a bucket you own in another
# region: every new object version and delete marker, re-encrypted there with that region's key.

data "aws_region" "current" {}

locals {
  replicate = var.raw_replication == null ? {} : { raw = var.raw_replication }
}

data "aws_iam_policy_document" "replication_assume" {
  for_each = local.replicate

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "replication" {
  for_each = local.replicate

  name               = "${var.name_prefix}-raw-replication"
  description        = "S3 replicates the raw zone to ${each.value.destination_region}"
  assume_role_policy = data.aws_iam_policy_document.replication_assume[each.key].json
  tags               = merge(var.tags, { Zone = "raw" })
}

# Exactly the actions replication needs, on exactly the two buckets and two keys.
data "aws_iam_policy_document" "replication" {
  for_each = local.replicate

  statement {
    sid       = "ReadSourceConfiguration"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [aws_s3_bucket.this["raw"].arn]
  }

  statement {
    sid       = "ReadSourceVersions"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${aws_s3_bucket.this["raw"].arn}/*"]
  }

  statement {
    sid       = "WriteReplicas"
    actions   = ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]
    resources = ["${each.value.destination_bucket_arn}/*"]
  }

  statement {
    sid       = "DecryptSource"
    actions   = ["kms:Decrypt"]
    resources = [var.data_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptReplicas"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [each.value.destination_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${each.value.destination_region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  for_each = local.replicate

  name   = "replicate-raw"
  role   = aws_iam_role.replication[each.key].id
  policy = data.aws_iam_policy_document.replication[each.key].json
}

resource "aws_s3_bucket_replication_configuration" "raw" {
  for_each = local.replicate

  bucket = aws_s3_bucket.this["raw"].id
  role   = aws_iam_role.replication[each.key].arn

  rule {
    id     = "raw-to-${each.value.destination_region}"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Enabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = each.value.destination_bucket_arn
      storage_class = each.value.storage_class

      encryption_configuration {
        replica_kms_key_id = each.value.destination_kms_key_arn
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}
