"""shoal.AdminClient: confluent-kafka's AdminClient, on the controller of a Shoal cluster."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from shoal import _core
from shoal._model import ClusterMetadata, NewTopic
from shoal.error import KafkaException, _error_for

__all__ = ["AdminClient"]


def _run(fn: Any, futures: dict[str, concurrent.futures.Future[Any]]) -> None:
    """Runs one batched call on a thread and settles each topic's future from its result."""

    def work() -> None:
        try:
            results = fn()
        except KafkaException as e:
            for f in futures.values():
                if not f.done():
                    f.set_exception(KafkaException(e.args[0]))
            return
        except BaseException as e:
            for f in futures.values():
                if not f.done():
                    f.set_exception(e)
            return
        for name, code, message in results:
            f = futures.get(name)
            if f is None or f.done():
                continue
            if code == 0:
                f.set_result(None)
            else:
                f.set_exception(KafkaException(_error_for(code, message or None)))
        for f in futures.values():
            if not f.done():
                f.set_exception(KafkaException(_error_for(-1, "the broker did not answer")))

    threading.Thread(target=work, name="shoal-admin", daemon=True).start()


class AdminClient:
    """Administers a cluster: AdminClient(conf) with confluent-kafka's methods. Calls that
    change topics return a dict of ``concurrent.futures.Future`` by topic, as confluent-kafka's
    do; ``future.result()`` returns None or raises KafkaException."""

    def __init__(self, conf: dict[str, Any] | None = None, **kwargs: Any) -> None:
        merged = dict(conf or {})
        merged.update(kwargs)
        # Callbacks only the Python layer would use; the admin client has none to call.
        for key in ("error_cb", "throttle_cb", "stats_cb", "logger", "oauth_cb"):
            merged.pop(key, None)
        self._admin = _core._Admin(merged)

    def create_topics(
        self,
        new_topics: list[NewTopic],
        operation_timeout: float = 0,
        request_timeout: float = 0,
        validate_only: bool = False,
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Creates topics; returns {topic: Future}. Errors: TOPIC_ALREADY_EXISTS,
        INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, TOPIC_EXCEPTION, ..."""
        if not isinstance(new_topics, list) or not all(isinstance(t, NewTopic) for t in new_topics):
            raise TypeError("Expected list of NewTopic")
        if not new_topics:
            raise ValueError("Expected non-empty list of NewTopic objects")
        specs = []
        for t in new_topics:
            assignment = [list(r) for r in (t.replica_assignment or [])]
            configs = {str(k): str(v) for k, v in (t.config or {}).items()}
            parts = -1 if assignment else t.num_partitions
            rf = -1 if assignment else t.replication_factor
            specs.append((t.topic, parts, rf, assignment, configs))
        futures: dict[str, concurrent.futures.Future[None]] = {
            t.topic: concurrent.futures.Future() for t in new_topics
        }
        timeout = request_timeout or operation_timeout
        _run(lambda: self._admin.create_topics(specs, validate_only, timeout), futures)
        return futures

    def delete_topics(
        self, topics: list[str], operation_timeout: float = 0, request_timeout: float = 0
    ) -> dict[str, concurrent.futures.Future[None]]:
        """Deletes topics; returns {topic: Future}. Errors: UNKNOWN_TOPIC_OR_PART,
        TOPIC_DELETION_DISABLED."""
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise TypeError("Expected list of topic names (str)")
        if not topics:
            raise ValueError("Expected non-empty list of topic names")
        futures: dict[str, concurrent.futures.Future[None]] = {
            t: concurrent.futures.Future() for t in topics
        }
        timeout = request_timeout or operation_timeout
        _run(lambda: self._admin.delete_topics(topics, timeout), futures)
        return futures

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        """Cluster metadata: brokers, topics, and each partition's leader, replicas and ISR."""
        return self._admin.list_topics(topic, timeout)

    def close(self) -> None:
        self._admin.close()
