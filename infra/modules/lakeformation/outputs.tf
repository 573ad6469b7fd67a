output "registered_locations" {
  description = "Data location ARN registered with Lake Formation, per zone."
  value       = { for z, r in aws_lakeformation_resource.zone : z => r.arn }
}

output "admin_arns" {
  description = "The Lake Formation administrators."
  value       = aws_lakeformation_data_lake_settings.this.admins
}
