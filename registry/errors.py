"""The registry's refusal, shared by its services and by the members' code (registry.members) that
recipient organisations use too."""

from __future__ import annotations

from kernel import ServiceError


class RegistryError(ServiceError):
    """A refused registry action; ``message`` is translated and safe to show to the user."""
