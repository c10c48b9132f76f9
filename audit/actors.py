"""Who did something: the kernel's actor types, as the audit log names them."""

from kernel.actors import ANONYMOUS, SYSTEM, Actor, ActorRecord, describe

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "ActorRecord", "describe"]
