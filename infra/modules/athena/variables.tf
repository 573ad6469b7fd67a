variable "name_prefix" {
  type        = string
  description = "Prefix of workgroup names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "workgroups" {
  type = map(object({
    description                    = string
    bytes_scanned_cutoff_per_query = number
  }))
  description = "Workgroups by short name, each with its per-query scan limit in bytes."
  default = {
    analysts = {
      description                    = "Interactive analytics"
      bytes_scanned_cutoff_per_query = 10737418240
    }
  }

  validation {
    condition     = alltrue([for w in values(var.workgroups) : w.bytes_scanned_cutoff_per_query >= 10485760])
    error_message = "bytes_scanned_cutoff_per_query must be at least 10 MB (10485760 bytes), Athena's minimum."
  }

  validation {
    condition     = alltrue([for k in keys(var.workgroups) : can(regex("^[a-z][a-z0-9-]{1,30}$", k))])
    error_message = "Workgroup names must be short lower-case names."
  }
}

variable "results_bucket_name" {
  type        = string
  description = "Bucket for query results (the s3-lakehouse module's results_bucket_name)."
}

variable "results_kms_key_arn" {
  type        = string
  description = "KMS key encrypting query results."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.results_kms_key_arn))
    error_message = "results_kms_key_arn must be a KMS key ARN."
  }
}

variable "engine_version" {
  type        = string
  description = "Pinned Athena engine version."
  default     = "Athena engine version 3"
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
