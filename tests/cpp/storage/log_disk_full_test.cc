// A full disk: appends fail with a clear KAFKA_STORAGE_ERROR, nothing half-written remains,
// the log refuses further appends until reopened, and it reopens cleanly with every
// acknowledged batch. Tested with an injected ENOSPC and with a real RLIMIT_FSIZE.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/log.h"
#include "test_util.h"

namespace shoal::storage {
namespace {

using testing::FaultInjectionEnv;
using testing::make_simple_batch;
using testing::TempDir;

TEST(LogDiskFull, InjectedEnospcStopsAppendsWithoutPartialBatches) {
  TempDir dir;
  FaultInjectionEnv env;
  LogConfig cfg;
  cfg.segment_bytes = 8000;
  int64_t acked = 0;
  {
    auto lg = std::move(Log::open(dir.path(), cfg, LogOptions{.env = &env})).value();
    env.set_write_budget(20'000);
    error last;
    for (int i = 0; i < 1000; ++i) {
      auto r =
          lg->append_as_leader(make_simple_batch(5, i, compression::none, 60), leader_epoch(0));
      if (!r) {
        last = r.err();
        break;
      }
      acked = r->last_offset() + 1;
    }
    EXPECT_EQ(last.code, errc::kafka_storage_error);
    EXPECT_NE(last.message.find("No space left on device"), std::string::npos) << last.message;
    EXPECT_TRUE(lg->offline());
    // Even with room again, the log refuses until reopened.
    env.set_write_budget(-1);
    auto again = lg->append_as_leader(make_simple_batch(1), leader_epoch(0));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.code(), errc::kafka_storage_error);
    // Reads still serve what was acknowledged.
    EXPECT_EQ(static_cast<int64_t>(testing::read_all(*lg).size()), acked);
    EXPECT_FALSE(lg->close());  // no clean-shutdown marker after an I/O error
  }
  EXPECT_FALSE(fs::exists(dir / "clean-shutdown"));
  auto lg = Log::open(dir.path(), cfg);
  ASSERT_TRUE(lg) << lg.err().to_string();
  EXPECT_EQ((*lg)->log_end_offset()(), acked);
  EXPECT_EQ(testing::check_batches(**lg), static_cast<int>(acked / 5));
  ASSERT_TRUE((*lg)->append_as_leader(make_simple_batch(5), leader_epoch(0)));
}

TEST(LogDiskFull, RealFileSizeLimit) {
  TempDir dir;
  LogConfig cfg;
  cfg.segment_bytes = 1 << 20;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    // The kernel refuses writes past 100 KiB with EFBIG (SIGXFSZ ignored), as a full disk would.
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {100 * 1024, 100 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &lim);
    auto lg = Log::open(dir.path(), cfg);
    if (!lg) ::_exit(2);
    int64_t acked = 0;
    for (int i = 0; i < 100000; ++i) {
      auto r =
          (*lg)->append_as_leader(make_simple_batch(10, i, compression::none, 80), leader_epoch(0));
      if (!r) {
        if (r.code() != errc::kafka_storage_error) ::_exit(3);
        break;
      }
      acked = r->last_offset() + 1;
    }
    if (!(*lg)->offline()) ::_exit(4);
    (void)!::write(fds[1], &acked, sizeof(acked));
    ::_exit(0);
  }
  ::close(fds[1]);
  int64_t acked = -1;
  ASSERT_EQ(::read(fds[0], &acked, sizeof(acked)), static_cast<ssize_t>(sizeof(acked)));
  ::close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  ASSERT_GT(acked, 0);
  auto lg = Log::open(dir.path(), cfg);
  ASSERT_TRUE(lg) << lg.err().to_string();
  EXPECT_EQ((*lg)->log_end_offset()(), acked);
  EXPECT_EQ(static_cast<int64_t>(testing::read_all(**lg).size()), acked);
  EXPECT_LE(fs::file_size(dir / "00000000000000000000.log"), 100u * 1024);
}

}  // namespace
}  // namespace shoal::storage
