resource "aws_vpc" "main" { # expect: TEST-UNIT-001
  cidr_block = "10.0.0.0/16"
}

resource "aws_s3_bucket" "a" {
  bucket = "a"
}

resource "aws_s3_bucket" "b" {
  bucket = "b"
}

resource "aws_guardduty_detector" "off" {
  enable = false
}
