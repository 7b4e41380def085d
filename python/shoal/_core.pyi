"""Type stubs for shoal._core, the private C++ extension. Import `shoal` instead."""

from typing import Any

__version__: str

def set_log_level(level: str) -> None: ...
def murmur2(key: bytes | str, partition_count: int) -> int:
    """The Java client's partition for `key`: toPositive(murmur2(key)) % partition_count."""

def error_codes() -> list[tuple[str, int, bool, str]]:
    """Every error code as (librdkafka name, code, retriable, rd_kafka_err2str() text)."""

class storage:  # submodule
    @staticmethod
    def run_log_append_bench(
        dir: str, records: int, record_size: int, batch_records: int, rounds: int
    ) -> dict[str, Any]: ...

def config_definitions() -> dict[str, list[dict[str, Any]]]:
    """Every broker, topic and client configuration property the code defines, in the
    code's order: {"broker": [...], "topic": [...], "client": [...]}.

    broker: name, type, default, doc, topic_synonym, dynamic. topic: name, type, default,
    valid_values, doc. client: name, alias_of, producer, consumer, admin, default,
    valid_values, doc, ignored.
    """
