"""``nimctl plan``: the program's resources under mocks, no secrets, errors as preview, --render.

The diffs are in ``test_nimctl_plan_diff.py``."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nimctl import chart, mock_engine, plan
from nimgke.config import NGC_KEY, ConfigError, load_stack_file
from tests.conftest import (
    FAKE_NGC_KEY,
    ROOT,
    SECRET_MANAGER_KEY,
    is_secret,
    run_program,
    stack_config,
)
from tests.nimctl.plan_stacks import (
    STACKS,
    capture,
    plan_json,
    plan_text,
    stack_file,
    write_copy,
)
from tests.test_chart_contract import program

# --- the resource list ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_plan_lists_exactly_what_the_program_registers(stack):
    doc = json.loads(plan_json(stack))
    registered = program(stack).mocks
    assert sorted((r["type"], r["name"]) for r in doc["resources"]) == sorted(
        (r.typ, r.name) for r in registered.resources
    )
    assert sorted(r["urn"] for r in doc["resources"]) == sorted(registered.urns())
    assert len(doc["resources"]) == len(registered.resources) > 20


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_is_listed_under_its_component(stack):
    doc = json.loads(plan_json(stack))
    by_urn = {r["urn"]: r for r in doc["resources"]}
    for r in doc["resources"]:
        if r["custom"]:
            component = by_urn[r["component"]]
            assert not component["custom"] and component["type"].startswith("nim-gke:"), r["urn"]
            # URN: ...::<component type>$<type>::<name>
            assert r["urn"].split("::")[2].split("$")[-2] == component["type"]
    # The text groups them the same way: each resource after its component's heading.
    text = plan_text(stack)
    heading = None
    for line in text.splitlines():
        if re.match(r"nim-gke:\S+  \S+$", line):
            heading = line.split()
        elif m := re.match(r" +\+ (\S+)  (\S+)", line):
            (r,) = [x for x in doc["resources"] if (x["type"], x["name"]) == m.groups()]
            component = by_urn[r["component"]]
            assert heading == [component["type"], component["name"]], line


def _block(text: str, typ: str, name: str) -> list[str]:
    """The property lines printed under one resource."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"+ {typ}  {name}"))
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith("          "):
            break
        block.append(line.strip())
    return block


def test_dev_plan_shows_the_settings_that_matter():
    text = plan_text("dev")
    pool = _block(text, "gcp:container/nodePool:NodePool", "gpu-pool")
    for line in (
        'nodeConfig.machineType: "g2-standard-4"',
        "autoscaling.totalMinNodeCount: 0",
        "autoscaling.totalMaxNodeCount: 2",
        'nodeLocations: ["us-central1-a"]',
        "nodeConfig.spot: true",
        "nodeConfig.diskSizeGb: 200",
        'nodeConfig.guestAccelerators[0].gpuDriverInstallationConfig.gpuDriverVersion: "LATEST"',
    ):
        assert line in pool
    cluster = _block(text, "gcp:container/cluster:Cluster", "cluster-gke")
    for line in (
        'location: "us-central1-a"',
        "deletionProtection: false",
        "privateClusterConfig.enablePrivateNodes: false",
        'datapathProvider: "ADVANCED_DATAPATH"',
        'workloadIdentityConfig.workloadPool: "my-nim-dev-project.svc.id.goog"',
    ):
        assert line in cluster
    # Rollouts: each version is its own release, <release>-<tag>
    release = _block(text, "kubernetes:helm.sh/v3:Release", "nim-llama3-8b-1-0-3-release")
    for line in (
        'version: "1.3.0"',
        'values.image.tag: "1.0.3"',
        'values.resources.requests["nvidia.com/gpu"]: 1',
        'values.persistence.size: "50Gi"',
        "repositoryOpts: [secret]",
    ):
        assert line in release
    ns = _block(text, "kubernetes:core/v1:Namespace", "ngc-namespace")
    assert 'metadata.labels["pod-security.kubernetes.io/enforce"]: "restricted"' in ns


DASHBOARD = ("gcp:monitoring/dashboard:Dashboard", "observability-dashboard")


