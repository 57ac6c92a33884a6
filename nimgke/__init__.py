"""Pure logic of nim-gke: config, catalogs, Helm values, prices and costs (no resources)."""
