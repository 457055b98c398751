"""Domain exceptions. Every message says what was wrong, where, and what the reader can do."""

from __future__ import annotations


class OmsError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class PayloadRejected(OmsError):
    """A landed payload cannot become an order.

    Args:
        code: a short machine-readable reason, e.g. ``missing_recipe_id``.
        field: the path of the offending field in the payload, e.g. ``line_items[1].properties``.
        message: what was wrong and what to do about it, for a person.
    """

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.code = code
        self.field = field
        self.message = message


class SignatureError(OmsError):
    """A webhook's signature is missing or does not match its raw body."""


class ConfigurationError(OmsError):
    """Partner, routing, catalog or connection configuration is missing or inconsistent."""


class RecipeNotFound(OmsError):
    """The customizer has no recipe under the given RecipeID."""


class StatusFileError(OmsError):
    """A partner's status file cannot be read at all (bad rows are rejected one by one)."""


class UnsafeFileName(OmsError):
    """A value that would become part of a file name holds characters we do not allow."""
