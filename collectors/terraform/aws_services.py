"""Terraform AWS compute, data, load-balancer and API resources to normalised records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.aws import records as r
from collectors.terraform import values as v
from collectors.terraform.blocks import Block
from collectors.terraform.evaluate import HOLE, Unknown

# Default ports by engine family (RDS engine names: postgres, aurora-postgresql,
# sqlserver-ee, oracle-se2, db2-ae, ...), matched by prefix.
_DB_PORTS = (
    ("aurora-postgresql", 5432),
    ("postgres", 5432),
    ("aurora", 3306),
    ("mysql", 3306),
    ("mariadb", 3306),
    ("oracle", 1521),
    ("custom-oracle", 1521),
    ("sqlserver", 1433),
    ("custom-sqlserver", 1433),
    ("db2", 50000),
)
_PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
_PUBLIC_CANNED = {"public-read", "public-read-write", "authenticated-read"}


# --- load balancers -------------------------------------------------------------------


def load_balancer(b: Block) -> r.LoadBalancer:
    subnets = list(v.refs(b.body.get("subnets")))
    subnets += [s for m in v.blocks(b.body, "subnet_mapping") if (s := v.ref(m.get("subnet_id")))]
    name = v.string(b.body.get("name"))
    return r.LoadBalancer(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("elasticloadbalancing", "loadbalancer", name),
        name=name,
        lb_type=v.string(b.body.get("load_balancer_type", "application")),
        # Provider default: internet-facing (internal = false).
        internal=v.boolean(b.body.get("internal", False)),
        subnets=tuple(dict.fromkeys(subnets)),
        security_groups=v.refs(b.body.get("security_groups")),
    )


def _actions(blocks: list[Mapping[str, Any]]) -> tuple[r.Action, ...]:
    out = []
    for a in blocks:
        groups = list(v.refs(a.get("target_group_arn")))
        for fwd in v.blocks(a, "forward"):
            groups += [g for tg in v.blocks(fwd, "target_group") if (g := v.ref(tg.get("arn")))]
        redirect = v.first_block(a, "redirect")
        out.append(
            r.Action(
                type=v.string(a.get("type")) or "?",
                target_groups=tuple(dict.fromkeys(groups)),
                redirect_protocol=(
                    (v.string(redirect.get("protocol", "#{protocol}")) or "?").upper()
                    if redirect is not None
                    else None
                ),
            )
        )
    return tuple(out)


def listener(b: Block) -> r.Listener:
    protocol = v.string(b.body.get("protocol", ""))  # "" = not stated: the LB type's default
    return r.Listener(
        b.address,
        b.address,
        b.evidence(),
        load_balancer=v.ref(b.body.get("load_balancer_arn")),
        port=v.integer(b.body.get("port")),
        protocol=protocol.upper() if protocol is not None else None,
        actions=_actions(v.blocks(b.body, "default_action")),
        certificate=True if b.body.get("certificate_arn") is not None else None,
        ssl_policy=v.string(b.body.get("ssl_policy")),
    )


def listener_rule(b: Block) -> r.ListenerRule:
    return r.ListenerRule(
        b.address,
        b.address,
        b.evidence(),
        listener=v.ref(b.body.get("listener_arn")),
        actions=_actions(v.blocks(b.body, "action")),
    )


def target_group(b: Block) -> r.TargetGroup:
    protocol = v.string(b.body.get("protocol"))
    return r.TargetGroup(
        b.address,
        b.address,
        b.evidence(),
        port=v.integer(b.body.get("port")),
        protocol=protocol.upper() if protocol else None,
        target_type=v.string(b.body.get("target_type", "instance")) or "instance",
    )


def target_attachment(b: Block) -> r.TargetAttachment:
    return r.TargetAttachment(
        b.address,
        b.address,
        b.evidence(),
        target_group=v.ref(b.body.get("target_group_arn")),
        target=v.ref(b.body.get("target_id")),
        port=v.integer(b.body.get("port")),
    )


# --- compute --------------------------------------------------------------------------


def instance(b: Block) -> r.Instance:
    user_data = [b.body.get("user_data"), b.body.get("user_data_base64")]
    return r.Instance(
        b.address,
        b.address,
        b.evidence(),
        subnet=v.ref(b.body.get("subnet_id")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        public_ip=v.boolean(b.body.get("associate_public_ip_address")),
        calls=tuple(dict.fromkeys(a for a, _ in v.refs_in(user_data))),
        instance_profile=v.ref(b.body.get("iam_instance_profile")),
    )


def lambda_function(b: Block) -> r.LambdaFunction:
    vpc_config = v.first_block(b.body, "vpc_config")
    env_refs: list[tuple[str, str]] = []
    env_values: list[tuple[str, str]] = []
    for env in v.blocks(b.body, "environment"):
        variables = env.get("variables")
        if not isinstance(variables, Mapping):
            # The whole map is unknown (a plan before apply): keep what it refers to.
            env_refs += [("environment", a) for a, _ in v.refs_in(variables)]
        else:
            for name, value in sorted(variables.items()):
                env_refs += [(name, a) for a, _ in v.refs_in(value)]
                if (text := v.string(value)) is not None:
                    env_values.append((name, text))
    name = v.string(b.body.get("function_name"))
    return r.LambdaFunction(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("lambda", "function", name),
        name=name,
        subnets=v.refs(vpc_config.get("subnet_ids")) if vpc_config else (),
        security_groups=v.refs(vpc_config.get("security_group_ids")) if vpc_config else (),
        in_vpc=vpc_config is not None,
        env_refs=tuple(env_refs),
        env_values=tuple(env_values),
        role=v.ref(b.body.get("role")),
    )


# --- databases ------------------------------------------------------------------------


def db_subnet_group(b: Block) -> r.DbSubnetGroup:
    return r.DbSubnetGroup(
        b.address,
        b.address,
        b.evidence(),
        name=v.string(b.body.get("name")),
        subnets=v.refs(b.body.get("subnet_ids")),
    )


def db_instance(b: Block) -> r.DbInstance:
    engine = v.string(b.body.get("engine"))
    port = v.integer(b.body.get("port"))
    if port is None and "port" not in b.body and engine:
        port = next((p for prefix, p in _DB_PORTS if engine.lower().startswith(prefix)), None)
    identifier = v.string(b.body.get("identifier"))
    return r.DbInstance(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("rds", "db-instance", identifier),
        identifier=identifier,
        engine=engine,
        port=port,
        # Provider defaults: not publicly accessible, storage not encrypted.
        publicly_accessible=v.boolean(b.body.get("publicly_accessible", False)),
        subnet_group=v.ref(b.body.get("db_subnet_group_name")),
        security_groups=v.refs(b.body.get("vpc_security_group_ids")),
        storage_encrypted=v.boolean(b.body.get("storage_encrypted", False)),
    )


# --- S3 -------------------------------------------------------------------------------


def bucket(b: Block) -> r.Bucket:
    name = v.string(b.body.get("bucket"))
    return r.Bucket(
        b.address,
        b.address,
        b.evidence(),
        key=v.asset_key("s3", "bucket", name),
        name=name,
        acl=v.string(b.body.get("acl")),
    )


def public_access_block(b: Block, account: bool) -> r.PublicAccessBlock:
    def flag(name: str) -> bool | None:
        return v.boolean(b.body.get(name, False))  # provider default: false

    return r.PublicAccessBlock(
        b.address,
        b.address,
        b.evidence(),
        account=account,
        bucket=None if account else v.ref(b.body.get("bucket")),
        block_public_acls=flag("block_public_acls"),
        ignore_public_acls=flag("ignore_public_acls"),
        block_public_policy=flag("block_public_policy"),
        restrict_public_buckets=flag("restrict_public_buckets"),
    )


def bucket_settings(b: Block) -> list[r.BucketSetting]:
    """Encryption, logging and versioning of a bucket: their own resources, or the
    deprecated inline blocks of `aws_s3_bucket` (the bucket itself is then `b`)."""
    bucket = b.address if b.type == "aws_s3_bucket" else v.ref(b.body.get("bucket"))
    out: list[r.BucketSetting] = []

    def add(setting: str, enabled: bool | None) -> None:
        out.append(
            r.BucketSetting(
                b.address,
                b.address,
                b.evidence(setting),
                bucket=bucket,
                setting=setting,
                enabled=enabled,
            )
        )

    sse = v.first_block(b.body, "server_side_encryption_configuration")
    if b.type == "aws_s3_bucket_server_side_encryption_configuration":
        sse = b.body
    if sse is not None:
        rule = v.first_block(sse, "rule")
        default = v.first_block(rule, "apply_server_side_encryption_by_default") if rule else None
        algorithm = v.string(default.get("sse_algorithm")) if default else None
        add("encryption", None if algorithm is None else algorithm.startswith("aws:kms"))
    if b.type == "aws_s3_bucket_logging" or v.first_block(b.body, "logging") is not None:
        add("logging", True)
    versioning = v.first_block(b.body, "versioning")
    if b.type == "aws_s3_bucket_versioning":
        config = v.first_block(b.body, "versioning_configuration")
        status = v.string(config.get("status")) if config else None
        add("versioning", None if status is None else status == "Enabled")
    elif versioning is not None:
        add("versioning", v.boolean(versioning.get("enabled", False)))
    return out


def ownership_controls(b: Block) -> r.OwnershipControls:
    rule = v.first_block(b.body, "rule")
    return r.OwnershipControls(
        b.address,
        b.address,
        b.evidence(),
        bucket=v.ref(b.body.get("bucket")),
        object_ownership=v.string(rule.get("object_ownership")) if rule else None,
    )


def _grant_is_public(grant: Mapping[str, Any]) -> bool | None:
    """A grant exposes data when it gives AllUsers/AuthenticatedUsers read or write."""
    permission = v.string(grant.get("permission"))
    grantees = v.blocks(grant, "grantee")
    uris = [v.string(g.get("uri")) if "uri" in g else "" for g in grantees]
    if any(u is None for u in uris) or permission is None:
        return None
    if not any(u in _PUBLIC_GRANTEES for u in uris):
        return False
    return permission in ("READ", "WRITE", "FULL_CONTROL")


def bucket_acl(b: Block) -> r.BucketAcl:
    public: bool | None = None
    canned = b.body.get("acl")
    policy = v.first_block(b.body, "access_control_policy")
    if canned is not None:
        text = v.string(canned)
        public = None if text is None else text in _PUBLIC_CANNED
    elif policy is not None:
        verdicts = [_grant_is_public(g) for g in v.blocks(policy, "grant")]
        public = True if True in verdicts else (None if None in verdicts else False)
    return r.BucketAcl(
        b.address, b.address, b.evidence(), bucket=v.ref(b.body.get("bucket")), public=public
    )


def _anyone(principal: Any) -> tuple[bool, bool]:
    """(grants everyone, cannot tell) for a statement's Principal."""
    if principal == "*":
        return True, False
    if isinstance(principal, str):
        return False, False
    if isinstance(principal, Mapping):
        anyone = maybe = False
        for value in principal.values():
            items = value if isinstance(value, list) else [value]
            anyone = anyone or "*" in items
            maybe = maybe or any(not _specific(i) for i in items)
        return anyone, maybe
    return False, principal is not None  # a reference or an unknown value


