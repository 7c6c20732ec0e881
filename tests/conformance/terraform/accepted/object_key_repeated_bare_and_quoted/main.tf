locals {
  ports = { ssh = 22, "ssh" = 2222 }
}

output "ports" {
  value = local.ports
}
