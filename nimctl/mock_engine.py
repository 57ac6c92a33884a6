"""Run the stack program under Pulumi's mocks with a recording mock cloud: no cloud, no network,
no Pulumi CLI. The tests (``tests/conftest.py``) and ``nimctl plan`` share this engine.

Inputs are recorded as the engine sees them (wire names, camelCase), with secret values still
wrapped, so callers can assert both exact inputs and secretness.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "__main__.py"
PROJECT = "nim-gke"
ORGANIZATION = "organization"
"""What ``pulumi.get_organization()`` answers under the mocks: the name a DIY backend (local
files, a bucket) gives every stack's organization."""
SECRET_MANAGER_KEY = "nvapi-FROM-SECRET-MANAGER-0123456789"
SECRET_MANAGER_VERSION = "3"
PROJECT_NUMBER = "123456789012"
DNS_ENDPOINT_ID = "gke-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
INTERNAL_ADDRESS = "10.10.0.50"
"""What the mock cloud reserves for an internal address (inside the cluster subnet 10.10.0.0/20)."""
NODE_POOL_SUFFIX = "-a1b2c3"
"""The mock cloud names a node pool after its resource, like Pulumi's auto-naming
(``<resource name>-<random hex>``)."""
STACK_REFERENCE = "pulumi:pulumi:StackReference"


def node_pool_name(resource_name: str) -> str:
    """The name the mock cloud gives the node pool of resource ``resource_name``."""
    return f"{resource_name}{NODE_POOL_SUFFIX}"


def _num(name: str) -> int:
    """A stable numeric id for a mock resource (the Monitoring API's ids are numbers)."""
    return int(hashlib.sha1(name.encode()).hexdigest()[:12], 16)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    """Inputs with secret wrappers removed (for comparing plain structure)."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def plain_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string reachable without passing through a secret wrapper, with its path."""
    if is_secret(value):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from plain_strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from plain_strings(v, f"{path}[{i}]")


@dataclass(frozen=True)
class Registration:
    """One registered resource with what ``MockResourceArgs`` lacks: its URN and its parent's."""

    args: pulumi.runtime.MockResourceArgs
    urn: str
    parent: str
    """The parent's URN (the stack's for a top-level resource)."""


