"""The findings collector every rule writes to: one per snapshot, with the time it is judged at."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from nimctl.doctor.catalogue import CAUSES, FIXES
from nimctl.doctor.report import Finding
from nimctl.doctor.snapshot import Snapshot


class Diagnosis:
    """What the rules see (the snapshot, the namespace, "now") and what they found."""

    def __init__(self, snap: Snapshot, namespace: str, now: datetime) -> None:
        self.snap = snap
        self.ns = namespace
        self.now = now
        self.findings: list[Finding] = []
        self.asleep: set[str] = set()
        """Versions their HPA holds at zero replicas on purpose (autoscaling.check_sleep)."""

    def add(
        self,
        cause: str,
        obj: str,
        summary: str,
        evidence: Iterable[str] = (),
        severity: str | None = None,
        **context: Any,
    ) -> None:
        """Report ``cause`` about ``obj``; ``context`` fills the fix text's template fields."""
        default_severity, fix = CAUSES[cause]
        fix_text = FIXES[fix].format(ns=self.ns, **context)
        if any(f.cause == cause and f.object == obj for f in self.findings):
            return
        self.findings.append(
            Finding(
                cause=cause,
                fix=fix,
                severity=severity or default_severity,
                object=obj,
                summary=summary,
                fix_text=fix_text,
                evidence=tuple(dict.fromkeys(e for e in evidence if e)),
            )
        )

    def has(self, cause: str, obj: str | None = None) -> bool:
        return any(f.cause == cause and (obj is None or f.object == obj) for f in self.findings)

    def has_object(self, obj: str) -> bool:
        return any(f.object == obj for f in self.findings)
