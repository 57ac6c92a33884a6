"""The rollout safety check of ``nimctl plan --diff`` for what a StatefulSet cannot take: the API
server refuses an update of a StatefulSet's spec outside 'replicas', 'ordinals', 'template',
'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'
(kubernetes/kubernetes@2dd1588c490775be7cd90d0afc59c6dcef07032a:
pkg/apis/apps/validation/validation.go, ``ValidateStatefulSetUpdate``), so Helm's upgrade fails
("cannot patch ... with kind StatefulSet": helm/helm@374d5f1b53e213a4400185406294ce0aa9a0f67e
pkg/kube/client.go). nim-llm 1.3.0 renders ``persistence.size`` (``cacheSize``) into the
StatefulSet's ``volumeClaimTemplates`` and the chart's version into their labels; a test that
renders the real chart (``tests/test_chart_updates.py``) holds the list to it. Shared helpers:
``test_nimctl_plan_safety.py``.
"""

from __future__ import annotations

import json

from nimctl import plan
from tests.nimctl.plan_stacks import MODEL, canary, stack_file
from tests.nimctl.test_nimctl_plan_safety import RELEASE, edit, found, release_key, words

CACHE = ("        cacheSize: 50Gi\n", "        cacheSize: 80Gi\n")
CHART = ('    chartVersion: "1.3.0"\n', '    chartVersion: "1.3.1"\n')
SIZE = 'values.persistence.size: "50Gi" => "80Gi"'
CLASS = ("    storageClass: standard-rwo     # pd-balanced\n", "    storageClass: premium-rwo\n")


def refused(release: str, shown: str) -> dict[str, str]:
    workload = f"{release}-nim-llm"
    return {
        "kind": "statefulset-update-refused",
        "resource": release_key(release),
        "type": RELEASE,
        "name": f"nim-{release}-release",
        "reason": (
            f"release {release} runs as a StatefulSet, and this edit changes what the chart "
            "renders into its volume claim template, service name or selector "
            f'({shown}): Kubernetes refuses that update ("updates to statefulset spec for '
            "fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
            "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden\"), so "
            "its Helm upgrade fails and `pulumi up` stops there with the StatefulSet and its pods "
            "as they were (and what waits on the release, its route or the model's Service, not "
            "updated)"
        ),
        "fix": (
            "keep the old value for a version that runs: a StatefulSet keeps the claim template "
            "it was created with (its disk grows in place instead: GKE volume expansion of claim "
            f"model-store-{workload}-0); or let Helm create the StatefulSet anew: `kubectl -n nim "
            f"delete statefulset {workload} --cascade=orphan` right before `pulumi up` (its pods "
            "and claims stay; Kubernetes docs, 'Delete a StatefulSet')"
        ),
    }


def test_a_cache_size_change_of_a_statefulset_version_fails_the_upgrade(tmp_path, run_cli):
    """dev (a disk per replica): cacheSize 50Gi -> 80Gi changes only values.persistence.size, no
    pod template (so no restart), but the StatefulSet's volumeClaimTemplates: the upgrade is
    refused. `nimctl plan --diff` exits 4 with the finding."""
    d = edit(tmp_path / "diff", "dev", [], [CACHE])
    assert [c["path"] for r in d["resources"] for c in r.get("changes", [])] == [
        "values.persistence.size"
    ]
    assert found(d) == [refused("llama3-8b-1-0-3", SIZE)]
    base = tmp_path / "before.json"
    base.write_text(json.dumps(plan.plan(plan.stack_input(stack_file("dev")))))
    after = tmp_path / "diff" / "after" / "Pulumi.dev.yaml"
    code, out, err = run_cli(plan, "plan", str(after), "--diff", str(base))
    assert (code, err) == (plan.EXIT_UNSAFE, "")
    section = out[out.index("\nRollout safety:") :]
    assert words(section).startswith(
        words(
            "Rollout safety: 1 change would drop or fail requests (exit code 4):\n"
            "  ! a change Kubernetes refuses to make to a StatefulSet "
            "(statefulset-update-refused)\n"
            f"      {RELEASE}  nim-llama3-8b-1-0-3-release\n"
        )
    )
    assert max(len(line) for line in section.splitlines()) <= 100
    assert "model-store-llama3-8b-1-0-3-nim-llm-0" in section  # not broken at its hyphens


def test_a_storage_class_change_of_a_statefulset_version_is_refused_and_restarts_nothing(
    tmp_path,
):
    """dev: storageClass standard-rwo -> premium-rwo reaches only the volume claim template
    (nim-llm 1.3.0 templates/deployment.yaml renders ``persistence.storageClass`` there and
    nowhere in the pod template): the upgrade is refused, and no pod restarts, as the finding's
    row in docs/rollouts.md says."""
    d = edit(tmp_path, "dev", [], [CLASS])
    assert [c["path"] for r in d["resources"] for c in r.get("changes", [])] == [
        "values.persistence.storageClass"
    ]
    assert found(d) == [
        refused(
            "llama3-8b-1-0-3",
            'values.persistence.storageClass: "standard-rwo" => "premium-rwo"',
        )
    ]


def test_the_upgrade_fails_whatever_the_weight(tmp_path):
    """A canary on standby (weight 0) fails its upgrade too: both StatefulSets take the model's
    cacheSize."""
    standby = (MODEL, MODEL + canary(0))
    d = edit(tmp_path, "dev", [standby], [standby, CACHE])
    assert found(d) == [
        refused("llama3-8b-1-0-3", SIZE),
        refused("llama3-8b-1-1-2", SIZE),
    ]


def test_a_chart_version_change_of_a_statefulset_version_is_refused_and_restarts_it(tmp_path):
    """The chart's version is in the volume claim template's labels (``helm.sh/chart``): the
    StatefulSet's update is refused; were it not, the pod change would restart the one replica."""
    d = edit(tmp_path, "dev", [], [CHART])
    kinds = [(f["kind"], f["name"]) for f in found(d)]
    assert kinds == [
        ("statefulset-update-refused", "nim-llama3-8b-1-0-3-release"),
        ("pod-restart", "nim-llama3-8b-1-0-3-release"),
    ]
    assert found(d)[0] == refused("llama3-8b-1-0-3", 'version: "1.3.0" => "1.3.1"')


def test_a_deployment_over_the_shared_cache_takes_these_changes(tmp_path):
    """prod's versions are Deployments (over the shared cache): ``ValidateDeploymentUpdate``
    (the same validation.go) validates the new spec without holding its fields to the old one,
    and the chart renders no claim template for them: neither edit is refused (the chart's
    version changes the pod, which surges)."""
    for name, change in (("cache", CACHE), ("chart", CHART)):
        d = edit(tmp_path / name, "prod", [], [change])
        assert "statefulset-update-refused" not in [f["kind"] for f in found(d)], name
        assert found(d) == [], name
