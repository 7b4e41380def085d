// Error codes: Kafka's protocol numbering for broker errors (Errors.java), and librdkafka's
// negative numbering for errors that arise in the client (timeouts, full queues, ...), so
// that Python sees exactly the codes and names confluent-kafka-python shows.
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

// X(enumerator, code, librdkafka name (KafkaError.<NAME> in Python), retriable, description)
// The librdkafka name is the one Python users see; it differs from Kafka's Java name in a few
// places (UNKNOWN_TOPIC_OR_PART, MSG_SIZE_TOO_LARGE, TOPIC_EXCEPTION, ...).
// The description is librdkafka's rd_kafka_err2str() text, which KafkaError.str() shows when no
// reason is given ("Broker: Unknown topic or partition", "Local: Timed out"). Codes librdkafka
// does not define (98, 99, 101, 102, 104-108) keep Kafka's Java name and get a text in the same
// "Broker: ..." style.
#define SHOAL_ERRC_LIST(X)                                                                         \
  /* client-side errors, librdkafka's internal codes */                                            \
  X(bad_msg, -199, "_BAD_MSG", false, "Local: Bad message format")                                 \
  X(bad_compression, -198, "_BAD_COMPRESSION", false, "Local: Invalid compressed data")            \
  X(destroy, -197, "_DESTROY", false, "Local: Broker handle destroyed for termination")            \
  X(fail, -196, "_FAIL", false, "Local: Communication failure with broker")                        \
  X(transport, -195, "_TRANSPORT", true, "Local: Broker transport failure")                        \
  X(crit_sys_resource, -194, "_CRIT_SYS_RESOURCE", false,                                          \
    "Local: Critical system resource failure")                                                     \
  X(resolve, -193, "_RESOLVE", true, "Local: Host resolution failure")                             \
  X(msg_timed_out, -192, "_MSG_TIMED_OUT", false, "Local: Message timed out")                      \
  X(partition_eof, -191, "_PARTITION_EOF", false, "Broker: No more messages")                      \
  X(unknown_partition, -190, "_UNKNOWN_PARTITION", false, "Local: Unknown partition")              \
  X(fs, -189, "_FS", false, "Local: File or filesystem error")                                     \
  X(unknown_topic, -188, "_UNKNOWN_TOPIC", false, "Local: Unknown topic")                          \
  X(all_brokers_down, -187, "_ALL_BROKERS_DOWN", true, "Local: All broker connections are down")   \
  X(invalid_arg, -186, "_INVALID_ARG", false, "Local: Invalid argument or configuration")          \
  X(timed_out, -185, "_TIMED_OUT", true, "Local: Timed out")                                       \
  X(queue_full, -184, "_QUEUE_FULL", true, "Local: Queue full")                                    \
  X(isr_insuff, -183, "_ISR_INSUFF", true, "Local: ISR count insufficient")                        \
  X(node_update, -182, "_NODE_UPDATE", false, "Local: Broker node update")                         \
  X(ssl, -181, "_SSL", false, "Local: SSL error")                                                  \
  X(wait_coord, -180, "_WAIT_COORD", true, "Local: Waiting for coordinator")                       \
  X(unknown_group, -179, "_UNKNOWN_GROUP", false, "Local: Unknown group")                          \
  X(in_progress, -178, "_IN_PROGRESS", false, "Local: Operation in progress")                      \
  X(prev_in_progress, -177, "_PREV_IN_PROGRESS", false, "Local: Previous operation in progress")   \
  X(existing_subscription, -176, "_EXISTING_SUBSCRIPTION", false, "Local: Existing subscription")  \
  X(assign_partitions, -175, "_ASSIGN_PARTITIONS", false, "Local: Assign partitions")              \
  X(revoke_partitions, -174, "_REVOKE_PARTITIONS", false, "Local: Revoke partitions")              \
  X(conflict, -173, "_CONFLICT", false, "Local: Conflicting use")                                  \
  X(state, -172, "_STATE", false, "Local: Erroneous state")                                        \
  X(unknown_protocol, -171, "_UNKNOWN_PROTOCOL", false, "Local: Unknown protocol")                 \
  X(not_implemented, -170, "_NOT_IMPLEMENTED", false, "Local: Not implemented")                    \
  X(authentication, -169, "_AUTHENTICATION", false, "Local: Authentication failure")               \
  X(no_offset, -168, "_NO_OFFSET", false, "Local: No offset stored")                               \
  X(outdated, -167, "_OUTDATED", false, "Local: Outdated")                                         \
  X(timed_out_queue, -166, "_TIMED_OUT_QUEUE", false, "Local: Timed out in queue")                 \
  X(unsupported_feature, -165, "_UNSUPPORTED_FEATURE", false,                                      \
    "Local: Required feature not supported by broker")                                             \
  X(wait_cache, -164, "_WAIT_CACHE", false, "Local: Awaiting cache update")                        \
  X(intr, -163, "_INTR", false, "Local: Operation interrupted")                                    \
  X(key_serialization, -162, "_KEY_SERIALIZATION", false, "Local: Key serialization error")        \
  X(value_serialization, -161, "_VALUE_SERIALIZATION", false, "Local: Value serialization error")  \
  X(key_deserialization, -160, "_KEY_DESERIALIZATION", false, "Local: Key deserialization error")  \
  X(value_deserialization, -159, "_VALUE_DESERIALIZATION", false,                                  \
    "Local: Value deserialization error")                                                          \
  X(partial, -158, "_PARTIAL", false, "Local: Partial response")                                   \
  X(read_only, -157, "_READ_ONLY", false, "Local: Read-only object")                               \
  X(noent, -156, "_NOENT", false, "Local: No such entry")                                          \
  X(underflow, -155, "_UNDERFLOW", false, "Local: Read underflow")                                 \
  X(invalid_type, -154, "_INVALID_TYPE", false, "Local: Invalid type")                             \
  X(retry, -153, "_RETRY", true, "Local: Retry operation")                                         \
  X(purge_queue, -152, "_PURGE_QUEUE", false, "Local: Purged in queue")                            \
  X(purge_inflight, -151, "_PURGE_INFLIGHT", false, "Local: Purged in flight")                     \
  X(fatal, -150, "_FATAL", false, "Local: Fatal error")                                            \
  X(inconsistent, -149, "_INCONSISTENT", false, "Local: Inconsistent state")                       \
  X(gapless_guarantee, -148, "_GAPLESS_GUARANTEE", false,                                          \
    "Local: Gap-less ordering would not be guaranteed if proceeding")                              \
  X(max_poll_exceeded, -147, "_MAX_POLL_EXCEEDED", false,                                          \
    "Local: Maximum application poll interval (max.poll.interval.ms) exceeded")                    \
  X(unknown_broker, -146, "_UNKNOWN_BROKER", false, "Local: Unknown broker")                       \
  X(not_configured, -145, "_NOT_CONFIGURED", false, "Local: Functionality not configured")         \
  X(fenced, -144, "_FENCED", false, "Local: This instance has been fenced by a newer instance")    \
  X(application, -143, "_APPLICATION", false, "Local: Application generated error")                \
  X(assignment_lost, -142, "_ASSIGNMENT_LOST", false, "Local: Group partition assignment lost")    \
  X(noop, -141, "_NOOP", false, "Local: No operation performed")                                   \
  X(auto_offset_reset, -140, "_AUTO_OFFSET_RESET", false,                                          \
    "Local: No offset to automatically reset to")                                                  \
  X(log_truncation, -139, "_LOG_TRUNCATION", false, "Local: Partition log truncation detected")    \
  X(invalid_different_record, -138, "_INVALID_DIFFERENT_RECORD", false,                            \
    "Local: an invalid record in the same batch caused the failure of this message too")           \
  X(destroy_broker, -137, "_DESTROY_BROKER", false,                                                \
    "Local: Broker handle destroyed without termination")                                          \
  /* broker errors, Kafka's protocol codes */                                                      \
  X(unknown_server_error, -1, "UNKNOWN", false, "Unknown broker error")                            \
  X(none, 0, "NO_ERROR", false, "Success")                                                         \
  X(offset_out_of_range, 1, "OFFSET_OUT_OF_RANGE", false, "Broker: Offset out of range")           \
  X(corrupt_message, 2, "INVALID_MSG", true, "Broker: Invalid message")                            \
  X(unknown_topic_or_partition, 3, "UNKNOWN_TOPIC_OR_PART", true,                                  \
    "Broker: Unknown topic or partition")                                                          \
  X(invalid_fetch_size, 4, "INVALID_MSG_SIZE", false, "Broker: Invalid message size")              \
  X(leader_not_available, 5, "LEADER_NOT_AVAILABLE", true, "Broker: Leader not available")         \
  X(not_leader_or_follower, 6, "NOT_LEADER_FOR_PARTITION", true,                                   \
    "Broker: Not leader for partition")                                                            \
  X(request_timed_out, 7, "REQUEST_TIMED_OUT", true, "Broker: Request timed out")                  \
  X(broker_not_available, 8, "BROKER_NOT_AVAILABLE", false, "Broker: Broker not available")        \
  X(replica_not_available, 9, "REPLICA_NOT_AVAILABLE", true, "Broker: Replica not available")      \
  X(message_too_large, 10, "MSG_SIZE_TOO_LARGE", false, "Broker: Message size too large")          \
  X(stale_controller_epoch, 11, "STALE_CTRL_EPOCH", false, "Broker: StaleControllerEpochCode")     \
  X(offset_metadata_too_large, 12, "OFFSET_METADATA_TOO_LARGE", false,                             \
    "Broker: Offset metadata string too large")                                                    \
  X(network_exception, 13, "NETWORK_EXCEPTION", true,                                              \
    "Broker: Broker disconnected before response received")                                        \
  X(coordinator_load_in_progress, 14, "COORDINATOR_LOAD_IN_PROGRESS", true,                        \
    "Broker: Coordinator load in progress")                                                        \
  X(coordinator_not_available, 15, "COORDINATOR_NOT_AVAILABLE", true,                              \
    "Broker: Coordinator not available")                                                           \
  X(not_coordinator, 16, "NOT_COORDINATOR", true, "Broker: Not coordinator")                       \
  X(invalid_topic_exception, 17, "TOPIC_EXCEPTION", false, "Broker: Invalid topic")                \
  X(record_list_too_large, 18, "RECORD_LIST_TOO_LARGE", false,                                     \
    "Broker: Message batch larger than configured server segment size")                            \
  X(not_enough_replicas, 19, "NOT_ENOUGH_REPLICAS", true, "Broker: Not enough in-sync replicas")   \
  X(not_enough_replicas_after_append, 20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true,                \
    "Broker: Message(s) written to insufficient number of in-sync replicas")                       \
  X(invalid_required_acks, 21, "INVALID_REQUIRED_ACKS", false,                                     \
    "Broker: Invalid required acks value")                                                         \
  X(illegal_generation, 22, "ILLEGAL_GENERATION", false,                                           \
    "Broker: Specified group generation id is not valid")                                          \
  X(inconsistent_group_protocol, 23, "INCONSISTENT_GROUP_PROTOCOL", false,                         \
    "Broker: Inconsistent group protocol")                                                         \
  X(invalid_group_id, 24, "INVALID_GROUP_ID", false, "Broker: Invalid group.id")                   \
  X(unknown_member_id, 25, "UNKNOWN_MEMBER_ID", false, "Broker: Unknown member")                   \
  X(invalid_session_timeout, 26, "INVALID_SESSION_TIMEOUT", false,                                 \
    "Broker: Invalid session timeout")                                                             \
  X(rebalance_in_progress, 27, "REBALANCE_IN_PROGRESS", false,                                     \
    "Broker: Group rebalance in progress")                                                         \
  X(invalid_commit_offset_size, 28, "INVALID_COMMIT_OFFSET_SIZE", false,                           \
    "Broker: Commit offset data size is not valid")                                                \
  X(topic_authorization_failed, 29, "TOPIC_AUTHORIZATION_FAILED", false,                           \
    "Broker: Topic authorization failed")                                                          \
  X(group_authorization_failed, 30, "GROUP_AUTHORIZATION_FAILED", false,                           \
    "Broker: Group authorization failed")                                                          \
  X(cluster_authorization_failed, 31, "CLUSTER_AUTHORIZATION_FAILED", false,                       \
    "Broker: Cluster authorization failed")                                                        \
  X(invalid_timestamp, 32, "INVALID_TIMESTAMP", false, "Broker: Invalid timestamp")                \
  X(unsupported_sasl_mechanism, 33, "UNSUPPORTED_SASL_MECHANISM", false,                           \
    "Broker: Unsupported SASL mechanism")                                                          \
  X(illegal_sasl_state, 34, "ILLEGAL_SASL_STATE", false,                                           \
    "Broker: Request not valid in current SASL state")                                             \
  X(unsupported_version, 35, "UNSUPPORTED_VERSION", false, "Broker: API version not supported")    \
  X(topic_already_exists, 36, "TOPIC_ALREADY_EXISTS", false, "Broker: Topic already exists")       \
  X(invalid_partitions, 37, "INVALID_PARTITIONS", false, "Broker: Invalid number of partitions")   \
  X(invalid_replication_factor, 38, "INVALID_REPLICATION_FACTOR", false,                           \
    "Broker: Invalid replication factor")                                                          \
  X(invalid_replica_assignment, 39, "INVALID_REPLICA_ASSIGNMENT", false,                           \
    "Broker: Invalid replica assignment")                                                          \
  X(invalid_config, 40, "INVALID_CONFIG", false, "Broker: Configuration is invalid")               \
  X(not_controller, 41, "NOT_CONTROLLER", true, "Broker: Not controller for cluster")              \
  X(invalid_request, 42, "INVALID_REQUEST", false, "Broker: Invalid request")                      \
  X(unsupported_for_message_format, 43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false,                   \
    "Broker: Message format on broker does not support request")                                   \
  X(policy_violation, 44, "POLICY_VIOLATION", false, "Broker: Policy violation")                   \
  X(out_of_order_sequence_number, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false,                       \
    "Broker: Broker received an out of order sequence number")                                     \
  X(duplicate_sequence_number, 46, "DUPLICATE_SEQUENCE_NUMBER", false,                             \
    "Broker: Broker received a duplicate sequence number")                                         \
  X(invalid_producer_epoch, 47, "INVALID_PRODUCER_EPOCH", false,                                   \
    "Broker: Producer attempted an operation with an old epoch")                                   \
  X(invalid_txn_state, 48, "INVALID_TXN_STATE", false,                                             \
    "Broker: Producer attempted a transactional operation in an invalid state")                    \
  X(invalid_producer_id_mapping, 49, "INVALID_PRODUCER_ID_MAPPING", false,                         \
    "Broker: Producer attempted to use a producer id which is not currently assigned to its "      \
    "transactional id")                                                                            \
  X(invalid_transaction_timeout, 50, "INVALID_TRANSACTION_TIMEOUT", false,                         \
    "Broker: Transaction timeout is larger than the maximum value allowed by the broker's "        \
    "max.transaction.timeout.ms")                                                                  \
  X(concurrent_transactions, 51, "CONCURRENT_TRANSACTIONS", true,                                  \
    "Broker: Producer attempted to update a transaction while another concurrent operation on "    \
    "the same transaction was ongoing")                                                            \
  X(transaction_coordinator_fenced, 52, "TRANSACTION_COORDINATOR_FENCED", false,                   \
    "Broker: Indicates that the transaction coordinator sending a WriteTxnMarker is no longer "    \
    "the current coordinator for a given producer")                                                \
  X(transactional_id_authorization_failed, 53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false,     \
    "Broker: Transactional Id authorization failed")                                               \
  X(security_disabled, 54, "SECURITY_DISABLED", false, "Broker: Security features are disabled")   \
  X(operation_not_attempted, 55, "OPERATION_NOT_ATTEMPTED", false,                                 \
    "Broker: Operation not attempted")                                                             \
  X(kafka_storage_error, 56, "KAFKA_STORAGE_ERROR", true,                                          \
    "Broker: Disk error when trying to access log file on disk")                                   \
  X(log_dir_not_found, 57, "LOG_DIR_NOT_FOUND", false,                                             \
    "Broker: The user-specified log directory is not found in the broker config")                  \
  X(sasl_authentication_failed, 58, "SASL_AUTHENTICATION_FAILED", false,                           \
    "Broker: SASL Authentication failed")                                                          \
  X(unknown_producer_id, 59, "UNKNOWN_PRODUCER_ID", false, "Broker: Unknown Producer Id")          \
  X(reassignment_in_progress, 60, "REASSIGNMENT_IN_PROGRESS", false,                               \
    "Broker: Partition reassignment is in progress")                                               \
  X(delegation_token_auth_disabled, 61, "DELEGATION_TOKEN_AUTH_DISABLED", false,                   \
    "Broker: Delegation Token feature is not enabled")                                             \
  X(delegation_token_not_found, 62, "DELEGATION_TOKEN_NOT_FOUND", false,                           \
    "Broker: Delegation Token is not found on server")                                             \
  X(delegation_token_owner_mismatch, 63, "DELEGATION_TOKEN_OWNER_MISMATCH", false,                 \
    "Broker: Specified Principal is not valid Owner/Renewer")                                      \
  X(delegation_token_request_not_allowed, 64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false,       \
    "Broker: Delegation Token requests are not allowed on this connection")                        \
  X(delegation_token_authorization_failed, 65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false,     \
    "Broker: Delegation Token authorization failed")                                               \
  X(delegation_token_expired, 66, "DELEGATION_TOKEN_EXPIRED", false,                               \
    "Broker: Delegation Token is expired")                                                         \
  X(invalid_principal_type, 67, "INVALID_PRINCIPAL_TYPE", false,                                   \
    "Broker: Supplied principalType is not supported")                                             \
  X(non_empty_group, 68, "NON_EMPTY_GROUP", false, "Broker: The group is not empty")               \
  X(group_id_not_found, 69, "GROUP_ID_NOT_FOUND", false, "Broker: The group id does not exist")    \
  X(fetch_session_id_not_found, 70, "FETCH_SESSION_ID_NOT_FOUND", true,                            \
    "Broker: The fetch session ID was not found")                                                  \
  X(invalid_fetch_session_epoch, 71, "INVALID_FETCH_SESSION_EPOCH", true,                          \
    "Broker: The fetch session epoch is invalid")                                                  \
  X(listener_not_found, 72, "LISTENER_NOT_FOUND", true, "Broker: No matching listener")            \
  X(topic_deletion_disabled, 73, "TOPIC_DELETION_DISABLED", false,                                 \
    "Broker: Topic deletion is disabled")                                                          \
  X(fenced_leader_epoch, 74, "FENCED_LEADER_EPOCH", true,                                          \
    "Broker: Leader epoch is older than broker epoch")                                             \
  X(unknown_leader_epoch, 75, "UNKNOWN_LEADER_EPOCH", true,                                        \
    "Broker: Leader epoch is newer than broker epoch")                                             \
  X(unsupported_compression_type, 76, "UNSUPPORTED_COMPRESSION_TYPE", false,                       \
    "Broker: Unsupported compression type")                                                        \
  X(stale_broker_epoch, 77, "STALE_BROKER_EPOCH", false, "Broker: Broker epoch has changed")       \
  X(offset_not_available, 78, "OFFSET_NOT_AVAILABLE", true,                                        \
    "Broker: Leader high watermark is not caught up")                                              \
  X(member_id_required, 79, "MEMBER_ID_REQUIRED", false,                                           \
    "Broker: Group member needs a valid member ID")                                                \
  X(preferred_leader_not_available, 80, "PREFERRED_LEADER_NOT_AVAILABLE", true,                    \
    "Broker: Preferred leader was not available")                                                  \
  X(group_max_size_reached, 81, "GROUP_MAX_SIZE_REACHED", false,                                   \
    "Broker: Consumer group has reached maximum size")                                             \
  X(fenced_instance_id, 82, "FENCED_INSTANCE_ID", false,                                           \
    "Broker: Static consumer fenced by other consumer with same group.instance.id")                \
  X(eligible_leaders_not_available, 83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true,                    \
    "Broker: Eligible partition leaders are not available")                                        \
  X(election_not_needed, 84, "ELECTION_NOT_NEEDED", true,                                          \
    "Broker: Leader election not needed for topic partition")                                      \
  X(no_reassignment_in_progress, 85, "NO_REASSIGNMENT_IN_PROGRESS", false,                         \
    "Broker: No partition reassignment is in progress")                                            \
  X(group_subscribed_to_topic, 86, "GROUP_SUBSCRIBED_TO_TOPIC", false,                             \
    "Broker: Deleting offsets of a topic while the consumer group is subscribed to it")            \
  X(invalid_record, 87, "INVALID_RECORD", false, "Broker: Broker failed to validate record")       \
  X(unstable_offset_commit, 88, "UNSTABLE_OFFSET_COMMIT", true,                                    \
    "Broker: There are unstable offsets that need to be cleared")                                  \
  X(throttling_quota_exceeded, 89, "THROTTLING_QUOTA_EXCEEDED", true,                              \
    "Broker: Throttling quota has been exceeded")                                                  \
  X(producer_fenced, 90, "PRODUCER_FENCED", false,                                                 \
    "Broker: There is a newer producer with the same transactionalId which fences the current "    \
    "one")                                                                                         \
  X(resource_not_found, 91, "RESOURCE_NOT_FOUND", false,                                           \
    "Broker: Request illegally referred to resource that does not exist")                          \
  X(duplicate_resource, 92, "DUPLICATE_RESOURCE", false,                                           \
    "Broker: Request illegally referred to the same resource twice")                               \
  X(unacceptable_credential, 93, "UNACCEPTABLE_CREDENTIAL", false,                                 \
    "Broker: Requested credential would not meet criteria for acceptability")                      \
  X(inconsistent_voter_set, 94, "INCONSISTENT_VOTER_SET", false,                                   \
    "Broker: Indicates that the either the sender or recipient of a voter-only request is not "    \
    "one of the expected voters")                                                                  \
  X(invalid_update_version, 95, "INVALID_UPDATE_VERSION", false, "Broker: Invalid update version") \
  X(feature_update_failed, 96, "FEATURE_UPDATE_FAILED", false,                                     \
    "Broker: Unable to update finalized features due to server error")                             \
  X(principal_deserialization_failure, 97, "PRINCIPAL_DESERIALIZATION_FAILURE", false,             \
    "Broker: Request principal deserialization failed during forwarding")                          \
  X(snapshot_not_found, 98, "SNAPSHOT_NOT_FOUND", false,                                           \
    "Broker: Requested snapshot was not found")                                                    \
  X(position_out_of_range, 99, "POSITION_OUT_OF_RANGE", false,                                     \
    "Broker: Requested snapshot position is out of range")                                         \
  X(unknown_topic_id, 100, "UNKNOWN_TOPIC_ID", true, "Broker: Unknown topic id")                   \
  X(duplicate_broker_registration, 101, "DUPLICATE_BROKER_REGISTRATION", false,                    \
    "Broker: This broker ID is already in use")                                                    \
  X(broker_id_not_registered, 102, "BROKER_ID_NOT_REGISTERED", false,                              \
    "Broker: The given broker ID was not registered")                                              \
  X(inconsistent_topic_id, 103, "INCONSISTENT_TOPIC_ID", true,                                     \
    "Broker: The log's topic ID did not match the topic ID in the request")                        \
  X(inconsistent_cluster_id, 104, "INCONSISTENT_CLUSTER_ID", false,                                \
    "Broker: The cluster ID in the request does not match the one found on the server")            \
  X(transactional_id_not_found, 105, "TRANSACTIONAL_ID_NOT_FOUND", false,                          \
    "Broker: The transactional ID could not be found")                                             \
  X(fetch_session_topic_id_error, 106, "FETCH_SESSION_TOPIC_ID_ERROR", true,                       \
    "Broker: The fetch session encountered inconsistent topic ID usage")                           \
  X(ineligible_replica, 107, "INELIGIBLE_REPLICA", false,                                          \
    "Broker: The new ISR contains at least one ineligible replica")                                \
  X(new_leader_elected, 108, "NEW_LEADER_ELECTED", false,                                          \
    "Broker: The partition state was updated but the leader has changed")

enum class errc : int16_t {
#define SHOAL_ERRC_ENUM(e, code, name, retriable, description) e = code,
  SHOAL_ERRC_LIST(SHOAL_ERRC_ENUM)
#undef SHOAL_ERRC_ENUM
};

// librdkafka's name for the code ("UNKNOWN_TOPIC_OR_PART", "_TIMED_OUT"); "UNKNOWN_ERROR_<n>"
// style is never returned: an unlisted code yields "UNKNOWN".
std::string_view errc_name(errc e);
// Whether a client may retry the same request and expect success (Kafka's RetriableException).
bool errc_retriable(errc e);
// Whether `code` is one of the listed codes.
bool errc_known(int code);
// librdkafka's rd_kafka_err2str() text for the code ("Broker: Unknown topic or partition",
// "Local: Timed out"); an unlisted code yields "Unknown broker error", the text of UNKNOWN,
// matching errc_name().
std::string_view errc_description(errc e);

}  // namespace shoal
