#include "broker/offsets_store.h"

#include "common/clock.h"
#include "common/logger.h"
#include "storage/record_batch.h"

namespace shoal::broker {

namespace {

spdlog::logger& log() {
  return logger("group");
}

const std::string& topic() {
  static const std::string t(group::offsets_topic);
  return t;
}

}  // namespace

void OffsetsStore::append(int32_t partition, std::vector<record> records,
                          std::function<void(errc)> done) {
  auto part = partitions_.get(topic(), partition);
  if (!part || !part->is_leader()) return done(errc::not_coordinator);
  storage::RecordBatchBuilder b;
  int64_t now = wall_clock_ms();
  for (const auto& [key, value] : records) {
    std::optional<storage::bytes_view> v;
    if (value) v = storage::bytes_view(*value);
    b.append(now, storage::bytes_view(key), v);
  }
  auto built = b.build();
  if (!built) return done(built.code());
  int32_t epoch = part->leader_epoch();
  auto info = part->append_as_leader(std::span<uint8_t>(*built), -1);
  if (!info) {
    log().warn("{}: coordinator records not written: {}", part->name(), info.err().message);
    return done(info.code());
  }
  delayed_.wake(topic(), partition);  // followers waiting for data
  offset end = info->last_offset + 1;
  if (part->committed(end)) return done(errc::none);
  delayed_.park({{topic(), partition}}, monotonic_ms() + commit_timeout_ms_,
                [part, end, epoch, done](bool force) {
                  if (!part->is_leader() || part->leader_epoch() != epoch) {
                    done(errc::not_coordinator);
                  } else if (part->committed(end)) {
                    done(errc::none);
                  } else if (force) {
                    done(errc::request_timed_out);
                  } else {
                    return false;
                  }
                  return true;
                });
}

result<std::vector<group::CoordinatorRecord>> OffsetsStore::read_all(Partition& p) {
  std::vector<group::CoordinatorRecord> out;
  storage::Log& lg = p.log();
  offset at = lg.log_start_offset();
  offset end = lg.log_end_offset();
  storage::bytes scratch;
  size_t skipped = 0;
  while (at < end) {
    SHOAL_ASSIGN_OR_RETURN(auto data, lg.read(at, 1 << 20, end));
    if (data.records.empty()) break;
    storage::bytes_view rest(data.records);
    while (!rest.empty()) {
      SHOAL_ASSIGN_OR_RETURN(size_t size, storage::validate_batch(rest));
      storage::RecordBatchView v(rest.subspan(0, size));
      rest = rest.subspan(size);
      storage::RecordReader reader(v, scratch);
      storage::RecordView r;
      while (reader.next(r)) {
        if (v.base_offset() + r.offset_delta < at) continue;
        std::optional<storage::bytes_view> value;
        if (!r.value_null) value = r.value;
        auto rec = group::decode_record(r.key, value);
        if (!rec) {
          ++skipped;
          continue;
        }
        out.push_back(std::move(rec).value());
      }
      SHOAL_TRY(reader.status());
      at = v.next_offset();
    }
  }
  if (skipped > 0) {
    log().warn("{}: skipped {} record(s) this version cannot read", p.name(), skipped);
  }
  return out;
}

}  // namespace shoal::broker