def _specific(item: Any) -> bool:
    """A principal that is known not to be "*": a string, or text with a hole in it
    (`arn:aws:iam::${account}:root` names one account whatever the account is)."""
    if isinstance(item, str):
        return True
    partial = item.partial if isinstance(item, Unknown) else None
    return isinstance(partial, str) and partial.strip() not in ("", HOLE)


def _transport_only(condition: Any) -> bool:
    """A condition only on aws:SecureTransport narrows how, not who (DenyInsecureTransport)."""
    if not isinstance(condition, Mapping) or not condition:
        return False
    for test in condition.values():
        if not isinstance(test, Mapping) or set(test) != {"aws:SecureTransport"}:
            return False
    return True


def policy_is_public(document: Any) -> bool | None:
    """Does a resource policy Allow any principal without a narrowing condition?

    True only when an Allow grants "*" (or NotPrincipal) with no Condition and no Deny
    could narrow it; a Condition, a Deny (other than a SecureTransport one), or a part
    that cannot be read makes the answer unknown, never false.
    """
    if not isinstance(document, Mapping):
        return None
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    unknown = public = narrowed = False
    for st in statements:
        if not isinstance(st, Mapping):
            unknown = True  # a statement the files do not determine
            continue
        effect = st.get("Effect", "Allow")
        if effect == "Deny":
            narrowed = narrowed or not _transport_only(st.get("Condition"))
            continue
        if effect != "Allow":
            unknown = True
            continue
        # Allow to everyone except the listed principals is as open as "*".
        anyone, maybe = _anyone("*" if "NotPrincipal" in st else st.get("Principal"))
        unknown = unknown or maybe
        if anyone and st.get("Condition"):
            unknown = True  # conditions are not evaluated: not confirmed either way
        elif anyone:
            public = True
    if public:
        return None if narrowed else True
    return None if unknown else False


def bucket_policy(b: Block) -> r.BucketPolicy:
    document = v.json_document(b.body.get("policy"))
    return r.BucketPolicy(
        b.address,
        b.address,
        b.evidence(),
        bucket=v.ref(b.body.get("bucket")),
        public=policy_is_public(document),
    )
