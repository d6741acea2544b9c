"""One exception hierarchy. Every message names the field, host or command and the fix."""

from __future__ import annotations


class KubeforgeError(Exception):
    """Base class: an error a user can act on. The CLI prints it without a traceback."""

    exit_code = 1


class SpecError(KubeforgeError):
    """The cluster spec cannot be read or does not satisfy the model."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class StateError(KubeforgeError):
    """The state directory (secrets, keys, known hosts) is unusable: bad input, like a bad spec."""

    exit_code = 2


class RenderError(KubeforgeError):
    """A config file could not be rendered."""


class OutputError(RenderError):
    """An output path kubeforge may not write (not its own, a symlink, the spec...): bad input."""

    exit_code = 2


class ProviderError(KubeforgeError):
    """A provider (VirtualBox, libvirt, lab...) could not do what was asked."""


class LabError(KubeforgeError):
    """The lab could not be brought up, inspected or torn down."""


class ApplyError(KubeforgeError):
    """A bootstrap phase failed on a host."""
