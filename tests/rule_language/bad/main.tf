resource "aws_lb_listener" "old_tls" {
  load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1"
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-0-2021-06" # expect: ACME-VALUES
}

resource "aws_lb_listener" "tls11" {
  load_balancer_arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/y/2"
  ssl_policy        = "ELBSecurityPolicy-TLS-1-1-2017-01" # expect: ACME-VALUES
}

resource "aws_db_instance" "mysql" {
  engine         = "mysql"
  engine_version = "5.7.44" # expect: ACME-VALUES
}

resource "aws_cloudfront_distribution" "site" {
  viewer_certificate {
    minimum_protocol_version = "TLSv1_2016" # expect: ACME-VALUES
  }
}

resource "aws_security_group" "busy" {
  ingress = [1, 2, 3] # expect: ACME-VALUES
}

resource "aws_ecs_task_definition" "app" {
  family = "app"
  container_definitions = jsonencode([
    { name = "web", image = "nginx:latest" },               # expect: ACME-VALUES
    { name = "worker", image = "docker.io/acme/worker:1.4" }, # expect: ACME-VALUES
    { name = "api", image = "ecr/api:2", environment = [{ name = "DB_SECRET", value = "x" }] }, # expect: ACME-VALUES
  ])
}
