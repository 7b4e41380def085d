"""Shoal: a Kafka-style streaming platform for one host.

Brokers keep partitioned, replicated, append-only logs on disk and talk to clients through
shared memory. The Python clients mirror confluent-kafka-python, so code moves to a real
Kafka cluster by changing configuration.
"""

from shoal._core import __version__

__all__ = ["__version__"]
