"""The live edge module: load balancers, API Gateway and WAF read from moto, transformed
into the Terraform collector's records, and mapped into internet flows.

The account (eu-west-1): a shop VPC with public and private subnets holding
- "shop-web", an internet-facing ALB: HTTP:80 forwarding to the web instances
  (plaintext, seeded weakness) with one rule redirecting /account/* to HTTPS, and
  HTTPS:443 (weighted forward, TLS 1.3 policy); protected by the "shop-waf" web ACL;
- "orders-internal", an internal ALB with access logs: HTTP:8080 to an IP target group,
  a /hooks/* rule to a Lambda target group;
- "mqtt", an internet-facing NLB without security groups, TCP:1883 to an instance;
- "legacy", an internet-facing classic ELB, HTTP:80 to port 8080 of a web instance;
- "shop-api", a regional REST API: GET /orders (token authorizer and API key, Lambda
  proxy) and POST /orders (anonymous, HTTP proxy); stage "prod" throttled by its method
  settings, in a usage plan and behind the web ACL, stage "dev" explicitly unthrottled
  (-1, as Terraform writes it); a Cognito authorizer; custom domain api.example.com;
- "admin", a private REST API (IAM, mock integration), stage "live" without settings;
- "public-http", an HTTP API: Lambda and HTTP proxy integrations, a JWT authorizer,
  stage "$default" throttled by its default route settings, "beta" not; custom domain
  http.example.com/orders; and "chat", a WebSocket API.

Re-record from the repository root with `python -m tests.collectors.aws_live.test_edge`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields
from typing import Any

import pytest

from collectors.aws import records as r
from collectors.aws.mapping import to_fragment
from collectors.aws.record_base import Record
from collectors.aws.service_records import ApiDomainName, ApiMapping
from collectors.aws.services.edge import ApiAuthorizer, ClassicListener, ClassicLoadBalancer
from collectors.aws_live.api import Ledger, Where
from collectors.aws_live.records import WafAssociation
from collectors.aws_live.services import edge
from collectors.aws_live.services.edge_shared import integration_target, paged, throttles
from rules.engine import evaluate
from rules.rate_limit import ApiWithoutRateLimit
from rules.transport import PlaintextInternetListener
from scanner.graph import DFDGraph
from scanner.model import INTERNET_ID, Element, Evidence, Fragment

from .moto_env import ACCOUNT, MotoServer, record, recorded, recording, scan_api, setup_client

REGION = "eu-west-1"
WHERE = Where(ACCOUNT, REGION)
PREFIX = f"aws:{ACCOUNT}//"
GATEWAY = f"arn:aws:apigateway:{REGION}::"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function"
INVOKE = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_shop"
USER_POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_shop"


# --- the account --------------------------------------------------------------------


def build_state() -> dict[str, str]:
    """Create the account described in the module docstring; returns ids by name."""
    ids: dict[str, str] = {}
    _network(ids)
    _balancers(ids)
    _classic(ids)
    _rest_apis(ids)
    _http_apis(ids)
    _waf(ids)
    return ids


def _network(ids: dict[str, str]) -> None:
    ec2 = setup_client("ec2", REGION)
    ids["vpc"] = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, cidr, zone in (
        ("public-a", "10.0.1.0/24", "a"),
        ("public-b", "10.0.2.0/24", "b"),
        ("private-a", "10.0.3.0/24", "a"),
        ("private-b", "10.0.4.0/24", "b"),
    ):
        ids[name] = ec2.create_subnet(
            VpcId=ids["vpc"], CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
    for name in ("web-alb", "orders-alb"):
        ids[name] = ec2.create_security_group(GroupName=name, Description=name, VpcId=ids["vpc"])[
            "GroupId"
        ]
    for name, subnet in (("web-1", "private-a"), ("web-2", "private-b"), ("mqtt-1", "public-a")):
        ids[name] = ec2.run_instances(
            ImageId="ami-04dabd4f2cf1c43fb", MinCount=1, MaxCount=1, SubnetId=ids[subnet]
        )["Instances"][0]["InstanceId"]
    ids["cert"] = setup_client("acm", REGION).request_certificate(DomainName="shop.example.com")[
        "CertificateArn"
    ]


def _forward(tg: str) -> list[dict[str, Any]]:
    return [{"Type": "forward", "TargetGroupArn": tg}]


def _logs(elb: Any, lb: str, enabled: bool) -> None:
    attributes = [{"Key": "access_logs.s3.enabled", "Value": str(enabled).lower()}]
    if enabled:
        attributes.append({"Key": "access_logs.s3.bucket", "Value": "shop-elb-logs"})
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=attributes)


def _target_group(elb: Any, ids: dict[str, str], name: str, **kw: Any) -> str:
    ids[f"tg-{name}"] = elb.create_target_group(Name=name, **kw)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    return ids[f"tg-{name}"]


def _balancers(ids: dict[str, str]) -> None:
    elb = setup_client("elbv2", REGION)

    def balancer(name: str, subnets: list[str], **kw: Any) -> str:
        lb = elb.create_load_balancer(Name=name, Subnets=[ids[s] for s in subnets], **kw)
        ids[name] = lb["LoadBalancers"][0]["LoadBalancerArn"]
        return ids[name]

    def listener(lb: str, name: str, **kw: Any) -> str:
        ids[name] = elb.create_listener(LoadBalancerArn=lb, **kw)["Listeners"][0]["ListenerArn"]
        return ids[name]

    web = balancer(
        "shop-web",
        ["public-a", "public-b"],
        SecurityGroups=[ids["web-alb"]],
        Scheme="internet-facing",  # moto omits the Scheme it was not given
    )
    tg = _target_group(elb, ids, "web", Protocol="HTTP", Port=8080, VpcId=ids["vpc"])
    elb.register_targets(
        TargetGroupArn=tg, Targets=[{"Id": ids["web-1"], "Port": 8080}, {"Id": ids["web-2"]}]
    )
    http = listener(web, "web-http", Protocol="HTTP", Port=80, DefaultActions=_forward(tg))
    weighted = {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}]}
    listener(
        web,
        "web-https",
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": ids["cert"]}],
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        DefaultActions=[{"Type": "forward", "ForwardConfig": weighted}],
    )
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    ids["web-rule"] = elb.create_rule(
        ListenerArn=http,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "Values": ["/account/*"]}],
        Actions=[{"Type": "redirect", "RedirectConfig": redirect}],
    )["Rules"][0]["RuleArn"]
    _logs(elb, web, False)

    orders = balancer(
        "orders-internal",
        ["private-a", "private-b"],
        SecurityGroups=[ids["orders-alb"]],
        Scheme="internal",
    )
    tg = _target_group(
        elb, ids, "orders", Protocol="HTTP", Port=8080, VpcId=ids["vpc"], TargetType="ip"
    )
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.3.10", "Port": 8080}])
    hooks = _target_group(elb, ids, "hooks", TargetType="lambda")
    elb.register_targets(TargetGroupArn=hooks, Targets=[{"Id": f"{LAMBDA}:hooks"}])
    internal = listener(
        orders, "orders-http", Protocol="HTTP", Port=8080, DefaultActions=_forward(tg)
    )
    ids["orders-rule"] = elb.create_rule(
        ListenerArn=internal,
        Priority=5,
        Conditions=[{"Field": "path-pattern", "Values": ["/hooks/*"]}],
        Actions=_forward(hooks),
    )["Rules"][0]["RuleArn"]
    _logs(elb, orders, True)

    mqtt = balancer("mqtt", ["public-a"], Type="network", Scheme="internet-facing")
    tg = _target_group(elb, ids, "mqtt", Protocol="TCP", Port=1883, VpcId=ids["vpc"])
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": ids["mqtt-1"], "Port": 1883}])
    listener(mqtt, "mqtt-tcp", Protocol="TCP", Port=1883, DefaultActions=_forward(tg))
    _logs(elb, mqtt, False)


def _classic(ids: dict[str, str]) -> None:
    elb = setup_client("elb", REGION)
    elb.create_load_balancer(
        LoadBalancerName="legacy",
        Listeners=[
            {
                "Protocol": "HTTP",
                "LoadBalancerPort": 80,
                "InstanceProtocol": "HTTP",
                "InstancePort": 8080,
            }
        ],
        Subnets=[ids["public-a"]],
        SecurityGroups=[ids["web-alb"]],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="legacy", Instances=[{"InstanceId": ids["web-1"]}]
    )
    elb.modify_load_balancer_attributes(
        LoadBalancerName="legacy", LoadBalancerAttributes={"AccessLog": {"Enabled": False}}
    )


def _method(ag: Any, api: str, resource: str, verb: str, uri: str | None, **kw: Any) -> None:
    ag.put_method(restApiId=api, resourceId=resource, httpMethod=verb, **kw)
    if uri is None:
        ag.put_integration(restApiId=api, resourceId=resource, httpMethod=verb, type="MOCK")
        return
    kind = "AWS_PROXY" if uri.startswith("arn:") else "HTTP_PROXY"
    ag.put_integration(
        restApiId=api,
        resourceId=resource,
        httpMethod=verb,
        type=kind,
        integrationHttpMethod="POST",
        uri=uri,
    )


def _throttle(rate: str, burst: str) -> list[dict[str, str]]:
    return [
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst},
    ]


def _rest_apis(ids: dict[str, str]) -> None:
    ag = setup_client("apigateway", REGION)
    shop = ids["shop-api"] = ag.create_rest_api(
        name="shop-api", endpointConfiguration={"types": ["REGIONAL"]}
    )["id"]
    root = ag.get_resources(restApiId=shop)["items"][0]["id"]
    orders = ag.create_resource(restApiId=shop, parentId=root, pathPart="orders")["id"]
    ids["orders-resource"] = orders
    ids["token"] = ag.create_authorizer(
        restApiId=shop,
        name="token",
        type="TOKEN",
        authorizerUri=f"{INVOKE}/{LAMBDA}:authorize:live/invocations",
        identitySource="method.request.header.Authorization",
    )["id"]
    ids["cognito"] = ag.create_authorizer(
        restApiId=shop,
        name="cognito",
        type="COGNITO_USER_POOLS",
        providerARNs=[USER_POOL],
        identitySource="method.request.header.Authorization",
    )["id"]
    _method(
        ag,
        shop,
        orders,
        "GET",
        f"{INVOKE}/{LAMBDA}:orders/invocations",
        authorizationType="CUSTOM",
        authorizerId=ids["token"],
        apiKeyRequired=True,
    )
    _method(
        ag, shop, orders, "POST", "https://backend.example.com/orders", authorizationType="NONE"
    )
    deployment = ag.create_deployment(restApiId=shop, stageName="prod")["id"]
    ag.update_stage(restApiId=shop, stageName="prod", patchOperations=_throttle("100", "50"))
    ag.create_stage(restApiId=shop, stageName="dev", deploymentId=deployment)
    ag.update_stage(restApiId=shop, stageName="dev", patchOperations=_throttle("-1", "-1"))
    ids["gold"] = ag.create_usage_plan(
        name="gold",
        apiStages=[{"apiId": shop, "stage": "prod"}],
        throttle={"rateLimit": 10.0, "burstLimit": 5},
    )["id"]
    ag.create_domain_name(
        domainName="api.example.com",
        regionalCertificateArn=ids["cert"],
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    ag.create_base_path_mapping(domainName="api.example.com", restApiId=shop, stage="prod")
    ag.create_base_path_mapping(
        domainName="api.example.com", restApiId=shop, stage="dev", basePath="v2"
    )

    admin = ids["admin"] = ag.create_rest_api(
        name="admin", endpointConfiguration={"types": ["PRIVATE"]}
    )["id"]
    ids["admin-root"] = ag.get_resources(restApiId=admin)["items"][0]["id"]
    _method(ag, admin, ids["admin-root"], "GET", None, authorizationType="AWS_IAM")
    ag.create_deployment(restApiId=admin, stageName="live")


def _http_apis(ids: dict[str, str]) -> None:
    v2 = setup_client("apigatewayv2", REGION)
    api = ids["public-http"] = v2.create_api(Name="public-http", ProtocolType="HTTP")["ApiId"]
    ids["http-lambda"] = v2.create_integration(
        ApiId=api,
        IntegrationType="AWS_PROXY",
        IntegrationUri=f"{LAMBDA}:orders",
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    ids["http-proxy"] = v2.create_integration(
        ApiId=api,
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://legacy.example.com",
        IntegrationMethod="ANY",
    )["IntegrationId"]
    ids["jwt"] = v2.create_authorizer(
        ApiId=api,
        AuthorizerType="JWT",
        Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["shop"], "Issuer": ISSUER},
    )["AuthorizerId"]
    limits = {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 20}
    v2.create_stage(ApiId=api, StageName="$default", AutoDeploy=True, DefaultRouteSettings=limits)
    v2.create_stage(ApiId=api, StageName="beta")
    v2.create_domain_name(
        DomainName="http.example.com",
        DomainNameConfigurations=[{"CertificateArn": ids["cert"], "EndpointType": "REGIONAL"}],
    )
    ids["http-mapping"] = v2.create_api_mapping(
        DomainName="http.example.com", ApiId=api, Stage="$default", ApiMappingKey="orders"
    )["ApiMappingId"]
    chat = ids["chat"] = v2.create_api(
        Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    v2.create_stage(ApiId=chat, StageName="prod")


def _waf(ids: dict[str, str]) -> None:
    waf = setup_client("wafv2", REGION)
    ids["waf"] = waf.create_web_acl(
        Name="shop-waf",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": "shop-waf",
        },
        Rules=[],
    )["Summary"]["ARN"]
    for target in (ids["shop-web"], f"{GATEWAY}/restapis/{ids['shop-api']}/stages/prod"):
        waf.associate_web_acl(WebACLArn=ids["waf"], ResourceArn=target)


def as_aws_returns(raw: dict[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    """Hand-corrections of moto's responses to what AWS returns (applied before recording):

    - an NLB's ARNs say `net/` (moto: `app/` for every type);
    - HTTP and TCP listeners have no SslPolicy (moto gives every listener one);
    - a forward action naming one target group also has its ForwardConfig;
    - apigatewayv2 GetAuthorizers and wafv2 ListResourcesForWebACL are not implemented
      in moto (HTTP 500, so None): filled with what AWS returns for the state built;
    - custom domains are shared by both API Gateway APIs: apigatewayv2 also lists the
      REST API's domain with its mappings (moto keeps the two apart).
    """
    mqtt = ids["mqtt"].split("/")[-1]
    text = json.dumps(raw).replace(f"/app/mqtt/{mqtt}", f"/net/mqtt/{mqtt}")
    out: dict[str, Any] = json.loads(text)
    for listeners in out["elbv2"]["listeners"].values():
        for ls in listeners:
            if ls["Protocol"] in ("HTTP", "TCP"):
                ls.pop("SslPolicy", None)
            _with_forward_config(ls["DefaultActions"])
    for rules in out["elbv2"]["rules"].values():
        for rule in rules:
            _with_forward_config(rule["Actions"])
    http = out["apigatewayv2"]
    jwt = {
        "AuthorizerId": ids["jwt"],
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Audience": ["shop"], "Issuer": ISSUER},
        "Name": "jwt",
    }
    http["authorizers"] = {ids["public-http"]: [jwt], ids["chat"]: []}
    http["DomainNames"].insert(
        0,
        {
            "ApiMappingSelectionExpression": "$request.basepath",
            "DomainName": "api.example.com",
            "DomainNameConfigurations": [
                {"CertificateArn": ids["cert"], "EndpointType": "REGIONAL"}
            ],
        },
    )
    http["mappings"]["api.example.com"] = [
        {"ApiId": ids["shop-api"], "ApiMappingId": "r00t1d", "Stage": "prod"},
        {"ApiId": ids["shop-api"], "ApiMappingId": "v2m4p1", "ApiMappingKey": "v2", "Stage": "dev"},
    ]
    stage = f"{GATEWAY}/restapis/{ids['shop-api']}/stages/prod"
    out["wafv2"]["resources"][ids["waf"]] = {
        "APPLICATION_LOAD_BALANCER": [ids["shop-web"]],
        "API_GATEWAY": [stage],
    }
    return out


def _with_forward_config(actions: list[dict[str, Any]]) -> None:
    for a in actions:
        if a["Type"] == "forward" and "TargetGroupArn" in a and "ForwardConfig" not in a:
            a["ForwardConfig"] = {
                "TargetGroups": [{"TargetGroupArn": a["TargetGroupArn"], "Weight": 1}],
                "TargetGroupStickinessConfig": {"Enabled": False},
            }


# --- 1. reading moto ----------------------------------------------------------------


def _scan(ledger: Ledger) -> dict[str, Any]:
    apis = {c: scan_api(c, REGION, ledger) for c in edge.CLIENTS}
    for api in apis.values():
        api.client.meta.events.register("before-call", ledger.count)  # count every request
    return edge.read(apis)


@pytest.fixture
def fast_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers HTTP 500 to operations it lacks: do not retry them for seconds."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.usefixtures("fast_failures")
def test_read_returns_every_edge_service_through_reads_only(aws: MotoServer) -> None:
    ids = build_state()
    ledger = Ledger()
    raw = _scan(ledger)

    assert all(op.split(":")[1].startswith(("Describe", "Get", "List")) for op in ledger.calls)
    elbv2 = raw["elbv2"]
    lbs = {lb["LoadBalancerName"]: lb for lb in elbv2["LoadBalancers"]}
    assert set(lbs) == {"shop-web", "orders-internal", "mqtt"}
    web = lbs["shop-web"]
    assert (web["Scheme"], web["Type"], web["SecurityGroups"]) == (
        "internet-facing",
        "application",
        [ids["web-alb"]],
    )
    assert [z["SubnetId"] for z in web["AvailabilityZones"]] == [ids["public-a"], ids["public-b"]]
    assert {"Key": "access_logs.s3.enabled", "Value": "true"} in elbv2["attributes"][
        ids["orders-internal"]
    ]
    listeners = {ls["Port"]: ls for ls in elbv2["listeners"][ids["shop-web"]]}
    assert listeners[80]["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": ids["tg-web"]}]
    assert listeners[443]["Certificates"] == [{"CertificateArn": ids["cert"]}]
    assert listeners[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    rules = elbv2["rules"][ids["web-http"]]
    assert [(x["Priority"], x["IsDefault"]) for x in rules] == [("10", False), ("default", True)]
    assert rules[0]["Actions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    targets = {t["Target"]["Id"]: t["Target"].get("Port") for t in elbv2["health"][ids["tg-web"]]}
    assert targets == {ids["web-1"]: 8080, ids["web-2"]: 8080}  # the group's port by default
    assert elbv2["health"][ids["tg-hooks"]][0]["Target"] == {"Id": f"{LAMBDA}:hooks"}

    classic = raw["elb"]["LoadBalancerDescriptions"][0]
    assert classic["Instances"] == [{"InstanceId": ids["web-1"]}]
    assert raw["elb"]["attributes"]["legacy"]["AccessLog"]["Enabled"] is False

    rest = raw["apigateway"]
    stages = {s["stageName"]: s for s in rest["stages"][ids["shop-api"]]}
    assert stages["prod"]["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert stages["dev"]["methodSettings"]["*/*"]["throttlingRateLimit"] == -1.0
    assert stages["prod"]["webAclArn"] == ids["waf"]
    orders = next(x for x in rest["resources"][ids["shop-api"]] if x.get("path") == "/orders")
    get = orders["resourceMethods"]["GET"]
    assert (get["authorizationType"], get["apiKeyRequired"]) == ("CUSTOM", True)
    assert get["methodIntegration"]["uri"] == f"{INVOKE}/{LAMBDA}:orders/invocations"
    assert [a["name"] for a in rest["authorizers"][ids["shop-api"]]] == ["token", "cognito"]
    assert rest["UsagePlans"][0]["throttle"] == {"burstLimit": 5, "rateLimit": 10.0}
    assert rest["mappings"]["api.example.com"][0]["basePath"] == "(none)"

    http = raw["apigatewayv2"]
    stages = {s["StageName"]: s for s in http["stages"][ids["public-http"]]}
    assert stages["$default"]["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50.0
    assert "ThrottlingRateLimit" not in stages["beta"]["DefaultRouteSettings"]
    assert http["mappings"]["http.example.com"][0]["ApiMappingKey"] == "orders"
    assert [a["Name"] for a in raw["wafv2"]["WebACLs"]] == ["shop-waf"]

    # What moto does not implement comes back unknown, with a diagnostic each.
    assert http["authorizers"] == {ids["public-http"]: None, ids["chat"]: None}
    assert raw["wafv2"]["resources"][ids["waf"]] == {
        "APPLICATION_LOAD_BALANCER": None,
        "API_GATEWAY": None,
    }
    assert sorted({f[1:3] for f in ledger.failures}) == [
        ("apigatewayv2", "GetAuthorizers"),
        ("wafv2", "ListResourcesForWebACL"),
    ]


@pytest.mark.usefixtures("fast_failures")
def test_a_failed_call_is_none_and_the_rest_is_still_read(aws: MotoServer) -> None:
    ids = build_state()
    apis = {c: scan_api(c, REGION) for c in edge.CLIENTS}
    real = apis["elbv2"].items

    def failing(operation: str, key: str, **kw: Any) -> list[Any] | None:
        return None if operation == "DescribeListeners" else real(operation, key, **kw)

    apis["elbv2"].items = failing  # type: ignore[method-assign]
    raw = edge.read(apis)["elbv2"]
    assert raw["listeners"] == {
        ids["shop-web"]: None,
        ids["orders-internal"]: None,
        ids["mqtt"]: None,
    }
    assert raw["rules"] == {}
    assert len(raw["TargetGroups"]) == 4


class _Pages:
    """An Api stand-in answering from canned pages (the boto3-unpaginated operations)."""

    def __init__(self, pages: list[dict[str, Any] | None]) -> None:
        self.pages = pages
        self.params: list[dict[str, Any]] = []

    def call(self, operation: str, **params: Any) -> dict[str, Any] | None:
        self.params.append(params)
        return self.pages[len(self.params) - 1]


def test_paged_follows_the_token_and_a_failed_page_is_unknown() -> None:
    api = _Pages([{"Items": [1], "NextToken": "t2"}, {"Items": [2, 3]}])
    assert paged(api, "GetApiMappings", "Items", "NextToken", DomainName="d") == [1, 2, 3]  # type: ignore[arg-type]
    assert api.params == [{"DomainName": "d"}, {"DomainName": "d", "NextToken": "t2"}]
    failing = _Pages([{"WebACLs": [1], "NextMarker": "m"}, None])
    assert paged(failing, "ListWebACLs", "WebACLs", "NextMarker") is None  # type: ignore[arg-type]


# --- 2. transforms of the recorded responses -----------------------------------------


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return recorded("edge")


@pytest.fixture(scope="module")
def ids(raw: dict[str, Any]) -> dict[str, str]:
    """Ids and ARNs of the recorded resources by name."""
    elbv2 = raw["elbv2"]
    out = {lb["LoadBalancerName"]: lb["LoadBalancerArn"] for lb in elbv2["LoadBalancers"]}
    out |= {f"tg-{g['TargetGroupName']}": g["TargetGroupArn"] for g in elbv2["TargetGroups"]}
    for lb, listeners in elbv2["listeners"].items():
        for ls in listeners:
            name = {v: k for k, v in out.items()}[lb]
            out[f"{name}:{ls['Port']}"] = ls["ListenerArn"]
    web = next(lb for lb in elbv2["LoadBalancers"] if lb["LoadBalancerName"] == "shop-web")
    internal = next(lb for lb in elbv2["LoadBalancers"] if lb["LoadBalancerName"] != "shop-web")
    out["public-a"], out["public-b"] = (z["SubnetId"] for z in web["AvailabilityZones"])
    out["web-alb"] = web["SecurityGroups"][0]
    out["vpc"] = web["VpcId"]
    out["private-a"] = internal["AvailabilityZones"][0]["SubnetId"]
    web_targets = [t["Target"]["Id"] for t in elbv2["health"][out["tg-web"]]]
    out["mqtt-1"] = elbv2["health"][out["tg-mqtt"]][0]["Target"]["Id"]
    out["web-1"] = raw["elb"]["LoadBalancerDescriptions"][0]["Instances"][0]["InstanceId"]
    out["web-2"] = next(t for t in web_targets if t != out["web-1"])
    out |= {a["name"]: a["id"] for a in raw["apigateway"]["RestApis"]}
    out |= {a["Name"]: a["ApiId"] for a in raw["apigatewayv2"]["Apis"]}
    out["waf"] = raw["wafv2"]["WebACLs"][0]["ARN"]
    return out


@pytest.fixture(scope="module")
def built(raw: dict[str, Any]) -> list[Record]:
    return edge.transform(raw, WHERE)


def ev(arn: str, detail: str | None = None) -> Evidence:
    return WHERE.evidence(arn, detail=detail)


def of(built: Iterable[Record], kind: type[Any]) -> dict[str, Any]:
    return {x.ref: x for x in built if type(x) is kind}


def test_load_balancers(built: list[Record], ids: dict[str, str]) -> None:
    web = ids["shop-web"]
    lbs = of(built, r.LoadBalancer)
    assert lbs[web] == r.LoadBalancer(
        web,
        web,
        ev(web),
        key="elasticloadbalancing:loadbalancer:shop-web",
        name="shop-web",
        lb_type="application",
        internal=False,
        subnets=(ids["public-a"], ids["public-b"]),
        security_groups=(ids["web-alb"],),
        access_logging=False,
    )
    internal = lbs[ids["orders-internal"]]
    assert (internal.internal, internal.access_logging) == (True, True)
    mqtt = lbs[ids["mqtt"]]
    assert (mqtt.lb_type, mqtt.internal, mqtt.security_groups) == ("network", False, ())
    assert ":loadbalancer/net/mqtt/" in mqtt.ref


def test_listeners_and_rules(built: list[Record], ids: dict[str, str]) -> None:
    listeners = of(built, r.Listener)
    http, https = ids["shop-web:80"], ids["shop-web:443"]
    forward_web = r.Action("forward", target_groups=(ids["tg-web"],))
    assert listeners[http] == r.Listener(
        http,
        http,
        ev(http),
        load_balancer=ids["shop-web"],
        port=80,
        protocol="HTTP",
        actions=(forward_web,),
        certificate=False,
        ssl_policy=None,
    )
    assert listeners[https] == r.Listener(
        https,
        https,
        ev(https),
        load_balancer=ids["shop-web"],
        port=443,
        protocol="HTTPS",
        actions=(forward_web,),
        certificate=True,
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
    )
    assert listeners[ids["mqtt:1883"]].protocol == "TCP"
    rules = of(built, r.ListenerRule)
    assert len(rules) == 2  # the default rules are the listeners' default actions
    [web_rule] = [x for x in rules.values() if x.listener == http]
    assert web_rule == r.ListenerRule(
        web_rule.ref,
        web_rule.ref,
        ev(web_rule.ref),
        listener=http,
        actions=(r.Action("redirect", redirect_protocol="HTTPS"),),
    )
    [hooks] = [x for x in rules.values() if x.listener == ids["orders-internal:8080"]]
    assert hooks.actions == (r.Action("forward", target_groups=(ids["tg-hooks"],)),)


def test_target_groups_and_registered_targets(built: list[Record], ids: dict[str, str]) -> None:
    groups = of(built, r.TargetGroup)
    web = ids["tg-web"]
    assert groups[web] == r.TargetGroup(web, web, ev(web), port=8080, protocol="HTTP")
    assert (groups[ids["tg-orders"]].target_type, groups[ids["tg-orders"]].port) == ("ip", 8080)
    assert (groups[ids["tg-hooks"]].target_type, groups[ids["tg-hooks"]].port) == ("lambda", None)
    attachments = of(built, r.TargetAttachment)
    one = f"{web}#target:{ids['web-1']}:8080"
    assert attachments[one] == r.TargetAttachment(
        one,
        one,
        ev(web, f"target:{ids['web-1']}:8080"),
        target_group=web,
        target=ids["web-1"],
        port=8080,
    )
    by_group = {(a.target_group, a.target, a.port) for a in attachments.values()}
    assert by_group == {
        (web, ids["web-1"], 8080),
        (web, ids["web-2"], 8080),
        (ids["tg-orders"], "10.0.3.10", 8080),
        (ids["tg-hooks"], f"{LAMBDA}:hooks", None),
        (ids["tg-mqtt"], ids["mqtt-1"], 1883),
    }


def test_classic_load_balancer(built: list[Record], ids: dict[str, str]) -> None:
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/legacy"
    assert of(built, ClassicLoadBalancer)[arn] == ClassicLoadBalancer(
        arn,
        arn,
        ev(arn),
        key="elb:loadbalancer:legacy",
        name="legacy",
        internal=False,
        subnets=(ids["public-a"],),
        security_groups=(ids["web-alb"],),
        listeners=(ClassicListener(80, "HTTP", 8080, "HTTP", ev(arn, "listener HTTP:80")),),
        instances=(ids["web-1"],),
        access_logging=False,
    )


def test_rest_apis_and_stages(built: list[Record], ids: dict[str, str]) -> None:
    shop = f"{GATEWAY}/restapis/{ids['shop-api']}"
    admin = f"{GATEWAY}/restapis/{ids['admin']}"
    apis = of(built, r.RestApi)
    assert apis[shop] == r.RestApi(
        shop, shop, ev(shop), name="shop-api", endpoint_types=("REGIONAL",)
    )
    assert apis[admin].endpoint_types == ("PRIVATE",)
    stages = of(built, r.ApiStage)
    prod = f"{shop}/stages/prod"
    deployment = next(s for s in built if isinstance(s, r.ApiStage) and s.ref == prod).deployment
    assert stages[prod] == r.ApiStage(
        prod, prod, ev(prod), api=shop, name="prod", deployment=deployment
    )
    assert deployment is not None and deployment.startswith(f"{shop}/deployments/")
    assert stages[f"{admin}/stages/live"].throttled is None  # REST: decided by the mapping
    settings = of(built, r.MethodSettings)
    assert settings[f"{prod}#methodSettings:*/*"] == r.MethodSettings(
        f"{prod}#methodSettings:*/*",
        f"{prod}#methodSettings:*/*",
        ev(prod, "methodSettings:*/*"),
        api=shop,
        stage="prod",
        method_path="*/*",
        throttled=True,
    )
    assert settings[f"{shop}/stages/dev#methodSettings:*/*"].throttled is False  # -1
    assert not [s for s in settings.values() if s.api == admin]
    waf = [w for w in built if isinstance(w, WafAssociation)]
    assert {w.target for w in waf} == {ids["shop-web"], prod}
    assert len(waf) == 2  # the stage's webAclArn and WAF's list say it once


def test_rest_methods_integrations_and_authorizers(
    built: list[Record], ids: dict[str, str]
) -> None:
    shop = f"{GATEWAY}/restapis/{ids['shop-api']}"
    methods = {(m.api, m.http_method): m for m in of(built, r.ApiMethod).values()}
    get = methods[(shop, "GET")]
    assert get == r.ApiMethod(
        get.ref, get.ref, ev(get.ref, "GET /orders"), api=shop, http_method="GET",
        authorization="CUSTOM", api_key_required=True,
    )  # fmt: skip
    assert get.ref.startswith(f"{shop}/resources/") and get.ref.endswith("/methods/GET")
    post = methods[(shop, "POST")]
    assert (post.authorization, post.api_key_required) == ("NONE", False)
    admin = f"{GATEWAY}/restapis/{ids['admin']}"
    assert methods[(admin, "GET")].authorization == "AWS_IAM"
    integrations = of(built, r.ApiIntegration)
    assert integrations[f"{get.ref}/integration"] == r.ApiIntegration(
        f"{get.ref}/integration",
        f"{get.ref}/integration",
        ev(f"{get.ref}/integration", "GET /orders"),
        api=shop,
        target=f"{LAMBDA}:orders",
    )
    proxy = integrations[f"{post.ref}/integration"]
    assert (proxy.target, proxy.uri) == (None, "https://backend.example.com/orders")
    mock = integrations[f"{methods[(admin, 'GET')].ref}/integration"]
    assert (mock.target, mock.uri) == (None, None)
    authorizers = {a.name: a for a in of(built, ApiAuthorizer).values()}
    token = authorizers["token"]
    assert token == ApiAuthorizer(
        token.ref, token.ref, ev(token.ref), api=shop, name="token", type="TOKEN",
        function=f"{LAMBDA}:authorize",  # the alias qualifier dropped: the function's ref
    )  # fmt: skip
    assert (authorizers["cognito"].type, authorizers["cognito"].user_pools) == (
        "COGNITO_USER_POOLS",
        (USER_POOL,),
    )


def test_usage_plans_domains_and_mappings(built: list[Record], ids: dict[str, str]) -> None:
    shop = f"{GATEWAY}/restapis/{ids['shop-api']}"
    http = f"{GATEWAY}/apis/{ids['public-http']}"
    [plan] = of(built, r.UsagePlan).values()
    assert plan == r.UsagePlan(
        plan.ref, plan.ref, ev(plan.ref), stages=((shop, "prod"),), throttled=True
    )
    assert plan.ref.startswith(f"{GATEWAY}/usageplans/")
    domains = of(built, ApiDomainName)
    api_domain = f"{GATEWAY}/domainnames/api.example.com"
    assert domains[api_domain] == ApiDomainName(
        api_domain, api_domain, ev(api_domain), domain="api.example.com"
    )
    assert len(domains) == 2  # listed by both APIs, recorded once
    mappings = {(m.api, m.domain, m.base_path) for m in of(built, ApiMapping).values()}
    assert mappings == {
        (shop, "api.example.com", ""),
        (shop, "api.example.com", "v2"),
        (http, "http.example.com", "orders"),
    }
    root = of(built, ApiMapping)[f"{api_domain}/basepathmappings/(none)"]
    assert root.domain_ref == api_domain


def test_http_apis(built: list[Record], ids: dict[str, str]) -> None:
    http = f"{GATEWAY}/apis/{ids['public-http']}"
    apis = of(built, r.HttpApi)
    assert apis[http] == r.HttpApi(http, http, ev(http), name="public-http", protocol_type="HTTP")
    assert apis[f"{GATEWAY}/apis/{ids['chat']}"].protocol_type == "WEBSOCKET"
    stages = of(built, r.ApiStage)
    default = f"{http}/stages/$default"
    assert stages[default] == r.ApiStage(
        default,
        default,
        ev(default),
        api=http,
        name="$default",
        throttled=True,
        throttle_evidence=ev(default, "DefaultRouteSettings"),
    )
    assert stages[f"{http}/stages/beta"].throttled is False
    integrations = {i.ref.rsplit("/", 1)[-1]: i for i in of(built, r.ApiIntegration).values()}
    lambda_integ = next(i for i in integrations.values() if i.api == http and i.target)
    assert lambda_integ.target == f"{LAMBDA}:orders"
    proxy = next(i for i in integrations.values() if i.api == http and not i.target)
    assert proxy.uri == "https://legacy.example.com"
    [jwt] = [a for a in of(built, ApiAuthorizer).values() if a.api == http]
    assert jwt == ApiAuthorizer(
        jwt.ref, jwt.ref, ev(jwt.ref), api=http, name="jwt", type="JWT", issuer=ISSUER
    )


def test_unread_parts_give_unknown_facts_not_false(
    raw: dict[str, Any], ids: dict[str, str]
) -> None:
    broken = copy.deepcopy(raw)
    broken["elbv2"]["attributes"] = {k: None for k in broken["elbv2"]["attributes"]}
    broken["elb"]["attributes"]["legacy"] = None
    stage = broken["apigateway"]["stages"][ids["shop-api"]][0]
    stage["methodSettings"]["*/*"]["throttlingRateLimit"] = "100"  # not a number
    broken["apigateway"]["RestApis"][0]["endpointConfiguration"] = {}
    broken["apigateway"]["UsagePlans"] = None
    broken["apigateway"]["resources"][ids["shop-api"]] = None
    broken["apigatewayv2"]["stages"][ids["public-http"]][0]["DefaultRouteSettings"] = {
        "ThrottlingRateLimit": None
    }
    built = edge.transform(broken, WHERE)
    assert {lb.access_logging for lb in of(built, r.LoadBalancer).values()} == {None}
    assert [lb.access_logging for lb in of(built, ClassicLoadBalancer).values()] == [None]
    settings = [s for s in of(built, r.MethodSettings).values() if s.stage == stage["stageName"]]
    assert [s.throttled for s in settings] == [None]
    shop = f"{GATEWAY}/restapis/{broken['apigateway']['RestApis'][0]['id']}"
    assert of(built, r.RestApi)[shop].endpoint_types == ("?",)
    # Unread usage plans may throttle any REST stage: one plan of unknown limits covers them.
    (plan,) = of(built, r.UsagePlan).values()
    assert plan.ref == f"{GATEWAY}/usageplans"
    assert plan.throttled is None
    assert sorted(s for _, s in plan.stages) == sorted(
        x.name for x in of(built, r.ApiStage).values() if "/restapis/" in x.ref and x.name
    )
    assert not [m for m in of(built, r.ApiMethod).values() if m.api.endswith(ids["shop-api"])]
    http = f"{GATEWAY}/apis/{ids['public-http']}/stages/$default"
    assert of(built, r.ApiStage)[http].throttled is None
    # Everything failed: no records, no exception.
    assert edge.transform({}, WHERE) == []
    nothing = {"elbv2": {"LoadBalancers": None, "TargetGroups": None}, "wafv2": None}
    assert edge.transform(nothing, WHERE) == []


def test_http_stage_route_throttling_and_uri_targets() -> None:
    assert throttles({"ThrottlingRateLimit": 0}, "ThrottlingRateLimit") is True  # blocks all
    assert throttles({"ThrottlingRateLimit": -1.0}, "ThrottlingRateLimit") is False
    assert throttles(None, "ThrottlingRateLimit") is False
    assert throttles({"ThrottlingRateLimit": True}, "ThrottlingRateLimit") is None
    raw = {
        "Apis": [{"ApiId": "a1", "Name": "x", "ProtocolType": "HTTP"}],
        "stages": {
            "a1": [
                {"StageName": "per-route", "RouteSettings": {"GET /x": {"ThrottlingRateLimit": 5}}},
                {"StageName": "logs-only", "RouteSettings": {"GET /x": {"LoggingLevel": "INFO"}}},
            ]
        },
    }
    stages = of(edge.transform({"apigatewayv2": raw}, WHERE), r.ApiStage)
    assert stages[f"{GATEWAY}/apis/a1/stages/per-route"].throttled is None
    assert stages[f"{GATEWAY}/apis/a1/stages/logs-only"].throttled is False
    listener = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/app/x/1/2"
    assert integration_target(listener) == (listener, None)  # a private integration
    assert integration_target(f"{INVOKE}/{LAMBDA}:${{stageVariables.fn}}/invocations") == (
        None,
        f"{INVOKE}/{LAMBDA}:${{stageVariables.fn}}/invocations",
    )
    assert integration_target(f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/orders-queue") == (
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders-queue",
        None,
    )
    assert integration_target(f"arn:aws:apigateway:{REGION}:s3:path/assets/{{key}}") == (
        "arn:aws:s3:::assets",
        None,
    )


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON document (to replace with something malformed)."""
    yield path
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _mutations(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _mutations(v, (*path, i))


def _replaced(doc: Any, path: tuple[Any, ...], junk: Any) -> Any:
    if not path:
        return junk
    out = copy.copy(doc)
    out[path[0]] = _replaced(doc[path[0]], path[1:], junk)
    return out


def test_malformed_responses_never_raise(raw: dict[str, Any]) -> None:
    """The transform is total: any value anywhere replaced by junk gives records."""
    for path in _mutations(raw):
        for junk in (None, "x", 7, True, [], {}, [None]):
            edge.transform(_replaced(raw, path, junk), WHERE)


# --- 3. the shared mapping -------------------------------------------------------------

_FIELDS = {
    r.Vpc: "vpcs",
    r.Subnet: "subnets",
    r.InternetGateway: "internet_gateways",
    r.RouteTable: "route_tables",
    r.RouteTableAssociation: "route_table_associations",
    r.SecurityGroup: "security_groups",
    r.Instance: "instances",
    r.LambdaFunction: "functions",
    r.LoadBalancer: "load_balancers",
    r.Listener: "listeners",
    r.ListenerRule: "listener_rules",
    r.TargetGroup: "target_groups",
    r.TargetAttachment: "target_attachments",
    r.RestApi: "rest_apis",
    r.HttpApi: "http_apis",
    r.ApiStage: "api_stages",
    r.ApiMethod: "api_methods",
    r.MethodSettings: "method_settings",
    r.UsagePlan: "usage_plans",
    r.ApiIntegration: "api_integrations",
}


def inventory(built: Iterable[Any], rules: Iterable[r.SecurityGroupRule]) -> r.Inventory:
    """The Inventory the collector would fill: core types to their fields, WAF
    associations to `waf_protected`, the rest (family records) to `extra`."""
    assert {f.name for f in fields(r.Inventory)} >= set(_FIELDS.values())
    by_field: dict[str, list[Any]] = {"security_group_rules": list(rules)}
    for rec in built:
        if isinstance(rec, WafAssociation):
            by_field.setdefault("waf_protected", []).append(rec.target)
        else:
            by_field.setdefault(_FIELDS.get(type(rec), "extra"), []).append(rec)
    return r.Inventory(
        **{k: tuple(v) for k, v in by_field.items()}, scope=f"aws {ACCOUNT}/{REGION}"
    )


def _network_records(ids: dict[str, str]) -> tuple[list[Any], list[r.SecurityGroupRule]]:
    """The network module's records of the VPC the edge resources live in (its refs:
    AWS ids): public subnets routed to an internet gateway, the web security group
    open to the world on 80 and 443, and the instances and functions behind the edge."""

    def rec(kind: type[Any], ref: str, **kw: Any) -> Any:
        arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind.__name__.lower()}/{ref}"
        return kind(ref, arn, ev(arn), **kw)

    vpc, igw = ids["vpc"], "igw-0shop"
    route = r.Route("0.0.0.0/0", "igw", igw, ev(f"arn:aws:ec2:{REGION}:{ACCOUNT}:rtb-public"))
    records: list[Any] = [
        rec(r.Vpc, vpc, cidr="10.0.0.0/16"),
        rec(r.Subnet, ids["public-a"], vpc=vpc, cidr="10.0.1.0/24"),
        rec(r.Subnet, ids["public-b"], vpc=vpc, cidr="10.0.2.0/24"),
        rec(r.Subnet, ids["private-a"], vpc=vpc, cidr="10.0.3.0/24"),
        rec(r.InternetGateway, igw, vpc=vpc),
        rec(r.RouteTable, "rtb-public", vpc=vpc, routes=(route,)),
        rec(r.RouteTable, "rtb-main", vpc=vpc, main=True),
        rec(
            r.RouteTableAssociation, "rtbassoc-a", subnet=ids["public-a"], route_table="rtb-public"
        ),
        rec(
            r.RouteTableAssociation, "rtbassoc-b", subnet=ids["public-b"], route_table="rtb-public"
        ),
        rec(r.SecurityGroup, ids["web-alb"], vpc=vpc, name="web-alb"),
        rec(r.Instance, ids["web-1"], subnet=ids["private-a"], public_ip=False),
        rec(r.Instance, ids["web-2"], subnet=ids["private-a"], public_ip=False),
        rec(r.Instance, ids["mqtt-1"], subnet=ids["public-a"], public_ip=False),
    ]
    for name in ("orders", "hooks", "authorize"):
        arn = f"{LAMBDA}:{name}"
        records.append(r.LambdaFunction(arn, arn, ev(arn), name=name, in_vpc=False))
    rules = [
        r.SecurityGroupRule(ids["web-alb"], "ingress", "tcp", port, port, cidrs=("0.0.0.0/0",))
        for port in (80, 443)
    ]
    return records, rules