@pytest.mark.parametrize("stack", STACKS)
def test_the_dashboard_prints_as_one_line_unless_full(stack):
    """The dashboard's JSON (12 KB, 700 lines) prints as what it is: its panels and sections,
    counted in the layout the Monitoring API defines (googleapis/googleapis@
    0dafa3963ef6fcb8a7f5daaa4bec12adb04de518: google/monitoring/dashboard/v1/layouts.proto,
    MosaicLayout.tiles[].widget; a widget is a chart or a sectionHeader). --full prints it."""
    (board,) = [r for r in json.loads(plan_json(stack))["resources"] if r["name"] == DASHBOARD[1]]
    body = board["inputs"]["dashboardJson"]
    parsed = json.loads(body)
    widgets = [t["widget"] for t in parsed["mosaicLayout"]["tiles"]]
    sections = sum(1 for w in widgets if "sectionHeader" in w)
    charts = sum(1 for w in widgets if "xyChart" in w)
    assert sections + charts == len(widgets) and sections >= 3 and charts >= 15
    folded = (
        f"dashboardJson: (Cloud Monitoring dashboard {json.dumps(parsed['displayName'])}: "
        f"{charts} panels in {sections} sections, {len(body):,} characters of JSON; --full "
        "prints it)"
    )
    text = plan_text(stack)
    assert folded in _block(text, *DASHBOARD)
    assert '"mosaicLayout"' not in text and max(map(len, text.splitlines())) < 400
    # --full: the same plan with the document in place of that line, one line of it a line
    full = capture("plan", stack, "--full")
    pad = " " * 10
    block = "\n".join([f"{pad}dashboardJson: |", *(f"{pad}    {x}" for x in body.splitlines())])
    assert full.count(block) == 1
    assert full.replace(block, pad + folded) == text


