// Produce: append producers' batches to the partitions this broker leads.
#include "broker/handlers/handlers.h"
#include "common/logger.h"

namespace shoal::broker {

void handle_produce(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::ProduceRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  protocol::ProduceRequest& req = *decoded;
  protocol::ProduceResponse resp;
  bool bad_acks = req.acks != 0 && req.acks != 1 && req.acks != -1;
  for (auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.index = p.index;
      auto fail = [&rp](errc code, std::string msg) {
        rp.error = code;
        rp.error_message = std::move(msg);
      };
      if (bad_acks) {
        fail(errc::invalid_required_acks, fmt::format("acks must be 0, 1 or -1 (all), not {}", req.acks));
        continue;
      }
      if (req.transactional_id) {
        fail(errc::invalid_request, "transactions are not supported");
        continue;
      }
      auto part = s.partitions.get(t.name, p.index());
      if (!part) {
        fail(errc::unknown_topic_or_partition,
             fmt::format("this broker does not host {}/{}", t.name, p.index));
        continue;
      }
      auto info = part->append_as_leader(std::span<uint8_t>(p.records), req.acks);
      if (!info) {
        fail(info.err().code, info.err().message);
        continue;
      }
      rp.base_offset = info->first_offset;
      rp.log_append_time_ms = timestamp_ms(info->log_append_time);
      rp.log_start_offset = info->log_start_offset;
      s.fetches.wake(t.name, p.index());
    }
  }
  // acks=0: the producer waits for nothing, as in Kafka.
  if (req.acks == 0 && !bad_acks) return;
  ctx.respond(resp);
}

}  // namespace shoal::broker
