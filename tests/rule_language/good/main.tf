resource "aws_lb_listener" "modern" {
  ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

# A policy name with no version in it is not a version below 1.2.
resource "aws_lb_listener" "legacy_name" {
  ssl_policy = "ELBSecurityPolicy-2016-08"
}

resource "aws_db_instance" "mysql" {
  engine_version = "8.0.32"
}

resource "aws_db_instance" "unknown" {
  engine_version = var.engine_version
}

resource "aws_cloudfront_distribution" "site" {
  viewer_certificate {
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

resource "aws_security_group" "quiet" {
  ingress = [1, 2]
}

resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = "[{\"name\": \"web\", \"image\": \"ecr/web:1.2\"}]"
}

resource "aws_ecs_task_definition" "not_json" {
  family                = "broken"
  container_definitions = "[{"
}

variable "engine_version" {}
