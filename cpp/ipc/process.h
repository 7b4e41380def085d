// Process identity and liveness: a pid plus its start time (so a reused pid is not mistaken
// for the original) and its pid namespace (so a pid from another container is not checked
// against this one's /proc).
#pragma once

#include <cstdint>

namespace shoal::ipc {

struct ProcessIdentity {
  int32_t pid = 0;
  uint64_t start_time = 0;  // clock ticks since boot, /proc/<pid>/stat field 22
  uint64_t pid_ns = 0;      // inode of /proc/<pid>/ns/pid
};

ProcessIdentity self_identity();

enum class liveness {
  alive,    // running or stopped (SIGSTOP): only heartbeats tell a pause
  dead,     // gone, a zombie, or its pid now belongs to another process
  unknown,  // in another pid namespace: only heartbeats can tell
};

liveness check_process(const ProcessIdentity& p);

// CLOCK_MONOTONIC in ms: the same clock for every process on the host (and container), so
// heartbeats written by one process can be compared by another.
int64_t monotonic_ms();

}  // namespace shoal::ipc
