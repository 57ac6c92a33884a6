"""``nimctl plan``: every resource a stack would create, under mocks; ``--diff`` between plans.

The package, by what a reader looks for (``command``'s docstring is what ``--help`` prints):

- ``engine``: a stack file's config as ``pulumi preview`` gives it, and the program run under
  mocks; ``document``: the plan document (``--json``) made of the run.
- ``paths``: property paths, values on one line, JSON documents inside strings.
- ``text``: the plan as text (and the cost table); ``helm``: ``--render``.
- ``compare``: two values compared property by property; ``diff``: two plan documents
  compared (the diff as data); ``flat``: the diff as a list of :class:`Change` for a check that
  reads it; ``safety``: the rollout safety check (what would drop or fail requests);
  ``diff_text``: the diff as text.
- ``command``: arguments, stack files, exit codes.
"""

from nimctl.plan.command import (
    COMMAND,
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNSAFE,
    guard,
    run_command,
)
from nimctl.plan.diff import DIFF_FORMAT, diff
from nimctl.plan.diff_text import render_diff
from nimctl.plan.document import FORMAT, PlanError, document, key_of, mask
from nimctl.plan.engine import (
    PLACEHOLDER_KEY,
    PLACEHOLDER_SECRET,
    StackInput,
    plan,
    run,
    secret_values,
    stack_input,
)
from nimctl.plan.flat import Change, changes
from nimctl.plan.helm import HELM_RELEASE
from nimctl.plan.paths import SECRET
from nimctl.plan.text import render_text

__all__ = [
    "COMMAND",
    "DIFF_FORMAT",
    "EXIT_CONFIG",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNSAFE",
    "FORMAT",
    "HELM_RELEASE",
    "PLACEHOLDER_KEY",
    "PLACEHOLDER_SECRET",
    "SECRET",
    "Change",
    "PlanError",
    "StackInput",
    "changes",
    "diff",
    "document",
    "guard",
    "key_of",
    "mask",
    "plan",
    "render_diff",
    "render_text",
    "run",
    "run_command",
    "secret_values",
    "stack_input",
]
