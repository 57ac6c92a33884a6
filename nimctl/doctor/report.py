"""What a diagnosis produces: findings, the pods' state, the report, severities and exit codes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "error"  # needs a fix
WAITING = "waiting"  # in progress, nothing to fix yet
WARNING = "warning"  # serving now, but worth knowing
ASLEEP = "asleep"  # at zero replicas on purpose (its HPA scaled it down): nothing to fix

EXIT_HEALTHY = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2
EXIT_WAITING = 3

SEVERITY_ORDER = {ERROR: 0, WAITING: 1, WARNING: 2, ASLEEP: 3}


@dataclass(frozen=True)
class Finding:
    """One recognised problem: what, why (evidence) and what to do."""

    cause: str
    fix: str
    severity: str
    object: str  # "pod/llama3-8b-nim-llm-0", "pvc/model-store-llama3-8b-nim-llm-0", "node/..."
    summary: str
    fix_text: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class PodState:
    name: str
    phase: str
    ready: str  # "1/1"
    restarts: int
    node: str | None
    capacity: str | None = None
    """Where the node comes from: its pool, Spot or on demand, and its priority in the pool's
    ComputeClass when the snapshot says (nimctl/doctor/capacity.py)."""


@dataclass(frozen=True)
class Report:
    namespace: str | None
    release: str | None
    snapshot_time: str
    pods: tuple[PodState, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    asleep: tuple[str, ...] = ()
    """Versions their HPA holds at zero replicas on purpose (none of their pods is missing)."""

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        if ERROR in severities:
            return "problems"
        if WAITING in severities:
            return "waiting"
        return "healthy"

    @property
    def exit_code(self) -> int:
        return {"problems": EXIT_PROBLEMS, "waiting": EXIT_WAITING}.get(self.status, EXIT_HEALTHY)

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` shape (field names are an interface: never rename one)."""
        return {
            "namespace": self.namespace,
            "release": self.release,
            "snapshot_time": self.snapshot_time,
            "status": self.status,
            "healthy": self.status == "healthy",
            "asleep": list(self.asleep),
            "pods": [asdict(p) for p in self.pods],
            "findings": [{**asdict(f), "evidence": list(f.evidence)} for f in self.findings],
        }
