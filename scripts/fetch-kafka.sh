#!/usr/bin/env bash
# Fetches Apache Kafka's Java client and tools (scripts/kafka/pom.xml) from Maven Central into
# $SHOAL_CACHE/kafka-<version>/libs, and the kafka-clients and kafka-group-coordinator jars of
# Kafka 3.9 (the last line that still defines the protocol's oldest versions, which Kafka 4
# dropped) into $SHOAL_CACHE/kafka-definitions. The protocol schema test compares Shoal's
# message schemas with the definitions inside these jars. Idempotent: a complete cache is kept.
set -euo pipefail
cd "$(dirname "$0")/kafka"
cache="${SHOAL_CACHE:-$HOME/.cache/shoal}"
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' pom.xml)
defs_version=3.9.1
libs="$cache/kafka-$version/libs"
defs="$cache/kafka-definitions"

if [[ ! -f "$libs/.complete" ]]; then
  echo "Fetching Apache Kafka $version (client and tools) into $libs"
  rm -rf "$libs"
  mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
fi
if [[ ! -f "$defs/.complete" ]]; then
  echo "Fetching Kafka $defs_version's message definitions into $defs"
  rm -rf "$defs"
  mkdir -p "$defs"
  for a in kafka-clients kafka-group-coordinator; do
    mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="org.apache.kafka:$a:$defs_version" \
      -DoutputDirectory="$defs"
  done
  touch "$defs/.complete"
fi
