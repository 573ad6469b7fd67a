variable "name_prefix" {
  type        = string
  description = "Prefix of the budget, topic and alarm names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "monthly_limit_usd" {
  type        = number
  description = "Monthly cost budget in USD."

  validation {
    condition     = var.monthly_limit_usd > 0
    error_message = "monthly_limit_usd must be positive."
  }
}

variable "actual_thresholds_percent" {
  type        = list(number)
  description = "Alert when actual spend passes these percentages of the budget."
  default     = [50, 80, 100]

  validation {
    condition     = length(var.actual_thresholds_percent) > 0 && alltrue([for p in var.actual_thresholds_percent : p > 0 && p <= 1000])
    error_message = "Thresholds are percentages between 0 and 1000."
  }
}

variable "forecast_thresholds_percent" {
  type        = list(number)
  description = "Alert when forecast spend passes these percentages of the budget."
  default     = [100]

  validation {
    condition     = alltrue([for p in var.forecast_thresholds_percent : p > 0 && p <= 1000])
    error_message = "Thresholds are percentages between 0 and 1000."
  }
}

variable "alert_emails" {
  type        = list(string)
  description = "Email addresses that receive budget alerts."

  validation {
    condition     = length(var.alert_emails) > 0 && alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be one or more email addresses."
  }
}

variable "alerts_kms_key_arn" {
  type        = string
  description = "KMS key encrypting the alert topic (the kms module's alerts key)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.alerts_kms_key_arn))
    error_message = "alerts_kms_key_arn must be a KMS key ARN."
  }
}

variable "athena_workgroup_daily_bytes_alarms" {
  type        = map(number)
  description = "Optional alarm per Athena workgroup name: bytes scanned per day above which the topic is notified."
  default     = {}

  validation {
    condition     = alltrue([for b in values(var.athena_workgroup_daily_bytes_alarms) : b >= 10485760])
    error_message = "Alarm thresholds are at least 10 MB."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
