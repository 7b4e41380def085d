#include "cluster/metadata.h"

namespace shoal::cluster {

namespace {

template <size_t I = 0>
result<MetadataRecord> decode_record(int8_t type, bytes_view payload) {
  if constexpr (I < std::variant_size_v<MetadataRecord>) {
    if (type == static_cast<int8_t>(I)) {
      using R = std::variant_alternative_t<I, MetadataRecord>;
      SHOAL_ASSIGN_OR_RETURN(R r, protocol::decode<R>(payload, 0));
      return MetadataRecord(std::move(r));
    }
    return decode_record<I + 1>(type, payload);
  } else {
    return make_error(errc::corrupt_message, "unknown metadata record type {}", type);
  }
}

// Splits 64 bits over a UUID's high half so that ids made from nearby numbers look unrelated,
// as Kafka's random ones do (SplitMix64's finalizer).
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t high_half(int64_t topic_id) {
  uint64_t hi = mix(static_cast<uint64_t>(topic_id));
  // Kafka never hands out a UUID whose text starts with '-' (it would read as a command-line
  // option), nor the reserved all-zero and "one" UUIDs: the first 6 bits are not 62, and the
  // high half is never 0.
  if ((hi >> 58) == 62) hi ^= uint64_t{1} << 58;
  if (hi == 0) hi = 1ULL << 32;
  return hi;
}

}  // namespace

bytes encode_entry(const JournalEntry& e) {
  JournalEntryFrame enc;
  enc.controller_epoch = e.controller_epoch;
  enc.type = static_cast<int8_t>(e.record.index());
  enc.payload = std::visit([](const auto& r) { return protocol::encode(r, 0); }, e.record);
  return protocol::encode(enc, 0);
}

protocol::uuid topic_uuid(int64_t topic_id) {
  return protocol::uuid{high_half(topic_id), static_cast<uint64_t>(topic_id)};
}

std::optional<int64_t> topic_id_of(const protocol::uuid& id) {
  auto t = static_cast<int64_t>(id.lo);
  if (id.hi != high_half(t)) return std::nullopt;
  return t;
}

result<JournalEntry> decode_entry(bytes_view data) {
  SHOAL_ASSIGN_OR_RETURN(JournalEntryFrame enc, protocol::decode<JournalEntryFrame>(data, 0));
  SHOAL_ASSIGN_OR_RETURN(MetadataRecord rec, decode_record(enc.type, enc.payload));
  return JournalEntry{enc.controller_epoch, std::move(rec)};
}

const TopicState* MetadataImage::topic(const std::string& name) const {
  auto it = topics.find(name);
  return it == topics.end() ? nullptr : &it->second;
}

const PartitionState* MetadataImage::partition(const std::string& name, int32_t p) const {
  const TopicState* t = topic(name);
  if (t == nullptr || p < 0 || p >= static_cast<int32_t>(t->partitions.size())) return nullptr;
  return &t->partitions[static_cast<size_t>(p)];
}

bool MetadataImage::apply(const JournalEntry& e) {
  if (e.controller_epoch < controller_epoch) return false;
  auto live_topic = [this](const std::string& name, int64_t id) -> TopicState* {
    auto it = topics.find(name);
    if (it == topics.end() || it->second.topic_id != id) return nullptr;
    return &it->second;
  };
  bool ok = std::visit(
      [&](const auto& r) -> bool {
        using R = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<R, CreateTopicRecord>) {
          if (topics.count(r.topic.name)) return false;
          topics[r.topic.name] = r.topic;
        } else if constexpr (std::is_same_v<R, DeleteTopicRecord>) {
          if (!live_topic(r.name, r.topic_id)) return false;
          topics.erase(r.name);
        } else if constexpr (std::is_same_v<R, PartitionChangeRecord>) {
          TopicState* t = live_topic(r.topic, r.topic_id);
          if (!t || r.partition < 0 || r.partition >= static_cast<int32_t>(t->partitions.size())) {
            return false;
          }
          t->partitions[static_cast<size_t>(r.partition)] = r.state;
        } else if constexpr (std::is_same_v<R, AddPartitionsRecord>) {
          TopicState* t = live_topic(r.topic, r.topic_id);
          if (!t) return false;
          t->partitions.insert(t->partitions.end(), r.partitions.begin(), r.partitions.end());
        } else if constexpr (std::is_same_v<R, TopicConfigRecord>) {
          TopicState* t = live_topic(r.topic, r.topic_id);
          if (!t) return false;
          t->configs = r.configs;
        } else if constexpr (std::is_same_v<R, ControllerRecord>) {
          if (r.controller_epoch < controller_epoch) return false;
          controller_id = r.controller_id;
        } else if constexpr (std::is_same_v<R, ProducerIdsRecord>) {
          if (r.next_producer_id <= next_producer_id) return false;
          next_producer_id = r.next_producer_id;
        } else if constexpr (std::is_same_v<R, BrokerConfigRecord>) {
          if (r.broker_id < -1) return false;
          if (r.configs.empty()) {
            broker_configs.erase(r.broker_id);
          } else {
            broker_configs[r.broker_id] = r.configs;
          }
        }
        return true;
      },
      e.record);
  if (!ok) return false;
  controller_epoch = std::max(controller_epoch, e.controller_epoch);
  ++version;
  return true;
}

}  // namespace shoal::cluster
