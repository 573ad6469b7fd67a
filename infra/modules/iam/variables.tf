variable "name_prefix" {
  type        = string
  description = "Prefix of role and policy names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "trusted_principal_arns" {
  type        = list(string)
  description = "Principals (users, roles, SSO permission-set roles) allowed to assume the lakehouse roles."

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for a in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:.+$", a))])
    error_message = "trusted_principal_arns must be IAM/STS ARNs (a wildcard principal is not allowed)."
  }
}

variable "zone_bucket_arns" {
  type        = map(string)
  description = "Bucket ARN per zone (raw, curated, analytics)."

  validation {
    condition     = alltrue([for z in ["raw", "curated", "analytics"] : contains(keys(var.zone_bucket_arns), z)])
    error_message = "zone_bucket_arns needs raw, curated and analytics."
  }
}

variable "results_bucket_arn" {
  type        = string
  description = "ARN of the Athena results bucket."
}

variable "glue_database_names" {
  type        = map(string)
  description = "Glue database name per zone."
}

variable "kms_key_arns" {
  type        = map(string)
  description = "KMS key ARN per purpose (the kms module's key_arns: data, catalog, results)."

  validation {
    condition     = alltrue([for k in ["data", "catalog", "results"] : contains(keys(var.kms_key_arns), k)])
    error_message = "kms_key_arns needs data, catalog and results."
  }
}

variable "athena_workgroup_arns" {
  type        = map(string)
  description = "Athena workgroup ARNs analysts may use."
}

variable "max_session_duration" {
  type        = number
  description = "Maximum session length of the roles, in seconds."
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
