#include "client/client_config.h"

#include "client/assignor.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>

namespace shoal::client {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

std::optional<int64_t> to_long(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> to_bool(const std::string& s) {
  std::string l = lower(s);
  if (l == "true" || l == "1") return true;
  if (l == "false" || l == "0") return false;
  return std::nullopt;
}

using setter = std::function<std::string(ClientConfig&, const std::string&)>;
// Prints the property's value in a config (the default, for the configuration reference).
using shower = std::function<std::string(const ClientConfig&)>;

// A setter with its shower and the values it takes.
struct field {
  setter set;
  shower show;
  std::string valid;
  bool ignored = false;
};

template <typename T>
field integer(T ClientConfig::*f, int64_t min, int64_t max) {
  return {[=](ClientConfig& c, const std::string& v) -> std::string {
            auto n = to_long(v);
            if (!n || *n < min || *n > max) {
              return fmt::format("expected an integer in [{}, {}], got \"{}\"", min, max, v);
            }
            c.*f = static_cast<T>(*n);
            return "";
          },
          [=](const ClientConfig& c) { return std::to_string(c.*f); },
          fmt::format("[{}, {}]", min, max)};
}

field boolean(bool ClientConfig::*f) {
  return {[=](ClientConfig& c, const std::string& v) -> std::string {
            auto b = to_bool(v);
            if (!b) return fmt::format("expected true or false, got \"{}\"", v);
            c.*f = *b;
            return "";
          },
          [=](const ClientConfig& c) { return std::string(c.*f ? "true" : "false"); },
          "true, false"};
}

field ignored() {
  return {[](ClientConfig&, const std::string&) { return std::string(); }, nullptr, "", true};
}

// One property. `doc` is its one-line meaning for the configuration reference (empty for an
// alias, which means what its canonical name means).
struct entry {
  const char* name;
  const char* alias_of;  // nullptr for a canonical name
  int kinds;             // bit 0 producer, 1 consumer, 2 admin
  const char* doc;
  setter set;
  shower show;        // nullptr: no default worth printing
  std::string valid;  // the values it takes, for the reference
  bool ignored = false;

  entry(const char* n, const char* a, int k, const char* d, setter s, shower sh = nullptr,
        std::string v = "")
      : name(n),
        alias_of(a),
        kinds(k),
        doc(d),
        set(std::move(s)),
        show(std::move(sh)),
        valid(std::move(v)) {}
  entry(const char* n, const char* a, int k, const char* d, field f)
      : name(n),
        alias_of(a),
        kinds(k),
        doc(d),
        set(std::move(f.set)),
        show(std::move(f.show)),
        valid(std::move(f.valid)),
        ignored(f.ignored) {}
};

constexpr int P = 1, C = 2, A = 4, ALL = 7;

// What the properties that only a networked client uses have in common.
constexpr const char* no_socket = "socket tuning: no effect (Shoal's clients use the OS defaults)";
constexpr const char* no_logging = "librdkafka's logging: no effect (use SHOAL_LOG_LEVEL)";

const std::vector<entry>& table() {
  static const std::vector<entry> t = {
      {"bootstrap.servers", nullptr, ALL,
       "the cluster to attach to: shm://NAME (NAME as given to `shoal cluster up --name`) "
       "over shared memory, or host:port,... over TCP (a Shoal broker's listener or any Kafka)",
       [](ClientConfig& c, const std::string& v) -> std::string {
         auto r = parse_bootstrap_servers(v);
         if (!r) return r.err().message;
         c.cluster = r->cluster;
         c.addresses = r->addresses;
         return "";
       },
       [](const ClientConfig&) { return std::string(); }, "shm://NAME"},
      {"metadata.broker.list", "bootstrap.servers", ALL, "", nullptr},
      {"client.id", nullptr, ALL, "a name for this client, shown in group descriptions",
       [](ClientConfig& c, const std::string& v) -> std::string {
         c.client_id = v;
         return "";
       },
       [](const ClientConfig& c) { return c.client_id; }, "any string"},
      {"request.timeout.ms", nullptr, ALL,
       "how long a request waits for a broker's answer before it fails or is retried",
       integer(&ClientConfig::request_timeout_ms, 1, 900'000)},
      {"socket.timeout.ms", nullptr, ALL,
       "deadline of admin and metadata calls, and of attaching to the cluster",
       integer(&ClientConfig::socket_timeout_ms, 10, 300'000)},
      {"metadata.max.age.ms", nullptr, ALL,
       "accepted; cached metadata is refreshed when a broker answers that it is stale",
       integer(&ClientConfig::metadata_max_age_ms, 1, 86'400'000)},
      {"retry.backoff.ms", nullptr, ALL, "the wait before retrying a failed request",
       integer(&ClientConfig::retry_backoff_ms, 1, 300'000)},
      {"retry.backoff.max.ms", nullptr, ALL,
       "the longest wait between retries, which grows from retry.backoff.ms",
       integer(&ClientConfig::retry_backoff_max_ms, 1, 300'000)},
      // Producer.
      {"acks", nullptr, P,
       "which replicas must have a record before it is acknowledged: 0 none, 1 the leader, "
       "all (-1) every in-sync replica, at least min.insync.replicas of them",
       [](ClientConfig& c, const std::string& v) -> std::string {
         std::string l = lower(v);
         if (l == "all") {
           c.acks = -1;
           return "";
         }
         auto n = to_long(v);
         if (!n || *n < -1 || *n > 1) return fmt::format("expected all, -1, 0 or 1, got \"{}\"", v);
         c.acks = static_cast<int16_t>(*n);
         return "";
       },
       [](const ClientConfig& c) {
         return c.acks == -1 ? std::string("all") : std::to_string(c.acks);
       },
       "all, -1, 0, 1"},
      {"request.required.acks", "acks", P, "", nullptr},
      {"linger.ms", nullptr, P, "how long a batch waits for more records before it is sent",
       integer(&ClientConfig::linger_ms, 0, 900'000)},
      {"queue.buffering.max.ms", "linger.ms", P, "", nullptr},
      {"batch.num.messages", nullptr, P, "the most records in one batch",
       integer(&ClientConfig::batch_num_messages, 1, 1'000'000)},
      {"batch.size", nullptr, P, "the most bytes in one batch",
       integer(&ClientConfig::batch_size, 1, INT32_MAX)},
      {"queue.buffering.max.messages", nullptr, P,
       "records the producer holds unacknowledged; beyond, produce() raises BufferError",
       integer(&ClientConfig::queue_buffering_max_messages, 0, INT32_MAX)},
      {"queue.buffering.max.kbytes", nullptr, P,
       "kilobytes the producer holds unacknowledged; beyond, produce() raises BufferError",
       integer(&ClientConfig::queue_buffering_max_kbytes, 1, INT32_MAX)},
      {"message.max.bytes", nullptr, ALL, "the largest record a producer accepts, in bytes",
       integer(&ClientConfig::message_max_bytes, 1000, 1'000'000'000)},
      {"delivery.timeout.ms", nullptr, P,
       "the time a record has to be acknowledged, retries included, before its delivery "
       "report fails (0: no limit)",
       integer(&ClientConfig::message_timeout_ms, 0, INT32_MAX)},
      {"message.timeout.ms", "delivery.timeout.ms", P, "", nullptr},
      {"retries", nullptr, P, "how many times a failed produce request is retried",
       integer(&ClientConfig::retries, 0, INT32_MAX)},
      {"message.send.max.retries", "retries", P, "", nullptr},
      {"max.in.flight.requests.per.connection", nullptr, ALL,
       "produce requests sent to one broker and not yet answered (at most 5 with "
       "enable.idempotence)",
       integer(&ClientConfig::max_in_flight, 1, 1'000'000)},
      {"max.in.flight", "max.in.flight.requests.per.connection", ALL, "", nullptr},
      {"enable.idempotence", nullptr, P,
       "a producer id and sequence numbers, so that a retry never writes a record twice or "
       "out of order; implies acks=all",
       boolean(&ClientConfig::enable_idempotence)},
      // Fault injection for tests: every Nth produce response is dropped after the broker
      // acted on it, as if it was lost on the way back, so the producer retries.
      {"test.lose.produce.responses", nullptr, P,
       "for tests: drop every Nth produce response after the broker wrote the batch, so the "
       "producer retries (0: off)",
       integer(&ClientConfig::test_lose_produce_responses, 0, INT32_MAX)},
      {"compression.type", nullptr, P, "the codec of the producer's batches",
       [](ClientConfig& c, const std::string& v) -> std::string {
         auto codec = storage::parse_compression(lower(v));
         if (!codec) return fmt::format("expected none, gzip, snappy, lz4 or zstd, got \"{}\"", v);
         c.compression = *codec;
         return "";
       },
       [](const ClientConfig& c) { return std::string(storage::compression_name(c.compression)); },
       "none, gzip, snappy, lz4, zstd"},
      {"compression.codec", "compression.type", P, "", nullptr},
      {"compression.level", nullptr, P, "the codec's level (-1: the codec's default)",
       integer(&ClientConfig::compression_level, -1, 12)},
      {"partitioner", nullptr, P,
       "how a key picks its partition (murmur2 is the Java client's hash); the _random forms "
       "spread records without a key",
       [](ClientConfig& c, const std::string& v) -> std::string {
         auto k = parse_partitioner(v);
         if (!k) {
           return fmt::format(
               "expected random, consistent, consistent_random, murmur2, "
               "murmur2_random, fnv1a or fnv1a_random, got \"{}\"",
               v);
         }
         c.partitioner = *k;
         return "";
       },
       [](const ClientConfig& c) { return std::string(partitioner_name(c.partitioner)); },
       "random, consistent, consistent_random, murmur2, murmur2_random, fnv1a, fnv1a_random"},
      {"sticky.partitioning.linger.ms", nullptr, P,
       "how long records without a key stay on one partition before moving on (0: each "
       "record moves)",
       integer(&ClientConfig::sticky_linger_ms, 0, 900'000)},
      // Consumer.
      {"group.id", nullptr, C, "the consumer group; subscribe() and committed offsets need it",
       [](ClientConfig& c, const std::string& v) -> std::string {
         c.group_id = v;
         return "";
       },
       [](const ClientConfig& c) { return c.group_id; }, "any string"},
      {"group.instance.id", nullptr, C,
       "static membership: a member that comes back with the same id within "
       "session.timeout.ms keeps its partitions, with no rebalance",
       [](ClientConfig& c, const std::string& v) -> std::string {
         if (v.empty()) return "must not be empty";
         c.group_instance_id = v;
         return "";
       },
       [](const ClientConfig&) { return std::string(); }, "any non-empty string"},
      {"session.timeout.ms", nullptr, C,
       "a member not heard from for this long leaves the group, and its partitions move",
       integer(&ClientConfig::session_timeout_ms, 1, 3'600'000)},
      {"heartbeat.interval.ms", nullptr, C, "how often a member heartbeats to its coordinator",
       integer(&ClientConfig::heartbeat_interval_ms, 1, 3'600'000)},
      {"max.poll.interval.ms", nullptr, C,
       "a member that does not poll or consume for this long leaves the group",
       integer(&ClientConfig::max_poll_interval_ms, 1, 86'400'000)},
      {"partition.assignment.strategy", nullptr, C,
       "the assignors a member offers its group, preferred first",
       [](ClientConfig& c, const std::string& v) -> std::string {
         auto parsed = parse_assignment_strategy(v);
         if (!parsed) return parsed.err().message;
         c.partition_assignment_strategy = v;
         return "";
       },
       [](const ClientConfig& c) { return c.partition_assignment_strategy; },
       "range, roundrobin, cooperative-sticky (a list)"},
      {"enable.auto.commit", nullptr, C,
       "commit the stored offsets in the background every auto.commit.interval.ms",
       boolean(&ClientConfig::enable_auto_commit)},
      {"auto.commit.enable", "enable.auto.commit", C, "", nullptr},
      {"auto.commit.interval.ms", nullptr, C, "how often offsets are committed automatically",
       integer(&ClientConfig::auto_commit_interval_ms, 0, 86'400'000)},
      {"enable.auto.offset.store", nullptr, C,
       "store the offset of each record handed to the application, for the next commit "
       "(false: only store_offsets() stores)",
       boolean(&ClientConfig::enable_auto_offset_store)},
      {"topic.metadata.refresh.interval.ms", nullptr, ALL,
       "how often a subscription to a pattern looks for new matching topics (-1: never)",
       integer(&ClientConfig::topic_metadata_refresh_interval_ms, -1, 3'600'000)},
      {"auto.offset.reset", nullptr, C,
       "where to start with no committed offset, or one out of range: the earliest or the "
       "latest record, or an error",
       [](ClientConfig& c, const std::string& v) -> std::string {
         std::string l = lower(v);
         if (l == "smallest" || l == "earliest" || l == "beginning") {
           c.auto_offset_reset = "smallest";
         } else if (l == "largest" || l == "latest" || l == "end") {
           c.auto_offset_reset = "largest";
         } else if (l == "error") {
           c.auto_offset_reset = "error";
         } else {
           return fmt::format(
               "expected smallest, earliest, beginning, largest, latest, end or "
               "error, got \"{}\"",
               v);
         }
         return "";
       },
       [](const ClientConfig& c) { return c.auto_offset_reset; },
       "smallest, earliest, beginning, largest, latest, end, error"},
      {"fetch.wait.max.ms", nullptr, C,
       "how long a broker holds a fetch that has less than fetch.min.bytes to return",
       integer(&ClientConfig::fetch_wait_max_ms, 0, 300'000)},
      {"fetch.min.bytes", nullptr, C, "the bytes a fetch waits for, up to fetch.wait.max.ms",
       integer(&ClientConfig::fetch_min_bytes, 1, 100'000'000)},
      {"fetch.max.bytes", nullptr, C, "the most bytes one fetch returns",
       integer(&ClientConfig::fetch_max_bytes, 0, INT32_MAX)},
      {"max.partition.fetch.bytes", nullptr, C, "the most bytes one fetch returns of one partition",
       integer(&ClientConfig::max_partition_fetch_bytes, 1, 1'000'000'000)},
      {"fetch.message.max.bytes", "max.partition.fetch.bytes", C, "", nullptr},
      {"queued.min.messages", nullptr, C,
       "accepted; prefetching is bounded by queued.max.messages.kbytes",
       integer(&ClientConfig::queued_min_messages, 1, 10'000'000)},
      {"queued.max.messages.kbytes", nullptr, C,
       "kilobytes of fetched records the consumer holds before it stops fetching",
       integer(&ClientConfig::queued_max_messages_kbytes, 1, 2'097'151)},
      {"enable.partition.eof", nullptr, C,
       "report _PARTITION_EOF each time the consumer reaches the end of a partition",
       boolean(&ClientConfig::enable_partition_eof)},
      {"check.crcs", nullptr, C, "verify the CRC-32C of each fetched batch",
       boolean(&ClientConfig::check_crcs)},
      {"isolation.level", nullptr, C,
       "accepted; Shoal has no transactions, so both levels read every record",
       [](ClientConfig& c, const std::string& v) -> std::string {
         if (v != "read_committed" && v != "read_uncommitted") {
           return fmt::format("expected read_committed or read_uncommitted, got \"{}\"", v);
         }
         c.isolation_level = v;
         return "";
       },
       [](const ClientConfig& c) { return c.isolation_level; }, "read_committed, read_uncommitted"},
      // Accepted so that configs written for a networked Kafka work unchanged; they have no
      // meaning over shared memory.
      {"security.protocol", nullptr, ALL, "only plaintext: Shoal's clients speak no TLS or SASL",
       [](ClientConfig&, const std::string& v) -> std::string {
         if (lower(v) != "plaintext") {
           return fmt::format("Shoal's clients have no {}; use plaintext", v);
         }
         return "";
       },
       [](const ClientConfig&) { return std::string("plaintext"); }, "plaintext"},
      {"socket.keepalive.enable", nullptr, ALL, no_socket, ignored()},
      {"socket.nagle.disable", nullptr, ALL, no_socket, ignored()},
      {"socket.send.buffer.bytes", nullptr, ALL, no_socket, ignored()},
      {"socket.receive.buffer.bytes", nullptr, ALL, no_socket, ignored()},
      {"socket.connection.setup.timeout.ms", nullptr, ALL,
       "how long opening a TCP connection to a broker may take (host:port bootstrap only)",
       integer(&ClientConfig::socket_connection_setup_timeout_ms, 1'000, 2'147'483'647)},
      {"connections.max.idle.ms", nullptr, ALL, no_socket, ignored()},
      {"reconnect.backoff.ms", nullptr, ALL, no_socket, ignored()},
      {"reconnect.backoff.max.ms", nullptr, ALL, no_socket, ignored()},
      {"api.version.request", nullptr, ALL,
       "protocol version negotiation: no effect (brokers and clients are one build)", ignored()},
      {"broker.version.fallback", nullptr, ALL,
       "protocol version negotiation: no effect (brokers and clients are one build)", ignored()},
      {"broker.address.family", nullptr, ALL, no_socket, ignored()},
      {"client.dns.lookup", nullptr, ALL, no_socket, ignored()},
      {"debug", nullptr, ALL, no_logging, ignored()},
      {"log_level", nullptr, ALL, no_logging, ignored()},
      {"log.connection.close", nullptr, ALL, no_logging, ignored()},
      {"statistics.interval.ms", nullptr, ALL, "librdkafka's statistics: none are emitted",
       ignored()},
      {"allow.auto.create.topics", nullptr, C | P,
       "no effect: the broker's auto.create.topics.enable decides", ignored()},
  };
  return t;
}

}  // namespace

std::vector<ClientConfigDefinition> client_config_definitions() {
  const ClientConfig defaults;
  std::vector<ClientConfigDefinition> out;
  for (const auto& e : table()) {
    ClientConfigDefinition d;
    d.name = e.name;
    d.alias_of = e.alias_of != nullptr ? e.alias_of : "";
    d.producer = (e.kinds & P) != 0;
    d.consumer = (e.kinds & C) != 0;
    d.admin = (e.kinds & A) != 0;
    d.ignored = e.ignored;
    d.valid_values = e.valid;
    d.doc = e.doc;
    if (e.show) d.default_value = e.show(defaults);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// One host:port entry of a bootstrap list; nullopt when it is not one.
std::optional<HostPort> parse_host_port(std::string_view v) {
  for (std::string_view prefix : {"PLAINTEXT://", "plaintext://"}) {
    if (v.substr(0, prefix.size()) == prefix) v.remove_prefix(prefix.size());
  }
  while (!v.empty() && v.back() == '/') v.remove_suffix(1);
  HostPort hp;
  std::string_view port;
  if (!v.empty() && v.front() == '[') {  // [IPv6]:port
    size_t close = v.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    hp.host = std::string(v.substr(1, close - 1));
    std::string_view rest = v.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    size_t colon = v.rfind(':');
    if (colon != std::string_view::npos && v.find(':') != colon) return std::nullopt;  // bare v6
    hp.host = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = v.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (hp.host.empty() || hp.host.find_first_of("/ \t") != std::string::npos) return std::nullopt;
  hp.port = 9092;  // Kafka's, as librdkafka assumes when none is given
  if (!port.empty()) {
    int64_t n = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9') return std::nullopt;
      n = n * 10 + (ch - '0');
      if (n > 65535) return std::nullopt;
    }
    if (n == 0) return std::nullopt;
    hp.port = static_cast<int32_t>(n);
  }
  return hp;
}

}  // namespace

result<Bootstrap> parse_bootstrap_servers(const std::string& value) {
  constexpr std::string_view scheme = "shm://";
  Bootstrap b;
  std::string v = value;
  while (!v.empty() && v.back() == '/') v.pop_back();
  if (v.rfind(scheme, 0) == 0) {
    if (v.size() == scheme.size() || v.find_first_of(",/:", scheme.size()) != std::string::npos) {
      return make_error(errc::invalid_arg,
                        "bootstrap.servers \"{}\": expected shm://NAME, NAME as given to `shoal "
                        "cluster up --name` (one cluster, no path or port)",
                        value);
    }
    b.cluster = v.substr(scheme.size());
    return b;
  }
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string_view entry = std::string_view(value).substr(start, comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (!entry.empty()) {
      auto hp = parse_host_port(entry);
      if (!hp) {
        return make_error(errc::invalid_arg,
                          "bootstrap.servers \"{}\": \"{}\" is not host:port; expected "
                          "shm://NAME (a Shoal cluster on this host, over shared memory) or "
                          "host:port,host:port (brokers over TCP)",
                          value, entry);
      }
      if (std::find(b.addresses.begin(), b.addresses.end(), *hp) == b.addresses.end()) {
        b.addresses.push_back(std::move(*hp));
      }
    }
    start = comma + 1;
  }
  if (b.addresses.empty()) {
    return make_error(errc::invalid_arg,
                      "bootstrap.servers \"{}\" names no broker: expected shm://NAME or "
                      "host:port,...",
                      value);
  }
  return b;
}

result<ClientConfig> parse_client_config(const std::map<std::string, std::string>& props,
                                         client_kind kind) {
  ClientConfig c;
  int bit = kind == client_kind::producer ? P : kind == client_kind::consumer ? C : A;
  bool have_bootstrap = false;
  for (const auto& [key, value] : props) {
    const entry* e = nullptr;
    for (const auto& x : table()) {
      if (key == x.name) e = &x;
    }
    if (e == nullptr) {
      return make_error(errc::invalid_arg, "No such configuration property: \"{}\"", key);
    }
    const entry* canonical = e;
    if (e->alias_of != nullptr) {
      for (const auto& x : table()) {
        if (std::string_view(x.name) == e->alias_of) canonical = &x;
      }
    }
    if ((canonical->kinds & bit) == 0) {
      // librdkafka accepts a consumer property on a producer with a warning; so do we.
      c.raw[canonical->name] = value;
      continue;
    }
    std::string msg = canonical->set(c, value);
    if (!msg.empty()) {
      return make_error(errc::invalid_arg, "Invalid value for configuration property \"{}\": {}",
                        key, msg);
    }
    c.raw[canonical->name] = value;
    if (std::string_view(canonical->name) == "bootstrap.servers") have_bootstrap = true;
  }
  if (kind == client_kind::producer && c.enable_idempotence) {
    // librdkafka's rules: idempotence needs acks=all, at most 5 requests in flight, and
    // retries. Unset, they are given those values.
    if (c.raw.count("acks") && c.acks != -1) {
      return make_error(errc::invalid_arg,
                        "`acks` must be set to `all` when `enable.idempotence` is true");
    }
    c.acks = -1;
    if (c.raw.count("max.in.flight.requests.per.connection") && c.max_in_flight > 5) {
      return make_error(errc::invalid_arg,
                        "`max.in.flight` must be set <= 5 when `enable.idempotence` is true");
    }
    c.max_in_flight = std::min(c.max_in_flight, 5);
    if (c.raw.count("retries") && c.retries == 0) {
      return make_error(errc::invalid_arg,
                        "`retries` must not be zero when `enable.idempotence` is true");
    }
  }
  if (!have_bootstrap) {
    return make_error(errc::invalid_arg,
                      "bootstrap.servers is not set: Shoal's clients need \"shm://NAME\" (a "
                      "cluster on this host) or \"host:port,...\" (brokers over TCP)");
  }
  return c;
}

}  // namespace shoal::client
