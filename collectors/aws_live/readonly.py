"""Read-only by construction: a botocore hook that refuses every operation but the reads
tmscan makes.

Registered on the session's event system, so every client made from the session (and
the credential providers' own STS clients) is guarded before a request is built.
"""

from __future__ import annotations

from typing import Any

from scanner.errors import CollectorError


def _ops(service: str, names: str) -> set[str]:
    return {f"{service}:{name}" for name in names.split()}


# Exactly the operations the service modules call (tests/collectors/aws_live/
# test_docs_permissions.py keeps this, the code and the documented policy in step).
READS = frozenset(
    _ops("sts", "GetCallerIdentity")
    | _ops(
        "ec2",
        "DescribeRegions DescribeVpcs DescribeSubnets DescribeInternetGateways "
        "DescribeRouteTables DescribeSecurityGroups DescribeNetworkAcls DescribeVpcEndpoints "
        "DescribeNatGateways DescribeVpcPeeringConnections DescribeFlowLogs DescribeInstances",
    )
    | _ops(
        "elbv2",
        "DescribeLoadBalancers DescribeLoadBalancerAttributes DescribeListeners DescribeRules "
        "DescribeTargetGroups DescribeTargetHealth",
    )
    | _ops("elb", "DescribeLoadBalancers DescribeLoadBalancerAttributes")
    | _ops(
        "apigateway",
        "GetRestApis GetStages GetResources GetAuthorizers GetUsagePlans GetDomainNames "
        "GetBasePathMappings",
    )
    | _ops(
        "apigatewayv2",
        "GetApis GetStages GetIntegrations GetAuthorizers GetDomainNames GetApiMappings",
    )
    | _ops("wafv2", "ListWebACLs ListResourcesForWebACL")
    | _ops("lambda", "ListFunctions ListFunctionUrlConfigs GetPolicy")
    | _ops(
        "ecs",
        "ListClusters DescribeClusters ListServices DescribeServices DescribeTaskDefinition",
    )
    | _ops("eks", "ListClusters DescribeCluster ListNodegroups DescribeNodegroup")
    | _ops("iam", "GetAccountAuthorizationDetails ListInstanceProfiles")
    | _ops("cloudtrail", "DescribeTrails GetTrailStatus")
    | _ops(
        "s3",
        "ListBuckets GetBucketLocation GetPublicAccessBlock GetBucketPolicy "
        "GetBucketPolicyStatus GetBucketAcl GetBucketOwnershipControls GetBucketEncryption "
        "GetBucketLogging GetBucketVersioning",
    )
    | _ops("s3control", "GetPublicAccessBlock")
    | _ops("rds", "DescribeDBInstances DescribeDBClusters DescribeDBSubnetGroups")
    | _ops("redshift", "DescribeClusters DescribeClusterSubnetGroups")
    | _ops(
        "elasticache",
        "DescribeReplicationGroups DescribeCacheClusters DescribeCacheSubnetGroups",
    )
    | _ops("opensearch", "ListDomainNames DescribeDomains")
    | _ops("dynamodb", "ListTables DescribeTable DescribeContinuousBackups")
    | _ops("sqs", "ListQueues GetQueueAttributes")
    | _ops("sns", "ListTopics GetTopicAttributes ListSubscriptions")
    | _ops("secretsmanager", "ListSecrets GetResourcePolicy")
    | _ops("kms", "ListKeys DescribeKey GetKeyRotationStatus GetKeyPolicy ListAliases")
)
# What botocore itself calls for the scan: credentials (assumed roles, web identity for
# IRSA and CI OIDC, SSO) and S3's region redirects.
INFRASTRUCTURE = frozenset(
    _ops("sts", "AssumeRole AssumeRoleWithWebIdentity AssumeRoleWithSAML")
    | _ops("sso", "GetRoleCredentials")
    | _ops("sso-oidc", "CreateToken")
    | _ops("s3", "HeadBucket")
)


class ReadOnlyViolation(CollectorError):
    """Something tried to call an AWS operation that is not a read."""


def is_read(service: str, operation: str) -> bool:
    """Whether tmscan may call `operation` of `service` (boto3's client name, e.g. "ec2"):
    only the reads it is built to make, never anything else (a read of data or secrets
    such as GetSecretValue or GetObject included), whatever its name."""
    name = f"{service}:{operation}"
    return name in READS or name in INFRASTRUCTURE


def refuse_writes(model: Any = None, **_: Any) -> None:
    """The `before-parameter-build` handler: raise unless the operation is a read."""
    if model is None:
        return
    service = str(model.service_model.service_name)
    if not is_read(service, str(model.name)):
        raise ReadOnlyViolation(
            f"{service}:{model.name}: refused, tmscan only calls read operations"
        )


def guard(botocore_session: Any) -> None:
    """Install the read-only hook on a botocore session (idempotent)."""
    botocore_session.unregister("before-parameter-build", unique_id="tmscan-read-only")
    botocore_session.register("before-parameter-build", refuse_writes, unique_id="tmscan-read-only")
