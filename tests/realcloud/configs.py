"""The configuration files of the real stack, rendered from one folder and one set of passwords.

Everything listens on 127.0.0.1. The comments name the blocker of `docs/realcloud-notes.md`
that each non-default setting answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
PORTS = {"mariadb": 3306, "rabbitmq": 5672, "epmd": 4369, "rabbitmq-dist": 25672, "keystone": 5000,
         "placement": 8778, "glance": 9292, "neutron": 9696, "nova": 8774, "cinder": 8776,
         "heat": 8004, "manila": 8786, "magnum": 9511, "swift": 8080, "swift-object": 6200, "swift-container": 6201,
         "swift-account": 6202}
DATABASES = ("keystone", "placement", "glance", "neutron", "nova_api", "nova", "nova_cell0", "cinder", "heat",
             "manila", "magnum")
SERVICE_USERS = ("placement", "glance", "neutron", "nova", "cinder", "heat", "swift", "manila", "magnum")
# Heat makes the users of a stack's wait conditions and software deployments in a domain of its own,
# managed by an admin of that domain (heat-keystone-setup-domain does the same)
HEAT_DOMAIN, HEAT_DOMAIN_ADMIN = "heat", "heat_domain_admin"
REGION = "RegionOne"
NL = "\n"
PUBLIC = "valid_interfaces = public\n"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def venv(self) -> Path:
        return self.root / "venv"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "log"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)


def db_url(name: str, password: str) -> str:
    return f"mysql+pymysql://openstack:{password}@{HOST}:{PORTS['mariadb']}/{name}?charset=utf8"


def rabbit_url() -> str:
    return f"rabbit://guest:guest@{HOST}:{PORTS['rabbitmq']}/"


def url(service: str) -> str:
    return f"http://{HOST}:{PORTS[service]}"


def my_cnf(lay: Layout) -> str:
    return f"""[mysqld]
datadir = {lay.data}/mysql
socket = {lay.run}/mysqld.sock
pid-file = {lay.run}/mysqld.pid
bind-address = {HOST}
port = {PORTS['mariadb']}
skip-name-resolve
max_connections = 1000
innodb_buffer_pool_size = 128M
innodb_flush_log_at_trx_commit = 2
log-error = {lay.log}/mariadb.log

[client]
socket = {lay.run}/mysqld.sock
"""


def _authtoken(user: str, password: str) -> str:
    return f"""[keystone_authtoken]
www_authenticate_uri = {url('keystone')}
auth_url = {url('keystone')}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = {user}
password = {password}
region_name = {REGION}
service_token_roles_required = true
"""


def _service_auth(section: str, user: str, password: str, extra: str = "") -> str:
    return f"""[{section}]
auth_url = {url('keystone')}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = {user}
password = {password}
region_name = {REGION}
{extra}"""


def _database_locks_no_notifications(lay: Layout, name: str, db_password: str) -> str:
    return f"""[database]
connection = {db_url(name, db_password)}
[oslo_concurrency]
lock_path = {lay.data}/{name}/locks
[oslo_messaging_notifications]
driver = noop
"""


def keystone_conf(lay: Layout, db_password: str) -> str:
    return f"""[DEFAULT]
log_file = {lay.log}/keystone.log
[database]
connection = {db_url('keystone', db_password)}
[token]
provider = fernet
[fernet_tokens]
key_repository = {lay.etc}/keystone/fernet-keys
[fernet_receipts]
key_repository = {lay.etc}/keystone/fernet-keys
[credential]
key_repository = {lay.etc}/keystone/credential-keys
# blocker 2: ~200 SQL queries a request without a cache; one process keeps invalidation coherent
[cache]
enabled = true
backend = dogpile.cache.memory
[identity]
password_hash_rounds = 4
"""


def placement_conf(lay: Layout, db_password: str, service_password: str) -> str:
    return f"""[DEFAULT]
log_file = {lay.log}/placement.log
[placement_database]
connection = {db_url('placement', db_password)}
[api]
auth_strategy = keystone
{_authtoken('placement', service_password)}"""


def glance_conf(lay: Layout, db_password: str, service_password: str) -> str:
    return f"""[DEFAULT]