def test_prod_plan_lists_the_gateway_and_its_network():
    """Rollouts: `nimctl plan prod` shows the Gateway's resources with their settings."""
    text = plan_text("prod")
    assert "nim-gke:net:ModelGateway  gateway" in text
    gateway = _block(text, "kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert 'spec.gatewayClassName: "gke-l7-rilb"' in gateway
    assert 'spec.addresses[0].type: "NamedAddress"' in gateway
    route = _block(
        text, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-llama3-8b-route"
    )
    assert 'spec.rules[0].matches[0].path.value: "/llama3-8b/v1"' in route
    assert "spec.rules[0].backendRefs[0].weight: 100" in route
    health = _block(
        text,
        "kubernetes:networking.gke.io/v1:HealthCheckPolicy",
        "gateway-llama3-8b-1-0-3-nim-llm-health",
    )
    assert 'spec.default.config.httpHealthCheck.requestPath: "/v1/health/ready"' in health
    backend = _block(
        text,
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
        "gateway-llama3-8b-1-0-3-nim-llm-backend",
    )
    assert "spec.default.timeoutSec: 600" in backend
    proxy = _block(text, "gcp:compute/subnetwork:Subnetwork", "cluster-proxy-only")
    assert 'purpose: "REGIONAL_MANAGED_PROXY"' in proxy
    assert "+ gcp:compute/firewall:Firewall  cluster-allow-gateway" in text
    assert 'endpoints["llama3-8b"]: "http://10.10.0.50/llama3-8b/v1"' in text
    # dev has none of it
    assert "ModelGateway" not in plan_text("dev")


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_and_cost_are_the_programs(stack):
    doc = json.loads(plan_json(stack))
    run = program(stack)
    assert set(doc["outputs"]) == set(run.outputs)
    assert doc["outputs"]["kubeconfig"] == "[secret]"
    for name in set(run.outputs) - run.secret_outputs:
        assert doc["outputs"][name] == json.loads(json.dumps(plan.mask(run.outputs[name])))
    est = run.outputs["costEstimate"]
    text = plan_text(stack)
    total = f"Total per month  {est['idleMonthly']:,.2f}  {est['expectedMonthly']:,.2f}"
    assert total in re.sub(" {2,}", "  ", text)
    assert f'clusterName: "nim-{stack}"' in text


def test_plan_shows_the_warnings_preview_prints():
    (warning,) = load_stack_file(stack_file("dev")).warnings
    doc = json.loads(plan_json("dev"))
    assert doc["warnings"] == [warning]
    assert (
        "Diagnostics:\n  pulumi:pulumi:Stack (nim-gke-dev):\n    warning: " + warning
        in plan_text("dev")
    )


def test_dev_plans_with_a_placeholder_key_and_says_so():
    doc = json.loads(plan_json("dev"))
    assert doc["placeholders"] == [NGC_KEY]
    assert f"{NGC_KEY} is not in the stack file in plain form" in plan_text("dev")
    # prod reads the key from Secret Manager: nothing to stand in for.
    assert json.loads(plan_json("prod"))["placeholders"] == []


def test_an_encrypted_key_is_replaced_by_a_placeholder_secret(tmp_path):
    path = write_copy(
        tmp_path,
        "dev",
        "  nim-gke:region: us-central1\n",
        "  nim-gke:region: us-central1\n  nim-gke:ngcApiKey:\n    secure: v1:AAAABBBBCCCC\n",
    )
    inp = plan.stack_input(path)
    assert inp.config[NGC_KEY] == plan.PLACEHOLDER_KEY
    assert inp.secret_keys == [NGC_KEY] and inp.placeholders == [NGC_KEY]


# --- secrets ----------------------------------------------------------------------------------


def _with_fake_key(stack: str) -> tuple[plan.StackInput, dict[str, Any]]:
    """The plan of ``stack`` with the tests' fake NGC key as a secret config value."""
    inp = plan.stack_input(stack_file(stack))
    inp = dataclasses.replace(
        inp,
        config={**inp.config, NGC_KEY: FAKE_NGC_KEY},
        secret_keys=[NGC_KEY],
        placeholders=[],
    )
    return inp, plan.plan(inp)


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_value_anywhere_in_the_output(stack):
    inp, doc = _with_fake_key(stack)
    outputs = [
        plan.render_text(doc),
        json.dumps(doc, indent=2, sort_keys=True),
        plan_text(stack),
        plan_json(stack),
    ]
    # The key travels base64-encoded in the pull secret too.
    encoded = [
        base64.b64encode(f"$oauthtoken:{k}".encode()).decode()
        for k in (FAKE_NGC_KEY, SECRET_MANAGER_KEY, plan.PLACEHOLDER_KEY)
    ]
    for text in outputs:
        for secret in (FAKE_NGC_KEY, SECRET_MANAGER_KEY, plan.PLACEHOLDER_KEY, *encoded):
            assert secret not in text
        assert "[secret]" in text
    assert plan.secret_values(inp) >= {FAKE_NGC_KEY, SECRET_MANAGER_KEY}


@pytest.mark.parametrize("stack", STACKS)
def test_every_input_the_engine_holds_secret_prints_as_secret(stack):
    _, doc = _with_fake_key(stack)
    by_urn = {r["urn"]: r for r in doc["resources"]}
    mocks = program(stack).mocks
    seen = 0
    for reg in mocks.registrations:
        for key, value in reg.args.inputs.items():
            if is_secret(value):
                assert by_urn[reg.urn]["inputs"][key] == "[secret]", (reg.urn, key)
                seen += 1
    # kubeconfig (provider), both Secrets' stringData, the Helm repository password.
    assert seen >= 4


def test_the_guard_refuses_to_print_a_secret():
    with pytest.raises(plan.PlanError, match="refusing to print"):
        plan.guard(f"password: {FAKE_NGC_KEY}", {FAKE_NGC_KEY})
    assert plan.guard("password: [secret]", {FAKE_NGC_KEY}) == "password: [secret]"


# --- config mistakes --------------------------------------------------------------------------


def test_a_config_mistake_is_reported_like_preview(tmp_path, run_cli):
    path = write_copy(tmp_path, "dev", "gpuCount: 1", "gpuCount: 2")
    code, out, err = run_cli(plan, "plan", str(path))
    # The same message the program raises under the engine (what `pulumi preview` prints).
    config = stack_config("dev", **{NGC_KEY: FAKE_NGC_KEY})
    config["nim-gke:gpuPool"] = config["nim-gke:gpuPool"].replace('"gpuCount": 1', '"gpuCount": 2')
    with pytest.raises(ConfigError) as raised:
        run_program("dev", config, [NGC_KEY])
    message = str(raised.value)
    assert "nim-gke:gpuPool.gpuCount = 2: g2-standard-4 comes with exactly 1 nvidia-l4" in message
    assert code == plan.EXIT_CONFIG
    assert out == ""
    first, *rest = message.splitlines()
    assert err == "\n".join(
        [
            "Diagnostics:",
            "  pulumi:pulumi:Stack (nim-gke-dev):",
            f"    error: {first}",
            *(f"    {line}" for line in rest),
            "",
            "",
        ]
    )
    assert "Traceback" not in err


def test_a_plain_text_key_is_refused_without_showing_it(tmp_path, run_cli):
    path = write_copy(
        tmp_path,
        "dev",
        "  nim-gke:region: us-central1\n",
        f"  nim-gke:region: us-central1\n  nim-gke:ngcApiKey: {FAKE_NGC_KEY}\n",
    )
    code, out, err = run_cli(plan, "plan", str(path))
    assert (code, out) == (plan.EXIT_CONFIG, "")
    assert "    error: stack 'dev': 1 config problem; nothing was created:" in err
    assert "  - nim-gke:ngcApiKey = '(hidden)': is stored in plain text" in err
    assert FAKE_NGC_KEY not in err


def test_a_missing_stack_file(run_cli):
    code, out, err = run_cli(plan, "plan", "nosuchstack")
    assert (code, out) == (plan.EXIT_CONFIG, "")
    assert err.startswith("plan: no stack file for stack 'nosuchstack'")


# --- the engine outside pytest, and run after run ---------------------------------------------


def test_plan_runs_as_a_command_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "nimctl", "plan", "dev", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == json.loads(plan_json("dev"))


def test_runs_in_one_process_do_not_share_engine_state(tmp_path):
    dev = plan.plan(plan.stack_input(stack_file("dev")))
    prod_run = plan.run(plan.stack_input(stack_file("prod")))
    tops = {
        r.parent
        for r in prod_run.mocks.registrations
        if r.urn.split("::")[2].startswith("pulumi:pulumi:Stack$")
    }
    assert tops == {"urn:pulumi:prod::nim-gke::pulumi:pulumi:Stack::nim-gke-prod"}
    assert plan.plan(plan.stack_input(stack_file("dev"))) == dev
    # Exports of one program do not linger into the next.
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text('import pulumi\npulumi.export("a", 1)\n')
    second.write_text('import pulumi\npulumi.export("b", 2)\n')
    assert mock_engine.run_program("s", {}, program=first).outputs == {"a": 1}
    assert mock_engine.run_program("s", {}, program=second).outputs == {"b": 2}


# --- --render ---------------------------------------------------------------------------------


def _fake_helm(tmp_path: Path) -> Path:
    """A ``helm`` that answers ``version`` and records every call (for paths without a chart)."""
    script = tmp_path / "helm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path}/calls\n'
        'if [ "$1" = version ]; then echo v0.0.0-fake; exit 0; fi\n'
        f"cat > {tmp_path}/stdin-$1\n"
        'if [ "$1" = pull ]; then\n'
        '  dest=""; while [ $# -gt 0 ]; do [ "$1" = --destination ] && dest=$2; shift; done\n'
        '  mkdir -p "$dest/nim-llm" && echo "version: 1.3.0" > "$dest/nim-llm/Chart.yaml"\n'
        "fi\n"
    )
    script.chmod(0o755)
    return script


