"""Where the tests find Apache Kafka's jars: fetched by scripts/fetch-kafka.sh (run by
`make test`) into $SHOAL_CACHE (default ~/.cache/shoal), outside the source tree."""

from __future__ import annotations

import os
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]


def cache_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("SHOAL_CACHE", pathlib.Path.home() / ".cache" / "shoal"))


def kafka_version() -> str:
    pom = (REPO / "scripts" / "kafka" / "pom.xml").read_text()
    m = re.search(r"<kafka.version>(.*?)</kafka.version>", pom)
    assert m, "scripts/kafka/pom.xml names no kafka.version"
    return m.group(1)


def kafka_libs() -> pathlib.Path:
    """The directory of Kafka's client and tools jars, with their dependencies."""
    d = cache_dir() / f"kafka-{kafka_version()}" / "libs"
    if not (d / ".complete").exists():
        raise FileNotFoundError(f"{d} is missing: run scripts/fetch-kafka.sh (make test does)")
    return d


def kafka_definition_jars() -> list[pathlib.Path]:
    """Jars whose common/message/*.json are Kafka's message definitions, newest first."""
    libs = kafka_libs()
    defs = cache_dir() / "kafka-definitions"
    if not (defs / ".complete").exists():
        raise FileNotFoundError(f"{defs} is missing: run scripts/fetch-kafka.sh (make test does)")
    jars = sorted(libs.glob("kafka-clients-*.jar"))
    jars += sorted(defs.glob("kafka-clients-*.jar")) + sorted(defs.glob("kafka-group-*.jar"))
    return jars
