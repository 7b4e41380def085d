// The cluster region when a cluster name is used again: by the same cluster restarting (same
// directory: the region and what it shows carry on) or by a new cluster in another directory
// after the first stopped (a fresh region: nothing of the old cluster shows). Brokers that
// must be dead are forked children that exit.
#include "ipc/cluster_region.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "ipc/shm.h"

namespace shoal::ipc {
namespace {

namespace fs = std::filesystem;

struct Dir {
  Dir() {
    std::string tmpl = (fs::temp_directory_path() / "shoal-region-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

std::string unique_cluster() {
  static const uint32_t nonce = std::random_device{}();
  static int n = 0;
  return "cr" + std::to_string(::getpid()) + "r" + std::to_string(nonce) + "x" +
         std::to_string(n++);
}

// Broker `id` joins in a child process, becomes controller, and exits without leaving its slot
// (as a SIGKILLed broker would).
void run_and_die(const std::string& cluster, const std::string& dir, int32_t id) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto r = ClusterRegion::join(cluster, dir, id);
    if (!r) ::_exit(1);
    (*r)->publish(broker_state::running, "inbox-" + std::to_string(id), 1);
    auto seen = (*r)->controller();
    if (!(*r)->try_claim_controller(seen.word, id)) ::_exit(2);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

std::vector<int32_t> ids(const ClusterRegion& r) {
  std::vector<int32_t> out;
  for (const auto& b : r.brokers(10'000)) out.push_back(b.id);
  return out;
}

TEST(ClusterRegion, TheSameClusterRestartingKeepsItsRegion) {
  Dir dir;
  std::string cluster = unique_cluster();
  run_and_die(cluster, dir.path, 7);
  auto r = ClusterRegion::join(cluster, dir.path, 1);
  ASSERT_TRUE(r) << r.err().to_string();
  // The dead broker's slot and the controller epoch it reached carry on.
  EXPECT_EQ(ids(**r), (std::vector<int32_t>{7, 1}));
  EXPECT_EQ((*r)->controller().epoch, 1);
  (*r)->leave();
  // The dead broker's slot kept the region; nothing runs now, so it goes.
  auto removed = ClusterRegion::remove_if_abandoned(cluster);
  ASSERT_TRUE(removed && *removed);
}

TEST(ClusterRegion, ANewClusterInAnotherDirectoryGetsAFreshRegion) {
  Dir old_dir, new_dir;
  std::string cluster = unique_cluster();
  run_and_die(cluster, old_dir.path, 7);
  auto r = ClusterRegion::join(cluster, new_dir.path, 1);
  ASSERT_TRUE(r) << r.err().to_string();
  // Nothing of the stopped cluster: its broker, its controller, its directory.
  EXPECT_EQ(ids(**r), (std::vector<int32_t>{1}));
  EXPECT_EQ((*r)->controller().id, -1);
  EXPECT_EQ((*r)->controller().epoch, 0);
  EXPECT_EQ((*r)->cluster_dir(), new_dir.path);
  (*r)->leave();
  // The last broker out removed the region (no slot of the old cluster was left in it).
  EXPECT_FALSE(SharedRegion::open(region_name(cluster, "cluster")));
}

TEST(ClusterRegion, AnotherDirectoryIsRefusedWhileTheClusterRuns) {
  Dir dir, other;
  std::string cluster = unique_cluster();
  auto running = ClusterRegion::join(cluster, dir.path, 1);
  ASSERT_TRUE(running) << running.err().to_string();
  (*running)->publish(broker_state::running, "inbox-1", 1);
  auto r = ClusterRegion::join(cluster, other.path, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.code(), errc::conflict);
  EXPECT_NE(r.err().message.find("already running with directory " + dir.path), std::string::npos)
      << r.err().message;
  (*running)->leave();
  EXPECT_FALSE(SharedRegion::open(region_name(cluster, "cluster")));
}

}  // namespace
}  // namespace shoal::ipc
