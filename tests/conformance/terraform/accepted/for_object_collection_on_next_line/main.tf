variable "sizes" {
  type    = map(number)
  default = { a = 1 }
}

output "doubled" {
  value = { for name, size in
    var.sizes : name => size * 2 }
}
