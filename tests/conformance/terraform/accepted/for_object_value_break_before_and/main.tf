variable "subnets" {
  type    = map(object({ public = bool, az = string }))
  default = {}
}

output "public_in_a" {
  value = { for name, subnet in var.subnets : name => subnet.public
    && subnet.az == "a" }
}
