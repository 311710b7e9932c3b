"""The edge family: classic ELBs, CloudFront distributions and API Gateway authorizers.

The fixture (fixtures/aws/edge) is a newsroom site: a public classic ELB serving HTTP
(seeded weakness) and an internal one, a static-assets distribution with OAC and WAF, a
www distribution that serves plaintext HTTP (seeded weakness) from the ELB, an API and
an outside CMS, and two APIs with authorizers. Variants are small repositories.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.services import edge
from collectors.terraform import collector
from scanner.model import Element, Finding
from scanner.pipeline import ScanOptions, ScanResult, scan
from tests.conftest import REPO

TfRepo = Callable[..., Path]
FIXTURE = REPO / "fixtures" / "aws" / "edge"

ACCOUNT = "tf:.//account"
VPC_ZONE = "tf:.//aws_vpc.main"
PUBLIC = f"{VPC_ZONE}/public"
ISOLATED = f"{VPC_ZONE}/isolated"


def tf(address: str) -> str:
    return f"tf:.//{address}"


def summary(findings: Iterable[Finding]) -> set[tuple[str, str, str, int, str]]:
    out = [
        (f.rule, f.resource, str(f.location["file"]), int(f.location["line"]), f.confidence.label)
        for f in findings
    ]
    assert len(out) == len(set(out)), f"duplicate findings: {out}"
    return set(out)


def flows(result: ScanResult) -> set[tuple[str, str, str, int | None, str]]:
    return {(f.source, f.target, f.protocol, f.port, f.basis) for f in result.graph.flows}


def flow_tls(result: ScanResult) -> dict[str, bool | None]:
    return {f.id: f.tls for f in result.graph.flows}


def elements(result: ScanResult) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
    return {
        e.resource: (e.type, e.boundary, dict(e.props))
        for e in result.graph.elements
        if e.id != "internet"
    }


def parts(el: Element) -> list[tuple[str, str, str, dict[str, Any], tuple[str | None, int | None]]]:
    return [
        (p.kind, p.name, p.resource, dict(p.props), (p.evidence[0].file, p.evidence[0].line))
        for p in el.parts
    ]


def element(result: ScanResult, resource: str) -> Element:
    (found,) = [e for e in result.graph.elements if e.resource == resource]
    return found


# --- the fixture ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def newsroom() -> ScanResult:
    return scan(FIXTURE)


def test_fixture_elements_are_exact(newsroom: ScanResult) -> None:
    assert elements(newsroom) == {
        "aws_elb.web": (
            "load-balancer",
            PUBLIC,
            {"access_logging": True, "internal": False, "waf": False},
        ),
        "aws_elb.reports": (
            "load-balancer",
            ISOLATED,
            {"access_logging": False, "internal": True, "waf": False},
        ),
        "aws_cloudfront_distribution.assets": (
            "cdn",
            ACCOUNT,
            {"access_logging": True, "internet_facing": True, "oac": True, "waf": True},
        ),
        "aws_cloudfront_distribution.site": (
            "cdn",
            ACCOUNT,
            {
                "external_origins": "archive.legacy-cms.example.net",
                "internet_facing": True,
                "oac": False,
                "waf": False,
            },
        ),
        "aws_instance.web_a": ("vm", ISOLATED, {"public_ip": False, "name_tag": "newsroom-web-a"}),
        "aws_instance.web_b": ("vm", ISOLATED, {"public_ip": False, "name_tag": "newsroom-web-b"}),
        "aws_instance.reports": (
            "vm",
            ISOLATED,
            {"public_ip": False, "name_tag": "newsroom-reports"},
        ),
        "aws_s3_bucket.assets": (
            "object-store",
            ACCOUNT,
            {
                "encryption_at_rest": True,
                "kms_managed": False,
                "public": False,
                "versioning": False,
            },
        ),
        "aws_lambda_function.comments": ("function", ACCOUNT, {}),
        "aws_lambda_function.authorizer": ("function", ACCOUNT, {}),
        "aws_api_gateway_rest_api.comments": (
            "api-gateway",
            ACCOUNT,
            {"endpoint_type": "REGIONAL", "internet_facing": True},
        ),
        "aws_apigatewayv2_api.mobile": ("api-gateway", ACCOUNT, {"internet_facing": True}),
    }
    assert element(newsroom, "aws_elb.web").key == "elb:loadbalancer:newsroom-web"
    assert element(newsroom, "aws_elb.web").name == "newsroom-web"
    assert element(newsroom, "aws_cloudfront_distribution.site").name == "www.newsroom.example"


def test_fixture_listener_parts(newsroom: ScanResult) -> None:
    no_redirect = {"redirects_to_https": False}
    assert parts(element(newsroom, "aws_elb.web")) == [
        (
            "listener",
            "HTTP:80",
            "aws_elb.web",
            {"protocol": "HTTP", "port": 80, "tls": False, **no_redirect},
            ("elb.tf", 13),
        ),
        (
            "listener",
            "HTTPS:443",
            "aws_elb.web",
            {"protocol": "HTTPS", "port": 443, "tls": True, **no_redirect},
            ("elb.tf", 20),
        ),
    ]
    assert parts(element(newsroom, "aws_elb.reports")) == [
        (
            "listener",
            "HTTP:8080",
            "aws_elb.reports",
            {"protocol": "HTTP", "port": 8080, "tls": False, **no_redirect},
            ("elb.tf", 63),
        )
    ]
    https = {"protocol": "HTTPS", "port": 443, "tls": True}
    assets = "aws_cloudfront_distribution.assets"
    assert parts(element(newsroom, assets)) == [
        (
            "listener",
            "HTTP:80",
            assets,
            {"protocol": "HTTP", "port": 80, "tls": False, "redirects_to_https": True},
            ("cdn.tf", 54),
        ),
        ("listener", "HTTPS:443", assets, {**https, "ssl_policy": "TLSv1.2_2021"}, ("cdn.tf", 78)),
    ]
    site = "aws_cloudfront_distribution.site"
    assert parts(element(newsroom, site)) == [
        (
            "listener",
            "HTTP:80",
            site,
            {"protocol": "HTTP", "port": 80, "tls": False, "redirects_to_https": False},
            ("cdn.tf", 138),
        ),
        ("listener", "HTTPS:443", site, {**https, "ssl_policy": "TLSv1.2_2019"}, ("cdn.tf", 171)),
    ]


def test_fixture_flows_are_exact(newsroom: ScanResult) -> None:
    elb, reports = tf("aws_elb.web"), tf("aws_elb.reports")
    assets, site = tf("aws_cloudfront_distribution.assets"), tf("aws_cloudfront_distribution.site")
    rest, http = tf("aws_api_gateway_rest_api.comments"), tf("aws_apigatewayv2_api.mobile")
    comments = tf("aws_lambda_function.comments")
    assert flows(newsroom) == {
        ("internet", elb, "http", 80, "called"),
        ("internet", elb, "https", 443, "called"),
        (elb, tf("aws_instance.web_a"), "http", 80, "called"),
        (elb, tf("aws_instance.web_b"), "http", 80, "called"),
        (reports, tf("aws_instance.reports"), "http", 8080, "called"),
        ("internet", assets, "https", 443, "called"),
        ("internet", assets, "http", 80, "called"),
        (assets, tf("aws_s3_bucket.assets"), "https", 443, "called"),
        ("internet", site, "https", 443, "called"),
        ("internet", site, "http", 80, "called"),
        (site, elb, "http", 80, "called"),
        (site, rest, "https", 443, "called"),
        ("internet", rest, "https", 443, "called"),
        ("internet", http, "https", 443, "called"),
        (rest, comments, "https", 443, "called"),
        (http, comments, "https", 443, "called"),
    }
    tls = flow_tls(newsroom)
    assert tls[f"internet->{elb}:http/80"] is False
    assert tls[f"internet->{elb}:https/443"] is True
    assert tls[f"{site}->{elb}:http/80"] is False  # origin_protocol_policy http-only
    assert tls[f"{site}->{rest}:https/443"] is True
    # S3 origins match the viewer; every behavior routing there requires HTTPS.
    assert tls[f"{assets}->tf:.//aws_s3_bucket.assets:https/443"] is True


def test_fixture_findings_are_the_seeded_weaknesses(newsroom: ScanResult) -> None:
    assert summary(newsroom.findings) == {
        ("TM-TLS-001", "aws_elb.web", "elb.tf", 13, "high"),
        ("TM-TLS-001", "aws_cloudfront_distribution.site", "cdn.tf", 138, "high"),
        # No web ACL can filter them: a classic ELB, a distribution without web_acl_id.
        ("TM-WAF-001", "aws_elb.web", "elb.tf", 6, "high"),
        ("TM-WAF-001", "aws_cloudfront_distribution.site", "cdn.tf", 95, "high"),
        # No aws_flow_log anywhere in the sources: unconfirmed.
        ("TM-LOG-002", "aws_vpc.main", "network.tf", 10, "low"),
    }
    paths = {f.resource: f.path for f in newsroom.findings}
    assert paths["aws_elb.web"] == ("internet", tf("aws_elb.web"))


def test_fixture_authorizers_are_records_only(
    newsroom: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[r.Inventory] = []
    real = collector.to_fragment

    def spy(inv: r.Inventory, **kw: Any) -> Any:
        seen.append(inv)
        return real(inv, **kw)

    monkeypatch.setattr(collector, "to_fragment", spy)
    scan(FIXTURE, options=ScanOptions(use_cache=False))
    (inv,) = seen
    got = {
        (a.address, a.api, a.name, a.type, a.function, a.user_pools, a.issuer, a.evidence.line)
        for a in inv.of(edge.ApiAuthorizer)
    }
    assert got == {
        (
            "aws_api_gateway_authorizer.comments",
            "aws_api_gateway_rest_api.comments",
            "newsroom-session",
            "TOKEN",  # provider default
            "aws_lambda_function.authorizer",
            (),
            None,
            14,
        ),
        (
            "aws_apigatewayv2_authorizer.mobile",
            "aws_apigatewayv2_api.mobile",
            "newsroom-cognito",
            "JWT",
            None,
            (),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Nw5R00m42",
            82,
        ),
    }
    # No element, part or flow of their own (yet).
    assert not [e for e in newsroom.graph.elements if "authorizer." in e.resource]


# --- classic ELB variants ---------------------------------------------------------------

ELB = """
resource "aws_security_group" "lb" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = %(port)s
    to_port     = %(port)s
    protocol    = "tcp"
    cidr_blocks = [%(cidr)s]
  }
}

