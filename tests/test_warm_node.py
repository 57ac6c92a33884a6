"""prod's warm GPU node: what `minNodes: 1` does and does not do, and what the files say about it.

- A node pool's ``initial_node_count`` is per zone (terraform-provider-google docs,
  container_node_pool: "In regional or multi-zonal clusters, this is the number of nodes per
  zone"): the pool rounds a total of 1 over two zones down to 0 nodes at creation, rather than
  start (and bill) two L4s.
- The cluster autoscaler "will not scale the cluster beyond these limits, but does not enforce
  them. If your cluster is below the minimum number of nodes configured for Cluster Autoscaler, it
  will be scaled up *only* in presence of unschedulable pods" (kubernetes/autoscaler
  cluster-autoscaler/FAQ.md, "My cluster is below minimum / above maximum number of nodes, but CA
  did not fix that! Why?"; ``--enforce-node-group-min-size`` defaults to false and is not a GKE
  setting). So prod's node comes up with its first NIM pod, and the minimum then keeps it.
"""

from __future__ import annotations

from tests.conftest import ROOT
from tests.test_chart_contract import program


def test_prod_creates_its_gpu_pool_with_no_node_and_a_total_minimum_of_one():
    pool = program("prod").mocks.named("gpu-pool").inputs
    assert pool["nodeLocations"] == ["us-central1-a", "us-central1-c"]
    assert pool["initialNodeCount"] == 0  # 1 // 2 zones
    assert pool["autoscaling"]["totalMinNodeCount"] == 1
    # The pod that brings the node up: prod's one replica, created by the same `pulumi up`.
    (release,) = program("prod").mocks.of_type("kubernetes:helm.sh/v3:Release")
    assert release.inputs["values"]["replicaCount"] == 1


def test_the_files_do_not_claim_prod_starts_with_a_warm_node():
    """The stack file and the docs say what the minimum does: it keeps the node the first pod
    brings up; nothing starts one ahead of a pod."""
    stack_file = (ROOT / "Pulumi.prod.yaml").read_text()
    assert "one warm L4" not in stack_file and "with one warm node" not in stack_file
    assert "the autoscaler never removes the last L4" in stack_file
    deploying = (ROOT / "docs" / "deploying.md").read_text()
    assert "will be\nscaled up *only* in presence of unschedulable pods" in deploying
    startup = (ROOT / "docs" / "startup.md").read_text()
    assert "prod keeps one GPU node warm" not in startup


def test_the_stack_file_writes_the_key_with_printf_not_a_here_string():
    """A here-string appends a newline (GNU Bash manual, 3.6.7 Here Strings: "The result is
    supplied as a single string, with a newline appended"); printf '%s' writes the key as is."""
    header = (ROOT / "Pulumi.prod.yaml").read_text().split("config:", 1)[0]
    command = "printf '%s' \"$NGC_API_KEY\" | gcloud secrets create ngc-api-key --data-file=-"
    assert command in header
    assert "<<<" not in header
