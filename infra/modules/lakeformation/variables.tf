variable "admin_arns" {
  type        = list(string)
  description = "IAM roles or users that administer Lake Formation (the admin role); nobody else can grant."

  validation {
    condition     = length(var.admin_arns) > 0 && alltrue([for a in var.admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admin_arns must be one or more IAM role or user ARNs."
  }
}

variable "zone_bucket_arns" {
  type        = map(string)
  description = "Bucket ARN per zone (the s3-lakehouse module's zone_bucket_arns), registered as data locations."

  validation {
    condition     = alltrue([for a in values(var.zone_bucket_arns) : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", a))])
    error_message = "zone_bucket_arns values must be S3 bucket ARNs."
  }
}

variable "database_names" {
  type        = map(string)
  description = "Glue database per zone (the glue-catalog module's database_names)."
}

variable "database_grants" {
  type = map(object({
    principal_arn = string
    zone          = string
    permissions   = list(string)
  }))
  description = "Database-level grants keyed by a label: principal, zone and permissions (ALTER, CREATE_TABLE, DESCRIBE, DROP)."
  default     = {}

  validation {
    condition = alltrue([for g in values(var.database_grants) : length(g.permissions) > 0 && alltrue([
      for p in g.permissions : contains(["ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"], p)
    ])])
    error_message = "database_grants permissions must be some of ALTER, CREATE_TABLE, DESCRIBE, DROP (never ALL)."
  }

  validation {
    condition     = alltrue([for g in values(var.database_grants) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", g.principal_arn))])
    error_message = "database_grants principal_arn must be an IAM role ARN."
  }
}

variable "table_grants" {
  type = map(object({
    principal_arn    = string
    zone             = string
    table            = string
    permissions      = list(string)
    columns          = optional(list(string))
    excluded_columns = optional(list(string))
  }))
  description = "Table grants keyed by a label: principal, zone, table name, permissions (SELECT, DESCRIBE, INSERT, DELETE, ALTER, DROP) and optionally the only columns (or all but excluded_columns) a SELECT may read."
  default     = {}

  validation {
    condition = alltrue([for g in values(var.table_grants) : length(g.permissions) > 0 && alltrue([
      for p in g.permissions : contains(["SELECT", "DESCRIBE", "INSERT", "DELETE", "ALTER", "DROP"], p)
    ])])
    error_message = "table_grants permissions must be some of SELECT, DESCRIBE, INSERT, DELETE, ALTER, DROP (never ALL)."
  }

  validation {
    condition     = alltrue([for g in values(var.table_grants) : !(g.columns != null && g.excluded_columns != null)])
    error_message = "A table grant names either columns or excluded_columns, not both."
  }

  validation {
    condition     = alltrue([for g in values(var.table_grants) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", g.principal_arn))])
    error_message = "table_grants principal_arn must be an IAM role ARN."
  }

  validation {
    condition     = alltrue([for g in values(var.table_grants) : can(regex("^[a-z0-9_]{1,255}$", g.table))])
    error_message = "table_grants table must be a Glue table name (lower-case letters, digits, underscores)."
  }
}
