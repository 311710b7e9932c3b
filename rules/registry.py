"""The one explicit list of built-in rules. Ids are stable and never reused."""

from __future__ import annotations

from rules.api import (
    BasicAuthentication,
    CredentialsInUrl,
    OperationWithoutAuthentication,
    WriteWithoutScopes,
)
from rules.api_limits import ApiWithoutRateLimitEvidence, PlaintextApiServer, UnboundedWriteInput
from rules.aws_access import (
    ClusterEndpointOpenToInternet,
    FunctionUrlWithoutAuth,
    ManagementPortOpenToInternet,
)
from rules.aws_audit import (
    AccountAuditTrailIncomplete,
    EksAuditLoggingOff,
    EntryPointWithoutAccessLogs,
    VpcWithoutFlowLogs,
)
from rules.aws_compute import (
    AdministratorRoleOnCompute,
    InstanceMetadataV1OnExposedHost,
    PrivilegedEcsContainer,
)
from rules.aws_data import (
    AwsManagedKeyAmongCustomerKeys,
    DatastoreNotEncryptedAtRest,
    KmsKeyWithoutRotation,
    SearchDomainWithoutFineGrainedAccess,
)
from rules.aws_tls import OutdatedTlsPolicyOnInternetListener
from rules.drift import LiveDriftFromCode
from rules.edge import EntryPointWithoutWaf
from rules.engine import Rule
from rules.exposure import DatastoreReachableFromInternet
from rules.k8s_exposed import ExposedWorkloadWithApiToken, UnboundedScratchStorage
from rules.k8s_hardening import (
    ContainerRunsAsRoot,
    DangerousCapabilities,
    EscalationIntoCapabilities,
)
from rules.k8s_mesh import MtlsWeakenedByPolicy
from rules.k8s_network import DatastoreOpenToEveryPod, DatastoreRoutedFromInternet
from rules.rate_limit import ApiWithoutRateLimit
from rules.segmentation import NamespaceWithoutDefaultDeny, ServiceFlowWithoutMtls
from rules.transport import PlaintextInternetListener
from rules.workloads import (
    OverprivilegedServiceAccount,
    PlaintextSecretInEnv,
    PrivilegedWorkload,
    SecretValuesInManifest,
    WorkloadWithoutLimits,
)
from scanner.errors import RuleError

RULES: tuple[type[Rule], ...] = (
    DatastoreReachableFromInternet,
    PlaintextInternetListener,
    ApiWithoutRateLimit,
    PrivilegedWorkload,
    PlaintextSecretInEnv,
    SecretValuesInManifest,
    WorkloadWithoutLimits,
    NamespaceWithoutDefaultDeny,
    ServiceFlowWithoutMtls,
    OverprivilegedServiceAccount,
    OperationWithoutAuthentication,
    WriteWithoutScopes,
    CredentialsInUrl,
    PlaintextApiServer,
    ApiWithoutRateLimitEvidence,
    UnboundedWriteInput,
    EntryPointWithoutWaf,
    BasicAuthentication,
    DatastoreNotEncryptedAtRest,
    AwsManagedKeyAmongCustomerKeys,
    KmsKeyWithoutRotation,
    SearchDomainWithoutFineGrainedAccess,
    AccountAuditTrailIncomplete,
    VpcWithoutFlowLogs,
    EntryPointWithoutAccessLogs,
    EksAuditLoggingOff,
    ManagementPortOpenToInternet,
    ClusterEndpointOpenToInternet,
    FunctionUrlWithoutAuth,
    InstanceMetadataV1OnExposedHost,
    AdministratorRoleOnCompute,
    LiveDriftFromCode,
    PrivilegedEcsContainer,
    OutdatedTlsPolicyOnInternetListener,
    ContainerRunsAsRoot,
    EscalationIntoCapabilities,
    DangerousCapabilities,
    ExposedWorkloadWithApiToken,
    UnboundedScratchStorage,
    MtlsWeakenedByPolicy,
    DatastoreOpenToEveryPod,
    DatastoreRoutedFromInternet,
)


def builtin_rules() -> list[Rule]:
    ids = [r.meta.id for r in RULES]
    if len(set(ids)) != len(ids):
        raise RuleError(f"duplicate rule ids in the registry: {ids}")
    return [r() for r in RULES]
