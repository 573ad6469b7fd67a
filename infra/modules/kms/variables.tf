variable "name_prefix" {
  type        = string
  description = "Prefix of every name, e.g. `acme-lake-prod`: lower-case letters, digits and hyphens."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 characters of lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "admin_role_arns" {
  type        = list(string)
  description = "IAM roles allowed to administer the keys (not to use them)."
  default     = []

  validation {
    condition     = alltrue([for a in var.admin_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "admin_role_arns must be IAM role ARNs."
  }
}

variable "deletion_window_in_days" {
  type        = number
  description = "Waiting period before a scheduled key deletion takes effect."
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource."
  default     = {}
}
