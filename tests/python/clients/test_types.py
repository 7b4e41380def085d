"""KafkaError, KafkaException, TopicPartition, the constants and the admin value types: each
behaves as confluent-kafka-python's does."""

import copy
import pickle

import pytest

import shoal
import shoal.error
from shoal import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    OFFSET_STORED,
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    TIMESTAMP_NOT_AVAILABLE,
    BrokerMetadata,
    ClusterMetadata,
    ConsumeError,
    KafkaError,
    KafkaException,
    KeyDeserializationError,
    KeySerializationError,
    NewPartitions,
    NewTopic,
    PartitionMetadata,
    ProduceError,
    TopicMetadata,
    TopicPartition,
    ValueDeserializationError,
    ValueSerializationError,
)
from shoal.error import SerializationError, _error_for

pytestmark = pytest.mark.unit

# --- KafkaError: codes and names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("_BAD_MSG", -199),
        ("_TRANSPORT", -195),
        ("_MSG_TIMED_OUT", -192),
        ("_PARTITION_EOF", -191),
        ("_ALL_BROKERS_DOWN", -187),
        ("_TIMED_OUT", -185),
        ("_QUEUE_FULL", -184),
        ("_KEY_SERIALIZATION", -162),
        ("_VALUE_DESERIALIZATION", -159),
        ("_DESTROY_BROKER", -137),
        ("UNKNOWN", -1),
        ("NO_ERROR", 0),
        ("OFFSET_OUT_OF_RANGE", 1),
        ("INVALID_MSG", 2),
        ("UNKNOWN_TOPIC_OR_PART", 3),
        ("NOT_LEADER_FOR_PARTITION", 6),
        ("MSG_SIZE_TOO_LARGE", 10),
        ("STALE_CTRL_EPOCH", 11),
        ("TOPIC_EXCEPTION", 17),
        ("NOT_ENOUGH_REPLICAS", 19),
        ("TOPIC_ALREADY_EXISTS", 36),
        ("KAFKA_STORAGE_ERROR", 56),
        ("FENCED_LEADER_EPOCH", 74),
    ],
)
def test_class_attributes_carry_librdkafka_names_and_codes(name, code):
    assert getattr(KafkaError, name) == code
    assert KafkaError(code).name() == name
    assert KafkaError(code).code() == code


def test_java_only_names_and_sentinels_are_not_attributes():
    # librdkafka names these codes differently; its aliases and sentinels are not exposed.
    for name in ("NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION", "MESSAGE_TOO_LARGE"):
        assert not hasattr(KafkaError, name)
    assert not hasattr(KafkaError, "_BEGIN")
    assert not hasattr(KafkaError, "_END")


def test_codes_librdkafka_lacks_keep_kafka_names():
    assert KafkaError.SNAPSHOT_NOT_FOUND == 98
    assert KafkaError(98).name() == "SNAPSHOT_NOT_FOUND"
    assert KafkaError(98).str() == "Broker: Requested snapshot was not found"


def test_internal_codes_are_negative_and_broker_codes_are_not():
    assert KafkaError._PARTITION_EOF < 0
    assert KafkaError._TIMED_OUT < -100
    assert KafkaError.REQUEST_TIMED_OUT == 7


def test_docstring_lists_the_codes():
    assert "_PARTITION_EOF" in KafkaError.__doc__
    assert "Broker: Unknown topic or partition" in KafkaError.__doc__


# --- KafkaError: descriptions and reprs ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-191, "Broker: No more messages"),
        (-185, "Local: Timed out"),
        (-184, "Local: Queue full"),
        (-192, "Local: Message timed out"),
        (-195, "Local: Broker transport failure"),
        (3, "Broker: Unknown topic or partition"),
        (6, "Broker: Not leader for partition"),
        (10, "Broker: Message size too large"),
        (11, "Broker: StaleControllerEpochCode"),
        (0, "Success"),
        (-1, "Unknown broker error"),
    ],
)
def test_reason_defaults_to_the_librdkafka_description(code, text):
    assert KafkaError(code).str() == text
    assert KafkaError(code, None).str() == text


def test_explicit_reason_replaces_the_description():
    err = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "topic 'orders' does not exist")
    assert err.str() == "topic 'orders' does not exist"
    assert err.name() == "UNKNOWN_TOPIC_OR_PART"


