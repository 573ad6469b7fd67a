# Lake Formation governs the lake: its administrators, the registered zone locations and the
# table- and column-level grants per role. No default grants to IAM_ALLOWED_PRINCIPALS are kept
# (the create_*_default_permissions blocks are left empty), so new databases and tables are
# governed by Lake Formation permissions, not by IAM alone.
resource "aws_lakeformation_data_lake_settings" "this" {
  admins = var.admin_arns
}

# Each zone bucket is a registered data location; Lake Formation reaches it through its
# service-linked role (which needs kms:Decrypt on the data key, see the README).
resource "aws_lakeformation_resource" "zone" {
  for_each = var.zone_bucket_arns

  arn                     = each.value
  use_service_linked_role = true
  depends_on              = [aws_lakeformation_data_lake_settings.this]
}

# Database-level grants (e.g. CREATE_TABLE for the transform role on curated).
resource "aws_lakeformation_permissions" "database" {
  for_each = var.database_grants

  principal   = each.value.principal_arn
  permissions = each.value.permissions

  database {
    name = var.database_names[each.value.zone]
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# Table grants, optionally narrowed to columns (fine-grained access): all columns, only the
# listed ones, or all but the excluded ones.
resource "aws_lakeformation_permissions" "table" {
  for_each = var.table_grants

  principal   = each.value.principal_arn
  permissions = each.value.permissions

  table_with_columns {
    database_name         = var.database_names[each.value.zone]
    name                  = each.value.table
    column_names          = each.value.columns
    excluded_column_names = each.value.excluded_columns
    wildcard              = each.value.columns == null ? true : null
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}