@pytest.fixture(scope="module")
def fragment(built: list[Record], ids: dict[str, str]) -> Fragment:
    records, rules = _network_records(ids)
    inv = inventory([*records, *built], rules)
    return to_fragment(inv, prefix=PREFIX, scope_name=f"AWS account {ACCOUNT}")


def _flows(frag: Fragment) -> dict[tuple[str, str, str, int | None], Any]:
    """Flows by (source ref, target ref, protocol, port)."""
    return {
        (f.source.removeprefix(PREFIX), f.target.removeprefix(PREFIX), f.protocol, f.port): f
        for f in frag.flows
    }


def test_mapping_internet_facing_alb_forwards_plain_http_to_the_web_instances(
    fragment: Fragment, ids: dict[str, str]
) -> None:
    els = {e.id.removeprefix(PREFIX): e for e in fragment.elements}
    web = els[ids["shop-web"]]
    assert (web.type, web.boundary) == ("load-balancer", f"{PREFIX}{ids['vpc']}/public")
    assert (web.fact("waf"), web.fact("internal"), web.fact("access_logging")) == (
        True,
        False,
        False,
    )
    parts = {p.name: p for p in web.parts}
    assert parts["HTTP:80"].fact("tls") is False
    assert parts["HTTP:80"].fact("redirects_to_https") is False  # only /account/* redirects
    assert parts["HTTPS:443"].fact("ssl_policy") == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    flows = _flows(fragment)
    plain = flows[("internet", ids["shop-web"], "http", 80)]
    assert (plain.basis, plain.tls) == ("called", False)
    assert flows[("internet", ids["shop-web"], "https", 443)].tls is True
    for instance in ("web-1", "web-2"):
        hop = flows[(ids["shop-web"], ids[instance], "http", 8080)]
        assert (hop.basis, hop.tls) == ("called", False)
    # An NLB without security groups admits everyone; the internal ALB no one outside.
    assert ("internet", ids["mqtt"], "tcp", 1883) in flows
    assert (ids["mqtt"], ids["mqtt-1"], "tcp", 1883) in flows
    assert not [k for k in flows if k[0] == "internet" and k[1] == ids["orders-internal"]]
    assert (ids["orders-internal"], f"{LAMBDA}:hooks", "tcp", None) in flows  # the /hooks rule
    legacy = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/legacy"
    assert ("internet", legacy, "http", 80) in flows
    assert (legacy, ids["web-1"], "http", 8080) in flows


