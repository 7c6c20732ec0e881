variable "large" {
  type    = bool
  default = false
}

output "size" {
  value = var.large
    ? "m5.large" : "t3.micro"
}
