output "role_arns" {
  description = "Role ARN per persona: ingest, transform, analyst, admin."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "policy_arns" {
  description = "Managed policy ARN per persona."
  value       = { for k, p in aws_iam_policy.this : k => p.arn }
}