def test_mapping_rest_stage_throttling_comes_from_its_method_settings(
    fragment: Fragment, ids: dict[str, str]
) -> None:
    shop = f"{GATEWAY}/restapis/{ids['shop-api']}"
    els = {e.id.removeprefix(PREFIX): e for e in fragment.elements}
    api = els[shop]
    assert (api.type, api.fact("internet_facing"), api.fact("endpoint_type")) == (
        "api-gateway",
        True,
        "REGIONAL",
    )
    assert api.fact("hosts") == "api.example.com,api.example.com/v2"
    stages = {p.name: p.fact("rate_limited") for p in api.parts}
    assert stages == {"prod": True, "dev": False}
    flows = _flows(fragment)
    entry = flows[("internet", shop, "https", 443)]
    assert (entry.rate_limited, entry.authn) == (False, None)  # dev is open; GET != POST
    assert (shop, f"{LAMBDA}:orders", "https", 443) in flows  # the Lambda proxy integration
    admin = els[f"{GATEWAY}/restapis/{ids['admin']}"]
    assert admin.fact("internet_facing") is False
    assert {p.name: p.fact("rate_limited") for p in admin.parts} == {"live": False}
    http = f"{GATEWAY}/apis/{ids['public-http']}"
    assert {p.name: p.fact("rate_limited") for p in els[http].parts} == {
        "$default": True,
        "beta": False,
    }
    assert els[http].fact("hosts") == "http.example.com/orders"
    assert (http, f"{LAMBDA}:orders", "https", 443) in flows


