resource "aws_athena_workgroup" "this" {
  for_each = var.workgroups

  name          = "${var.name_prefix}-${each.key}"
  description   = each.value.description
  state         = "ENABLED"
  force_destroy = false
  tags          = merge(var.tags, { Workgroup = each.key })

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = each.value.bytes_scanned_cutoff_per_query
    requester_pays_enabled             = false

    engine_version {
      selected_engine_version = var.engine_version
    }

    result_configuration {
      output_location = "s3://${var.results_bucket_name}/${each.key}/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.results_kms_key_arn
      }
    }
  }
}
