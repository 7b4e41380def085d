"""Shoal: a Kafka-style streaming platform for one host.

Brokers keep partitioned, replicated, append-only logs on disk and talk to clients through
shared memory. The Python clients mirror confluent-kafka-python, so code moves to a real
Kafka cluster by changing configuration.
"""

import os as _os

from shoal import _core
from shoal._core import Consumer, Message, Producer, __version__, murmur2
from shoal._model import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    OFFSET_STORED,
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    TIMESTAMP_NOT_AVAILABLE,
    BrokerMetadata,
    ClusterMetadata,
    NewPartitions,
    NewTopic,
    PartitionMetadata,
    TopicMetadata,
    TopicPartition,
)
from shoal.admin import AdminClient
from shoal.admin._cluster import Node
from shoal.admin._group import ConsumerGroupState, ConsumerGroupTopicPartitions, ConsumerGroupType
from shoal.admin._listoffsets import IsolationLevel
from shoal.cluster import Cluster
from shoal.deserializing_consumer import DeserializingConsumer
from shoal.error import (
    ConsumeError,
    KafkaError,
    KafkaException,
    KeyDeserializationError,
    KeySerializationError,
    ProduceError,
    ValueDeserializationError,
    ValueSerializationError,
)
from shoal.serializing_producer import SerializingProducer

# Client-side log lines go to stderr; keep them to warnings unless asked (SHOAL_LOG_LEVEL).
if "SHOAL_LOG_LEVEL" not in _os.environ:
    _core.set_log_level("warn")

__all__ = [
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "OFFSET_STORED",
    "TIMESTAMP_CREATE_TIME",
    "TIMESTAMP_LOG_APPEND_TIME",
    "TIMESTAMP_NOT_AVAILABLE",
    "AdminClient",
    "BrokerMetadata",
    "Cluster",
    "ClusterMetadata",
    "ConsumeError",
    "Consumer",
    "ConsumerGroupState",
    "ConsumerGroupTopicPartitions",
    "ConsumerGroupType",
    "DeserializingConsumer",
    "IsolationLevel",
    "KafkaError",
    "KafkaException",
    "KeyDeserializationError",
    "KeySerializationError",
    "Message",
    "NewPartitions",
    "NewTopic",
    "Node",
    "PartitionMetadata",
    "ProduceError",
    "Producer",
    "SerializingProducer",
    "TopicMetadata",
    "TopicPartition",
    "ValueDeserializationError",
    "ValueSerializationError",
    "__version__",
    "murmur2",
]
