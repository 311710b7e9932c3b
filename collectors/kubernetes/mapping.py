"""Kubernetes objects to DFD: workloads as elements, cluster and namespace zones, flows."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from collectors.kubernetes.authz import AuthorizationPolicies
from collectors.kubernetes.hardening import (
    Hardening,
    admitted,
    broad_ingress,
    container_parts,
    mesh_overrides,
    scratch,
    user_namespace,
)
from collectors.kubernetes.manifests import LINE, K8sObject, clean
from collectors.kubernetes.netpol import Policies
from collectors.kubernetes.rbac import Rbac
from collectors.kubernetes.security import (
    Mesh,
    default_deny,
    holds_values,
    plaintext_secrets,
    workload_facts,
)
from collectors.kubernetes.workloads import (
    Index,
    Reference,
    containers,
    image_type,
    pod_spec,
    port_protocol,
    service_ports,
    target_port,
)
from scanner.catalogue import technology
from scanner.model import (
    INTERNET_BOUNDARY,
    INTERNET_ID,
    Element,
    Evidence,
    Facts,
    Flow,
    Fragment,
    Part,
    TrustBoundary,
    facts,
)

CLUSTER = "k8s:cluster"
_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true", "0.0.0.0/0"),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "networking.gke.io/load-balancer-type": ("internal",),
    "cloud.google.com/load-balancer-type": ("internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
}
_TLS_SCHEMES = {
    "https": True,
    "rediss": True,
    "grpcs": True,
    "wss": True,
    "http": False,
    "redis": False,
    "ws": False,
    "amqp": False,
    "amqps": True,
}


# Top-level domains common enough that `name.tld` is a public host, not `svc.namespace`.
_PUBLIC_TLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "io",
        "dev",
        "app",
        "co",
        "ai",
        "cloud",
        "biz",
        "info",
        "me",
        "us",
        "uk",
        "de",
        "fr",
        "eu",
        "nl",
        "se",
        "ch",
        "jp",
        "in",
        "au",
        "ca",
    ]
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _ev(obj: K8sObject, line: int | None = None, fact: str | None = None) -> Evidence:
    return Evidence(
        "kubernetes", file=obj.file, line=line or obj.line, address=obj.address, fact=fact
    )


def _lb_tls(port: Mapping[str, Any], notes: Mapping[str, str]) -> bool | None:
    """TLS on a load balancer port: terminated by the cloud LB (a certificate annotation
    covering the port), spoken by the workload (https), or plaintext (http)."""
    cert = notes.get("service.beta.kubernetes.io/aws-load-balancer-ssl-cert")
    ssl_ports = notes.get("service.beta.kubernetes.io/aws-load-balancer-ssl-ports", "*")
    listed = ssl_ports.split(",")
    if cert and (ssl_ports == "*" or str(port.get("port")) in listed or port.get("name") in listed):
        return True
    return {"https": True, "http": False}.get(port_protocol(port))


@dataclass(frozen=True)
class _Listener:
    """One port a gateway listens on (Gateway API listener, Istio Gateway server)."""

    protocol: str  # upper case as written, "" when not stated
    port: int
    tls: bool | None
    redirects: bool | None  # an HTTP listener that only redirects to HTTPS
    evidence: Evidence
    hostname: str | None


_ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute")


def _gateway_api(obj: K8sObject) -> bool:
    """A Gateway API Gateway (not Istio's networking.istio.io Gateway)."""
    return str(obj.body.get("apiVersion", "")).startswith("gateway.networking.k8s.io/")


IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"
_AWS_LBC_TYPES = ("external", "nlb-ip")  # provisioned by the AWS Load Balancer Controller
_AWS_LBC_CLASS = "service.k8s.aws/nlb"
_CLOUD_PREFIX = {
    "service.beta.kubernetes.io/aws-": "aws",
    "networking.gke.io/": "gcp",
    "cloud.google.com/": "gcp",
    "service.beta.kubernetes.io/azure-": "azure",
}


def _service_scheme(
    notes: Mapping[str, str], spec: Mapping[str, Any]
) -> tuple[bool | None, str | None, str | None]:
    """(internal, cloud, scheme) of a LoadBalancer Service from its annotations.

    Without annotations every cloud's in-tree controller makes an internet-facing load
    balancer: (False, None, None). An internal-making annotation is one cloud's: on
    another cloud it means nothing, so alone it leaves the exposure unknown (None), with
    the cloud it belongs to; a join that places the cluster on that cloud (an EKS
    cluster) confirms it. The AWS Load Balancer Controller (its load balancer types or
    class) makes internal load balancers unless its scheme annotation says
    internet-facing; the in-tree controller ignores that annotation."""
    scheme = notes.get("service.beta.kubernetes.io/aws-load-balancer-scheme", "").lower()
    lb_type = notes.get("service.beta.kubernetes.io/aws-load-balancer-type", "").lower()
    if lb_type in _AWS_LBC_TYPES or spec.get("loadBalancerClass") == _AWS_LBC_CLASS:
        if scheme == "internet-facing":
            return False, "aws", scheme
        return None, "aws", "internal"
    for key, values in _INTERNAL_LB.items():
        if key.endswith("-scheme"):
            continue  # read by the AWS Load Balancer Controller only (above)
        if notes.get(key, "").lower() in values:
            cloud = next((c for prefix, c in _CLOUD_PREFIX.items() if key.startswith(prefix)), None)
            return None, cloud, "internal"
    return False, None, None


def _internal(notes: Mapping[str, str]) -> bool:
    """Annotations that make an Ingress or Gateway's load balancer internal."""
    return notes.get("alb.ingress.kubernetes.io/scheme", "").lower() == "internal" or any(
        notes.get(k, "").lower() in v for k, v in _INTERNAL_LB.items()
    )


def _admits(listeners: Any, section: Any, route: K8sObject, gw: K8sObject) -> bool:
    """Does a listener (the named one, or any) accept routes from the route's namespace?
    `allowedRoutes.namespaces.from` defaults to Same; Selector is taken as admitting."""
    for listener in listeners if isinstance(listeners, list) else []:
        if not isinstance(listener, dict) or section not in (None, listener.get("name")):
            continue
        allowed = ((listener.get("allowedRoutes") or {}).get("namespaces") or {}).get("from")
        if route.namespace == gw.namespace or allowed in ("All", "Selector"):
            return True
    return False


def _redirects_to_https(route: K8sObject) -> bool:
    """Every rule of an HTTPRoute redirects to https (a RequestRedirect filter)."""
    rules = (route.body.get("spec") or {}).get("rules") or []
    return bool(rules) and all(
        any(
            isinstance(f, dict)
            and f.get("type") == "RequestRedirect"
            and (f.get("requestRedirect") or {}).get("scheme") == "https"
            for f in (rule or {}).get("filters") or []
        )
        for rule in rules
    )


def _zone(namespace: str | None) -> str:
    return f"k8s:ns/{namespace}" if namespace else CLUSTER


# Controller annotations that put a request-rate limit on an Ingress (ingress-nginx,
# HAProxy Ingress). A limit set elsewhere (a CDN, a WAF, a Kong plugin) stays unknown.
_RATE_LIMIT_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/global-rate-limit",
    "haproxy.org/rate-limit-requests",
    "haproxy-ingress.github.io/limit-rps",
)


