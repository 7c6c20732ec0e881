variable "sizes" {
  type    = map(number)
  default = {}
}

output "doubled" {
  value = { for name, size in var.sizes : size * 2 }
}