def test_empty_reason_is_kept():
    assert KafkaError(3, "").str() == ""


def test_repr_and_str_have_confluent_format():
    err = KafkaError(KafkaError._PARTITION_EOF)
    expected = 'KafkaError{code=_PARTITION_EOF,val=-191,str="Broker: No more messages"}'
    assert repr(err) == expected
    assert str(err) == expected


def test_repr_marks_fatal_errors():
    err = KafkaError(KafkaError._FENCED, "fenced by a newer producer", fatal=True)
    assert repr(err) == 'KafkaError{FATAL,code=_FENCED,val=-144,str="fenced by a newer producer"}'


def test_repr_does_not_mark_retriable_or_abortable_errors():
    err = KafkaError(7, retriable=True, txn_requires_abort=True)
    assert repr(err) == 'KafkaError{code=REQUEST_TIMED_OUT,val=7,str="Broker: Request timed out"}'


def test_unknown_code_is_named_as_librdkafka_does():
    err = KafkaError(12345)
    assert err.code() == 12345
    assert err.name() == "ERR_12345?"
    assert err.str() == "Err-12345?"
    assert repr(err) == 'KafkaError{code=ERR_12345?,val=12345,str="Err-12345?"}'
    assert KafkaError(-120).name() == "ERR_-120?"
    assert KafkaError(-200).name() == "ERR_-200?"  # librdkafka's _BEGIN sentinel


def test_flags_default_to_false_and_are_bools():
    err = KafkaError(3)
    assert (err.fatal(), err.retriable(), err.txn_requires_abort()) == (False, False, False)
    err = KafkaError(3, None, 1, 1, 1)
    assert err.fatal() is True
    assert err.retriable() is True
    assert err.txn_requires_abort() is True


def test_constructor_keywords():
    err = KafkaError(error=3, reason="r", fatal=True, retriable=True, txn_requires_abort=True)
    assert (err.code(), err.str(), err.fatal(), err.retriable(), err.txn_requires_abort()) == (
        3,
        "r",
        True,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("args", "exc"),
    [
        ((), TypeError),
        (("3",), TypeError),
        ((3.0,), TypeError),
        ((None,), TypeError),
        ((3, 42), TypeError),
        ((3, b"bytes"), TypeError),
        ((3, None, "yes"), TypeError),
        ((2**31,), OverflowError),
    ],
)
def test_constructor_rejects_bad_arguments(args, exc):
    with pytest.raises(exc):
        KafkaError(*args)


def test_kafka_error_is_a_value_not_an_exception():
    assert not isinstance(KafkaError(3), BaseException)


# --- KafkaError: comparisons, hashing, pickling ----------------------------------------------


def test_compares_with_codes_and_other_errors():
    eof = KafkaError(KafkaError._PARTITION_EOF, "reached the end")
    assert eof == KafkaError._PARTITION_EOF
    assert KafkaError._PARTITION_EOF == eof  # noqa: SIM300 (the reflected comparison)
    assert eof == KafkaError(-191)  # the reason does not matter
    assert eof != KafkaError._TIMED_OUT
    assert eof != KafkaError(3)
    assert not (eof != -191)  # noqa: SIM202 (__ne__ itself)
    assert KafkaError(3) < 4
    assert KafkaError(3) <= 3
    assert KafkaError(3) > KafkaError(2)
    assert KafkaError(3) >= KafkaError(3)
    assert 2 < KafkaError(3)  # noqa: SIM300 (the reflected comparison)
    assert sorted([KafkaError(10), KafkaError(-191), KafkaError(3)]) == [-191, 3, 10]


def test_comparison_with_non_integers():
    err = KafkaError(3)
    assert err != "3"
    assert not (err == None)  # noqa: E711, SIM201 (__eq__ itself)
    with pytest.raises(TypeError):
        _ = err < "3"