resource "aws_instance" "app" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}

variable "internal" {
  type = bool
}

resource "aws_elb" "front" {
  name            = "front"
  subnets         = [aws_subnet.%(subnet)s.id]
  security_groups = [aws_security_group.lb.id]
  %(internal)s

  listener {
    lb_port           = %(port)s
    lb_protocol       = "%(protocol)s"
    instance_port     = 8080
    instance_protocol = "http"
    %(cert)s
  }

  instances = [aws_instance.app.id]
}
"""
CERT = 'ssl_certificate_id = "arn:aws:acm:eu-west-1:111122223333:certificate/abc"'
FRONT, APP = tf("aws_elb.front"), tf("aws_instance.app")
TO_APP = (FRONT, APP, "http", 8080, "called")


def elb_repo(tf_repo: TfRepo, **kw: str) -> Path:
    values = {
        "port": "80",
        "cidr": '"0.0.0.0/0"',
        "subnet": "public",
        "internal": "",
        "protocol": "HTTP",
        "cert": "",
    }
    return tf_repo({"lb.tf": ELB % {**values, **kw}})


@pytest.mark.parametrize(
    ("kw", "internet", "findings"),
    [
        ({}, [("internet", FRONT, "http", 80, "called")], {("aws_elb.front", 29)}),
        (
            {"protocol": "http"},
            [("internet", FRONT, "http", 80, "called")],
            {("aws_elb.front", 29)},
        ),
        (
            {"port": "443", "protocol": "HTTPS", "cert": CERT},
            [("internet", FRONT, "https", 443, "called")],
            set(),
        ),
        (
            {"port": "443", "protocol": "SSL", "cert": CERT},
            [("internet", FRONT, "ssl", 443, "called")],
            set(),
        ),
        ({"internal": "internal = true"}, [], set()),
        ({"internal": "internal = var.internal"}, [], set()),  # unknown: no flow
        ({"cidr": '"10.0.0.0/16"'}, [], set()),  # the group does not admit the world
        ({"subnet": "private"}, [], set()),  # not in a public subnet
    ],
    ids=["http", "http-lower", "https", "ssl", "internal", "internal-unknown", "sg", "private"],
)
def test_elb_internet_listener_and_tls_finding(
    tf_repo: TfRepo,
    kw: dict[str, str],
    internet: list[tuple[str, str, str, int, str]],
    findings: set[tuple[str, int]],
) -> None:
    result = scan(elb_repo(tf_repo, **kw))
    assert flows(result) == {*internet, TO_APP}
    assert summary(f for f in result.findings if f.rule == "TM-TLS-001") == {
        ("TM-TLS-001", resource, "lb.tf", line, "high") for resource, line in findings
    }


def test_elb_attachment_by_name_and_security_group_flows(tf_repo: TfRepo) -> None:
    """Attachments join by ELB name too; the ELB's groups make `reachable` flows."""
    extra = """
resource "aws_security_group" "ops" {
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "worker" {
  vpc_id = aws_vpc.main.id

  ingress {
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    security_groups = [aws_security_group.lb.id]
  }
}

resource "aws_security_group_rule" "lb_from_ops" {
  type                     = "ingress"
  security_group_id        = aws_security_group.lb.id
  from_port                = 80
  to_port                  = 80
  protocol                 = "tcp"
  source_security_group_id = aws_security_group.ops.id
}

resource "aws_instance" "ops" {
  ami                    = "ami-0c55b159cbfafe1f0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.ops.id]
}

resource "aws_instance" "worker" {
  ami                    = "ami-0c55b159cbfafe1f0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.worker.id]
}

resource "aws_instance" "batch" {
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.private.id
}

resource "aws_elb_attachment" "batch" {
  elb      = "front"
  instance = aws_instance.batch.id
}
"""
    repo = elb_repo(tf_repo, cidr='"10.0.0.0/16"')
    (repo / "extra.tf").write_text(extra)
    result = scan(repo)
    assert flows(result) == {
        TO_APP,
        (FRONT, tf("aws_instance.batch"), "http", 8080, "called"),
        # The ELB is a member of its group (worker admits it) and guarded by it (ops).
        (FRONT, tf("aws_instance.worker"), "tcp", 8080, "reachable"),
        (tf("aws_instance.ops"), FRONT, "tcp", 80, "reachable"),
    }


