#include "storage/producer_state.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "common/crc32c.h"
#include "common/logger.h"
#include "storage/log_files.h"

namespace shoal::storage {

namespace lf = log_files;

namespace {

spdlog::logger& log() {
  return logger("storage");
}

constexpr std::string_view snapshot_suffix = ".snapshot";
constexpr std::string_view snapshot_magic = "shoal-producer-snapshot 1";

// Splits on spaces into integers; false on anything else.
template <size_t N>
bool parse_ints(std::string_view s, int64_t (&out)[N]) {
  for (size_t i = 0; i < N; ++i) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    auto r = std::from_chars(s.data(), s.data() + s.size(), out[i]);
    if (r.ec != std::errc()) return false;
    s.remove_prefix(static_cast<size_t>(r.ptr - s.data()));
  }
  return s.empty();
}

}  // namespace

int32_t sequence_add(int32_t seq, int32_t n) {
  int64_t v = static_cast<int64_t>(seq) + n;
  if (v > INT32_MAX) v -= static_cast<int64_t>(INT32_MAX) + 1;
  return static_cast<int32_t>(v);
}

int32_t ProducerBatchKey::last_seq() const {
  return sequence_add(first_seq, std::max(records, 1) - 1);
}

result<std::vector<std::optional<ProducerBatch>>> ProducerStateManager::check(
    const std::vector<ProducerBatchKey>& batches) const {
  std::vector<std::optional<ProducerBatch>> out(batches.size());
  // Producers already met in this append: their epoch and last sequence after it.
  std::map<int64_t, std::pair<int16_t, int32_t>> pending;
  for (size_t i = 0; i < batches.size(); ++i) {
    const ProducerBatchKey& b = batches[i];
    if (b.producer_id < 0) continue;
    int32_t last = b.last_seq();
    auto it = producers_.find(b.producer_id);
    // A retry of a batch the log has (several batches of a retried request included).
    if (it != producers_.end() && b.epoch == it->second.epoch) {
      for (const auto& kept : it->second.batches) {
        if (kept.first_seq == b.first_seq && kept.last_seq == last) {
          out[i] = kept;
          break;
        }
      }
      if (out[i]) {
        pending[b.producer_id] = {b.epoch, last};
        continue;
      }
    }
    auto pend = pending.find(b.producer_id);
    if (pend != pending.end()) {
      if (b.epoch != pend->second.first || b.first_seq != sequence_add(pend->second.second, 1)) {
        return make_error(errc::out_of_order_sequence_number,
                          "producer {} batch at sequence {} does not follow sequence {} of the "
                          "batch before it in the same request",
                          b.producer_id, b.first_seq, pend->second.second);
      }
      pend->second.second = last;
      continue;
    }
    if (it == producers_.end()) {
      pending[b.producer_id] = {b.epoch, last};  // unknown producer: any sequence (KIP-360)
      continue;
    }
    const ProducerEntry& e = it->second;
    if (b.epoch < e.epoch) {
      return make_error(errc::invalid_producer_epoch,
                        "producer {} epoch {} is older than its current epoch {}", b.producer_id,
                        b.epoch, e.epoch);
    }
    if (b.epoch > e.epoch) {
      if (b.first_seq != 0) {
        return make_error(errc::out_of_order_sequence_number,
                          "producer {} started epoch {} at sequence {}, not 0", b.producer_id,
                          b.epoch, b.first_seq);
      }
    } else {
      if (!e.batches.empty() && b.first_seq != sequence_add(e.batches.back().last_seq, 1)) {
        return make_error(errc::out_of_order_sequence_number,
                          "producer {} epoch {}: expected sequence {}, got {}", b.producer_id,
                          b.epoch, sequence_add(e.batches.back().last_seq, 1), b.first_seq);
      }
    }
    pending[b.producer_id] = {b.epoch, last};
  }
  return out;
}

void ProducerStateManager::update(const ProducerBatchKey& key, offset first, offset last,
                                  int64_t max_timestamp) {
  if (key.producer_id < 0) return;
  ProducerEntry& e = producers_[key.producer_id];
  if (key.epoch != e.epoch) {
    e.epoch = key.epoch;
    e.batches.clear();
  }
  e.batches.push_back({key.first_seq, key.last_seq(), first, last, max_timestamp});
  while (e.batches.size() > retained_batches) e.batches.pop_front();
  e.last_timestamp = std::max(e.last_timestamp, max_timestamp);
}

void ProducerStateManager::clear(offset end) {
  producers_.clear();
  map_end_ = end;
}