def test_hash_is_the_code():
    assert hash(KafkaError(3)) == hash(3)
    assert hash(KafkaError(-191, "x")) == hash(-191)
    seen = {KafkaError(3, "a"), KafkaError(3, "b"), KafkaError(10)}
    assert len(seen) == 2
    assert 3 in seen
    assert {3: "x"}[KafkaError(3)] == "x"


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickles_with_reason_and_flags(protocol):
    err = KafkaError(KafkaError._FENCED, "fenced", fatal=True, txn_requires_abort=True)
    back = pickle.loads(pickle.dumps(err, protocol))
    assert type(back) is KafkaError
    assert repr(back) == repr(err)
    assert (back.code(), back.str(), back.fatal(), back.retriable(), back.txn_requires_abort()) == (
        -144,
        "fenced",
        True,
        False,
        True,
    )


def test_pickles_default_reason_and_unknown_code():
    assert pickle.loads(pickle.dumps(KafkaError(3))).str() == "Broker: Unknown topic or partition"
    assert pickle.loads(pickle.dumps(KafkaError(4242))).name() == "ERR_4242?"
    assert copy.copy(KafkaError(3, "x")).str() == "x"


def test_kafka_error_has_no_instance_dict():
    with pytest.raises(AttributeError):
        KafkaError(3).extra = 1


# --- _error_for: Shoal's errors carry Kafka's retriable classification ----------------------


@pytest.mark.parametrize(
    ("code", "retriable"),
    [
        (KafkaError.NOT_LEADER_FOR_PARTITION, True),
        (KafkaError.NOT_ENOUGH_REPLICAS, True),
        (KafkaError.UNKNOWN_TOPIC_OR_PART, True),
        (KafkaError.INVALID_MSG, True),  # CORRUPT_MESSAGE is retriable in Kafka
        (KafkaError.REQUEST_TIMED_OUT, True),
        (KafkaError._TIMED_OUT, True),
        (KafkaError._TRANSPORT, True),
        (KafkaError.MSG_SIZE_TOO_LARGE, False),
        (KafkaError.OFFSET_OUT_OF_RANGE, False),
        (KafkaError.TOPIC_ALREADY_EXISTS, False),
        (KafkaError.UNKNOWN, False),
        (KafkaError._PARTITION_EOF, False),
        (9999, False),
    ],
)
def test_error_for_sets_retriable_from_the_code(code, retriable):
    err = _error_for(code)
    assert err.retriable() is retriable
    assert err.fatal() is False
    assert err.txn_requires_abort() is False


def test_error_for_keeps_reason_and_fatal():
    err = _error_for(KafkaError._FENCED, "fenced", fatal=True)
    assert err.str() == "fenced"
    assert err.fatal() is True
    assert _error_for(3).str() == "Broker: Unknown topic or partition"


def test_plain_constructor_does_not_classify():
    # As in confluent-kafka: retriable is only what the caller says.
    assert KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION).retriable() is False


# --- KafkaException and the client error classes --------------------------------------------


def test_kafka_exception_carries_the_error_in_args0():
    err = KafkaError(KafkaError._TIMED_OUT)
    with pytest.raises(KafkaException) as info:
        raise KafkaException(err)
    assert info.value.args[0] is err
    assert info.value.args[0].code() == KafkaError._TIMED_OUT
    assert str(info.value) == 'KafkaError{code=_TIMED_OUT,val=-185,str="Local: Timed out"}'
    assert isinstance(info.value, Exception)


def test_kafka_exception_pickles():
    exc = pickle.loads(pickle.dumps(KafkaException(KafkaError(3, "gone"))))
    assert exc.args[0] == 3
    assert exc.args[0].str() == "gone"


def test_consume_and_produce_errors():
    msg = object()
    cause = ValueError("boom")
    exc = ConsumeError(KafkaError(KafkaError._PARTITION_EOF), exception=cause, kafka_message=msg)
    assert isinstance(exc, KafkaException)
    assert exc.code == KafkaError._PARTITION_EOF
    assert exc.name == "_PARTITION_EOF"
    assert exc.exception is cause
    assert exc.kafka_message is msg
    assert ConsumeError(KafkaError(3)).exception is None

    exc = ProduceError(KafkaError(KafkaError._MSG_TIMED_OUT), cause)
    assert isinstance(exc, KafkaException)
    assert (exc.code, exc.name) == (-192, "_MSG_TIMED_OUT")
    assert exc.exception is cause
    assert exc.kafka_message is None


