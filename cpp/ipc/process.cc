#include "ipc/process.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace shoal::ipc {
namespace {

// Reads the state and start time of a process from /proc/<pid>/stat; false if it is gone.
bool read_stat(int32_t pid, char* state, uint64_t* start_time) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: skip to the last ')'.
  char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  p += 2;  // ") " then field 3, the state
  *state = *p;
  // Fields 3..22: the start time is the 20th field after the state.
  unsigned long long value = 0;
  int field = 3;
  char* save = nullptr;
  for (char* tok = strtok_r(p, " ", &save); tok != nullptr; tok = strtok_r(nullptr, " ", &save)) {
    if (field == 22) {
      value = std::strtoull(tok, nullptr, 10);
      break;
    }
    ++field;
  }
  *start_time = value;
  return field == 22;
}

uint64_t pid_namespace_of(const char* proc_entry) {
  struct stat st;
  if (::stat(proc_entry, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

}  // namespace

ProcessIdentity self_identity() {
  ProcessIdentity id;
  id.pid = static_cast<int32_t>(::getpid());
  char state;
  read_stat(id.pid, &state, &id.start_time);
  id.pid_ns = pid_namespace_of("/proc/self/ns/pid");
  return id;
}

liveness check_process(const ProcessIdentity& p) {
  static const uint64_t own_ns = pid_namespace_of("/proc/self/ns/pid");
  if (p.pid <= 0) return liveness::dead;
  if (p.pid_ns != own_ns || own_ns == 0) return liveness::unknown;
  char state = '?';
  uint64_t start = 0;
  if (!read_stat(p.pid, &state, &start)) return liveness::dead;
  if (start != p.start_time) return liveness::dead;  // the pid was reused
  if (state == 'Z' || state == 'X') return liveness::dead;
  return liveness::alive;
}

int64_t monotonic_ms() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace shoal::ipc
