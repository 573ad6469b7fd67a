data "aws_caller_identity" "current" {}

locals {
  database_prefix = replace(var.name_prefix, "-", "_")
}

# Databases only: Iceberg tables are created by floe or Athena, never by Terraform.
resource "aws_glue_catalog_database" "zone" {
  for_each = var.zone_bucket_names

  name         = "${local.database_prefix}_${each.key}"
  description  = "Lakehouse ${each.key} zone (Iceberg tables written by floe)"
  location_uri = "s3://${each.value}/"
  tags         = merge(var.tags, { Zone = each.key })
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  catalog_id = data.aws_caller_identity.current.account_id

  data_catalog_encryption_settings {
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.catalog_kms_key_arn
    }

    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.catalog_kms_key_arn
    }
  }
}
