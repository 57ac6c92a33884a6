"""Entry point of the policy pack; the Pulumi CLI runs this directory (see PulumiPolicy.yaml).

The CLI's Python analyzer runs the directory with `runpy.run_path`, which puts this directory on
sys.path, so `nim_gke_policies` imports as a top-level package. Constructing `PolicyPack` starts
the gRPC server and never returns, hence the `__main__` guard: tests load this file under another
name and inspect `pack_args()` without starting anything.
"""

from nim_gke_policies.pack import pack_args
from pulumi_policy import PolicyPack

if __name__ == "__main__":
    PolicyPack(**pack_args())
