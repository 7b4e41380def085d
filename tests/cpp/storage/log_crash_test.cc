// A child process appends in a loop and is SIGKILLed at random moments, round after round,
// on the same log. Every reopen must give valid batches with contiguous offsets, every record
// where its offset says it is, and every batch the child had flushed before the kill.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "storage/log.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::TempDir;

LogConfig crash_config() {
  LogConfig cfg;
  cfg.segment_bytes = 64 * 1024;  // rolls happen during the rounds
  cfg.index_interval_bytes = 1024;
  return cfg;
}

// The value of the record at `o`: lets the parent check that every record sits at the
// offset it was written for.
std::string value_for(int64_t o) {
  return "record-" + std::to_string(o) + std::string(o % 50, '.');
}

[[noreturn]] void child_append_loop(const fs::path& dir, int write_fd, unsigned seed) {
  auto opened = Log::open(dir, crash_config());
  if (!opened) ::_exit(2);
  auto& lg = *opened;
  std::mt19937 rng(seed);
  for (int64_t i = 0;; ++i) {
    int64_t base = lg->log_end_offset()();
    int n = 1 + static_cast<int>(rng() % 20);
    std::vector<testing::TestRecord> recs;
    for (int j = 0; j < n; ++j) {
      recs.push_back({j, 1000 + base + j, "k" + std::to_string(base + j), value_for(base + j), {}});
    }
    bytes batch = testing::make_batch(recs, static_cast<compression>(rng() % 5));
    auto info = lg->append_as_leader(batch, leader_epoch(0));
    if (!info || info->first_offset() != base) ::_exit(3);
    if (i % 10 == 9) {
      if (!lg->flush()) ::_exit(4);
      // Only now is the end offset "flushed": tell the parent.
      int64_t flushed = lg->log_end_offset()();
      if (::write(write_fd, &flushed, sizeof(flushed)) != sizeof(flushed)) ::_exit(5);
    }
  }
}

TEST(LogCrash, SigkillWhileAppendingNeverLosesFlushedBatches) {
  TempDir dir;
  std::mt19937 rng(2024);
  int64_t flushed_max = 0;
  int rounds_with_progress = 0;
  for (int round = 0; round < 25; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_append_loop(dir.path(), fds[1], static_cast<unsigned>(round));
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "the child stopped on its own: exit " << WEXITSTATUS(wstatus);
    int64_t v = 0;
    int64_t before = flushed_max;
    while (::read(fds[0], &v, sizeof(v)) == sizeof(v)) flushed_max = std::max(flushed_max, v);
    ::close(fds[0]);
    rounds_with_progress += flushed_max > before;

    auto lg = Log::open(dir.path(), crash_config());
    ASSERT_TRUE(lg) << lg.err().to_string();
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_GE((*lg)->log_end_offset()(), flushed_max);
    // Contiguous offsets from 0, each record holding the value written for its offset.
    auto recs = testing::read_all(**lg);
    ASSERT_EQ(static_cast<int64_t>(recs.size()), (*lg)->log_end_offset()());
    for (size_t i = 0; i < recs.size(); ++i) {
      ASSERT_EQ(recs[i].offset, static_cast<int64_t>(i));
      ASSERT_EQ(recs[i].value, value_for(static_cast<int64_t>(i)));
    }
    testing::check_batches(**lg);
    // The next round's child opens it again (as a crashed broker would restart).
  }
  EXPECT_GT(rounds_with_progress, 5);
}

}  // namespace
}  // namespace shoal::storage
