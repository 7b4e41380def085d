// ListOffsets: the earliest and latest offsets of a partition, or the first offset at or
// after a timestamp (what offsets_for_times and get_watermark_offsets ask). OffsetForLeaderEpoch:
// where a leader epoch ends, for clients validating their position after a leader change.
#include "broker/handlers/handlers.h"

namespace shoal::broker {

namespace {
// Special timestamps of ListOffsets (Kafka's ListOffsetsRequest constants).
constexpr int64_t latest_timestamp = -1;    // the log end offset (consumers: high watermark)
constexpr int64_t earliest_timestamp = -2;  // the log start offset
constexpr int64_t max_timestamp = -3;       // the record with the largest timestamp
}  // namespace

void handle(BrokerServices& s, RequestContext& ctx, protocol::ListOffsetsRequest& req) {
  protocol::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      auto fail = [&rp](errc e, std::string msg) {
        rp.error_code = e;
        rp.error_message = std::move(msg);
      };
      auto part = s.partitions.get(t.name, p.partition_index());
      if (!part) {
        fail(errc::unknown_topic_or_partition,
             fmt::format("this broker does not host {}/{}", t.name, p.partition_index));
        continue;
      }
      if (!part->is_leader()) {
        fail(errc::not_leader_or_follower,
             fmt::format("broker {} is not the leader of {}/{}", s.config.broker_id, t.name,
                         p.partition_index));
        continue;
      }
      if (errc e = check_leader_epoch(p.current_leader_epoch(), part->leader_epoch());
          e != errc::none) {
        fail(e, fmt::format("leader epoch {} is not the current {}", p.current_leader_epoch,
                            part->leader_epoch()));
        continue;
      }
      offset hw = part->high_watermark();
      rp.leader_epoch = leader_epoch(part->leader_epoch());
      int64_t ts = p.timestamp();
      if (ts == earliest_timestamp) {
        rp.offset = part->log().log_start_offset();
      } else if (ts == latest_timestamp) {
        // Consumers see up to the high watermark; followers (replica_id >= 0) the log end.
        rp.offset = req.replica_id() >= 0 ? part->log().log_end_offset() : hw;
      } else if (ts == max_timestamp) {
        auto found = part->log().find_offset_of_max_timestamp();
        if (!found) {
          fail(found.err().code, found.err().message);
        } else if (found->has_value() && (*found)->off < hw) {
          rp.offset = (*found)->off;
          rp.timestamp = timestamp_ms((*found)->timestamp);
        }
      } else if (ts < 0) {
        fail(errc::invalid_request,
             fmt::format("timestamp {} is neither a time nor -1, -2 or -3", ts));
      } else {
        auto found = part->log().find_offset_by_timestamp(ts);
        if (!found) {
          fail(found.err().code, found.err().message);
        } else if (found->has_value() && (*found)->off < hw) {
          rp.offset = (*found)->off;
          rp.timestamp = timestamp_ms((*found)->timestamp);
        }
        // Otherwise offset -1: no record that recent (librdkafka reads it as the end).
      }
      // Version 0 answers with a list of offsets (at most max_num_offsets of them).
      if (ctx.version() == 0 && rp.error_code == errc::none && rp.offset() >= 0 &&
          p.max_num_offsets > 0) {
        rp.old_style_offsets.push_back(rp.offset());
      }
    }
  }
  ctx.respond(resp);
}

void handle(BrokerServices& s, RequestContext& ctx, protocol::OffsetForLeaderEpochRequest& req) {
  protocol::OffsetForLeaderEpochResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.topic = t.topic;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      auto part = s.partitions.get(t.topic, p.partition());
      if (!part) {
        rp.error_code = errc::unknown_topic_or_partition;
        continue;
      }
      if (!part->is_leader()) {
        rp.error_code = errc::not_leader_or_follower;
        continue;
      }
      if (errc e = check_leader_epoch(p.current_leader_epoch(), part->leader_epoch());
          e != errc::none) {
        rp.error_code = e;
        continue;
      }
      // The largest epoch not above the one asked for, and where it ends (the log end for the
      // current epoch); -1 and -1 when every epoch this log knows is newer (Kafka's
      // UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET).
      if (auto end = part->log().end_offset_for_epoch(p.leader_epoch())) {
        rp.leader_epoch = leader_epoch(end->first);
        rp.end_offset = end->second;
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
