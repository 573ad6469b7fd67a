output "workgroup_names" {
  description = "Workgroup name per short name."
  value       = { for k, w in aws_athena_workgroup.this : k => w.name }
}

output "workgroup_arns" {
  description = "Workgroup ARN per short name."
  value       = { for k, w in aws_athena_workgroup.this : k => w.arn }
}