log_file = {lay.log}/glance.log
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {lay.data}/glance/images
[os_glance_staging_store]
filesystem_store_datadir = {lay.data}/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = {lay.data}/glance/tasks
[database]
connection = {db_url('glance', db_password)}
[paste_deploy]
flavor = keystone
[oslo_concurrency]
lock_path = {lay.data}/glance/locks
{_authtoken('glance', service_password)}"""


def neutron_conf(lay: Layout, db_password: str, service_password: str, nova_password: str) -> str:
    return f"""[DEFAULT]
log_file = {lay.log}/neutron.log
core_plugin = ml2
# auto_allocate: Jetstream2 has it, and it adds `is_default` to every network
service_plugins = router,auto_allocate
auth_strategy = keystone
transport_url = {rabbit_url()}
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
api_paste_config = {lay.etc}/neutron/api-paste.ini
state_path = {lay.data}/neutron
[database]
connection = {db_url('neutron', db_password)}
[oslo_concurrency]
lock_path = {lay.data}/neutron/locks
{_authtoken('neutron', service_password)}
{_service_auth('nova', 'nova', nova_password)}
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
# blocker 4: no agent binds ports, so a driver of our own binds them all
mechanism_drivers = noop_bind
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[ml2_type_vxlan]
vni_ranges = 1:1000
"""


def nova_conf(lay: Layout, db_password: str, passwords: dict[str, str]) -> str:
    cinder_section = _service_auth("cinder", "nova", passwords["nova"],
                                   f"catalog_info = volumev3::publicURL\nos_region_name = {REGION}\n")
    return f"""[DEFAULT]
log_dir = {lay.log}
transport_url = {rabbit_url()}
# blocker 6: FakeDriver makes a new node identity in each process and will not restart
compute_driver = fake.FakeDriverWithoutFakeNodes
state_path = {lay.data}/nova
instances_path = {lay.data}/nova/instances
host = exotui-compute
my_ip = {HOST}
enabled_apis = osapi_compute
# one fake host: a resize must be allowed to stay on it
allow_resize_to_same_host = true
[api]
auth_strategy = keystone
[api_database]
connection = {db_url('nova_api', db_password)}
[database]
connection = {db_url('nova', db_password)}
[wsgi]
api_paste_config = {lay.etc}/nova/api-paste.ini
[oslo_concurrency]
lock_path = {lay.data}/nova/locks
[oslo_messaging_notifications]
driver = noop
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = -1
[vnc]
enabled = false
[glance]
region_name = {REGION}
# blocker 7: Nova finds Cinder as volumev3
{cinder_section}
{_authtoken('nova', passwords['nova'])}
# Neutron's default policy lets only a service token delete a compute port: without one, deletes
# end in ERROR with "rule:delete_port is disallowed by policy"
{_service_auth('service_user', 'nova', passwords['nova'], 'send_service_user_token = true' + NL)}
{_service_auth('placement', 'placement', passwords['placement'], PUBLIC)}
{_service_auth('neutron', 'neutron', passwords['neutron'], PUBLIC)}
"""


def cinder_conf(lay: Layout, db_password: str, passwords: dict[str, str]) -> str:
    return f"""[DEFAULT]
