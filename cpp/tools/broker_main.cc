// shoal-broker: runs one broker in the foreground.
//
//   shoal-broker --cluster NAME --id N --dir DIR [--config broker.properties]
//                [--override key=value ...]
//
// SIGTERM or SIGINT: finish the request in hand, answer waiting fetches, flush, write every
// log's clean-shutdown marker, exit 0. SIGKILL at any moment is repaired by log recovery at
// the next start.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "broker/broker.h"
#include "common/logger.h"
#include "common/properties.h"

namespace {

constexpr const char* usage =
    "usage: shoal-broker --cluster NAME --id N --dir DIR [--config FILE] [--override key=value "
    "...]\n"
    "\n"
    "Runs one Shoal broker in the foreground.\n"
    "  --cluster NAME   the cluster's name; clients attach with bootstrap.servers=shm://NAME\n"
    "  --id N           this broker's id (Kafka's broker.id), 0 or more\n"
    "  --dir DIR        the cluster's directory; this broker's log goes to DIR/broker-N\n"
    "  --config FILE    broker properties (Kafka names: num.partitions, log.retention.ms, ...)\n"
    "  --override k=v   a property that wins over the file; may repeat\n";

int fail(const std::string& msg) {
  std::fprintf(stderr, "shoal-broker: %s\n", msg.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cluster, dir, config_file;
  int32_t id = -1;
  shoal::properties overrides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(usage, stdout);
      return 0;
    }
    const char* v = nullptr;
    if (a == "--cluster" || a == "--id" || a == "--dir" || a == "--config" || a == "--override") {
      v = value(a.c_str());
      if (v == nullptr) return fail(a + " needs a value\n" + usage);
    }
    if (a == "--cluster") {
      cluster = v;
    } else if (a == "--id") {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (*end != '\0' || n < 0 || n > INT32_MAX)
        return fail(std::string("--id must be a non-negative integer, not '") + v + "'");
      id = static_cast<int32_t>(n);
    } else if (a == "--dir") {
      dir = v;
    } else if (a == "--config") {
      config_file = v;
    } else if (a == "--override") {
      auto kv = shoal::parse_override(v);
      if (!kv) return fail(kv.err().message);
      overrides[kv->first] = kv->second;
    } else {
      return fail("unknown argument '" + a + "'\n" + usage);
    }
  }
  if (cluster.empty() || id < 0 || dir.empty()) {
    return fail(std::string("--cluster, --id and --dir are required\n") + usage);
  }
  shoal::properties props;
  if (!config_file.empty()) {
    auto file = shoal::read_properties_file(config_file);
    if (!file) return fail(file.err().message);
    props = *file;
  }
  for (auto& [k, v] : overrides) props[k] = v;
  std::error_code ec;
  std::filesystem::path cluster_dir = std::filesystem::absolute(dir, ec);
  auto config = shoal::broker::BrokerConfig::from(props, cluster, id, cluster_dir);
  if (!config) return fail(config.err().message);

  // Signals go to one thread, which asks the broker to stop.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) then fails the write with EFBIG, which the log handles as
  // a full disk, instead of killing the broker.
  ::signal(SIGXFSZ, SIG_IGN);

  auto broker = shoal::broker::Broker::create(std::move(config).value());
  if (!broker) return fail(broker.err().message);
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    shoal::logger("broker").info("received {}, shutting down",
                                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    (*broker)->stop();
  });
  signals.detach();
  int code = (*broker)->run();
  shoal::logger("broker").flush();
  std::_Exit(code);  // the detached signal thread may still wait in sigwait
}