def _authn(notes: Mapping[str, str]) -> str | None:
    """Authentication an ingress controller performs before routing (ingress-nginx
    external auth or basic auth); unknown otherwise."""
    if notes.get("nginx.ingress.kubernetes.io/auth-url", "").strip():
        return "external-auth"
    kind = notes.get("nginx.ingress.kubernetes.io/auth-type", "").strip().lower()
    return kind or None


def _rate_limited(notes: Mapping[str, str]) -> bool | None:
    """True when an annotation limits the request rate; unknown otherwise (never False:
    the limit may be enforced in front of the cluster)."""
    return True if any(notes.get(k, "").strip() for k in _RATE_LIMIT_ANNOTATIONS) else None


_ALB_SCHEME = "alb.ingress.kubernetes.io/scheme"


def _alb(spec: Mapping[str, Any], notes: Mapping[str, str]) -> bool:
    """An Ingress the AWS Load Balancer Controller serves (class `alb`)."""
    return "alb" in (spec.get("ingressClassName"), notes.get("kubernetes.io/ingress.class"))


def _alb_listeners(notes: Mapping[str, str], ev: Evidence) -> list[_Listener]:
    """An ALB Ingress's listeners from its annotations: `listen-ports` (default HTTP:80,
    or HTTPS:443 when a certificate is given), TLS on HTTPS ports, and `ssl-redirect`
    turning its HTTP listeners into redirects. Unreadable ports: HTTP:80, TLS unknown."""
    cert = bool(notes.get("alb.ingress.kubernetes.io/certificate-arn", "").strip())
    raw = notes.get("alb.ingress.kubernetes.io/listen-ports")
    ports: list[tuple[str, int]] = [("HTTPS", 443)] if cert else [("HTTP", 80)]
    if raw:
        try:
            parsed = json.loads(raw)
            ports = [
                (str(k).upper(), int(v))
                for item in parsed
                if isinstance(item, dict)
                for k, v in item.items()
            ]
        except (ValueError, TypeError):
            return [_Listener("HTTP", 80, None, None, ev, None)]
    redirect = bool(notes.get("alb.ingress.kubernetes.io/ssl-redirect", "").strip()) or any(
        k.startswith("alb.ingress.kubernetes.io/actions.") and '"HTTPS"' in v.upper()
        for k, v in notes.items()
    )
    return [
        _Listener(
            proto,
            port,
            proto == "HTTPS" if proto in ("HTTP", "HTTPS") else None,
            redirect if proto == "HTTP" else None,
            ev,
            None,
        )
        for proto, port in ports
    ]


