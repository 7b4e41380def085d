// The controller's metadata journal: an append-only file of JournalEntry records, each
// framed as [uint32 length][uint32 CRC-32C of the payload][payload], synced before the
// change it records is published. Replaying it rebuilds the MetadataImage. A torn or corrupt
// tail (a crash mid-append) is cut off at open. Format in docs/cluster-metadata.md.
//
// Several brokers share the file: whichever is controller appends. Appends and replays hold
// an exclusive flock() and append at the file's real end, so a deposed controller that writes
// late (after a pause) adds a record its successor's epoch makes replay ignore, and never
// overwrites one.
//
// Thread safety: not thread-safe; the controller serializes access.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "cluster/metadata.h"

namespace shoal::cluster {

class Journal {
 public:
  // Opens (creating) the journal at `path` and replays it into `image`.
  static result<std::unique_ptr<Journal>> open(const std::filesystem::path& path,
                                               MetadataImage& image);
  ~Journal();

  // Appends and syncs entries in one write. On an I/O error the file is cut back.
  status append(const std::vector<JournalEntry>& entries);
  status append(const JournalEntry& e) { return append(std::vector<JournalEntry>{e}); }

 private:
  Journal() = default;
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace shoal::cluster
