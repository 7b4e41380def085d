"""The error of every registry call: confluent-kafka's ``SchemaRegistryError``."""

from __future__ import annotations

__all__ = ["SchemaRegistryError"]


class SchemaRegistryError(Exception):
    """A registry call failed: `http_status_code` (404, 409, 422, 500, ...), `error_code`
    (Confluent Schema Registry's: 40401 subject not found, 40402 version not found, 40403
    schema not found, 409 incompatible schema, 42201 invalid schema, 42202 invalid version,
    42203 invalid compatibility level, 50001 backend store error, ...; -1 unknown) and
    `error_message`."""

    UNKNOWN = -1

    def __init__(self, http_status_code: int, error_code: int, error_message: str) -> None:
        super().__init__(http_status_code, error_code, error_message)
        self.http_status_code = http_status_code
        self.error_code = error_code
        self.error_message = error_message

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return (
            f"{self.error_message} (HTTP status code {self.http_status_code}, "
            f"SR code {self.error_code})"
        )
