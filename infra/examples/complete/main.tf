provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
  tags        = var.tags
}

module "lake" {
  source = "../../modules/s3-lakehouse"

  name_prefix         = var.name_prefix
  data_kms_key_arn    = module.kms.key_arns["data"]
  results_kms_key_arn = module.kms.key_arns["results"]
  raw_replication     = var.raw_replication
  tags                = var.tags
}

module "catalog" {
  source = "../../modules/glue-catalog"

  name_prefix         = var.name_prefix
  zone_bucket_names   = module.lake.zone_bucket_names
  catalog_kms_key_arn = module.kms.key_arns["catalog"]
  tags                = var.tags
}

module "athena" {
  source = "../../modules/athena"

  name_prefix         = var.name_prefix
  results_bucket_name = module.lake.results_bucket_name
  results_kms_key_arn = module.kms.key_arns["results"]
  tags                = var.tags

  workgroups = {
    analysts = {
      description                    = "Interactive analytics"
      bytes_scanned_cutoff_per_query = var.analyst_scan_limit_bytes
    }
    pipelines = {
      description                    = "Scheduled transforms"
      bytes_scanned_cutoff_per_query = 107374182400
    }
  }
}

module "iam" {
  source = "../../modules/iam"

  name_prefix            = var.name_prefix
  trusted_principal_arns = var.trusted_principal_arns
  zone_bucket_arns       = module.lake.zone_bucket_arns
  results_bucket_arn     = module.lake.results_bucket_arn
  glue_database_names    = module.catalog.database_names
  kms_key_arns           = module.kms.key_arns
  athena_workgroup_arns  = module.athena.workgroup_arns
  tags                   = var.tags
}

module "budgets" {
  source = "../../modules/budgets"

  name_prefix        = var.name_prefix
  monthly_limit_usd  = var.monthly_budget_usd
  alert_emails       = var.alert_emails
  alerts_kms_key_arn = module.kms.key_arns["alerts"]
  tags               = var.tags

  athena_workgroup_daily_bytes_alarms = {
    (module.athena.workgroup_names["analysts"]) = 1099511627776
  }
}

# Optional fine-grained access: Lake Formation governs the zone databases once enabled.
module "lakeformation" {
  source = "../../modules/lakeformation"
  count  = var.enable_lake_formation ? 1 : 0

  admin_arns       = [module.iam.role_arns["admin"]]
  zone_bucket_arns = module.lake.zone_bucket_arns
  database_names   = module.catalog.database_names
  table_grants     = var.lake_formation_table_grants

  database_grants = {
    transform_curated = {
      principal_arn = module.iam.role_arns["transform"]
      zone          = "curated"
      permissions   = ["CREATE_TABLE", "ALTER", "DESCRIBE"]
    }
    transform_analytics = {
      principal_arn = module.iam.role_arns["transform"]
      zone          = "analytics"
      permissions   = ["CREATE_TABLE", "ALTER", "DESCRIBE"]
    }
    analyst_analytics = {
      principal_arn = module.iam.role_arns["analyst"]
      zone          = "analytics"
      permissions   = ["DESCRIBE"]
    }
  }
}
