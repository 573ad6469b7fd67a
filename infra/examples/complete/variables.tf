variable "region" {
  type        = string
  description = "AWS region of the lakehouse."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name_prefix" {
  type        = string
  description = "Globally unique prefix of every name (bucket names are global)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "trusted_principal_arns" {
  type        = list(string)
  description = "Who may assume the lakehouse roles."
}

variable "alert_emails" {
  type        = list(string)
  description = "Who receives cost alerts."
}

variable "monthly_budget_usd" {
  type        = number
  description = "Monthly cost budget in USD."
  default     = 200
}

variable "analyst_scan_limit_bytes" {
  type        = number
  description = "Per-query scan limit of the analysts workgroup."
  default     = 10737418240
}

variable "tags" {
  type        = map(string)
  description = "Tags on every resource."
  default     = { Project = "floe-lakehouse" }
}

variable "enable_lake_formation" {
  type        = bool
  description = "Govern the zone databases with Lake Formation grants (the optional lakeformation module)."
  default     = false
}

variable "lake_formation_table_grants" {
  type = map(object({
    principal_arn    = string
    zone             = string
    table            = string
    permissions      = list(string)
    columns          = optional(list(string))
    excluded_columns = optional(list(string))
  }))
  description = "Table- and column-level grants passed to the lakeformation module (e.g. analysts SELECT some columns)."
  default     = {}
}

variable "raw_replication" {
  type = object({
    destination_bucket_arn  = string
    destination_kms_key_arn = string
    destination_region      = string
    storage_class           = optional(string, "STANDARD_IA")
  })
  description = "Replicate the raw zone to a versioned bucket in another region (null: no replication)."
  default     = null
}
