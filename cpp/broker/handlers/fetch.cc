// Fetch: read batches for consumers (up to the high watermark), waiting up to max_wait_ms
// for min_bytes when there is not enough yet.
#include <memory>

#include "broker/handlers/handlers.h"
#include "cluster/metadata.h"
#include "ipc/process.h"

namespace shoal::broker {

namespace {

// Room kept for the response's own framing and per-partition fields.
constexpr size_t response_overhead = 64 * 1024;

// A fetch request with its topics' names resolved (version 13 names topics by id).
struct Fetch {
  protocol::FetchRequest req;
  int16_t version = 0;
  std::vector<std::optional<std::string>> names;  // per req.topics; nullopt: unknown id
};

std::shared_ptr<Fetch> resolve(BrokerServices& s, int16_t version, protocol::FetchRequest req) {
  auto f = std::make_shared<Fetch>();
  f->version = version;
  auto view = s.view();
  for (const auto& t : req.topics) {
    if (version < 13) {
      f->names.emplace_back(t.topic);
      continue;
    }
    std::optional<std::string> name;
    if (auto id = cluster::topic_id_of(t.topic_id)) {
      for (const auto& [n, ts] : view->image.topics) {
        if (ts.topic_id == *id) name = n;
      }
    }
    f->names.push_back(std::move(name));
  }
  f->req = std::move(req);
  return f;
}

// Reads what the request asks for. Returns the response and the record bytes it holds.
std::pair<protocol::FetchResponse, size_t> read_fetch(BrokerServices& s, const Fetch& f,
                                                      size_t max_response_bytes) {
  const protocol::FetchRequest& req = f.req;
  protocol::FetchResponse resp;
  size_t budget = static_cast<size_t>(std::max(req.max_bytes, 0));
  budget = std::min(budget, max_response_bytes > response_overhead
                                ? max_response_bytes - response_overhead
                                : size_t{0});
  size_t total = 0;
  for (size_t ti = 0; ti < req.topics.size(); ++ti) {
    const auto& t = req.topics[ti];
    auto& rt = resp.responses.emplace_back();
    rt.topic = t.topic;
    rt.topic_id = t.topic_id;
    const std::optional<std::string>& name = f.names[ti];
    for (const auto& p : t.partitions) {
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition;
      rp.high_watermark = offset(-1);
      auto fail = [&rp](errc e, std::string msg) {
        rp.error_code = e;
        rp.error_message = std::move(msg);
        rp.records = std::nullopt;
      };
      if (!name) {
        fail(errc::unknown_topic_id, fmt::format("no topic has id {}", t.topic_id.to_string()));
        continue;
      }
      auto part = s.partitions.get(*name, p.partition());
      if (!part) {
        fail(errc::unknown_topic_or_partition,
             fmt::format("this broker does not host {}/{}", *name, p.partition));
        continue;
      }
      rp.current_leader.leader_id = node_id(part->leader_id());
      rp.current_leader.leader_epoch = leader_epoch(part->leader_epoch());
      if (!part->is_leader()) {
        fail(errc::not_leader_or_follower, fmt::format("broker {} is not the leader of {}/{}",
                                                       s.config.broker_id, *name, p.partition));
        continue;
      }
      if (errc e = check_leader_epoch(p.current_leader_epoch(), part->leader_epoch());
          e != errc::none) {
        fail(e, fmt::format("leader epoch {} is not the current {}", p.current_leader_epoch,
                            part->leader_epoch()));
        continue;
      }
      bool follower = req.replica_id() >= 0;
      if (follower) {
        // KIP-101: a follower whose last epoch ends earlier here must truncate first.
        if (auto div = part->divergence(p.last_fetched_epoch(), p.fetch_offset)) {
          rp.diverging_epoch.epoch = div->first;
          rp.diverging_epoch.end_offset = div->second;
          rp.high_watermark = part->high_watermark();
          rp.log_start_offset = part->log().log_start_offset();
          rp.records = protocol::bytes{};
          continue;
        }
      }
      rp.high_watermark = part->high_watermark();
      // No transactions yet: every record below the high watermark is stable.
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
        fail(data.err().code, data.err().message);
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
  for (const auto& t : r.responses) {
    for (const auto& p : t.partitions) {
      if (p.error_code != errc::none) return true;
      if (p.diverging_epoch.epoch >= 0 || p.diverging_epoch.end_offset() >= 0) return true;
    }
  }
  return false;
}

}  // namespace

void handle(BrokerServices& s, RequestContext& ctx, protocol::FetchRequest& request) {
  auto f = resolve(s, ctx.version(), std::move(request));
  const protocol::FetchRequest& req = f->req;
  if (req.replica_id() >= 0) {
    // A follower's fetch offset says what it has: that may move the high watermark, and so
    // complete acks=all produces waiting for it.
    int64_t now = ipc::monotonic_ms();
    for (size_t ti = 0; ti < req.topics.size(); ++ti) {
      if (!f->names[ti]) continue;
      const std::string& name = *f->names[ti];
      for (const auto& p : req.topics[ti].partitions) {
        auto part = s.partitions.get(name, p.partition());
        if (!part || !part->is_leader()) continue;
        if (p.current_leader_epoch() >= 0 && p.current_leader_epoch() != part->leader_epoch())
          continue;
        if (part->divergence(p.last_fetched_epoch(), p.fetch_offset)) continue;
        if (part->record_follower_fetch(req.replica_id(), p.fetch_offset, now,
                                        p.log_start_offset)) {
          s.delayed.wake(name, p.partition());
        }
      }
    }
  }
  auto [resp, bytes] = read_fetch(s, *f, ctx.max_response_bytes);
  if (bytes >= static_cast<size_t>(std::max(req.min_bytes, 1)) || req.max_wait_ms <= 0 ||
      answer_now(resp)) {
    return ctx.respond(resp);
  }
  // Not enough yet: wait for appends to the partitions read, or the deadline.
  std::vector<std::pair<std::string, int32_t>> parts;
  for (size_t ti = 0; ti < req.topics.size(); ++ti) {
    for (const auto& p : req.topics[ti].partitions)
      parts.emplace_back(*f->names[ti], p.partition());
  }
  auto shared_ctx = std::make_shared<RequestContext>(ctx);
  s.delayed.park(
      std::move(parts), ipc::monotonic_ms() + req.max_wait_ms, [&s, f, shared_ctx](bool force) {
        auto [r, n] = read_fetch(s, *f, shared_ctx->max_response_bytes);
        if (!force && n < static_cast<size_t>(std::max(f->req.min_bytes, 1)) && !answer_now(r)) {
          return false;
        }
        shared_ctx->respond(r);
        return true;
      });
}

}  // namespace shoal::broker
