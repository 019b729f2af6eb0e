"""Magnum clusters, read: the list (the `clusters` store kind, none where the catalog has no Magnum), one
cluster's detail, the template each was made from, and a kubeconfig made from the cluster's certificates (a key
made here, its CSR signed by the cloud's CA, as `openstack coe cluster config --use-certificate` does).

The models live here rather than in models.py: only the clusters' screens and actions read them. Writes (resize,
delete, the CSR's POST) go through the actions layer (cloud/actions/clusters.py). Magnum answers in
microversions; exotui asks for 1.10 (resize came in 1.7, a pool of zero workers in 1.10; 1.13 renamed stack_id).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any, Mapping

from .models import _i, _list, _s, _strmap
from .session import CloudSession

SERVICE = "container_infrastructure_management"  # openstacksdk's proxy
CATALOG_TYPES = ("container-infra", "container-infrastructure-management", "container-infrastructure")
MV = "1.10"
# what Magnum's conductor resizes from (cluster_conductor.cluster_resize's allow_update_status)
RESIZABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "RESUME_COMPLETE", "RESTORE_COMPLETE",
                       "ROLLBACK_COMPLETE", "SNAPSHOT_COMPLETE", "CHECK_COMPLETE", "ADOPT_COMPLETE",
                       "UPDATE_FAILED", "UPDATE_IN_PROGRESS"})


@dataclass(frozen=True, slots=True)
class ClusterTemplate:
    id: str
    name: str
    coe: str = ""
    tls_disabled: bool = False
    public: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> "ClusterTemplate":
        return cls(id=_s(d.get("uuid")), name=_s(d.get("name")), coe=_s(d.get("coe")),
                   tls_disabled=d.get("tls_disabled") is True, public=d.get("public") is True,
                   labels=_strmap(d.get("labels")))


@dataclass(frozen=True, slots=True)
class Cluster:
    """A Magnum cluster as /clusters/detail gives it, with its template's name and kind (COE, TLS) beside."""

    id: str
    name: str
    status: str = ""
    status_reason: str = ""
    node_count: int = 0
    master_count: int = 0
    template_id: str = ""
    template: str = ""  # the template's name ("" while unknown)
    coe: str = ""  # the template's: kubernetes
    tls_disabled: bool = False
    stack_id: str = ""
    api_address: str = ""
    coe_version: str = ""
    health_status: str = ""
    keypair: str = ""
    flavor: str = ""
    master_flavor: str = ""
    node_addresses: tuple[str, ...] = ()
    master_addresses: tuple[str, ...] = ()
    faults: Mapping[str, str] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    raw_name: str = ""  # as Magnum sent it (name is for the screen)

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @classmethod
    def from_api(cls, d: Mapping[str, Any], templates: Mapping[str, ClusterTemplate] | None = None) -> "Cluster":
        template_id = _s(d.get("cluster_template_id"))
        template = (templates or {}).get(template_id)
        # stack_id up to 1.12, cluster_id from 1.13 (the same stack)
        stack = d.get("stack_id") if d.get("stack_id") is not None else d.get("cluster_id")
        return cls(id=_s(d.get("uuid")), name=_s(d.get("name")), status=_s(d.get("status")),
                   status_reason=_s(d.get("status_reason")), node_count=_i(d.get("node_count")),
                   master_count=_i(d.get("master_count")), template_id=template_id,
                   template=template.name if template else "", coe=template.coe if template else "",
                   tls_disabled=template.tls_disabled if template else False, stack_id=_s(stack),
                   api_address=_s(d.get("api_address")), coe_version=_s(d.get("coe_version")),
                   health_status=_s(d.get("health_status")), keypair=_s(d.get("keypair")),
                   flavor=_s(d.get("flavor_id")), master_flavor=_s(d.get("master_flavor_id")),
                   node_addresses=tuple(_s(a) for a in _list(d.get("node_addresses"))),
                   master_addresses=tuple(_s(a) for a in _list(d.get("master_addresses"))),
                   faults=_strmap(d.get("faults")),
                   created_at=_s(d.get("created_at")), updated_at=_s(d.get("updated_at")),
                   raw_name=raw if isinstance(raw := d.get("name"), str) else "")


async def has_magnum(session: CloudSession) -> bool:
    for kind in CATALOG_TYPES:
        if await session.endpoint(kind):
            return True
    return False


async def fetch_templates(session: CloudSession) -> dict[str, ClusterTemplate]:
    page = await session.get_list(SERVICE, "/clustertemplates", "clustertemplates", microversion=MV)
    return {t.id: t for t in (ClusterTemplate.from_api(item) for item in page.items if isinstance(item, dict))}


async def fetch_clusters(session: CloudSession) -> list[Cluster]:
    """Every cluster of the project with its template's name; [] when the cloud has no Magnum."""
    if not await has_magnum(session):
        return []
    clusters, templates = await asyncio.gather(
        session.get_list(SERVICE, "/clusters/detail", "clusters", microversion=MV), fetch_templates(session))
    return [Cluster.from_api(item, templates) for item in clusters.items if isinstance(item, dict)]


async def fetch_cluster(session: CloudSession, cluster_id: str) -> Cluster:
    """One cluster now (its `faults` too, which Magnum gives only here)."""
    body, templates = await asyncio.gather(session.get_json(SERVICE, f"/clusters/{cluster_id}", microversion=MV),
                                           fetch_templates(session))
    return Cluster.from_api(body, templates)


# --- a kubeconfig ---------------------------------------------------------------------------------------------

def new_key_and_csr() -> tuple[bytes, str]:
    """A client key (RSA 2048, kept here) and its CSR for CN=admin, O=system:masters: Kubernetes' cluster-admin
    group, which Magnum's CA signs for the cluster's owner (magnumclient's generate_csr_and_key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "admin"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters")])).sign(key, hashes.SHA256())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    return pem, csr.public_bytes(serialization.Encoding.PEM).decode()


def kubeconfig(cluster: Cluster, ca_pem: str | None, cert_pem: str | None, key_pem: bytes | None) -> str:
    """The kubeconfig `openstack coe cluster config` writes: the cluster's API, its CA, and the client's
    certificate and key inline (a cluster with TLS off: the API alone)."""
    import yaml

    def b64(data: str | bytes) -> str:
        return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()

    name = cluster.raw_name or cluster.name
    entry: dict[str, Any] = {"server": cluster.api_address}
    user: dict[str, Any] = {}
    if ca_pem is not None and cert_pem is not None and key_pem is not None:
        entry = {"certificate-authority-data": b64(ca_pem), "server": cluster.api_address}
        user = {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}
    config = {"apiVersion": "v1", "clusters": [{"cluster": entry, "name": name}],
              "contexts": [{"context": {"cluster": name, "user": "admin"}, "name": "default"}],
              "current-context": "default", "kind": "Config", "preferences": {},
              "users": [{"name": "admin", "user": user}]}
    return yaml.safe_dump(config, sort_keys=False)