@pytest.mark.parametrize(
    ("cls", "base", "name", "code"),
    [
        (KeySerializationError, ProduceError, "_KEY_SERIALIZATION", -162),
        (ValueSerializationError, ProduceError, "_VALUE_SERIALIZATION", -161),
        (KeyDeserializationError, ConsumeError, "_KEY_DESERIALIZATION", -160),
        (ValueDeserializationError, ConsumeError, "_VALUE_DESERIALIZATION", -159),
    ],
)
def test_serialization_errors(cls, base, name, code):
    cause = ValueError("not an int")
    exc = cls(cause)
    assert isinstance(exc, base)
    assert isinstance(exc, SerializationError)
    assert isinstance(exc, KafkaException)
    assert (exc.code, exc.name) == (code, name)
    assert exc.args[0].str() == "not an int"
    assert exc.exception is cause
    assert cls().args[0].str() == "None"  # str(None), as confluent-kafka does


def test_deserialization_errors_keep_the_message():
    msg = object()
    assert KeyDeserializationError(ValueError("x"), kafka_message=msg).kafka_message is msg
    assert ValueDeserializationError(kafka_message=msg).kafka_message is msg


# --- constants -------------------------------------------------------------------------------


def test_offset_and_timestamp_constants():
    assert (OFFSET_BEGINNING, OFFSET_END, OFFSET_STORED, OFFSET_INVALID) == (-2, -1, -1000, -1001)
    assert (TIMESTAMP_NOT_AVAILABLE, TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME) == (0, 1, 2)


def test_package_exports_a_curated_api():
    for name in shoal.__all__:
        assert hasattr(shoal, name), name
    assert "_error_for" not in shoal.__all__
    assert shoal.error.KafkaError is KafkaError


# --- TopicPartition --------------------------------------------------------------------------


def test_topic_partition_defaults():
    tp = TopicPartition("orders")
    assert tp.topic == "orders"
    assert tp.partition == -1
    assert tp.offset == OFFSET_INVALID
    assert tp.metadata is None
    assert tp.leader_epoch is None
    assert tp.error is None


def test_topic_partition_arguments():
    tp = TopicPartition("orders", 2, 42, "checkpoint", 7)
    assert (tp.topic, tp.partition, tp.offset, tp.metadata, tp.leader_epoch) == (
        "orders",
        2,
        42,
        "checkpoint",
        7,
    )
    tp = TopicPartition(topic="t", partition=1, offset=OFFSET_BEGINNING, leader_epoch=0)
    assert (tp.offset, tp.leader_epoch) == (-2, 0)
    assert TopicPartition("t", offset=2**62).offset == 2**62


def test_topic_partition_negative_leader_epoch_is_none():
    assert TopicPartition("t", 0, 5, None, -1).leader_epoch is None
    assert TopicPartition("t", 0, 5, None, -17).leader_epoch is None


def test_topic_partition_repr():
    assert repr(TopicPartition("orders", 3, 42)) == (
        "TopicPartition{topic=orders,partition=3,offset=42,leader_epoch=None,error=None}"
    )
    tp = TopicPartition("orders", 0, OFFSET_END, "meta", 5)
    assert str(tp) == "TopicPartition{topic=orders,partition=0,offset=-1,leader_epoch=5,error=None}"


def test_topic_partition_repr_shows_error():
    tp = TopicPartition._make("gone", 0, OFFSET_INVALID, error=KafkaError(3))
    assert tp.error == KafkaError.UNKNOWN_TOPIC_OR_PART
    assert repr(tp) == (
        "TopicPartition{topic=gone,partition=0,offset=-1001,leader_epoch=None,"
        "error=KafkaError{code=UNKNOWN_TOPIC_OR_PART,val=3,"
        'str="Broker: Unknown topic or partition"}}'
    )


def test_topic_partition_partition_and_offset_are_writable():
    tp = TopicPartition("t")
    tp.partition = 4
    tp.offset = 1234
    assert (tp.partition, tp.offset) == (4, 1234)
    with pytest.raises(TypeError):
        tp.partition = "4"
    with pytest.raises(TypeError):
        tp.offset = 1.5
    with pytest.raises(OverflowError):
        tp.partition = 2**31


@pytest.mark.parametrize("attr", ["topic", "metadata", "leader_epoch", "error"])
def test_topic_partition_read_only_attributes(attr):
    tp = TopicPartition("t", 0)
    with pytest.raises(AttributeError):
        setattr(tp, attr, None)


