"""The suite's warning filters (pyproject.toml, ``filterwarnings``): a warning fails the test that
raises it, except pulumi-gcp's own DeprecationWarnings, which ``import pulumi_gcp`` raises for
its deprecated modules (e.g. ``pulumi_gcp/compute/manged_ssl_certificate.py``: "gcp.compute.
MangedSslCertificate has been deprecated in favor of gcp.compute.ManagedSslCertificate")."""

from __future__ import annotations

import warnings

import pytest


def _warn_from(module: str, category: type[Warning]) -> None:
    warnings.warn_explicit("deprecated", category, f"{module.replace('.', '/')}.py", 1, module)


def test_pulumi_gcp_deprecations_are_let_through() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        _warn_from("pulumi_gcp.compute.manged_ssl_certificate", DeprecationWarning)
    assert len(seen) == 1  # outside the suite's filters it is a warning like any other
    _warn_from("pulumi_gcp.compute.manged_ssl_certificate", DeprecationWarning)  # ignored here


@pytest.mark.parametrize(
    ("module", "category"),
    [
        ("nimgke.cost", DeprecationWarning),  # ours
        ("pulumi.runtime", DeprecationWarning),  # another library's
        ("pulumi_gcp.compute", UserWarning),  # pulumi-gcp's, not a deprecation
    ],
)
def test_any_other_warning_fails_the_test(module: str, category: type[Warning]) -> None:
    with pytest.raises(category):
        _warn_from(module, category)


def test_pytest_deprecations_fail_too() -> None:
    with pytest.raises(pytest.PytestRemovedIn10Warning):
        warnings.warn(pytest.PytestRemovedIn10Warning("parametrize with a zip"), stacklevel=1)