# --- CloudFront variants ----------------------------------------------------------------

CDN = """
resource "aws_s3_bucket" "site" {
  bucket = "example-site"
}

resource "aws_cloudfront_distribution" "site" {
  enabled = %(enabled)s

  origin {
    origin_id   = "s3"
    domain_name = %(domain)s
  }

  default_cache_behavior {
    target_origin_id       = "s3"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    viewer_protocol_policy = "%(policy)s"
    cache_policy_id        = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
"""
DIST, BUCKET = tf("aws_cloudfront_distribution.site"), tf("aws_s3_bucket.site")
ORIGIN = f"{DIST}->{BUCKET}:https/443"


def cdn_repo(tf_repo: TfRepo, **kw: str) -> Path:
    values = {
        "enabled": "true",
        "policy": "redirect-to-https",
        "domain": "aws_s3_bucket.site.bucket_regional_domain_name",
    }
    return tf_repo({"cdn.tf": CDN % {**values, **kw}}, network=False)


@pytest.mark.parametrize(
    ("policy", "http", "redirects", "origin_tls", "findings"),
    [
        ("allow-all", True, False, None, {("TM-TLS-001", DIST[6:], "cdn.tf", 14, "high")}),
        ("redirect-to-https", True, True, True, set()),
        ("https-only", False, None, True, set()),
    ],
)
def test_cloudfront_viewer_protocol_policy(
    tf_repo: TfRepo,
    policy: str,
    http: bool,
    redirects: bool | None,
    origin_tls: bool | None,
    findings: set[tuple[str, str, str, int, str]],
) -> None:
    result = scan(cdn_repo(tf_repo, policy=policy))
    expected = {("internet", DIST, "https", 443, "called"), (DIST, BUCKET, "https", 443, "called")}
    if http:
        expected.add(("internet", DIST, "http", 80, "called"))
    assert flows(result) == expected
    assert summary(f for f in result.findings if f.rule == "TM-TLS-001") == findings
    ports = {p.name: p.fact("redirects_to_https") for p in element(result, DIST[6:]).parts}
    assert ports == ({"HTTP:80": redirects, "HTTPS:443": None} if http else {"HTTPS:443": None})
    assert element(result, DIST[6:]).parts[-1].fact("ssl_policy") == "TLSv1"  # default cert
    # S3 origins use the viewer's protocol: unknown TLS while HTTP viewers are allowed.
    assert flow_tls(result)[ORIGIN] is origin_tls


