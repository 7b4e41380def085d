// ListOffsets: the earliest and latest offsets of a partition, or the first offset at or
// after a timestamp (what offsets_for_times and get_watermark_offsets ask).
#include "broker/handlers/handlers.h"

namespace shoal::broker {

void handle_list_offsets(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::ListOffsetsRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  const auto& req = *decoded;
  protocol::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition = p.partition;
      auto part = s.partitions.get(t.name, p.partition());
      if (!part) {
        rp.error = errc::unknown_topic_or_partition;
        rp.error_message = fmt::format("this broker does not host {}/{}", t.name, p.partition);
        continue;
      }
      if (!part->is_leader()) {
        rp.error = errc::not_leader_or_follower;
        rp.error_message = fmt::format("broker {} is not the leader of {}/{}", s.config.broker_id,
                                       t.name, p.partition);
        continue;
      }
      offset hw = part->high_watermark();
      rp.leader_epoch = leader_epoch(part->leader_epoch());
      int64_t ts = p.timestamp();
      if (ts == protocol::ListOffsetsRequest::earliest_timestamp()) {
        rp.offset = part->log().log_start_offset();
      } else if (ts == protocol::ListOffsetsRequest::latest_timestamp()) {
        // Consumers see up to the high watermark; followers (replica_id >= 0) the log end.
        rp.offset = req.replica_id() >= 0 ? part->log().log_end_offset() : hw;
      } else if (ts == protocol::ListOffsetsRequest::max_timestamp()) {
        auto found = part->log().find_offset_of_max_timestamp();
        if (!found) {
          rp.error = found.err().code;
          rp.error_message = found.err().message;
        } else if (found->has_value() && (*found)->off < hw) {
          rp.offset = (*found)->off;
          rp.timestamp = timestamp_ms((*found)->timestamp);
        }
      } else if (ts < 0) {
        rp.error = errc::invalid_request;
        rp.error_message = fmt::format("timestamp {} is neither a time nor -1, -2 or -3", ts);
      } else {
        auto found = part->log().find_offset_by_timestamp(ts);
        if (!found) {
          rp.error = found.err().code;
          rp.error_message = found.err().message;
        } else if (found->has_value() && (*found)->off < hw) {
          rp.offset = (*found)->off;
          rp.timestamp = timestamp_ms((*found)->timestamp);
        }
        // Otherwise offset -1: no record that recent (librdkafka reads it as the end).
      }
    }
  }
  ctx.respond(resp);
}

}  // namespace shoal::broker