def test_mapping_drives_the_tls_and_rate_limit_rules_as_terraform_does(
    fragment: Fragment, ids: dict[str, str]
) -> None:
    """TM-TLS-001 on the plaintext listeners of internet-facing balancers, TM-RATE-001
    on the internet-facing stages nothing throttles."""
    internet = Element(INTERNET_ID, "external", "internet", "Internet", "internet")
    graph = DFDGraph([internet, *fragment.elements], fragment.flows, fragment.boundaries)
    found = evaluate(graph, [PlaintextInternetListener(), ApiWithoutRateLimit()])
    assert found.diagnostics == ()
    shop = f"{GATEWAY}/restapis/{ids['shop-api']}"
    http = f"{GATEWAY}/apis/{ids['public-http']}"
    chat = f"{GATEWAY}/apis/{ids['chat']}"
    legacy = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/legacy"
    assert {(f.rule, f.resource) for f in found.findings} == {
        ("TM-TLS-001", ids["shop-web:80"]),
        ("TM-TLS-001", legacy),
        ("TM-RATE-001", f"{shop}/stages/dev"),
        ("TM-RATE-001", f"{http}/stages/beta"),
        ("TM-RATE-001", f"{chat}/stages/prod"),
    }


# --- recording ---------------------------------------------------------------------------


if __name__ == "__main__":
    with recording(REGION, AWS_MAX_ATTEMPTS="1"):
        state = build_state()
        scanned = edge.read({c: scan_api(c, REGION) for c in edge.CLIENTS})
        record("edge", as_aws_returns(scanned, state))
