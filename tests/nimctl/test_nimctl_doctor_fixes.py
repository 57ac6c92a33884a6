"""What ``nimctl doctor``'s fixes tell a user to run, over every snapshot the tests hold, and how
findings that share one cause are folded into one.

A fix text quotes each command in backticks. A user pastes it into a shell: it must split into
words as a shell splits them (``shlex``, which follows the POSIX shell's quoting rules), and a
kubectl command names several objects of a kind as separate words (``kubectl delete TYPE NAME
NAME``; "kubectl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)])" in kubectl's usage,
https://kubernetes.io/docs/reference/kubectl/generated/kubectl_delete/): a name that ends with a
comma is a name no object has.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from typing import Any

import pytest
from fixtures.doctor.support import FIXTURES, load

from nimctl import doctor

SNAPSHOTS = sorted(FIXTURES.rglob("*.json"))
_QUOTED = re.compile(r"`([^`]+)`")
COMMANDS = ("kubectl", "gcloud", "pulumi", "nimctl", "helm")


def commands_in(text: str) -> list[str]:
    """The command lines a fix text quotes: backticked text that starts with a command."""
    return [q for q in _QUOTED.findall(text) if q.split(" ", 1)[0] in COMMANDS]


def test_commands_in_finds_the_quoted_command_lines() -> None:
    text = "run `kubectl -n nim get pods` then `pulumi up`; `requestPath` is a field"
    assert commands_in(text) == ["kubectl -n nim get pods", "pulumi up"]


def _fix_commands() -> list[tuple[str, str, str]]:
    out = []
    for path in SNAPSHOTS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for finding in doctor.diagnose(doc).findings:
            for command in commands_in(finding.fix_text):
                out.append((path.relative_to(FIXTURES).as_posix(), finding.fix, command))
    return out


FIX_COMMANDS = _fix_commands()


def test_the_snapshots_give_many_fix_commands() -> None:
    assert len(SNAPSHOTS) > 80
    assert len({fix for _, fix, _ in FIX_COMMANDS}) > 20
    assert any(fix == "fix-metrics-adapter" for _, fix, _ in FIX_COMMANDS)


@pytest.mark.parametrize(("snapshot", "fix", "command"), FIX_COMMANDS)
def test_every_fix_command_is_a_shell_command(snapshot: str, fix: str, command: str) -> None:
    words = shlex.split(command)  # raises on an unbalanced quote
    assert words[0] in COMMANDS
    if words[0] == "kubectl":
        assert ", " not in command, f"{snapshot}: [{fix}] {command}"
        assert not [w for w in words if w.endswith(",")], f"{snapshot}: [{fix}] {command}"


# --- an unavailable metrics adapter: one finding per Service behind the APIServices ----------


def _apiservice(like: dict[str, Any], version: str, group: str, service: str) -> dict[str, Any]:
    out = copy.deepcopy(like)
    out["metadata"]["name"] = f"{version}.{group}"
    out["spec"].update(group=group, version=version)
    out["spec"]["service"]["name"] = service
    return out


def _with_apiservices(*wanted: tuple[str, str, str]) -> dict[str, Any]:
    doc = load("metrics-adapter-unavailable")
    like = next(i for i in doc["items"] if i["kind"] == "APIService")
    doc["items"] = [i for i in doc["items"] if i["kind"] != "APIService"]
    doc["items"] += [_apiservice(like, *w) for w in wanted]
    return doc


def test_three_apiservices_behind_one_service_are_one_finding_with_one_command() -> None:
    """An APIService's requests go to its spec.service ("Service is a reference to the service
    for this API server": https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/
    api-service-v1/), and the Custom Metrics Stackdriver Adapter registers custom.metrics.k8s.io
    v1beta1 and v1beta2 and external.metrics.k8s.io v1beta1 on one Service
    (GoogleCloudPlatform/k8s-stackdriver@0857364d151373fb985599f4ddee6504166de939:
    custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml): one
    adapter down is one cause."""
    adapter = "custom-metrics-stackdriver-adapter"
    doc = _with_apiservices(
        ("v1beta1", "custom.metrics.k8s.io", adapter),
        ("v1beta2", "custom.metrics.k8s.io", adapter),
        ("v1beta1", "external.metrics.k8s.io", adapter),
    )
    (finding,) = doctor.diagnose(doc).findings
    assert (finding.cause, finding.object) == (
        "metrics-api-unavailable",
        "apiservice/v1beta1.custom.metrics.k8s.io",
    )
    assert "served by Service custom-metrics/custom-metrics-stackdriver-adapter" in (
        finding.summary
    )
    assert "custom.metrics.k8s.io and external.metrics.k8s.io APIs are not available" in (
        finding.summary
    )
    (delete,) = [c for c in commands_in(finding.fix_text) if "delete" in c]
    assert shlex.split(delete) == [
        "kubectl",
        "delete",
        "apiservice",
        "v1beta1.custom.metrics.k8s.io",
        "v1beta1.external.metrics.k8s.io",
        "v1beta2.custom.metrics.k8s.io",
    ]
    assert "`kubectl -n custom-metrics get pods,endpoints`" in finding.fix_text


def test_apiservices_behind_two_services_are_two_findings() -> None:
    doc = _with_apiservices(
        ("v1beta1", "custom.metrics.k8s.io", "custom-metrics-stackdriver-adapter"),
        ("v1beta1", "external.metrics.k8s.io", "prometheus-adapter"),
    )
    found = [(f.object, f.fix) for f in doctor.diagnose(doc).findings]
    assert found == [
        ("apiservice/v1beta1.custom.metrics.k8s.io", "fix-metrics-adapter"),
        ("apiservice/v1beta1.external.metrics.k8s.io", "fix-metrics-adapter"),
    ]
