# `terraform output -json > floe-aws.json` gives floe everything it needs to connect.
output "floe" {
  description = "Connection settings for floe: region, buckets, Glue databases, Athena workgroups, keys and roles."
  value = {
    region            = var.region
    warehouse_buckets = module.lake.zone_bucket_names
    results_bucket    = module.lake.results_bucket_name
    glue_catalog_id   = module.catalog.catalog_id
    glue_databases    = module.catalog.database_names
    athena_workgroups = module.athena.workgroup_names
    kms_key_arns      = module.kms.key_arns
    role_arns         = module.iam.role_arns
    alerts_topic_arn  = module.budgets.alerts_topic_arn
  }
}