def test_topic_partition_has_slots():
    tp = TopicPartition("t")
    assert not hasattr(tp, "__dict__")
    with pytest.raises(AttributeError):
        tp.other = 1


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, None),
        ((42,), {}, "argument 'topic' must be str, not int"),
        ((None,), {}, "argument 'topic' must be str, not NoneType"),
        (("t", "0"), {}, "argument 'partition' must be an integer, not str"),
        (("t", 0.0), {}, "argument 'partition' must be an integer, not float"),
        (("t", 0, "5"), {}, "argument 'offset' must be an integer, not str"),
        (("t", 0, 5, 12), {}, "argument 'metadata' must be str, not int"),
        (("t",), {"leader_epoch": "1"}, "argument 'leader_epoch' must be an integer, not str"),
        (("t",), {"bogus": 1}, None),
    ],
)
def test_topic_partition_type_errors(args, kwargs, message):
    with pytest.raises(TypeError) as info:
        TopicPartition(*args, **kwargs)
    if message:
        assert message in str(info.value)


def test_topic_partition_range_errors():
    with pytest.raises(OverflowError):
        TopicPartition("t", 2**31)
    with pytest.raises(OverflowError):
        TopicPartition("t", 0, 2**63)
    with pytest.raises(ValueError):
        TopicPartition("t\0x")


def test_topic_partition_equality_uses_topic_and_partition_only():
    assert TopicPartition("t", 1, 5) == TopicPartition("t", 1, 99, "m", 3)
    assert TopicPartition("t", 1) != TopicPartition("t", 2)
    assert TopicPartition("t", 1) != TopicPartition("u", 1)
    assert hash(TopicPartition("t", 1, 5)) == hash(TopicPartition("t", 1, 99))
    assert hash(TopicPartition("t", 1)) == hash("t") ^ 1
    assert len({TopicPartition("t", 0, 1), TopicPartition("t", 0, 2), TopicPartition("t", 1)}) == 2


def test_topic_partition_ordering():
    tps = [TopicPartition("b", 0), TopicPartition("a", 10), TopicPartition("a", 2)]
    assert [(tp.topic, tp.partition) for tp in sorted(tps)] == [("a", 2), ("a", 10), ("b", 0)]
    assert TopicPartition("a", 1) < TopicPartition("a", 2)
    assert TopicPartition("a", 1) <= TopicPartition("a", 1)
    assert TopicPartition("b", 0) > TopicPartition("a", 9)
    assert TopicPartition("b", 0) >= TopicPartition("b", 0)


@pytest.mark.parametrize("other", [None, "t", ("t", 1), 1])
def test_topic_partition_comparison_with_other_types_raises(other):
    tp = TopicPartition("t", 1)
    with pytest.raises(NotImplementedError):
        _ = tp == other
    with pytest.raises(NotImplementedError):
        _ = tp != other
    with pytest.raises(NotImplementedError):
        _ = tp < other


def test_topic_partition_pickles_and_copies():
    tp = TopicPartition._make("t", 3, 42, "meta", 5, KafkaError(3, "x"))
    for back in (pickle.loads(pickle.dumps(tp)), copy.copy(tp), copy.deepcopy(tp)):
        assert repr(back) == repr(tp)
        assert back.metadata == "meta"
        assert back.error.str() == "x"


# --- NewTopic and NewPartitions --------------------------------------------------------------


def test_new_topic_defaults():
    t = NewTopic("orders")
    assert t.topic == "orders"
    assert t.num_partitions == -1
    assert t.replication_factor == -1
    assert t.replica_assignment is None
    assert t.config is None
    assert repr(t) == "NewTopic(topic=orders)"


def test_new_topic_arguments_and_repr():
    t = NewTopic("orders", 3, 2, config={"cleanup.policy": "compact"})
    assert (t.num_partitions, t.replication_factor) == (3, 2)
    assert t.config == {"cleanup.policy": "compact"}
    assert repr(t) == "NewTopic(topic=orders,num_partitions=3)"
    t = NewTopic("orders", replica_assignment=[[1, 2], [2, 3]])
    assert t.replica_assignment == [[1, 2], [2, 3]]
    assert str(t) == "NewTopic(topic=orders)"