def _bound_to(vs: K8sObject, gateways: set[str]) -> bool:
    """Is a VirtualService bound to one of these Istio Gateways (`ns/name` or FQDN)?"""
    named = (vs.body.get("spec") or {}).get("gateways") or []
    return any(
        (str(g) if "/" in str(g) or "." in str(g) else f"{vs.namespace}/{g}") in gateways
        for g in named
    )


def _annotations(obj: K8sObject) -> dict[str, str]:
    raw = clean((obj.body.get("metadata") or {}).get("annotations") or {})
    return {str(k): str(v) for k, v in raw.items()}


class _Mapper:
    def __init__(self, objs: list[K8sObject], complete: bool = True) -> None:
        self.index = Index(objs)
        self.objs = objs
        self.mesh = Mesh(objs, root_visible=complete)
        self.rbac = Rbac(objs)
        self.policies = Policies(objs)
        self.authz = AuthorizationPolicies(objs, self.mesh.meshed)
        self.service_accounts = {
            (o.namespace, o.name): o for o in objs if o.kind == "ServiceAccount"
        }
        self.internal_hosts: set[str] = set()
        self.namespaces = {o.namespace for o in objs if o.namespace}
        self.fronting: dict[str, list[K8sObject]] = {}  # workload address -> its Services
        for svc in self.index.services.values():
            for w in self.index.selected(svc):
                self.fronting.setdefault(w.address, []).append(svc)
        self.by_id = {f"k8s:{w.address}": w for w in self.index.workloads}
        self.elements: dict[str, Element] = {}
        self.flows: list[Flow] = []

    def element(self, obj: K8sObject, type_: str, **kw: Any) -> Element:
        tech = technology(type_)
        el = Element(
            id=f"k8s:{obj.address}",
            kind=tech.kind,
            type=type_,
            name=obj.name,
            resource=obj.address,
            boundary=_zone(obj.namespace),
            evidence=(_ev(obj),),
            **kw,
        )
        self.elements[el.id] = el
        return el

    def workloads(self) -> None:
        for w in self.index.workloads:
            images = [str(c.get("image", "")) for c in containers(w)]
            store = next((t for i in images if (t := image_type(i))), None)
            ports = sorted(
                {
                    p["containerPort"]
                    for c in containers(w)
                    for p in c.get("ports") or []
                    if isinstance(p, dict) and isinstance(p.get("containerPort"), int)
                }
            )
            secrets, incomplete = plaintext_secrets(w, self.index.config_map_objects)
            hard = self.hardening(w, store is not None)
            el = self.element(
                w,
                store or "container",
                props=facts(
                    hard.props,
                    plaintext_secret_env=True if secrets else (None if incomplete else False),
                    image=",".join(images) or None,
                    port=ports[0] if len(ports) == 1 else None,
                    namespace_stated=w.namespace is not None,
                    meshed=self.mesh.meshed(w),
                    **self.token_facts(w),
                    **self.rbac.grants(w),
                ),
                parts=hard.parts,
            )
            where = tuple(
                Evidence("kubernetes", file=f, line=n, address=a, fact="plaintext_secret_env")
                for f, n, a in secrets
            )
            token = self.token_evidence(w)
            role, role_ev = self.cloud_role(w)
            more = (*where, *hard.evidence, *((token,) if token else ()), *role_ev)
            props = facts(el.props, iam_role_arn=role) if role else el.props
            # AWS datastores its env names: a join with the AWS sources makes them flows.
            named = tuple(
                Part(
                    "aws-resource", key, w.address, facts(env=env), (_ev(w, line, "aws_resource"),)
                )
                for env, key, line in self.index.aws_resources(w)
            )
            self.elements[el.id] = replace(
                el, props=props, evidence=el.evidence + more, parts=el.parts + named
            )

    def cloud_role(self, w: K8sObject) -> tuple[str | None, tuple[Evidence, ...]]:
        """The IAM role its pods get through IRSA: the `eks.amazonaws.com/role-arn`
        annotation of its ServiceAccount (a join with the AWS sources gives its grants)."""
        name = pod_spec(w).get("serviceAccountName") or "default"
        sa = self.service_accounts.get((w.namespace, str(name)))
        role = _annotations(sa).get(IRSA_ANNOTATION) if sa is not None else None
        if sa is None or not role:
            return None, ()
        return role, (_ev(sa, fact="iam_role_arn"),)

    def hardening(self, w: K8sObject, store: bool) -> Hardening:
        """Container parts, scratch storage, mesh overrides and, for a datastore, how
        broadly NetworkPolicies admit other workloads to it (see hardening.py)."""
        out = Hardening(parts=container_parts(w))
        user_namespace(w, out)
        scratch(w, out)
        mesh_overrides(w, self.mesh, self.fronting.get(w.address, ()), out)
        broad = broad_ingress(w, self.policies) if store else None
        if broad is not None:
            scope, policy, line = broad
            out.add(policy, "ingress_admits", scope, line, f"ingress rule admits {scope}")
            others = admitted(w, self.policies, self.index.workloads)
            out.props["ingress_admitted"] = ",".join(others) or None
        return out

    def token_evidence(self, w: K8sObject) -> Evidence | None:
        """Where automounting the service account token is decided: the pod spec when it
        says, else the ServiceAccount in the files (None: not known)."""
        spec = pod_spec(w)
        if isinstance(spec.get("automountServiceAccountToken"), bool):
            return _ev(w, int(spec.get(LINE, w.line)), "automount_token")
        name = spec.get("serviceAccountName") or "default"
        sa = self.service_accounts.get((w.namespace, str(name)))
        return _ev(sa, fact="automount_token") if sa is not None else None

    def token_facts(self, w: K8sObject) -> dict[str, bool | None]:
        """workload_facts, with the token automount the ServiceAccount decides when the
        pod does not say (mounted by default once the ServiceAccount is known)."""
        out = workload_facts(w)
        if out["automount_token"] is None:
            name = pod_spec(w).get("serviceAccountName") or "default"
            sa = self.service_accounts.get((w.namespace, str(name)))
            if sa is not None:
                stated = sa.body.get("automountServiceAccountToken")
                out["automount_token"] = stated if isinstance(stated, bool) else True
        return out

    def targets(self, service: K8sObject) -> list[tuple[Element, Mapping[str, Any]]]:
        """(workload element, service port) pairs a Service sends traffic to."""
        out = []
        for w in self.index.selected(service):
            for port in service_ports(service):
                out.append((self.elements[f"k8s:{w.address}"], port))
        return out

    def forward(
        self,
        src: Element,
        service: K8sObject,
        why: str,
        ev: Evidence,
        wanted: object = None,
    ) -> None:
        """Flows from src to the workloads behind a Service: on the Service port the
        route names (by number or name), or on every port when it names none."""
        for target, port in self.targets(service):
            if wanted is not None and wanted not in (port.get("port"), port.get("name")):
                continue
            workload = self.by_id[target.id]
            self.flows.append(
                Flow(
                    src.id,
                    target.id,
                    port_protocol(port),
                    target_port(port, workload),
                    basis="called",
                    derivation=f"declared: {why}",
                    evidence=(ev,),
                )
            )

    def services(self) -> None:
        """LoadBalancer and NodePort Services: entry points that forward connections."""
        for (_, _), svc in sorted(self.index.services.items(), key=lambda kv: kv[1].address):
            spec = svc.body.get("spec") or {}
            kind = spec.get("type", "ClusterIP")
            if kind not in ("LoadBalancer", "NodePort"):
                continue
            notes = _annotations(svc)
            internal, cloud, scheme = _service_scheme(notes, spec)
            ranges = [str(r) for r in spec.get("loadBalancerSourceRanges") or []]
            world = not ranges or any(r in ("0.0.0.0/0", "::/0") for r in ranges)
            unconfirmed = None
            if kind == "NodePort":
                unconfirmed = "whether the cluster's nodes are reachable from the internet"
            el = self.element(
                svc,
                "network-load-balancer",
                props=facts(
                    service_type=kind,
                    internal=internal,
                    lb_cloud=cloud,
                    lb_scheme=scheme,
                    exposure_unconfirmed=unconfirmed,
                ),
            )
            if internal is False and world:
                for port in service_ports(svc):
                    number = port.get("nodePort") if kind == "NodePort" else port.get("port")
                    self.flows.append(
                        Flow(
                            INTERNET_ID,
                            el.id,
                            port_protocol(port),
                            number if isinstance(number, int) else None,
                            basis="called" if kind == "LoadBalancer" else "reachable",
                            derivation=f"declared: {kind} Service {svc.address}",
                            tls=_lb_tls(port, notes),
                            evidence=(_ev(svc, int(port.get(LINE, svc.line))),),
                        )
                    )
            self.forward(el, svc, f"{kind} Service {svc.address} selects it", _ev(svc))

    def ingresses(self) -> None:
        for ing in (o for o in self.objs if o.kind == "Ingress"):
            spec = ing.body.get("spec") or {}
            notes = _annotations(ing)
            tls = bool(spec.get("tls"))
            redirect = {"true": True, "false": False}.get(
                notes.get("nginx.ingress.kubernetes.io/force-ssl-redirect")
                or notes.get("nginx.ingress.kubernetes.io/ssl-redirect", "")
            )
            # Without TLS nothing can redirect to HTTPS; with TLS, whether HTTP redirects
            # depends on the controller unless an annotation says.
            redirects = False if not tls else redirect
            listeners = [_Listener("HTTP", 80, False, redirects, _ev(ing), None)]
            if tls:
                tls_ev = _ev(ing, int(spec["tls"][0].get(LINE, ing.line)))
                listeners.append(_Listener("HTTPS", 443, True, None, tls_ev, None))
            alb = _alb(spec, notes)
            if alb:
                listeners = _alb_listeners(notes, _ev(ing))
            hosts = [(r or {}).get("host") for r in spec.get("rules") or []]
            hosts += [h for t in spec.get("tls") or [] for h in (t or {}).get("hosts") or []]
            el = self.entry_point(
                ing,
                listeners,
                f"declared: Ingress {ing.address} routes external traffic",
                facts(ingress_class=spec.get("ingressClassName"), aws_alb=True if alb else None),
                hosts,
                # The AWS Load Balancer Controller makes internal ALBs unless told otherwise.
                internal=alb and notes.get(_ALB_SCHEME, "internal").lower() != "internet-facing",
            )
            for rule in spec.get("rules") or []:
                for path in ((rule or {}).get("http") or {}).get("paths") or []:
                    backend = ((path or {}).get("backend") or {}).get("service") or {}
                    svc = self.index.services.get((ing.namespace, str(backend.get("name"))))
                    if svc is not None:
                        line = int(path.get(LINE, ing.line))
                        port = backend.get("port") or {}
                        self.forward(
                            el,
                            svc,
                            f"Ingress {ing.address} routes to it",
                            _ev(ing, line, "backend"),
                            port.get("number") or port.get("name"),
                        )

    def entry_point(
        self,
        obj: K8sObject,
        listeners: list[_Listener],
        why: str,
        props: Facts,
        hosts: Iterable[Any] = (),
        internal: bool = False,
    ) -> Element:
        """A gateway element with one part per listener and, unless an annotation makes
        its load balancer internal, a flow from the internet to each listener. `hosts`
        (the host names it serves) let an API description find the element serving it."""
        parts = tuple(
            Part(
                "listener",
                f"{x.protocol or 'TCP'}:{x.port}",
                obj.address,
                facts(
                    protocol=x.protocol or None,
                    port=x.port,
                    tls=x.tls,
                    redirects_to_https=x.redirects,
                    hostname=x.hostname,
                ),
                (x.evidence,),
            )
            for x in listeners
        )
        names = sorted({str(h).lower().split("/")[-1] for h in hosts if h and str(h) != "*"})
        props = facts(props, hosts=",".join(names) or None)
        el = self.element(obj, "load-balancer", parts=parts, props=props)
        limited = _rate_limited(_annotations(obj))
        if not internal and not _internal(_annotations(obj)):
            for x in listeners:
                proto = x.protocol.lower() if x.protocol in ("HTTP", "HTTPS") else "tcp"
                self.flows.append(
                    Flow(
                        INTERNET_ID,
                        el.id,
                        proto,
                        x.port,
                        "called",
                        why,
                        tls=x.tls,
                        rate_limited=limited,
                        authn=_authn(_annotations(obj)),
                        evidence=(x.evidence,),
                    )
                )
        return el

    def gateways(self) -> None:
        """Gateway API: each Gateway listener is an entry point; HTTPRoutes attached to
        it (parentRefs, optionally by sectionName) forward to their backend Services."""
        routes = [o for o in self.objs if o.kind in _ROUTE_KINDS]
        for gw in (o for o in self.objs if o.kind == "Gateway" and _gateway_api(o)):
            spec = clean(gw.body.get("spec") or {})
            raw = (gw.body.get("spec") or {}).get("listeners") or []
            attached = [
                (route, ref)
                for route in routes
                for ref in (route.body.get("spec") or {}).get("parentRefs") or []
                if isinstance(ref, dict)
                and ref.get("kind", "Gateway") == "Gateway"
                and ref.get("name") == gw.name
                and ref.get("namespace", route.namespace) == gw.namespace
                and _admits(raw, ref.get("sectionName"), route, gw)
            ]
            listeners = []
            for listener in raw:
                if not isinstance(listener, dict) or not isinstance(listener.get("port"), int):
                    continue
                protocol = str(listener.get("protocol", "")).upper()
                tls = {"HTTPS": True, "TLS": True, "HTTP": False}.get(protocol)
                mine = [
                    route
                    for route, ref in attached
                    if ref.get("sectionName") in (None, listener.get("name"))
                ]
                redirects = None
                if tls is False and mine:
                    redirects = all(_redirects_to_https(r) for r in mine)
                ev = _ev(gw, int(listener.get(LINE, gw.line)))
                listeners.append(
                    _Listener(
                        protocol, listener["port"], tls, redirects, ev, listener.get("hostname")
                    )
                )
            hosts = [x.hostname for x in listeners]
            hosts += [
                h
                for route, _ in attached
                for h in (route.body.get("spec") or {}).get("hostnames") or []
            ]
            el = self.entry_point(
                gw,
                listeners,
                f"declared: Gateway {gw.address} listens for external traffic",
                facts(gateway_class=spec.get("gatewayClassName")),
                hosts,
            )
            for route, _ in attached:
                for rule in (route.body.get("spec") or {}).get("rules") or []:
                    for backend in (rule or {}).get("backendRefs") or []:
                        if (
                            not isinstance(backend, dict)
                            or backend.get("kind", "Service") != "Service"
                        ):
                            continue
                        ns = backend.get("namespace", route.namespace)
                        svc = self.index.services.get((ns, str(backend.get("name"))))
                        if svc is not None:
                            line = int(backend.get(LINE, route.line))
                            self.forward(
                                el,
                                svc,
                                f"{route.kind} {route.address} routes to it",
                                _ev(route, line, "backendRef"),
                                backend.get("port"),
                            )

    def istio_gateways(self) -> None:
        """Istio Gateways (networking.istio.io): each server is an entry point (HTTP
        plaintext unless `tls.httpsRedirect`; HTTPS/TLS encrypted); VirtualServices bound
        to the Gateway (`gateways: [name | ns/name]`) forward to their destinations."""
        services = [o for o in self.objs if o.kind == "VirtualService"]
        for gw in (o for o in self.objs if o.kind == "Gateway" and not _gateway_api(o)):
            listeners = []
            for server in (gw.body.get("spec") or {}).get("servers") or []:
                port = (server or {}).get("port") or {}
                if not isinstance(port.get("number"), int):
                    continue
                protocol = str(port.get("protocol", "")).upper()
                tls = {"HTTPS": True, "TLS": True, "HTTP": False, "HTTP2": False}.get(protocol)
                redirect = (server.get("tls") or {}).get("httpsRedirect") is True
                ev = _ev(gw, int(server.get(LINE, gw.line)))
                redirects = redirect if tls is False else None
                listeners.append(_Listener(protocol, port["number"], tls, redirects, ev, None))
            why = f"declared: Istio Gateway {gw.address} listens for external traffic"
            names = {f"{gw.namespace}/{gw.name}", f"{gw.name}.{gw.namespace}.svc.cluster.local"}
            bound = [vs for vs in services if _bound_to(vs, names)]
            # The server's hosts (often "*"), and the real names its VirtualServices serve.
            servers = (gw.body.get("spec") or {}).get("servers") or []
            hosts = [h for server in servers for h in (server or {}).get("hosts") or []]
            hosts += [h for vs in bound for h in (vs.body.get("spec") or {}).get("hosts") or []]
            el = self.entry_point(gw, listeners, why, facts(), hosts)
            for vs in bound:
                spec = vs.body.get("spec") or {}
                for kind in ("http", "tls", "tcp"):
                    for route in spec.get(kind) or []:
                        for dest in (route or {}).get("route") or []:
                            host = str(((dest or {}).get("destination") or {}).get("host", ""))
                            svc = self.index.service_for(host.lower(), vs.namespace)
                            if svc is not None:
                                line = int(dest.get(LINE, vs.line))
                                self.forward(
                                    el,
                                    svc,
                                    f"VirtualService {vs.address} routes to it",
                                    _ev(vs, line, "destination"),
                                    ((dest.get("destination") or {}).get("port") or {}).get(
                                        "number"
                                    ),
                                )

    def references(self) -> None:
        for w in self.index.workloads:
            src = self.elements[f"k8s:{w.address}"]
            for ref in self.index.env_references(w):
                self.reference(w, src, ref)

    def reference(self, w: K8sObject, src: Element, ref: Reference) -> None:
        where = " ".join(filter(None, (ref.via, ref.env)))  # "env DB_URL", "args --db"
        ev = Evidence(
            "kubernetes",
            file=ref.file,
            line=ref.line,
            address=w.address,
            fact=ref.via,
            detail=f"{where} names {ref.host}",
        )
        why = f"inferred: {where} of {w.address} names {ref.host}"
        tls = _TLS_SCHEMES.get(ref.scheme or "")
        if "sslmode=disable" in ref.text:
            tls = False
        svc = self.index.service_for(ref.host, w.namespace)
        if svc is not None:
            wanted = ref.port
            default = _DEFAULT_PORTS.get(ref.scheme or "")
            if wanted is None and any(p.get("port") == default for p in service_ports(svc)):
                wanted = default  # http://svc means the Service's port 80
            for target, port in self.targets(svc):
                if wanted is not None and port.get("port") != wanted:
                    continue
                workload = self.by_id[target.id]
                protocol = ref.scheme or port_protocol(port)
                self.flows.append(
                    Flow(
                        src.id,
                        target.id,
                        protocol,
                        target_port(port, workload),
                        "called",
                        why,
                        tls=tls,
                        evidence=(ev,),
                    )
                )
            return
        if self.outside(ref.host):
            ext = self.external(ref.host)
            self.flows.append(
                Flow(
                    src.id,
                    ext.id,
                    ref.scheme or "tcp",
                    ref.port or _DEFAULT_PORTS.get(ref.scheme or ""),
                    "called",
                    why,
                    tls=tls,
                    evidence=(ev,),
                )
            )

    def annotate(self, flow: Flow) -> Flow:
        """What the cluster says about a flow into a workload: whether the mesh enforces
        mTLS on it (Mesh.mtls), whether NetworkPolicies admit it (Policies.allows; left
        unknown when the files hold no NetworkPolicy at all) and what Istio
        AuthorizationPolicies say (a denial blocks it; named callers give authz/authn)."""
        target = self.by_id.get(flow.target)
        if target is None:
            return flow
        source = self.by_id.get(flow.source)
        mtls = self.mesh.mtls(source, target, flow.port, self.fronting.get(target.address, ()))
        allowed = (
            self.policies.allows(source, target, flow.port) if self.policies.policies else None
        )
        mesh = self.authz.verdict(source, target, flow.port)
        if mesh.allowed is False:
            allowed = False  # the sidecar refuses what the network would let through
        return replace(
            flow,
            mtls=mtls,
            network_allowed=allowed,
            authz=mesh.authz if mesh.authz is not None else flow.authz,
            authn=mesh.authn or flow.authn,
        )

    def service_entries(self) -> None:
        """Istio ServiceEntries: MESH_EXTERNAL hosts are external elements (declared, with
        their evidence); MESH_INTERNAL hosts are inside and never become external."""
        for se in (o for o in self.objs if o.kind == "ServiceEntry"):
            spec = clean(se.body.get("spec") or {})
            hosts = [str(h).lower() for h in spec.get("hosts") or []]
            if str(spec.get("location", "MESH_EXTERNAL")).upper() == "MESH_INTERNAL":
                self.internal_hosts.update(hosts)
                continue
            for host in hosts:
                el = self.external(host)
                self.elements[el.id] = replace(el, evidence=(*el.evidence, _ev(se)))

    def outside(self, host: str) -> bool:
        """Is a host outside the cluster and the private network? (`svc.ns` of a Service
        not in the files, `*.svc`, `*.local`, private addresses, MESH_INTERNAL
        ServiceEntry hosts: not external.)"""
        if host in self.internal_hosts:
            return False
        try:
            return ipaddress.ip_address(host).is_global
        except ValueError:
            pass
        parts = host.split(".")
        if len(parts) < 2 or parts[1] in self.namespaces:
            return False
        if len(parts) == 2 and parts[1] not in _PUBLIC_TLDS:
            return False  # `svc.ns` of a namespace the files do not show (or not known)
        return not host.endswith((".local", ".internal", ".svc", ".localhost", ".cluster"))

    def external(self, host: str) -> Element:
        """The external element for a host (a wildcard ServiceEntry host covers it)."""
        for known in (f"ext:{host}", f"ext:*.{host.partition('.')[2]}"):
            if known in self.elements:
                return self.elements[known]
        el = Element(
            id=f"ext:{host}",
            kind="external",
            type="third-party-api",
            name=host,
            resource=host,
            boundary=INTERNET_BOUNDARY,
        )
        self.elements.setdefault(el.id, el)
        return el

    def boundaries(self) -> list[TrustBoundary]:
        namespaces = sorted(self.namespaces)
        deny = default_deny(self.objs)
        secrets = tuple(
            _ev(o, fact="plaintext_secret")
            for o in self.objs
            if o.kind == "Secret" and holds_values(o)
        )
        out = [
            TrustBoundary(
                CLUSTER,
                "cluster",
                "Kubernetes cluster (manifests)",
                INTERNET_BOUNDARY,
                2,
                evidence=secrets,  # Secret manifests that carry their values
            )
        ]
        for ns in namespaces:
            decl = next((o for o in self.objs if o.kind == "Namespace" and o.name == ns), None)
            out.append(
                TrustBoundary(
                    _zone(ns),
                    "namespace",
                    ns,
                    CLUSTER,
                    3,
                    props=facts(
                        default_deny_ingress=deny.get(ns),
                        network_policies=sum(
                            1 for o in self.objs if o.kind == "NetworkPolicy" and o.namespace == ns
                        ),
                        limit_range=True
                        if any(o.kind == "LimitRange" and o.namespace == ns for o in self.objs)
                        else None,
                        mesh_injection=self.mesh.injected_ns.get(ns),
                    ),
                    evidence=(_ev(decl),) if decl else (),
                )
            )
        return out


def to_fragment(objs: Iterable[K8sObject], complete: bool = True) -> Fragment:
    """Map manifests to a Fragment. Pure: objects in, model objects out. `complete` is
    False for a live scan limited to some namespaces (the mesh root was not seen)."""
    m = _Mapper(list(objs), complete)
    m.workloads()
    m.services()
    m.ingresses()
    m.gateways()
    m.istio_gateways()
    m.service_entries()
    m.references()
    return Fragment(
        elements=tuple(m.elements.values()),
        flows=tuple(m.annotate(f) for f in m.flows),
        boundaries=tuple(m.boundaries()),
    )
