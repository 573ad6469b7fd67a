variable "name_prefix" {
  type        = string
  description = "Prefix of database names; hyphens become underscores (Glue and Athena names)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "zone_bucket_names" {
  type        = map(string)
  description = "Bucket per zone (the s3-lakehouse module's zone_bucket_names); one database per zone."

  validation {
    condition     = length(var.zone_bucket_names) > 0
    error_message = "At least one zone is needed."
  }
}

variable "catalog_kms_key_arn" {
  type        = string
  description = "KMS key encrypting catalog metadata and connection passwords (the kms module's catalog key)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.catalog_kms_key_arn))
    error_message = "catalog_kms_key_arn must be a KMS key ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
