variable "sizes" {
  type    = map(number)
  default = { a = 1, b = 3 }
}

output "labels" {
  value = { for name, size in var.sizes : name => size > 2
    ? "large" : "small" }
}
