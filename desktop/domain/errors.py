"""The one refusal model: a rule said no.

A ``Refusal`` is raised by the domain, the store or the application layer when an action breaks
a rule (a ladder step out of order, a complaint without a description, a signer without a
delegation). It carries a message key and its parameters, never prose: the one presenter,
``desktop.services.messages.message_for``, turns it into Arabic or French for the CLI and the GUI
alike. Anything that is neither a Refusal nor a failure of the world is a bug.
"""
from __future__ import annotations


class Refusal(Exception):
    """An action the rules refuse; ``key`` is the message to show, ``params`` fill it."""

    prefix = "refusal."

    def __init__(self, code: str, **params):
        super().__init__(code + (f" {params}" if params else ""))
        self.code = code
        self.params = params

    @property
    def key(self) -> str:
        """``prefix + code``; a code that already names its message (``"rep.period_required"``) is
        the key itself."""
        return self.code if "." in self.code else self.prefix + self.code
