// The enums of Kafka's messages that Shoal's schemas name with cpp= (cpp/protocol/schemas),
// each over the integer type the wire carries. A decoded field may hold a value that is not
// listed: handlers judge unknown values.
#pragma once

#include <cstdint>

namespace shoal::protocol {

enum class isolation_level : int8_t { read_uncommitted = 0, read_committed = 1 };

// What FindCoordinatorRequest's key names (Kafka's CoordinatorType).
enum class coordinator_type : int8_t { group = 0, transaction = 1 };

// Kafka's ConfigResource.Type.
enum class config_resource_type : int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  broker = 4,
  broker_logger = 8
};

// Where a config's value comes from (Kafka's ConfigSource).
enum class config_source : int8_t {
  unknown = 0,
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  dynamic_default_broker_config = 3,
  static_broker_config = 4,
  default_config = 5,
  dynamic_broker_logger_config = 6
};

// Kafka's ConfigDef.Type, as DescribeConfigs reports it.
enum class config_type : int8_t {
  unknown = 0,
  boolean = 1,
  string = 2,
  int_ = 3,
  short_ = 4,
  long_ = 5,
  double_ = 6,
  list = 7,
  class_ = 8,
  password = 9
};

// IncrementalAlterConfigs' operations (Kafka's AlterConfigOp.OpType).
enum class config_operation : int8_t { set = 0, del = 1, append = 2, subtract = 3 };

enum class election_type : int8_t { preferred = 0, unclean = 1 };

}  // namespace shoal::protocol
