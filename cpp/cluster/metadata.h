// The cluster's metadata: topics, their partitions' replica assignments, leaders, in-sync
// replicas and epochs, and each topic's config overrides. The controller changes it by
// appending records to its journal (journal.h); applying the records in order rebuilds the
// same MetadataImage, which is how a restarted cluster keeps everything.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "protocol/codec.h"
#include "protocol/gen/metadata_journal.h"

namespace shoal::cluster {

using protocol::bytes;
using protocol::bytes_view;
using protocol::string_map;

// PartitionState, TopicState and the journal records are declared in
// cpp/protocol/schemas/formats/metadata_journal.schema, with their encoding.

// Kafka's topic id for a topic: a UUID, made from Shoal's 64-bit id so that the same topic
// has the same UUID on every broker and after every restart (docs/protocol.md, "Topic ids").
protocol::uuid topic_uuid(int64_t topic_id);
// The 64-bit id of a UUID topic_uuid() made; nullopt for any other UUID.
std::optional<int64_t> topic_id_of(const protocol::uuid& id);

// New record types go at the end: a record's index is its type in the journal.
using MetadataRecord =
    std::variant<CreateTopicRecord, DeleteTopicRecord, PartitionChangeRecord, AddPartitionsRecord,
                 TopicConfigRecord, ControllerRecord, ProducerIdsRecord, BrokerConfigRecord>;

// One journal entry: a record stamped with the epoch of the controller that wrote it.
struct JournalEntry {
  int32_t controller_epoch = 0;
  MetadataRecord record;
};

bytes encode_entry(const JournalEntry& e);
result<JournalEntry> decode_entry(bytes_view data);

// --- The image ---

struct MetadataImage {
  int64_t version = 0;  // records applied
  int32_t controller_id = -1;
  int32_t controller_epoch = 0;
  std::map<std::string, TopicState> topics;
  int64_t next_producer_id = 0;  // the first producer id never handed out
  // Dynamic broker configs: by broker id, -1 for the cluster-wide defaults.
  std::map<int32_t, string_map> broker_configs;

  // Applies one entry. Entries from an older controller epoch than one already applied are
  // ignored: a deposed controller that wrote after its successor cannot change anything.
  // Returns false (and changes nothing) for an entry that does not fit the image, e.g. a
  // change to a topic that does not exist.
  bool apply(const JournalEntry& e);

  const TopicState* topic(const std::string& name) const;
  const PartitionState* partition(const std::string& name, int32_t p) const;
};

}  // namespace shoal::cluster
