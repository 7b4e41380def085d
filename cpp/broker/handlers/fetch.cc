// Fetch: read batches for consumers (up to the high watermark), waiting up to max_wait_ms
// for min_bytes when there is not enough yet.
#include <memory>

#include "broker/handlers/handlers.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {

// Room kept for the response's own framing and per-partition fields.
constexpr size_t response_overhead = 64 * 1024;

// Reads what the request asks for. Returns the response and the record bytes it holds.
std::pair<protocol::FetchResponse, size_t> read_fetch(BrokerServices& s,
                                                      const protocol::FetchRequest& req,
                                                      size_t max_response_bytes) {
  protocol::FetchResponse resp;
  size_t budget = static_cast<size_t>(std::max(req.max_bytes, 0));
  budget = std::min(budget, max_response_bytes > response_overhead
                                ? max_response_bytes - response_overhead
                                : size_t{0});
  size_t total = 0;
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
      rp.current_leader = {node_id(part->leader_id()), leader_epoch(part->leader_epoch())};
      if (!part->is_leader()) {
        rp.error = errc::not_leader_or_follower;
        rp.error_message = fmt::format("broker {} is not the leader of {}/{}", s.config.broker_id,
                                       t.name, p.partition);
        continue;
      }
      if (p.current_leader_epoch() >= 0 && p.current_leader_epoch() != part->leader_epoch()) {
        // An older epoch: the asker is behind. A newer one: we are, and must not answer.
        rp.error = p.current_leader_epoch() < part->leader_epoch() ? errc::fenced_leader_epoch
                                                                   : errc::unknown_leader_epoch;
        rp.error_message = fmt::format("leader epoch {} is not the current {}",
                                       p.current_leader_epoch, part->leader_epoch());
        continue;
      }
      bool follower = req.replica_id() >= 0;
      if (follower) {
        // KIP-101: a follower whose last epoch ends earlier here must truncate first.
        if (auto div = part->divergence(p.last_fetched_epoch(), p.fetch_offset)) {
          rp.diverging_epoch = {leader_epoch(div->first), div->second};
          rp.high_watermark = part->high_watermark();
          rp.log_start_offset = part->log().log_start_offset();
          rp.records = protocol::bytes{};
          continue;
        }
      }
      rp.high_watermark = part->high_watermark();
      rp.last_stable_offset = rp.high_watermark;
      rp.log_start_offset = part->log().log_start_offset();
      size_t max = std::min(static_cast<size_t>(std::max(p.partition_max_bytes, 0)),
                            budget > total ? budget - total : 0);
      bool first = total == 0;
      if (max == 0 && !first) {
        rp.records = protocol::bytes{};
        continue;
      }
      // KIP-74: the first partition with data returns at least one whole batch. Followers
      // read up to the log end, consumers up to the high watermark.
      auto data = part->log().read(
          p.fetch_offset, std::max<size_t>(max, 1),
          follower ? std::nullopt : std::optional<offset>(part->high_watermark()), first);
      if (!data) {
        rp.error = data.err().code;
        rp.error_message = data.err().message;
        continue;
      }
      if (total + data->records.size() > budget && !first) {
        rp.records = protocol::bytes{};
        continue;
      }
      total += data->records.size();
      rp.records = std::move(data->records);
    }
  }
  return {std::move(resp), total};
}

// Whether the answer must go now, data or not: an error, or a diverging epoch (the follower
// has to truncate before anything else can happen; parking it would stall acks=all for
// replica.fetch.wait.max.ms after every leader change).
bool answer_now(const protocol::FetchResponse& r) {
  for (const auto& t : r.topics) {
    for (const auto& p : t.partitions) {
      if (p.error != errc::none) return true;
      if (p.diverging_epoch.epoch() >= 0 || p.diverging_epoch.end_offset() >= 0) return true;
    }
  }
  return false;
}

}  // namespace

void handle_fetch(BrokerServices& s, RequestContext& ctx, protocol::bytes_view body) {
  auto decoded = protocol::decode<protocol::FetchRequest>(body);
  if (!decoded) return ctx.respond_error(errc::invalid_request, decoded.err().message);
  auto req = std::make_shared<protocol::FetchRequest>(std::move(decoded).value());
  if (req->replica_id() >= 0) {
    // A follower's fetch offset says what it has: that may move the high watermark, and so
    // complete acks=all produces waiting for it.
    int64_t now = ipc::monotonic_ms();
    for (const auto& t : req->topics) {
      for (const auto& p : t.partitions) {
        auto part = s.partitions.get(t.name, p.partition());
        if (!part || !part->is_leader()) continue;
        if (p.current_leader_epoch() >= 0 && p.current_leader_epoch() != part->leader_epoch())
          continue;
        if (part->divergence(p.last_fetched_epoch(), p.fetch_offset)) continue;
        if (part->record_follower_fetch(req->replica_id(), p.fetch_offset, now,
                                        p.log_start_offset)) {
          s.delayed.wake(t.name, p.partition());
        }
      }
    }
  }
  auto [resp, bytes] = read_fetch(s, *req, ctx.max_response_bytes);
  if (bytes >= static_cast<size_t>(std::max(req->min_bytes, 1)) || req->max_wait_ms <= 0 ||
      answer_now(resp)) {
    return ctx.respond(resp);
  }
  // Not enough yet: wait for appends to the partitions read, or the deadline.
  std::vector<std::pair<std::string, int32_t>> parts;
  for (const auto& t : req->topics) {
    for (const auto& p : t.partitions) parts.emplace_back(t.name, p.partition());
  }
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  s.delayed.park(
      std::move(parts), ipc::monotonic_ms() + req->max_wait_ms, [&s, req, shared_ctx](bool force) {
        auto [r, n] = read_fetch(s, *req, shared_ctx->max_response_bytes);
        if (!force && n < static_cast<size_t>(std::max(req->min_bytes, 1)) && !answer_now(r)) {
          return false;
        }
        shared_ctx->respond(r);
        return true;
      });
}

}  // namespace shoal::broker
