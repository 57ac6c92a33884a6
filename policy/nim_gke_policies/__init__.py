"""Policy rules for the nim-gke program. `rules` is pure; `pack` adapts it to pulumi-policy."""
