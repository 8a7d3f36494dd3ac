"""The one user-facing error type.

Every mistake a user can make (config, kernel, rule, toolchain) surfaces as a ``PluginGenError``
that prints as ``file:line:col: error: message`` and makes the CLI exit with status 2.
"""
from __future__ import annotations

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Location:
    """Where in a user file something came from. ``line``/``col`` are 1-based; 0 means unknown."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        text = self.file
        if self.line:
            text += f":{self.line}"
            if self.col:
                text += f":{self.col}"
        return text

    def at_col(self, col: int) -> "Location":
        """The same line, a column further in (``col`` is 1-based within a string that starts at ``self.col``)."""
        base = self.col if self.col else 1
        return dataclasses.replace(self, col=base + col - 1)


class PluginGenError(Exception):
    """A user mistake or a failing external tool, reported as one line (plus an optional hint)."""

    severity = "error"

    def __init__(self, message: str, loc: Optional[Location] = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint

    def __str__(self) -> str:
        prefix = f"{self.loc}: " if self.loc else ""
        text = f"{prefix}{self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def __reduce__(self):  # keep location and hint when crossing a process boundary (parallel AOT workers)
        return (type(self), (self.message, self.loc, self.hint))

    def with_loc(self, loc: Location) -> "PluginGenError":
        """This error, placed at ``loc`` unless it already has a location."""
        if self.loc is None:
            self.loc = loc
        return self


class ConfigError(PluginGenError):
    """The kernel config (or the kernel it names) is wrong."""


class ConfigWarning(ConfigError):
    """Something in the config that builds but is probably a mistake (an error under ``--strict``)."""

    severity = "warning"


class ExprError(ConfigError):
    """A shape rule, dim-size rule or grid expression is malformed."""


class BuildError(PluginGenError):
    """Triton, CMake or the C++ compiler failed."""
