variable "name_prefix" {
  type        = string
  description = "Prefix of every bucket name; bucket names must be globally unique, so include your organisation."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens."
  }
}

variable "zones" {
  type        = set(string)
  description = "Lakehouse zones, one bucket each. `raw` is the immutable source of truth."
  default     = ["raw", "curated", "analytics"]

  validation {
    condition     = contains(var.zones, "raw") && alltrue([for z in var.zones : can(regex("^[a-z][a-z0-9-]{1,20}$", z))])
    error_message = "zones must include raw and be short lower-case names."
  }
}

variable "data_kms_key_arn" {
  type        = string
  description = "KMS key for SSE-KMS of the zone and results buckets (the kms module's data key)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.data_kms_key_arn))
    error_message = "data_kms_key_arn must be a KMS key ARN."
  }
}

variable "results_kms_key_arn" {
  type        = string
  description = "KMS key for the Athena results bucket (the kms module's results key)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.results_kms_key_arn))
    error_message = "results_kms_key_arn must be a KMS key ARN."
  }
}

variable "raw_infrequent_access_after_days" {
  type        = number
  description = "Days after which raw objects move to STANDARD_IA."
  default     = 30

  validation {
    condition     = var.raw_infrequent_access_after_days >= 30
    error_message = "S3 requires at least 30 days before STANDARD_IA."
  }
}

variable "raw_glacier_after_days" {
  type        = number
  description = "Days after which raw objects move to GLACIER_IR (kept, never expired)."
  default     = 90

  validation {
    condition     = var.raw_glacier_after_days >= 60
    error_message = "raw_glacier_after_days must be at least 60."
  }
}

variable "results_expiration_days" {
  type        = number
  description = "Days Athena query results are kept."
  default     = 7

  validation {
    condition     = var.results_expiration_days >= 1 && var.results_expiration_days <= 365
    error_message = "results_expiration_days must be between 1 and 365."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days noncurrent object versions are kept before deletion."
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be positive."
  }
}

variable "access_log_retention_days" {
  type        = number
  description = "Days server access logs are kept."
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 90
    error_message = "Keep access logs at least 90 days."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Allow destroying non-empty buckets (test environments only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}

variable "raw_replication" {
  type = object({
    destination_bucket_arn  = string
    destination_kms_key_arn = string
    destination_region      = string
    storage_class           = optional(string, "STANDARD_IA")
  })
  description = "Optional cross-region replication of raw: a versioned bucket you own in another region and its KMS key; null (default) replicates nothing."
  default     = null

  validation {
    condition = var.raw_replication == null || (
      can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.raw_replication.destination_bucket_arn)) &&
      can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.raw_replication.destination_kms_key_arn)) &&
      can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.raw_replication.destination_region))
    )
    error_message = "raw_replication needs an S3 bucket ARN, a KMS key ARN and a region name such as eu-central-1."
  }

  validation {
    condition     = var.raw_replication == null || contains(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.raw_replication.storage_class)
    error_message = "raw_replication.storage_class must be an S3 storage class."
  }
}