def test_new_topic_attributes():
    t = NewTopic("orders")
    t.num_partitions = 6
    t.replication_factor = 3
    t.config = {"retention.ms": "1000"}
    t.replica_assignment = [[1]]
    assert (t.num_partitions, t.replication_factor) == (6, 3)
    with pytest.raises(AttributeError):
        t.topic = "other"
    with pytest.raises(TypeError):
        t.num_partitions = "6"


def test_new_topic_rejects_bad_arguments():
    with pytest.raises(TypeError, match="config must be a dict of strings"):
        NewTopic("t", 1, 1, config=[("a", "b")])
    with pytest.raises(TypeError):
        NewTopic(None)
    with pytest.raises(TypeError):
        NewTopic("t", "3")


def test_new_topic_comparisons_and_hash():
    assert NewTopic("t", 3) == NewTopic("t", 3, 2)
    assert NewTopic("t", 3) != NewTopic("t", 4)
    assert NewTopic("a", 9) < NewTopic("b", 1)
    assert hash(NewTopic("t")) == hash("t")
    assert hash(NewTopic("t", 3)) == hash("t") ^ 3
    with pytest.raises(NotImplementedError):
        _ = NewTopic("t") == "t"


def test_new_partitions():
    p = NewPartitions("orders", 6)
    assert (p.topic, p.new_total_count, p.replica_assignment) == ("orders", 6, None)
    assert repr(p) == "NewPartitions(topic=orders,new_total_count=6)"
    p = NewPartitions("orders", new_total_count=3, replica_assignment=[[1, 2]])
    assert p.replica_assignment == [[1, 2]]
    p.new_total_count = 4
    assert p.new_total_count == 4
    with pytest.raises(AttributeError):
        p.topic = "other"
    with pytest.raises(TypeError):
        NewPartitions("orders")  # new_total_count is required
    assert NewPartitions("t", 3) == NewPartitions("t", 3, [[1]])
    assert NewPartitions("t", 3) < NewPartitions("t", 4)
    assert hash(NewPartitions("t", 3)) == hash("t") ^ 3
    with pytest.raises(NotImplementedError):
        _ = NewPartitions("t", 3) == NewTopic("t", 3)


# --- metadata --------------------------------------------------------------------------------


def test_metadata_defaults_and_reprs():
    cluster = ClusterMetadata()
    assert (cluster.cluster_id, cluster.controller_id, cluster.brokers, cluster.topics) == (
        None,
        -1,
        {},
        {},
    )
    assert (cluster.orig_broker_id, cluster.orig_broker_name) == (-1, None)
    cluster.cluster_id = "demo"
    assert (repr(cluster), str(cluster)) == ("ClusterMetadata(demo)", "demo")

    broker = BrokerMetadata()
    assert (broker.id, broker.host, broker.port) == (-1, None, -1)
    broker.id, broker.host, broker.port = 1, "localhost", 9092
    assert (repr(broker), str(broker)) == ("BrokerMetadata(1, localhost:9092)", "localhost:9092/1")

    part = PartitionMetadata()
    assert (part.id, part.leader, part.replicas, part.isrs, part.error) == (-1, -1, [], [], None)
    part.id = 0
    assert (repr(part), str(part)) == ("PartitionMetadata(0)", "0")
    part.error = KafkaError(KafkaError.LEADER_NOT_AVAILABLE)
    assert repr(part) == (
        "PartitionMetadata(0, KafkaError{code=LEADER_NOT_AVAILABLE,val=5,"
        'str="Broker: Leader not available"})'
    )

    topic = TopicMetadata()
    assert (topic.topic, topic.partitions, topic.error) == (None, {}, None)
    topic.topic = "orders"
    topic.partitions = {0: part}
    assert (repr(topic), str(topic)) == ("TopicMetadata(orders, 1 partitions)", "orders")
    topic.error = KafkaError(3)
    assert repr(topic).startswith("TopicMetadata(orders, 1 partitions, KafkaError{code=UNKNOWN")


def test_metadata_dicts_are_not_shared():
    assert ClusterMetadata().brokers is not ClusterMetadata().brokers
    assert PartitionMetadata().replicas is not PartitionMetadata().replicas
