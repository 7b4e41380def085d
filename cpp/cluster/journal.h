// The controller's metadata journal: an append-only file of JournalEntry records, each
// framed as [uint32 length][uint32 CRC-32C of the payload][payload], synced before the
// change it records is published. Replaying it rebuilds the MetadataImage. A torn or corrupt
// tail (a crash mid-append) is cut off at open. Format in docs/cluster-metadata.md.
//
// Thread safety: not thread-safe; the controller serializes access.
#pragma once

#include <filesystem>
#include <memory>

#include "cluster/metadata.h"
#include "storage/file.h"

namespace shoal::cluster {

class Journal {
 public:
  // Opens (creating) the journal at `path` and replays it into `image`.
  static result<std::unique_ptr<Journal>> open(const std::filesystem::path& path,
                                               MetadataImage& image,
                                               storage::Env* env = storage::Env::posix());

  // Appends and syncs one entry. On an I/O error the file is cut back to where it was.
  status append(const JournalEntry& e);
  int64_t size() const { return size_; }

 private:
  std::unique_ptr<storage::File> file_;
  int64_t size_ = 0;
};

}  // namespace shoal::cluster