def test_render_without_helm_says_how_to_get_it(monkeypatch, run_cli):
    monkeypatch.setattr(chart, "find_helm", lambda explicit=None: None)
    code, out, err = run_cli(plan, "plan", "dev", "--render")
    assert (code, out) == (plan.EXIT_FAILED, "")
    assert err.startswith("plan: --render needs helm: install it")


def test_render_without_a_chart_or_key_says_where_to_get_one(tmp_path, monkeypatch, run_cli):
    monkeypatch.delenv(chart.CHART_DIR_ENV, raising=False)
    monkeypatch.delenv(chart.NGC_KEY_ENV, raising=False)
    code, out, err = run_cli(plan, "plan", "dev", "--render", "--helm", str(_fake_helm(tmp_path)))
    assert (code, out) == (plan.EXIT_FAILED, "")
    assert err == (
        "plan: --render needs the nim-llm chart: pass --chart DIR (an unpacked chart), set "
        "$NIM_LLM_CHART_DIR, or set $NGC_API_KEY to pull it from https://helm.ngc.nvidia.com/nim\n"
    )


def test_render_refuses_a_directory_that_is_not_a_chart(tmp_path, run_cli):
    code, _, err = run_cli(
        plan,
        "plan",
        "dev",
        "--render",
        "--helm",
        str(_fake_helm(tmp_path)),
        "--chart",
        str(tmp_path),
    )
    assert code == plan.EXIT_FAILED
    assert err == f"plan: --render: {tmp_path} is not an unpacked chart (no Chart.yaml)\n"