class RecordingMonitor(MockMonitor):
    """Pulumi's ``MockMonitor``, also remembering each resource's options (ignoreChanges...) and
    telling the mocks which URN and parent each registration has.

    The SDK registers resources from worker threads, so the pair is handed over per thread."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks
        self._current = threading.local()

    def registering(self) -> tuple[str, str]:
        """URN and parent URN of the registration this thread is serving."""
        return getattr(self._current, "urn", ""), getattr(self._current, "parent", "")

    def _serve(self, request: Any, handler: Callable[[Any], Any]) -> Any:
        self._current.urn = self.make_urn(request.parent, request.type, request.name)
        self._current.parent = request.parent
        try:
            return handler(request)
        finally:
            self._current.urn = self._current.parent = ""

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        self.recording.options[request.name] = {
            "ignoreChanges": list(request.ignoreChanges),
            "replaceOnChanges": list(request.replaceOnChanges),
            "deleteBeforeReplace": request.deleteBeforeReplace,
            "protect": request.protect,
            "retainOnDelete": request.retainOnDelete,
            "aliases": [json_format.MessageToDict(a) for a in request.aliases],
            "dependencies": list(request.dependencies),
            "additionalSecretOutputs": list(request.additionalSecretOutputs),
        }
        return self._serve(request, super().RegisterResource)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        return self._serve(request, super().ReadResource)


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs back as outputs (plus what the cloud would compute) and remember everything."""

    def __init__(self, previous_outputs: Mapping[str, Any] | None = None) -> None:
        self.previous_outputs = dict(previous_outputs or {})
        """The stack outputs of the last deployment, as a StackReference to the stack reads them
        (none: a stack never deployed)."""
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []
        self.state: dict[str, dict] = {}
        """Outputs by resource name, as the mock cloud returned them."""
        self.options: dict[str, dict[str, Any]] = {}
        """Resource options by resource name, as the engine received them."""
        self.registrations: list[Registration] = []
        """Every registration in order, with its URN and parent URN."""
        self.monitor = RecordingMonitor(self)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        self.registrations.append(Registration(args, *self.monitor.registering()))
        rid, outputs = self._cloud(args)
        self.state[args.name] = outputs
        return rid, outputs

    def _cloud(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        """What the provider would return: the inputs plus computed properties."""
        outputs = dict(args.inputs)
        name = args.name
        if args.typ == "gcp:container/nodePool:NodePool":
            outputs.setdefault("name", node_pool_name(name))
        elif args.typ == STACK_REFERENCE:
            # The engine reads the named stack's outputs from its last checkpoint (pulumi/pulumi@
            # 1b5949891b3cefcb9974752b24a5ecef0acc86c8: pkg/resource/deploy/builtins.go
            # readStackReference, pkg/backend/backend.go GetStackOutputs).
            stack = args.inputs["name"]
            return stack, {
                "name": stack,
                "outputs": self.previous_outputs,
                "secretOutputNames": [],
            }
        elif args.typ == "gcp:container/cluster:Cluster":
            outputs["endpoint"] = "203.0.113.10"
            outputs["masterAuth"] = {"clusterCaCertificate": "Q0EtQ0VSVA=="}
            # GKE gives every cluster a DNS endpoint, gke-<32 hex>-<project number>.<location>.
            # gke.goog; allowExternalTraffic decides whether user traffic may use it.
            endpoints = dict(outputs.get("controlPlaneEndpointsConfig") or {})
            location = args.inputs["location"]
            endpoints["dnsEndpointConfig"] = {
                **(endpoints.get("dnsEndpointConfig") or {}),
                "endpoint": f"{DNS_ENDPOINT_ID}-{PROJECT_NUMBER}.{location}.gke.goog",
            }
            outputs["controlPlaneEndpointsConfig"] = endpoints
        elif args.typ == "gcp:compute/address:Address":
            # Compute Engine picks a free address of the subnet when none is asked for.
            outputs.setdefault("address", INTERNAL_ADDRESS)
        elif args.typ == "random:index/randomString:RandomString":
            outputs["result"] = "x7k2qp"
        elif args.typ == "gcp:projects/serviceIdentity:ServiceIdentity":
            # The service agent services.generateServiceIdentity returns, e.g.
            # service-<number>@gcp-sa-artifactregistry.iam.gserviceaccount.com.
            agent = str(args.inputs["service"]).split(".", 1)[0]
            email = f"service-{PROJECT_NUMBER}@gcp-sa-{agent}.iam.gserviceaccount.com"
            outputs.update(email=email, member=f"serviceAccount:{email}")
        elif args.typ == "gcp:serviceaccount/account:Account":
            outputs["email"] = f"{args.inputs['accountId']}@p.iam.gserviceaccount.com"
        elif args.typ == "gcp:monitoring/notificationChannel:NotificationChannel":
            # The API names a channel projects/P/notificationChannels/<numeric id>.
            outputs["name"] = f"projects/{args.inputs['project']}/notificationChannels/{_num(name)}"
        elif args.typ == "gcp:monitoring/alertPolicy:AlertPolicy":
            outputs["name"] = f"projects/{args.inputs['project']}/alertPolicies/{_num(name)}"
        elif args.typ == "gcp:kms/cryptoKey:CryptoKey":
            return f"{args.inputs['keyRing']}/cryptoKeys/{name}", outputs
        elif args.typ == "gcp:secretmanager/secret:Secret":
            # The provider's id is the secret's resource name.
            rid = f"projects/{args.inputs['project']}/secrets/{args.inputs['secretId']}"
            return rid, {**outputs, "name": rid}
        elif args.typ == "gcp:secretmanager/secretVersion:SecretVersion":
            # name: projects/<number>/secrets/<id>/versions/<n> as Secret Manager returns it.
            secret_id = str(args.inputs["secret"]).rsplit("/", 1)[-1]
            vname = f"projects/{PROJECT_NUMBER}/secrets/{secret_id}/versions/1"
            return vname, {**outputs, "name": vname, "version": "1"}
        elif args.typ == "gcp:kms/keyRing:KeyRing":
            rid = f"projects/p/locations/{args.inputs['location']}/keyRings/{args.inputs['name']}"
            return rid, outputs
        return f"{name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:  # type: ignore[override]
        self.calls.append(args)
        if args.token == "gcp:organizations/getProject:getProject":
            return {"number": PROJECT_NUMBER, "projectId": args.args.get("projectId")}
        if args.token == "gcp:secretmanager/getSecretVersionAccess:getSecretVersionAccess":
            secret = args.args.get("secret")
            name = f"projects/{PROJECT_NUMBER}/secrets/{secret}/versions/{SECRET_MANAGER_VERSION}"
            return {
                "secretData": SECRET_MANAGER_KEY,
                "secret": secret,
                "name": name,
                "version": SECRET_MANAGER_VERSION,
            }
        if args.token == "gcp:secretmanager/getSecretVersion:getSecretVersion":
            # The identity this stack documents (deployer and CI) holds only
            # roles/secretmanager.secretAccessor, which lacks secretmanager.versions.get: the data
            # source that also reads version metadata is refused
            # (cloud.google.com/secret-manager/docs/access-control). Wording of Google
            # APIs' IAM denials ("Permission '<permission>' denied for resource '<name>' (or it
            # may not exist).").
            name = f"projects/{args.args.get('project')}/secrets/{args.args.get('secret')}"
            raise RuntimeError(
                f"Error 403: Permission 'secretmanager.versions.get' denied for resource "
                f"'{name}/versions/latest' (or it may not exist)."
            )
        return {}

    # --- queries used by tests ---
    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> pulumi.runtime.MockResourceArgs:
        matches = self.of_type(typ)
        assert len(matches) == 1, f"expected one {typ}, got {[r.name for r in matches]}"
        return matches[0]

    def named(self, name: str) -> pulumi.runtime.MockResourceArgs:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"expected one resource named {name}, got {len(matches)}"
        return matches[0]

    def urns(self) -> list[str]:
        return list(self.monitor.resources)


# --- whole-program runs -----------------------------------------------------------------------


def engine_config(raw: Mapping[str, Any]) -> dict[str, str]:
    """A stack file's config as the engine passes it: structured values as JSON strings."""
    return {
        k: (v if isinstance(v, str) else json.dumps(v)) for k, v in raw.items() if v is not None
    }


@dataclass
class ProgramRun:
    mocks: RecordingMocks
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    log: list[logging.LogRecord] = field(default_factory=list)
    """What the program logged through the engine (``pulumi.log.warn`` and the like)."""


class _Collect(logging.Handler):
    """Keeps the records the engine logs to ``logger`` itself (not those propagated to it)."""

    def __init__(self, logger: logging.Logger, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.logger_name = logger.name
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == self.logger_name:
            self.into.append(record)


def run_program(
    stack: str,
    config: dict[str, str],
    secret_keys: list[str] | None = None,
    *,
    program: Path = PROGRAM,
    logger: logging.Logger | None = None,
    on_start: Callable[[ProgramRun], None] | None = None,
    previous_outputs: Mapping[str, Any] | None = None,
) -> ProgramRun:
    """Run ``__main__.py`` under fresh mocks for ``stack`` and collect its resolved exports.

    Each run starts from a new root stack resource, so runs in one process are independent.
    ``logger`` receives the engine's log (default: the root logger); ``on_start`` sees the run
    before the program starts (to inspect a run that raised); ``previous_outputs``: the outputs of
    the stack's last deployment (none by default: never deployed)."""
    m = RecordingMocks(previous_outputs)
    settings.ROOT.set(None)  # a new Stack per run, named after this run's stack
    log = logger or logging.getLogger()
    pulumi.runtime.set_mocks(
        m,
        project=PROJECT,
        stack=stack,
        preview=False,
        logger=log,
        monitor=m.monitor,
        organization=ORGANIZATION,
    )
    pulumi.runtime.set_all_config(config, secret_keys or [])
    run = ProgramRun(mocks=m)
    if on_start is not None:
        on_start(run)

    @pulumi.runtime.test
    def _program() -> pulumi.Output:
        with _on_sys_path(program.parent):
            runpy.run_path(str(program), run_name="__main__")
        root = pulumi.runtime.settings.get_root_resource()
        exports = {k: pulumi.Output.from_input(v) for k, v in root.outputs.items()}  # type: ignore[union-attr]

        async def secretness() -> set[str]:
            return {k for k, v in exports.items() if await v.is_secret()}

        def collect(values: list[Any]) -> None:
            run.outputs.update(dict(zip(exports, values[:-1], strict=True)))
            run.secret_outputs.update(values[-1])

        secrets = pulumi.Output.from_input(asyncio_future(secretness()))
        return pulumi.Output.all(*exports.values(), secrets).apply(collect)

    handler = _Collect(log, run.log)
    log.addHandler(handler)
    try:
        _program()
    finally:
        log.removeHandler(handler)
    return run


@contextmanager
def _on_sys_path(project: Path) -> Iterator[None]:
    """The project directory first on ``sys.path`` while the program runs, as under Pulumi, so
    ``__main__.py`` imports its ``components`` from the project wherever nimctl was started.

    Pulumi's language host runs the program as ``runpy.run_path(<program>)`` with the program
    defaulting to the project directory "." (pulumi/pulumi@0491e0d1a5054b2977f1c119c04ccd34920556a4:
    sdk/python/cmd/pulumi-language-python-exec; @0064624b14ccc77c3fefc6820282e8e01c5734cd:
    sdk/python/cmd/pulumi-language-python/main.go, constructArguments), and run_path of a directory
    inserts it at sys.path[0] (https://docs.python.org/3/library/runpy.html#runpy.run_path)."""
    entry = str(project)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)


def asyncio_future(coro: Any) -> Any:
    return asyncio.ensure_future(coro)
