"""nimctl: day-2 tooling for a NIM deployed by nim-gke (cost, smoke, bench, doctor)."""
