"""Configs: resources, entries, their sources and the incremental alter operations."""

from __future__ import annotations

from enum import Enum
from typing import Any

__all__ = ["AlterConfigOpType", "ConfigEntry", "ConfigResource", "ConfigSource"]


class ConfigSource(Enum):
    """Where a config's value comes from (librdkafka's rd_kafka_ConfigSource_t)."""

    UNKNOWN_CONFIG = 0
    DYNAMIC_TOPIC_CONFIG = 1
    DYNAMIC_BROKER_CONFIG = 2
    DYNAMIC_DEFAULT_BROKER_CONFIG = 3
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5
    DYNAMIC_BROKER_LOGGER_CONFIG = 6
    GROUP_CONFIG = 8


class AlterConfigOpType(Enum):
    """An incremental change: SET a value, DELETE it (back to the default), APPEND to or
    SUBTRACT from a list config."""

    SET = 0
    DELETE = 1
    APPEND = 2
    SUBTRACT = 3


class ConfigEntry:
    """A config's name and value, with where it comes from; in ConfigResource.incremental_configs,
    a change (``incremental_operation``)."""

    def __init__(
        self,
        name: str,
        value: str | None,
        source: ConfigSource = ConfigSource.UNKNOWN_CONFIG,
        is_read_only: bool = False,
        is_default: bool = False,
        is_sensitive: bool = False,
        is_synonym: bool = False,
        synonyms: list[ConfigEntry] | dict[str, ConfigEntry] | None = None,
        incremental_operation: AlterConfigOpType | None = None,
    ) -> None:
        self.name = name
        self.value = value
        self.source = source
        self.is_read_only = bool(is_read_only)
        self.is_default = bool(is_default)
        self.is_sensitive = bool(is_sensitive)
        self.is_synonym = bool(is_synonym)
        self.synonyms = synonyms if synonyms is not None else []
        self.incremental_operation = incremental_operation

    def __repr__(self) -> str:
        return f"ConfigEntry({self.name}={self.value})"

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ConfigResource:
    """A resource with configs: ``ConfigResource(ConfigResource.Type.TOPIC, "t")`` or
    ``ConfigResource("broker", "1")`` (a broker id; "" for the cluster-wide dynamic defaults).
    ``set_config(name, value)`` builds a legacy full set; ``add_incremental_config(entry)``
    the changes for ``incremental_alter_configs``."""

    class Type(Enum):
        UNKNOWN = 0
        ANY = 1
        TOPIC = 2
        GROUP = 3
        BROKER = 4
        BROKER_LOGGER = 8

        def __lt__(self, other: object) -> bool:
            if not isinstance(other, ConfigResource.Type):
                return NotImplemented
            return self.value < other.value

    def __init__(
        self,
        restype: ConfigResource.Type | str | int,
        name: str,
        set_config: dict[str, str] | None = None,
        described_configs: dict[str, ConfigEntry] | None = None,
        error: Any = None,
        incremental_configs: list[ConfigEntry] | None = None,
    ) -> None:
        if name is None:
            raise ValueError("Expected resource name to be a string")
        if isinstance(restype, str):
            try:
                restype = ConfigResource.Type[restype.upper()]
            except KeyError:
                raise ValueError(f"Unknown resource type '{restype}'") from None
        elif isinstance(restype, int):
            restype = ConfigResource.Type(restype)
        if not isinstance(restype, ConfigResource.Type):
            raise TypeError("restype must be a ConfigResource.Type, str or int")
        self.restype = restype
        self.restype_int = restype.value
        self.name = name
        self.set_config_dict = dict(set_config or {})
        self.incremental_configs = list(incremental_configs or [])
        self.configs = described_configs
        self.error = error

    def __repr__(self) -> str:
        if self.error is not None:
            return f"ConfigResource({self.restype},{self.name},{self.error!r})"
        return f"ConfigResource({self.restype},{self.name})"

    def __hash__(self) -> int:
        return hash((self.restype, self.name))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ConfigResource)
            and self.restype == other.restype
            and self.name == other.name
        )

    def __lt__(self, other: ConfigResource) -> bool:
        return (self.restype.value, self.name) < (other.restype.value, other.name)

    def __len__(self) -> int:
        return len(self.set_config_dict)

    def set_config(self, name: str, value: str, overwrite: bool = True) -> None:
        if not overwrite and name in self.set_config_dict:
            return
        self.set_config_dict[name] = value

    def add_incremental_config(self, config_entry: ConfigEntry) -> None:
        if not isinstance(config_entry, ConfigEntry):
            raise TypeError("Expected a ConfigEntry")
        if config_entry.incremental_operation is None:
            raise ValueError("incremental_operation must be set on the ConfigEntry")
        self.incremental_configs.append(config_entry)


# ---- topics, cluster, records, elections ----
