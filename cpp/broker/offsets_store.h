// The group coordinator's storage on a broker: appends its records to this broker's leader
// replica of a __consumer_offsets partition and answers once every in-sync replica has them,
// and reads a partition back when this broker becomes its leader.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <vector>

#include "broker/partition_manager.h"
#include "broker/purgatory.h"
#include "group/coordinator.h"

namespace shoal::broker {

class OffsetsStore : public group::GroupStore {
 public:
  OffsetsStore(PartitionManager& partitions, Purgatory& delayed, int64_t commit_timeout_ms)
      : partitions_(partitions), delayed_(delayed), commit_timeout_ms_(commit_timeout_ms) {}

  void append(int32_t partition, std::vector<record> records,
              std::function<void(errc)> done) override;

  // Every record of the partition's log, oldest first; undecodable ones are skipped with a
  // warning (a record this version does not know must not make the groups unloadable).
  static result<std::vector<group::CoordinatorRecord>> read_all(Partition& p);

 private:
  PartitionManager& partitions_;
  Purgatory& delayed_;
  int64_t commit_timeout_ms_;
};

}  // namespace shoal::broker
