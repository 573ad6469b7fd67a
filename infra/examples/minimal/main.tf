variable "name_prefix" {
  type        = string
  description = "Globally unique prefix of every name."
}

provider "aws" {
  region = "eu-west-1"
}

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
}

module "lake" {
  source = "../../modules/s3-lakehouse"

  name_prefix         = var.name_prefix
  data_kms_key_arn    = module.kms.key_arns["data"]
  results_kms_key_arn = module.kms.key_arns["results"]
}

module "catalog" {
  source = "../../modules/glue-catalog"

  name_prefix         = var.name_prefix
  zone_bucket_names   = module.lake.zone_bucket_names
  catalog_kms_key_arn = module.kms.key_arns["catalog"]
}

module "athena" {
  source = "../../modules/athena"

  name_prefix         = var.name_prefix
  results_bucket_name = module.lake.results_bucket_name
  results_kms_key_arn = module.kms.key_arns["results"]
}

output "floe" {
  description = "Connection settings for floe."
  value = {
    warehouse_buckets = module.lake.zone_bucket_names
    glue_databases    = module.catalog.database_names
    athena_workgroups = module.athena.workgroup_names
  }
}
