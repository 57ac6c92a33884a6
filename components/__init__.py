"""Reusable Pulumi components of nim-gke: cluster, GPU pool, NGC secrets, NIM release."""
