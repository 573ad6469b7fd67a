output "database_names" {
  description = "Glue database per zone."
  value       = { for z, d in aws_glue_catalog_database.zone : z => d.name }
}

output "database_arns" {
  description = "Glue database ARN per zone."
  value       = { for z, d in aws_glue_catalog_database.zone : z => d.arn }
}

output "catalog_id" {
  description = "The Glue Data Catalog id (the account id)."
  value       = data.aws_caller_identity.current.account_id
}
