locals {
  tags = { Name = "a" Owner = "b" }
}
