output "key_arns" {
  description = "Key ARN per purpose: data, catalog, results, alerts."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "key_ids" {
  description = "Key id per purpose."
  value       = { for k, v in aws_kms_key.this : k => v.key_id }
}

output "via_services" {
  description = "The service endpoint each key is meant to be used through (for kms:ViaService conditions)."
  value       = { for k, v in local.keys : k => v.via }
}
