#include "tools/perf/client_perf.h"

#include <chrono>
#include <random>
#include <thread>

#include "client/consumer.h"
#include "client/producer.h"

namespace shoal::perf {

namespace {
using clock_type = std::chrono::steady_clock;
double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}
}  // namespace

result<ProducerPerfResult> run_producer_perf(const std::map<std::string, std::string>& props,
                                             const std::string& topic, int64_t records,
                                             int32_t record_size, int64_t throughput,
                                             const std::vector<std::vector<uint8_t>>& payloads) {
  SHOAL_ASSIGN_OR_RETURN(auto config,
                         client::parse_client_config(props, client::client_kind::producer));
  SHOAL_ASSIGN_OR_RETURN(auto producer, client::Producer::create(config));
  SHOAL_TRY(producer->ensure_topic(topic, config.socket_timeout_ms));
  std::vector<std::vector<uint8_t>> pool = payloads;
  if (pool.empty()) {
    std::vector<uint8_t> payload(static_cast<size_t>(record_size));
    std::mt19937 rng(1);
    for (auto& b : payload) b = static_cast<uint8_t>('A' + rng() % 26);
    pool.push_back(std::move(payload));
  }
  int64_t bytes = 0;
  ProducerPerfResult res;
  res.latencies_ms.reserve(static_cast<size_t>(records));
  std::vector<clock_type::time_point> sent(static_cast<size_t>(records));
  std::vector<client::DeliveryReport> reports;
  auto drain = [&] {
    reports.clear();
    producer->take_reports(reports, 1 << 20);
    auto now = clock_type::now();
    for (const auto& r : reports) {
      if (r.error != errc::none) ++res.errors;
      res.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(now - sent[r.opaque - 1]).count());
    }
  };
  auto start = clock_type::now();
  for (int64_t i = 0; i < records; ++i) {
    if (throughput > 0) {
      auto due = start + std::chrono::microseconds(i * 1'000'000 / throughput);
      while (clock_type::now() < due) {
        drain();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    sent[static_cast<size_t>(i)] = clock_type::now();
    while (true) {
      const auto& payload = pool[static_cast<size_t>(i) % pool.size()];
      auto st = producer->produce(topic, -1, std::nullopt, storage::bytes_view(payload), 0, {},
                                  static_cast<uint64_t>(i + 1));
      if (st) break;
      if (st.code() != errc::queue_full) return st.err();
      producer->wait_for_reports(10);
      drain();
    }
    bytes += static_cast<int64_t>(pool[static_cast<size_t>(i) % pool.size()].size());
    if ((i & 1023) == 0) drain();
  }
  producer->flush_now();
  while (producer->outstanding() > 0) {
    producer->wait_for_reports(100);
    drain();
    producer->flush_now();
  }
  drain();
  res.seconds = ms_since(start) / 1000.0;
  res.records = records;
  res.bytes = bytes;
  producer->close();
  return res;
}

result<ConsumerPerfResult> run_consumer_perf(const std::map<std::string, std::string>& props,
                                             const std::string& topic, int64_t records,
                                             int64_t timeout_ms) {
  SHOAL_ASSIGN_OR_RETURN(auto config,
                         client::parse_client_config(props, client::client_kind::consumer));
  SHOAL_ASSIGN_OR_RETURN(auto consumer, client::Consumer::create(config));
  SHOAL_ASSIGN_OR_RETURN(auto md,
                         consumer->cluster()->fetch_metadata(std::vector<std::string>{topic}, false,
                                                             config.socket_timeout_ms));
  auto t = md.topics.find(topic);
  if (t == md.topics.end() || t->second.error != errc::none) {
    return make_error(errc::unknown_topic_or_partition, "topic {} does not exist", topic);
  }
  std::vector<client::TopicPartitionOffset> parts;
  for (const auto& p : t->second.partitions)
    parts.push_back({topic, p.id, client::offset_beginning});
  auto start = clock_type::now();
  SHOAL_TRY(consumer->assign(parts));
  ConsumerPerfResult res;
  std::vector<client::ConsumedRecord> out;
  clock_type::time_point first{};
  while (res.records < records) {
    if (ms_since(start) > static_cast<double>(timeout_ms)) break;
    out.clear();
    consumer->consume(out, 100'000, 100);
    for (const auto& r : out) {
      if (r.error != errc::none) continue;
      if (res.records == 0) first = clock_type::now();
      ++res.records;
      res.bytes += static_cast<int64_t>(r.value.size() + r.key.size());
    }
  }
  res.seconds = res.records > 0 ? ms_since(first) / 1000.0 : 0;
  res.fetch_seconds = ms_since(start) / 1000.0;
  consumer->close();
  return res;
}

}  // namespace shoal::perf