log_dir = {lay.log}
transport_url = {rabbit_url()}
auth_strategy = keystone
enabled_backends = fake
state_path = {lay.data}/cinder
my_ip = {HOST}
host = exotui-volume
api_paste_config = {lay.etc}/cinder/api-paste.ini
# without the shipped filter list Cinder refuses every list filter (`?name=` is a 400)
resource_query_filters_file = {lay.etc}/cinder/resource_filters.json
[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
{_database_locks_no_notifications(lay, 'cinder', db_password)}{_authtoken('cinder', passwords['cinder'])}
{_service_auth('nova', 'nova', passwords['nova'], 'interface = public' + NL)}
"""


def heat_conf(lay: Layout, db_password: str, passwords: dict[str, str]) -> str:
    return f"""[DEFAULT]
log_dir = {lay.log}
transport_url = {rabbit_url()}
region_name_for_services = {REGION}
# one engine process (the default is one a core): the stacks in the tests are small
num_engine_workers = 1
stack_user_domain_name = {HEAT_DOMAIN}
stack_domain_admin = {HEAT_DOMAIN_ADMIN}
stack_domain_admin_password = {passwords['heat_domain_admin']}
environment_dir = {lay.etc}/heat/environment.d
template_dir = {lay.etc}/heat/templates
# no heat-api-cfn runs: wait conditions and metadata would need it, the tests' templates do not
heat_metadata_server_url = {url('heat')}
heat_waitcondition_server_url = {url('heat')}/v1/waitcondition
[paste_deploy]
api_paste_config = {lay.etc}/heat/api-paste.ini
{_database_locks_no_notifications(lay, 'heat', db_password)}[clients]
endpoint_type = publicURL
[clients_keystone]
auth_uri = {url('keystone')}
[ec2authtoken]
auth_uri = {url('keystone')}/v3
{_authtoken('heat', passwords['heat'])}
# Heat acts later for the user (deferred operations) through a Keystone trust to this user; unscoped,
# as a trust-scoped token must be
[trustee]
auth_url = {url('keystone')}
auth_type = password
user_domain_name = Default
username = heat
password = {passwords['heat']}
"""


# Manila's one backend: the dummy driver Manila's own tests use, which needs no storage. It serves NFS (ip rules)
# and CIFS (user rules) only, not Jetstream2's CephFS (docs/realcloud-notes.md, Manila). Its delays (2-4 s
# a call by default, to look like a real backend) are set to none but a share's creation, which takes 1 s
# so that a share is seen `creating` as on a real backend.
MANILA_BACKEND = "dummy"


def manila_conf(lay: Layout, db_password: str, passwords: dict[str, str]) -> str:
    return f"""[DEFAULT]
log_dir = {lay.log}
transport_url = {rabbit_url()}
auth_strategy = keystone
state_path = {lay.data}/manila
my_ip = {HOST}
host = exotui-share
api_paste_config = {lay.etc}/manila/api-paste.ini
enabled_share_backends = {MANILA_BACKEND}
enabled_share_protocols = NFS,CIFS
default_share_type = cephfsnativetype
osapi_share_workers = 1
[{MANILA_BACKEND}]
share_driver = manila.tests.share.drivers.dummy.DummyDriver
share_backend_name = {MANILA_BACKEND}
driver_handles_share_servers = False
dummy_driver_default_driver_method_delay = 0
dummy_driver_driver_methods_delays = create_share:1.0
{_database_locks_no_notifications(lay, 'manila', db_password)}{_authtoken('manila', passwords['manila'])}
{_service_auth('nova', 'nova', passwords['nova'], 'interface = public' + NL)}
{_service_auth('neutron', 'neutron', passwords['neutron'], 'interface = public' + NL)}
{_service_auth('cinder', 'cinder', passwords['cinder'], 'interface = public' + NL)}
{_service_auth('glance', 'glance', passwords['glance'], 'interface = public' + NL)}
"""


# Magnum 23 has no cluster driver in tree (the Heat drivers went in the 2025.x series); magnum-capi-helm, the one
# Jetstream2 runs, provides (vm, ubuntu, kubernetes). It makes clusters by `helm upgrade --install` of Cluster API
# charts into a management Kubernetes cluster named by a kubeconfig: none runs here (docs/realcloud-notes.md,
# Magnum), so templates work and a cluster fails at its first step.
MAGNUM_CLIENTS = ("glance_client", "nova_client", "neutron_client", "cinder_client", "magnum_client", "octavia_client",
                  "barbican_client")


def magnum_conf(lay: Layout, db_password: str, passwords: dict[str, str]) -> str:
    clients = "".join(f"[{name}]\nregion_name = {REGION}\nendpoint_type = publicURL\n" for name in MAGNUM_CLIENTS)
    return f"""[DEFAULT]
log_dir = {lay.log}
transport_url = {rabbit_url()}
state_path = {lay.data}/magnum
host = exotui-magnum
[api]
host = {HOST}
port = {PORTS['magnum']}
api_paste_config = {lay.etc}/magnum/api-paste.ini
workers = 1
[conductor]
workers = 1
# no Barbican: the clusters' CA and certificates are kept in Magnum's own database
[certificates]
cert_manager_type = x509keypair
[cinder]
default_boot_volume_size = 0
[capi_helm]
kubeconfig_file = {lay.etc}/magnum/kubeconfig
{_database_locks_no_notifications(lay, 'magnum', db_password)}{_authtoken('magnum', passwords['magnum'])}
{_service_auth('keystone_auth', 'magnum', passwords['magnum'])}
{clients}"""


SWIFT_RINGS = ("object", "container", "account")


def swift_conf(hash_suffix: str) -> str:
    return f"""[swift-hash]
swift_hash_path_suffix = {hash_suffix}
[storage-policy:0]
name = Policy-0
default = yes
"""


def swift_server_conf(lay: Layout, kind: str) -> str:
    """An account, container or object server: one process (workers = 0), one device on the loopback
    storage folder, logging to the console (`-v`) since no syslog runs."""
    return f"""[DEFAULT]
bind_ip = {HOST}
bind_port = {PORTS['swift-' + kind]}
workers = 0
swift_dir = {lay.etc}/swift
devices = {lay.data}/swift
mount_check = false
[pipeline:main]
pipeline = healthcheck {kind}-server
[app:{kind}-server]
use = egg:swift#{kind}
[filter:healthcheck]
use = egg:swift#healthcheck
"""


SWIFT_PIPELINE = ("catch_errors gatekeeper healthcheck proxy-logging listing_formats bulk tempurl authtoken "
                  "keystoneauth copy slo dlo versioned_writes symlink proxy-logging proxy-server")
# the options of the proxy's filters that are not Swift's defaults
SWIFT_FILTERS = {"keystoneauth": "operator_roles = admin, member\nreseller_admin_role = ResellerAdmin\n",
                 "versioned_writes": "allow_versioned_writes = true\n"}


def swift_proxy_conf(lay: Layout, service_password: str) -> str:
    filters = [name for name in dict.fromkeys(SWIFT_PIPELINE.split()) if name not in ("authtoken", "proxy-server")]
    sections = "".join(f"[filter:{name}]\nuse = egg:swift#{name.replace('-', '_')}\n{SWIFT_FILTERS.get(name, '')}"
                       for name in filters)
    return f"""[DEFAULT]
bind_ip = {HOST}
bind_port = {PORTS['swift']}
workers = 0
swift_dir = {lay.etc}/swift
[pipeline:main]
pipeline = {SWIFT_PIPELINE}
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
{sections}[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
{_authtoken('swift', service_password).split(NL, 1)[1]}"""


def uwsgi_ini(lay: Layout, name: str, module: str, env: dict[str, str], pyargv: str = "",
              processes: int = 1, threads: int = 16) -> str:
    # http11-socket gives each keep-alive connection a thread until the client closes it or
    # socket-timeout (4 s) passes. Clients pool connections (keystoneauth keeps up to 10 per
    # host), so with 4 threads a 5th concurrent request waited 4 s for an idle pooled one to
    # time out. Real deployments put Apache or nginx in front, which hold idle connections cheaply.
    lines = [
        "[uwsgi]",
        # blocker 1: plain http-socket resets keep-alive connections
        f"http11-socket = {HOST}:{PORTS[name]}",
        f"module = {module}",
        f"virtualenv = {lay.venv}",
        "master = true",
        f"processes = {processes}",
        f"threads = {threads}",
        "enable-threads = true",
        "lazy-apps = true",
        "need-app = true",
        "die-on-term = true",
        "buffer-size = 65535",
        "hook-master-start = unix_signal:15 gracefully_kill_them_all",
        f"procname-prefix-spaced = exotui-{name}",
    ]
    lines += [f"env = {key}={value}" for key, value in env.items()]
    if pyargv:
        lines.append(f"pyargv = {pyargv}")
    return "\n".join(lines) + "\n"
