"""Shoal's protocol code generator: schemas (cpp/protocol/schemas/) to C++ codecs and docs."""