def test_unknown_viewer_policy_is_no_plaintext_finding(tf_repo: TfRepo) -> None:
    """A policy from a variable with no value: no port-80 flow is invented, no finding."""
    result = scan(cdn_repo(tf_repo, policy="${var.viewer_policy}"))
    assert flows(result) == {
        ("internet", DIST, "https", 443, "called"),
        (DIST, BUCKET, "https", 443, "called"),
    }
    assert flow_tls(result)[ORIGIN] is None
    assert summary(f for f in result.findings if f.rule == "TM-TLS-001") == set()


def test_disabled_distribution_serves_nobody(tf_repo: TfRepo) -> None:
    for enabled in ("false", "var.enabled"):
        result = scan(cdn_repo(tf_repo, enabled=enabled, policy="allow-all"))
        assert flows(result) == {(DIST, BUCKET, "https", 443, "called")}
        assert summary(f for f in result.findings if f.rule == "TM-TLS-001") == set()


def test_literal_s3_domain_names_the_bucket(tf_repo: TfRepo) -> None:
    result = scan(cdn_repo(tf_repo, domain='"example-site.s3.eu-west-1.amazonaws.com"'))
    assert (DIST, BUCKET, "https", 443, "called") in flows(result)
    assert "external_origins" not in element(result, DIST[6:]).props


