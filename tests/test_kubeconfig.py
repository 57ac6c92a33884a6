"""The exported kubeconfig works for the official Kubernetes client (``nimctl doctor``) as it does
for the Pulumi provider and ``kubectl``: the client runs gke-gcloud-auth-plugin with
``--use_application_default_credentials`` and sends the token it prints
(kubernetes/cloud-provider-gcp:cmd/gke-gcloud-auth-plugin/cred.go).

A stand-in plugin on PATH records its arguments and prints an ExecCredential in the shape the
real plugin writes (client.authentication.k8s.io/v1beta1, status.token and
status.expirationTimestamp; kubernetes/cloud-provider-gcp cmd/gke-gcloud-auth-plugin/cred.go).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from kubernetes import client, config

from components.kubeconfig import make_kubeconfig

TOKEN = "ya29.stand-in-token-from-adc"


@pytest.fixture
def fake_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    calls = tmp_path / "calls.json"
    plugin = tmp_path / "bin" / "gke-gcloud-auth-plugin"
    plugin.parent.mkdir()
    plugin.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(calls)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "print(json.dumps({'kind': 'ExecCredential',"
        " 'apiVersion': 'client.authentication.k8s.io/v1beta1', 'spec': {},"
        f" 'status': {{'token': {TOKEN!r}, 'expirationTimestamp': '2099-01-01T00:00:00Z'}}}}))\n"
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{plugin.parent}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_the_kubernetes_client_authenticates_through_the_plugin_with_adc(tmp_path, fake_plugin):
    server = "https://gke-0f1e2d3c4b5a69788796a5b4c3d2e1f0-123456789012.us-central1.gke.goog"
    path = tmp_path / "kubeconfig"
    path.write_text(make_kubeconfig("nim-prod", server, None))
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    assert json.loads(fake_plugin.read_text()) == ["--use_application_default_credentials"]
    assert configuration.host == server
    assert configuration.api_key == {"BearerToken": f"Bearer {TOKEN}"}
    # The DNS endpoint's certificate is publicly trusted: no CA is pinned, verification stays on.
    assert configuration.verify_ssl is True
    assert configuration.ssl_ca_cert is None
