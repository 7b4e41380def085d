// Produce: append producers' batches to the partitions this broker leads. acks=0 gets no
// answer, acks=1 an answer after the leader's append, acks=all (-1) once every in-sync
// replica has the records (the high watermark passed them): such requests wait in the
// purgatory, woken as followers fetch.
#include <memory>

#include "broker/handlers/handlers.h"
#include "common/logger.h"
#include "ipc/process.h"

namespace shoal::broker {

void handle(BrokerServices& s, RequestContext& ctx, protocol::ProduceRequest& req) {
  auto resp = std::make_shared<protocol::ProduceResponse>();
  struct Waiting {
    size_t topic, partition;
    std::shared_ptr<Partition> part;
    offset end;
    int32_t epoch;
  };
  auto waiting = std::make_shared<std::vector<Waiting>>();
  bool bad_acks = req.acks != 0 && req.acks != 1 && req.acks != -1;
  // Kafka 4 refuses these versions (KIP-896) yet advertises them: librdkafka before 2.x
  // checks for Produce v0 to decide what the broker supports.
  bool refused = ctx.version() <= 2;
  for (auto& t : req.topic_data) {
    auto& rt = resp->responses.emplace_back();
    rt.name = t.name;
    for (auto& p : t.partition_data) {
      auto& rp = rt.partition_responses.emplace_back();
      rp.index = p.index;
      rp.base_offset = offset(-1);
      auto fail = [&rp](errc code, std::string msg) {
        rp.error_code = code;
        rp.error_message = std::move(msg);
      };
      if (refused) {
        fail(errc::unsupported_version,
             fmt::format("Produce v{} is not supported: use v3 or later", ctx.version()));
        continue;
      }
      if (bad_acks) {
        fail(errc::invalid_required_acks,
             fmt::format("acks must be 0, 1 or -1 (all), not {}", req.acks));
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
      if (!p.records) {
        fail(errc::corrupt_message, "the records of a produce request are null");
        continue;
      }
      auto info = part->append_as_leader(std::span<uint8_t>(*p.records), req.acks,
                                         p.expected_log_end_offset);
      if (!info) {
        fail(info.err().code, info.err().message);
        continue;
      }
      rp.base_offset = info->first_offset;
      rp.log_append_time_ms = timestamp_ms(info->log_append_time);
      rp.log_start_offset = info->log_start_offset;
      s.delayed.wake(t.name, p.index());  // followers and consumers waiting for data
      if (req.acks == -1 && !part->committed(info->last_offset + 1)) {
        waiting->push_back({resp->responses.size() - 1, rt.partition_responses.size() - 1, part,
                            info->last_offset + 1, part->leader_epoch()});
      }
    }
  }
  // acks=0: the producer waits for nothing, not even an error, as in Kafka.
  if (req.acks == 0) return ctx.no_response();
  if (waiting->empty()) return ctx.respond(*resp);

  // acks=all: answer when every waiting partition is committed, fails, or times out.
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  std::vector<std::pair<std::string, int32_t>> keys;
  for (const auto& w : *waiting) keys.emplace_back(w.part->topic(), w.part->index());
  s.delayed.park(
      std::move(keys), ipc::monotonic_ms() + std::max(req.timeout_ms, 0),
      [resp, waiting, shared_ctx](bool force) {
        bool done = true;
        for (auto& w : *waiting) {
          auto& rp = resp->responses[w.topic].partition_responses[w.partition];
          if (rp.error_code != errc::none || w.end() < 0) continue;
          if (!w.part->is_leader() || w.part->leader_epoch() != w.epoch) {
            rp.error_code = errc::not_leader_or_follower;
            rp.error_message = fmt::format(
                "{} lost its leadership before the records were replicated", w.part->name());
            w.end = offset(-1);
          } else if (w.part->committed(w.end)) {
            // As Kafka: the ISR that took the records must still be big enough, or they were
            // committed by fewer replicas than the producer asked for.
            if (static_cast<int32_t>(w.part->isr_size()) < w.part->config().min_insync_replicas) {
              rp.error_code = errc::not_enough_replicas_after_append;
              rp.error_message = fmt::format(
                  "{}: the in-sync replicas shrank below min.insync.replicas={} before the "
                  "records were acknowledged",
                  w.part->name(), w.part->config().min_insync_replicas);
            }
            w.end = offset(-1);
          } else if (force) {
            bool too_few =
                static_cast<int32_t>(w.part->isr_size()) < w.part->config().min_insync_replicas;
            rp.error_code =
                too_few ? errc::not_enough_replicas_after_append : errc::request_timed_out;
            rp.error_message =
                fmt::format("{}: the records were not replicated to every in-sync replica in time",
                            w.part->name());
          } else {
            done = false;
          }
        }
        if (!done) return false;
        shared_ctx->respond(*resp);
        return true;
      });
}

}  // namespace shoal::broker
