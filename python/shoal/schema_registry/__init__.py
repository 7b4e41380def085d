"""Shoal's schema registry: Avro schemas under subjects, with Confluent Schema Registry's
compatibility rules (see `shoal.schema_registry.avro_compat`)."""
