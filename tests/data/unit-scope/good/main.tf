resource "aws_s3_bucket" "a" {
  bucket = "a"
}

resource "aws_guardduty_detector" "main" {}
