output "zone_bucket_names" {
  description = "Bucket name per zone."
  value       = { for z in var.zones : z => aws_s3_bucket.this[z].bucket }
}

output "zone_bucket_arns" {
  description = "Bucket ARN per zone."
  value       = { for z in var.zones : z => aws_s3_bucket.this[z].arn }
}

output "results_bucket_name" {
  description = "Bucket for Athena query results."
  value       = aws_s3_bucket.this["athena-results"].bucket
}

output "results_bucket_arn" {
  description = "ARN of the Athena results bucket."
  value       = aws_s3_bucket.this["athena-results"].arn
}

output "access_logs_bucket_name" {
  description = "Bucket receiving S3 server access logs."
  value       = aws_s3_bucket.logs.bucket
}

output "raw_replication_role_arn" {
  description = "Role S3 uses to replicate raw, or null without replication."
  value       = try(aws_iam_role.replication["raw"].arn, null)
}