const ProducerEntry* ProducerStateManager::entry(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

status ProducerStateManager::take_snapshot(Env* env, const fs::path& dir, int64_t now_ms) {
  for (auto it = producers_.begin(); it != producers_.end();) {
    if (it->second.last_timestamp >= 0 && now_ms - it->second.last_timestamp > expiration_ms) {
      it = producers_.erase(it);
    } else {
      ++it;
    }
  }
  // Sorted, so the same state always gives the same bytes.
  std::map<int64_t, const ProducerEntry*> sorted;
  for (const auto& [id, e] : producers_) sorted[id] = &e;
  std::string text(snapshot_magic);
  text += '\n';
  for (const auto& [id, e] : sorted) {
    text +=
        fmt::format("producer {} {} {} {}\n", id, e->epoch, e->last_timestamp, e->batches.size());
    for (const auto& b : e->batches) {
      text += fmt::format("batch {} {} {} {} {}\n", b.first_seq, b.last_seq, b.first_offset,
                          b.last_offset, b.max_timestamp);
    }
  }
  text += fmt::format("end {:08x}\n", crc32c(text.data(), text.size()));
  return write_file_atomically(env, lf::segment_file(dir, map_end_, snapshot_suffix), text);
}

std::vector<offset> ProducerStateManager::list_snapshots(Env* env, const fs::path& dir) {
  std::vector<offset> out;
  auto names = env->list_dir(dir);
  if (!names) return out;
  for (const auto& n : *names) {
    if (auto o = lf::parse_segment_file(n, snapshot_suffix)) out.push_back(*o);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Parses a snapshot's text; nullopt when it is damaged in any way.
std::optional<std::unordered_map<int64_t, ProducerEntry>> parse_snapshot(std::string_view text) {
  size_t end_at = text.rfind("end ");
  if (end_at == std::string_view::npos || (end_at > 0 && text[end_at - 1] != '\n')) {
    return std::nullopt;
  }
  std::string_view body = text.substr(0, end_at);
  std::string_view tail = text.substr(end_at + 4);
  uint32_t crc = 0;
  auto r = std::from_chars(tail.data(), tail.data() + tail.size(), crc, 16);
  if (r.ec != std::errc() || std::string_view(r.ptr, tail.data() + tail.size()) != "\n" ||
      crc != crc32c(body.data(), body.size())) {
    return std::nullopt;
  }
  std::unordered_map<int64_t, ProducerEntry> out;
  size_t nl = body.find('\n');
  if (nl == std::string_view::npos || body.substr(0, nl) != snapshot_magic) return std::nullopt;
  body.remove_prefix(nl + 1);
  ProducerEntry* current = nullptr;
  int64_t expected_batches = 0;
  while (!body.empty()) {
    nl = body.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (line.starts_with("producer ")) {
      if (expected_batches != 0) return std::nullopt;
      int64_t v[4];
      if (!parse_ints(line.substr(9), v) || v[1] < INT16_MIN || v[1] > INT16_MAX) {
        return std::nullopt;
      }
      current = &out[v[0]];
      current->epoch = static_cast<int16_t>(v[1]);
      current->last_timestamp = v[2];
      expected_batches = v[3];
    } else if (line.starts_with("batch ")) {
      int64_t v[5];
      if (current == nullptr || expected_batches <= 0 || !parse_ints(line.substr(6), v)) {
        return std::nullopt;
      }
      current->batches.push_back({static_cast<int32_t>(v[0]), static_cast<int32_t>(v[1]),
                                  offset(v[2]), offset(v[3]), v[4]});
      --expected_batches;
    } else {
      return std::nullopt;
    }
  }
  if (expected_batches != 0) return std::nullopt;
  return out;
}

}  // namespace

result<bool> ProducerStateManager::load_snapshot(Env* env, const fs::path& dir, offset upto,
                                                 offset floor) {
  auto snaps = list_snapshots(env, dir);
  for (size_t i = snaps.size(); i-- > 0;) {
    fs::path p = lf::segment_file(dir, snaps[i], snapshot_suffix);
    if (snaps[i] > upto) {
      SHOAL_TRY(env->remove(p));
      continue;
    }
    auto text = read_small_file(env, p);
    std::optional<std::unordered_map<int64_t, ProducerEntry>> parsed;
    if (text) parsed = parse_snapshot(*text);
    if (!parsed) {
      log().warn("{}: producer state snapshot is damaged; deleting it", p.string());
      SHOAL_TRY(env->remove(p));
      continue;
    }
    producers_ = std::move(*parsed);
    map_end_ = snaps[i];
    return true;
  }
  clear(floor);
  return false;
}

status ProducerStateManager::delete_snapshots_after(Env* env, const fs::path& dir, offset o) {
  for (offset s : list_snapshots(env, dir)) {
    if (s > o) SHOAL_TRY(env->remove(lf::segment_file(dir, s, snapshot_suffix)));
  }
  return {};
}

status ProducerStateManager::delete_snapshots_before(Env* env, const fs::path& dir, offset o) {
  auto snaps = list_snapshots(env, dir);
  // Keep the newest snapshot below `o`: it still seeds the state of a log starting at `o`.
  std::optional<offset> newest_below;
  for (offset s : snaps) {
    if (s < o) newest_below = s;
  }
  for (offset s : snaps) {
    if (s < o && s != newest_below) {
      SHOAL_TRY(env->remove(lf::segment_file(dir, s, snapshot_suffix)));
    }
  }
  return {};
}

}  // namespace shoal::storage