def test_pulling_the_chart_passes_the_key_on_stdin_only(tmp_path):
    helm = _fake_helm(tmp_path)
    with chart.pulled_chart(
        str(helm), "https://helm.ngc.nvidia.com/nim", "nim-llm", "1.3.0", FAKE_NGC_KEY
    ) as pulled:
        assert chart.chart_version(pulled) == "1.3.0"
        kept = pulled.parent
    assert not kept.exists()  # the chart and the repository file are gone
    calls = (tmp_path / "calls").read_text()
    assert FAKE_NGC_KEY not in calls
    assert "repo add nimctl-plan https://helm.ngc.nvidia.com/nim --username $oauthtoken" in calls
    assert "--password-stdin" in calls
    assert "pull nimctl-plan/nim-llm --version 1.3.0 --untar" in calls
    assert (tmp_path / "stdin-repo").read_text() == FAKE_NGC_KEY


@pytest.mark.helm
@pytest.mark.parametrize("stack", STACKS)
def test_render_shows_the_pod_spec_of_the_real_chart(stack, run_cli):
    from tests.helm_env import require_chart  # noqa: PLC0415 - skips without helm and chart

    helm, chart_dir = require_chart()
    code, out, err = run_cli(
        plan, "plan", stack, "--render", "--json", "--chart", str(chart_dir), "--helm", helm
    )
    assert (code, err) == (0, "")
    doc = json.loads(out)
    (release,) = [r for r in doc["resources"] if r["type"] == plan.HELM_RELEASE]
    (rendered,) = doc["rendered"]
    assert (rendered["release"], rendered["namespace"]) == ("llama3-8b-1-0-3", "nim")
    assert rendered["chartVersion"] == rendered["version"] == "1.3.0"
    (workload,) = rendered["workloads"]
    # dev: a disk per replica, the chart's StatefulSet; prod: the shared cache, a Deployment.
    kind = {"dev": "StatefulSet", "prod": "Deployment"}[stack]
    assert (workload["kind"], workload["name"]) == (kind, "llama3-8b-1-0-3-nim-llm")
    assert workload["restrictedViolations"] == []
    pod = workload["podSpec"]
    assert pod["nodeSelector"] == release["inputs"]["values"]["nodeSelector"]
    (container,) = pod["containers"]
    image = (
        f"us-central1-docker.pkg.dev/my-nim-{stack}-project/nvcr-remote/"
        "nim/meta/llama3-8b-instruct:1.0.3"
    )
    assert container["image"] == image  # through the stack's nvcr.io mirror
    assert {"kind": "Service", "name": "llama3-8b-1-0-3-nim-llm"} in rendered["objects"]

    code, text, _ = run_cli(plan, "plan", stack, "--render", "--chart", str(chart_dir))
    assert code == 0
    assert f"  {kind} llama3-8b-1-0-3-nim-llm: Pod Security restricted: admitted" in text
    assert "  pod spec:\n" in text
    assert f"      image: {image}" in text
    assert FAKE_NGC_KEY not in text and plan.PLACEHOLDER_KEY not in text
