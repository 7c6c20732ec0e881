locals {
  tags = {
    Name  = "first"
    Owner = "platform"
    Name  = "second"
  }
}

output "tags" {
  value = local.tags
}
