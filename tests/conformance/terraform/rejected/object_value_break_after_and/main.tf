variable "a" {
  type    = bool
  default = true
}

locals {
  flags = {
    both = var.a &&
      var.a
  }
}
