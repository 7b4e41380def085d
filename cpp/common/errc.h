// Error codes: Kafka's protocol numbering for broker errors (Errors.java), and librdkafka's
// negative numbering for errors that arise in the client (timeouts, full queues, ...), so
// that Python sees exactly the codes and names confluent-kafka-python shows.
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

// X(enumerator, code, librdkafka name (KafkaError.<NAME> in Python), retriable)
// The librdkafka name is the one Python users see; it differs from Kafka's Java name in a few
// places (UNKNOWN_TOPIC_OR_PART, MSG_SIZE_TOO_LARGE, TOPIC_EXCEPTION, ...).
#define SHOAL_ERRC_LIST(X)                                                                     \
  /* client-side errors, librdkafka's internal codes */                                        \
  X(bad_msg, -199, "_BAD_MSG", false)                                                          \
  X(bad_compression, -198, "_BAD_COMPRESSION", false)                                          \
  X(destroy, -197, "_DESTROY", false)                                                          \
  X(fail, -196, "_FAIL", false)                                                                \
  X(transport, -195, "_TRANSPORT", true)                                                       \
  X(crit_sys_resource, -194, "_CRIT_SYS_RESOURCE", false)                                      \
  X(resolve, -193, "_RESOLVE", true)                                                           \
  X(msg_timed_out, -192, "_MSG_TIMED_OUT", false)                                              \
  X(partition_eof, -191, "_PARTITION_EOF", false)                                              \
  X(unknown_partition, -190, "_UNKNOWN_PARTITION", false)                                      \
  X(fs, -189, "_FS", false)                                                                    \
  X(unknown_topic, -188, "_UNKNOWN_TOPIC", false)                                              \
  X(all_brokers_down, -187, "_ALL_BROKERS_DOWN", true)                                         \
  X(invalid_arg, -186, "_INVALID_ARG", false)                                                  \
  X(timed_out, -185, "_TIMED_OUT", true)                                                       \
  X(queue_full, -184, "_QUEUE_FULL", true)                                                     \
  X(isr_insuff, -183, "_ISR_INSUFF", true)                                                     \
  X(node_update, -182, "_NODE_UPDATE", false)                                                  \
  X(ssl, -181, "_SSL", false)                                                                  \
  X(wait_coord, -180, "_WAIT_COORD", true)                                                     \
  X(unknown_group, -179, "_UNKNOWN_GROUP", false)                                              \
  X(in_progress, -178, "_IN_PROGRESS", false)                                                  \
  X(prev_in_progress, -177, "_PREV_IN_PROGRESS", false)                                        \
  X(existing_subscription, -176, "_EXISTING_SUBSCRIPTION", false)                              \
  X(assign_partitions, -175, "_ASSIGN_PARTITIONS", false)                                      \
  X(revoke_partitions, -174, "_REVOKE_PARTITIONS", false)                                      \
  X(conflict, -173, "_CONFLICT", false)                                                        \
  X(state, -172, "_STATE", false)                                                              \
  X(unknown_protocol, -171, "_UNKNOWN_PROTOCOL", false)                                        \
  X(not_implemented, -170, "_NOT_IMPLEMENTED", false)                                          \
  X(authentication, -169, "_AUTHENTICATION", false)                                            \
  X(no_offset, -168, "_NO_OFFSET", false)                                                      \
  X(outdated, -167, "_OUTDATED", false)                                                        \
  X(timed_out_queue, -166, "_TIMED_OUT_QUEUE", false)                                          \
  X(unsupported_feature, -165, "_UNSUPPORTED_FEATURE", false)                                  \
  X(wait_cache, -164, "_WAIT_CACHE", false)                                                    \
  X(intr, -163, "_INTR", false)                                                                \
  X(key_serialization, -162, "_KEY_SERIALIZATION", false)                                      \
  X(value_serialization, -161, "_VALUE_SERIALIZATION", false)                                  \
  X(key_deserialization, -160, "_KEY_DESERIALIZATION", false)                                  \
  X(value_deserialization, -159, "_VALUE_DESERIALIZATION", false)                              \
  X(partial, -158, "_PARTIAL", false)                                                          \
  X(read_only, -157, "_READ_ONLY", false)                                                      \
  X(noent, -156, "_NOENT", false)                                                              \
  X(underflow, -155, "_UNDERFLOW", false)                                                      \
  X(invalid_type, -154, "_INVALID_TYPE", false)                                                \
  X(retry, -153, "_RETRY", true)                                                               \
  X(purge_queue, -152, "_PURGE_QUEUE", false)                                                  \
  X(purge_inflight, -151, "_PURGE_INFLIGHT", false)                                            \
  X(fatal, -150, "_FATAL", false)                                                              \
  X(inconsistent, -149, "_INCONSISTENT", false)                                                \
  X(gapless_guarantee, -148, "_GAPLESS_GUARANTEE", false)                                      \
  X(max_poll_exceeded, -147, "_MAX_POLL_EXCEEDED", false)                                      \
  X(unknown_broker, -146, "_UNKNOWN_BROKER", false)                                            \
  X(not_configured, -145, "_NOT_CONFIGURED", false)                                            \
  X(fenced, -144, "_FENCED", false)                                                            \
  X(application, -143, "_APPLICATION", false)                                                  \
  X(assignment_lost, -142, "_ASSIGNMENT_LOST", false)                                          \
  X(noop, -141, "_NOOP", false)                                                                \
  X(auto_offset_reset, -140, "_AUTO_OFFSET_RESET", false)                                      \
  X(log_truncation, -139, "_LOG_TRUNCATION", false)                                            \
  X(invalid_different_record, -138, "_INVALID_DIFFERENT_RECORD", false)                        \
  X(destroy_broker, -137, "_DESTROY_BROKER", false)                                            \
  /* broker errors, Kafka's protocol codes */                                                  \
  X(unknown_server_error, -1, "UNKNOWN", false)                                                \
  X(none, 0, "NO_ERROR", false)                                                                \
  X(offset_out_of_range, 1, "OFFSET_OUT_OF_RANGE", false)                                      \
  X(corrupt_message, 2, "INVALID_MSG", true)                                                   \
  X(unknown_topic_or_partition, 3, "UNKNOWN_TOPIC_OR_PART", true)                              \
  X(invalid_fetch_size, 4, "INVALID_MSG_SIZE", false)                                          \
  X(leader_not_available, 5, "LEADER_NOT_AVAILABLE", true)                                     \
  X(not_leader_or_follower, 6, "NOT_LEADER_FOR_PARTITION", true)                               \
  X(request_timed_out, 7, "REQUEST_TIMED_OUT", true)                                           \
  X(broker_not_available, 8, "BROKER_NOT_AVAILABLE", false)                                    \
  X(replica_not_available, 9, "REPLICA_NOT_AVAILABLE", true)                                   \
  X(message_too_large, 10, "MSG_SIZE_TOO_LARGE", false)                                        \
  X(stale_controller_epoch, 11, "STALE_CTRL_EPOCH", false)                                     \
  X(offset_metadata_too_large, 12, "OFFSET_METADATA_TOO_LARGE", false)                         \
  X(network_exception, 13, "NETWORK_EXCEPTION", true)                                          \
  X(coordinator_load_in_progress, 14, "COORDINATOR_LOAD_IN_PROGRESS", true)                    \
  X(coordinator_not_available, 15, "COORDINATOR_NOT_AVAILABLE", true)                          \
  X(not_coordinator, 16, "NOT_COORDINATOR", true)                                              \
  X(invalid_topic_exception, 17, "TOPIC_EXCEPTION", false)                                     \
  X(record_list_too_large, 18, "RECORD_LIST_TOO_LARGE", false)                                 \
  X(not_enough_replicas, 19, "NOT_ENOUGH_REPLICAS", true)                                      \
  X(not_enough_replicas_after_append, 20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true)            \
  X(invalid_required_acks, 21, "INVALID_REQUIRED_ACKS", false)                                 \
  X(illegal_generation, 22, "ILLEGAL_GENERATION", false)                                       \
  X(inconsistent_group_protocol, 23, "INCONSISTENT_GROUP_PROTOCOL", false)                     \
  X(invalid_group_id, 24, "INVALID_GROUP_ID", false)                                           \
  X(unknown_member_id, 25, "UNKNOWN_MEMBER_ID", false)                                         \
  X(invalid_session_timeout, 26, "INVALID_SESSION_TIMEOUT", false)                             \
  X(rebalance_in_progress, 27, "REBALANCE_IN_PROGRESS", false)                                 \
  X(invalid_commit_offset_size, 28, "INVALID_COMMIT_OFFSET_SIZE", false)                       \
  X(topic_authorization_failed, 29, "TOPIC_AUTHORIZATION_FAILED", false)                       \
  X(group_authorization_failed, 30, "GROUP_AUTHORIZATION_FAILED", false)                       \
  X(cluster_authorization_failed, 31, "CLUSTER_AUTHORIZATION_FAILED", false)                   \
  X(invalid_timestamp, 32, "INVALID_TIMESTAMP", false)                                         \
  X(unsupported_sasl_mechanism, 33, "UNSUPPORTED_SASL_MECHANISM", false)                       \
  X(illegal_sasl_state, 34, "ILLEGAL_SASL_STATE", false)                                       \
  X(unsupported_version, 35, "UNSUPPORTED_VERSION", false)                                     \
  X(topic_already_exists, 36, "TOPIC_ALREADY_EXISTS", false)                                   \
  X(invalid_partitions, 37, "INVALID_PARTITIONS", false)                                       \
  X(invalid_replication_factor, 38, "INVALID_REPLICATION_FACTOR", false)                       \
  X(invalid_replica_assignment, 39, "INVALID_REPLICA_ASSIGNMENT", false)                       \
  X(invalid_config, 40, "INVALID_CONFIG", false)                                               \
  X(not_controller, 41, "NOT_CONTROLLER", true)                                                \
  X(invalid_request, 42, "INVALID_REQUEST", false)                                             \
  X(unsupported_for_message_format, 43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false)               \
  X(policy_violation, 44, "POLICY_VIOLATION", false)                                           \
  X(out_of_order_sequence_number, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false)                   \
  X(duplicate_sequence_number, 46, "DUPLICATE_SEQUENCE_NUMBER", false)                         \
  X(invalid_producer_epoch, 47, "INVALID_PRODUCER_EPOCH", false)                               \
  X(invalid_txn_state, 48, "INVALID_TXN_STATE", false)                                         \
  X(invalid_producer_id_mapping, 49, "INVALID_PRODUCER_ID_MAPPING", false)                     \
  X(invalid_transaction_timeout, 50, "INVALID_TRANSACTION_TIMEOUT", false)                     \
  X(concurrent_transactions, 51, "CONCURRENT_TRANSACTIONS", true)                              \
  X(transaction_coordinator_fenced, 52, "TRANSACTION_COORDINATOR_FENCED", false)               \
  X(transactional_id_authorization_failed, 53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false) \
  X(security_disabled, 54, "SECURITY_DISABLED", false)                                         \
  X(operation_not_attempted, 55, "OPERATION_NOT_ATTEMPTED", false)                             \
  X(kafka_storage_error, 56, "KAFKA_STORAGE_ERROR", true)                                      \
  X(log_dir_not_found, 57, "LOG_DIR_NOT_FOUND", false)                                         \
  X(sasl_authentication_failed, 58, "SASL_AUTHENTICATION_FAILED", false)                       \
  X(unknown_producer_id, 59, "UNKNOWN_PRODUCER_ID", false)                                     \
  X(reassignment_in_progress, 60, "REASSIGNMENT_IN_PROGRESS", false)                           \
  X(delegation_token_auth_disabled, 61, "DELEGATION_TOKEN_AUTH_DISABLED", false)               \
  X(delegation_token_not_found, 62, "DELEGATION_TOKEN_NOT_FOUND", false)                       \
  X(delegation_token_owner_mismatch, 63, "DELEGATION_TOKEN_OWNER_MISMATCH", false)             \
  X(delegation_token_request_not_allowed, 64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false)   \
  X(delegation_token_authorization_failed, 65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false) \
  X(delegation_token_expired, 66, "DELEGATION_TOKEN_EXPIRED", false)                           \
  X(invalid_principal_type, 67, "INVALID_PRINCIPAL_TYPE", false)                               \
  X(non_empty_group, 68, "NON_EMPTY_GROUP", false)                                             \
  X(group_id_not_found, 69, "GROUP_ID_NOT_FOUND", false)                                       \
  X(fetch_session_id_not_found, 70, "FETCH_SESSION_ID_NOT_FOUND", true)                        \
  X(invalid_fetch_session_epoch, 71, "INVALID_FETCH_SESSION_EPOCH", true)                      \
  X(listener_not_found, 72, "LISTENER_NOT_FOUND", true)                                        \
  X(topic_deletion_disabled, 73, "TOPIC_DELETION_DISABLED", false)                             \
  X(fenced_leader_epoch, 74, "FENCED_LEADER_EPOCH", true)                                      \
  X(unknown_leader_epoch, 75, "UNKNOWN_LEADER_EPOCH", true)                                    \
  X(unsupported_compression_type, 76, "UNSUPPORTED_COMPRESSION_TYPE", false)                   \
  X(stale_broker_epoch, 77, "STALE_BROKER_EPOCH", false)                                       \
  X(offset_not_available, 78, "OFFSET_NOT_AVAILABLE", true)                                    \
  X(member_id_required, 79, "MEMBER_ID_REQUIRED", false)                                       \
  X(preferred_leader_not_available, 80, "PREFERRED_LEADER_NOT_AVAILABLE", true)                \
  X(group_max_size_reached, 81, "GROUP_MAX_SIZE_REACHED", false)                               \
  X(fenced_instance_id, 82, "FENCED_INSTANCE_ID", false)                                       \
  X(eligible_leaders_not_available, 83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true)                \
  X(election_not_needed, 84, "ELECTION_NOT_NEEDED", true)                                      \
  X(no_reassignment_in_progress, 85, "NO_REASSIGNMENT_IN_PROGRESS", false)                     \
  X(group_subscribed_to_topic, 86, "GROUP_SUBSCRIBED_TO_TOPIC", false)                         \
  X(invalid_record, 87, "INVALID_RECORD", false)                                               \
  X(unstable_offset_commit, 88, "UNSTABLE_OFFSET_COMMIT", true)                                \
  X(throttling_quota_exceeded, 89, "THROTTLING_QUOTA_EXCEEDED", true)                          \
  X(producer_fenced, 90, "PRODUCER_FENCED", false)                                             \
  X(resource_not_found, 91, "RESOURCE_NOT_FOUND", false)                                       \
  X(duplicate_resource, 92, "DUPLICATE_RESOURCE", false)                                       \
  X(unacceptable_credential, 93, "UNACCEPTABLE_CREDENTIAL", false)                             \
  X(inconsistent_voter_set, 94, "INCONSISTENT_VOTER_SET", false)                               \
  X(invalid_update_version, 95, "INVALID_UPDATE_VERSION", false)                               \
  X(feature_update_failed, 96, "FEATURE_UPDATE_FAILED", false)                                 \
  X(principal_deserialization_failure, 97, "PRINCIPAL_DESERIALIZATION_FAILURE", false)         \
  X(snapshot_not_found, 98, "SNAPSHOT_NOT_FOUND", false)                                       \
  X(position_out_of_range, 99, "POSITION_OUT_OF_RANGE", false)                                 \
  X(unknown_topic_id, 100, "UNKNOWN_TOPIC_ID", true)                                           \
  X(duplicate_broker_registration, 101, "DUPLICATE_BROKER_REGISTRATION", false)                \
  X(broker_id_not_registered, 102, "BROKER_ID_NOT_REGISTERED", false)                          \
  X(inconsistent_topic_id, 103, "INCONSISTENT_TOPIC_ID", true)                                 \
  X(inconsistent_cluster_id, 104, "INCONSISTENT_CLUSTER_ID", false)                            \
  X(transactional_id_not_found, 105, "TRANSACTIONAL_ID_NOT_FOUND", false)                      \
  X(fetch_session_topic_id_error, 106, "FETCH_SESSION_TOPIC_ID_ERROR", true)                   \
  X(ineligible_replica, 107, "INELIGIBLE_REPLICA", false)                                      \
  X(new_leader_elected, 108, "NEW_LEADER_ELECTED", false)

enum class errc : int16_t {
#define SHOAL_ERRC_ENUM(e, code, name, retriable) e = code,
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

}  // namespace shoal