ORIGINS = """
resource "aws_lb" "api" {
  name               = "api"
  load_balancer_type = "application"
  internal           = true
  subnets            = [aws_subnet.private.id]
}

resource "aws_apigatewayv2_api" "events" {
  name          = "events"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "events" {
  api_id      = aws_apigatewayv2_api.events.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = 100
    throttling_burst_limit = 200
  }
}

variable "web_acl" {
  type = string
}

resource "aws_cloudfront_distribution" "app" {
  enabled    = true
  web_acl_id = var.web_acl

  origin {
    origin_id   = "alb"
    domain_name = aws_lb.api.dns_name

    custom_origin_config {
      http_port              = 8080
      https_port             = 8443
      origin_protocol_policy = "%(policy)s"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  origin {
    origin_id   = "events"
    domain_name = replace(aws_apigatewayv2_stage.events.invoke_url, "/^https?://([^/]*).*/", "$1")

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id       = "alb"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    viewer_protocol_policy = "%(viewer)s"
  }

  ordered_cache_behavior {
    path_pattern           = "/events/*"
    target_origin_id       = "events"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    viewer_protocol_policy = "allow-all"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
"""
APP_CDN = tf("aws_cloudfront_distribution.app")


@pytest.mark.parametrize(
    ("policy", "viewer", "alb_flow", "tls", "line"),
    [
        ("http-only", "https-only", ("http", 8080), False, 64),
        ("https-only", "allow-all", ("https", 8443), True, 57),
        ("match-viewer", "allow-all", ("https", 8443), None, 57),
        ("match-viewer", "https-only", ("https", 8443), True, 64),
    ],
)
def test_origin_protocol_policy_decides_origin_tls(
    tf_repo: TfRepo,
    policy: str,
    viewer: str,
    alb_flow: tuple[str, int],
    tls: bool | None,
    line: int,
) -> None:
    """Match-viewer is plaintext for HTTP viewers only of the behaviors routing to it."""
    result = scan(tf_repo({"cdn.tf": ORIGINS % {"policy": policy, "viewer": viewer}}))
    protocol, port = alb_flow
    alb, api = tf("aws_lb.api"), tf("aws_apigatewayv2_api.events")
    origin_flows = {f for f in flows(result) if f[0] == APP_CDN and f[1] != "internet"}
    assert origin_flows == {
        (APP_CDN, alb, protocol, port, "called"),
        (APP_CDN, api, "https", 443, "called"),  # stage invoke_url: the stage's API
    }
    assert flow_tls(result)[f"{APP_CDN}->{alb}:{protocol}/{port}"] is tls
    # web_acl_id from a variable with no value: whether a WAF is attached is unknown.
    assert "waf" not in element(result, "aws_cloudfront_distribution.app").props
    # An allow-all behavior anywhere serves content on port 80: the rule fires there.
    assert summary(f for f in result.findings if f.rule == "TM-TLS-001") == {
        ("TM-TLS-001", "aws_cloudfront_distribution.app", "cdn.tf", line, "high")
    }
