#include "cluster/controller.h"

#include <algorithm>
#include <random>
#include <set>

#include "common/logger.h"

namespace shoal::cluster {

namespace {
spdlog::logger& log() { return logger("cluster"); }
}  // namespace

std::vector<std::vector<int32_t>> assign_replicas(int32_t partitions, int16_t replication_factor,
                                                  const std::vector<int32_t>& brokers,
                                                  int32_t start, int32_t shift) {
  std::vector<std::vector<int32_t>> out;
  int32_t n = static_cast<int32_t>(brokers.size());
  for (int32_t p = 0; p < partitions; ++p) {
    if (p > 0 && p % n == 0) ++shift;
    int32_t first = (p + start) % n;
    std::vector<int32_t> replicas{brokers[static_cast<size_t>(first)]};
    for (int32_t j = 0; j < replication_factor - 1; ++j) {
      int32_t idx = (first + 1 + (shift + j) % (n - 1)) % n;
      replicas.push_back(brokers[static_cast<size_t>(idx)]);
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

result<std::unique_ptr<Controller>> Controller::open(ControllerOptions opts) {
  auto c = std::unique_ptr<Controller>(new Controller(std::move(opts)));
  SHOAL_ASSIGN_OR_RETURN(c->journal_, Journal::open(c->opts_.journal_path, c->image_));
  c->published_ = std::make_shared<const MetadataImage>(c->image_);
  return c;
}

std::shared_ptr<const MetadataImage> Controller::image() const {
  std::lock_guard lock(mu_);
  return published_;
}

void Controller::set_listener(listener l) {
  std::lock_guard lock(mu_);
  listener_ = std::move(l);
}

status Controller::commit_locked(const MetadataRecord& r) {
  JournalEntry e{image_.controller_epoch, r};
  MetadataImage next = image_;
  if (!next.apply(e)) {
    return make_error(errc::unknown_server_error, "metadata change does not apply to the image");
  }
  auto st = journal_->append(e);
  if (!st) {
    return make_error(errc::kafka_storage_error, "cannot record the change in the metadata "
                      "journal: {}", st.err().message);
  }
  image_ = std::move(next);
  published_ = std::make_shared<const MetadataImage>(image_);
  return {};
}

result<TopicState> Controller::create_topic(const NewTopicSpec& spec,
                                            const std::vector<int32_t>& live_brokers,
                                            bool validate_only) {
  SHOAL_TRY(validate_topic_name(spec.name));
  std::vector<int32_t> brokers = live_brokers;
  std::sort(brokers.begin(), brokers.end());
  std::vector<std::vector<int32_t>> assignment = spec.assignment;
  if (!assignment.empty()) {
    if (spec.num_partitions != -1 || spec.replication_factor != -1) {
      return make_error(errc::invalid_request,
                        "give either a replica assignment or partitions and replication factor, "
                        "not both");
    }
    size_t rf = assignment.front().size();
    for (size_t p = 0; p < assignment.size(); ++p) {
      const auto& reps = assignment[p];
      std::set<int32_t> uniq(reps.begin(), reps.end());
      if (reps.empty() || reps.size() != rf || uniq.size() != reps.size()) {
        return make_error(errc::invalid_replica_assignment,
                          "partition {} has replicas [{}]: every partition needs the same number "
                          "of distinct replicas",
                          p, fmt::join(reps, ","));
      }
      for (int32_t b : reps) {
        if (!std::binary_search(brokers.begin(), brokers.end(), b)) {
          return make_error(errc::invalid_replica_assignment,
                            "partition {} names broker {}, which is not a live broker", p, b);
        }
      }
    }
  } else {
    int32_t partitions = spec.num_partitions == -1 ? opts_.default_partitions : spec.num_partitions;
    int16_t rf = spec.replication_factor == -1 ? opts_.default_replication_factor
                                               : spec.replication_factor;
    if (partitions < 1) {
      return make_error(errc::invalid_partitions, "Number of partitions must be larger than 0.");
    }
    if (rf < 1) {
      return make_error(errc::invalid_replication_factor,
                        "Replication factor must be larger than 0.");
    }
    if (static_cast<size_t>(rf) > brokers.size()) {
      return make_error(errc::invalid_replication_factor,
                        "Replication factor: {} larger than available brokers: {}.", rf,
                        brokers.size());
    }
    std::random_device rd;
    int32_t n = static_cast<int32_t>(brokers.size());
    assignment = assign_replicas(partitions, rf, brokers, static_cast<int32_t>(rd() % n),
                                 static_cast<int32_t>(rd() % n));
  }
  // The overrides must make a valid config.
  SHOAL_TRY(opts_.topic_defaults.with(spec.configs));

  std::lock_guard lock(mu_);
  if (image_.topic(spec.name) != nullptr) {
    return make_error(errc::topic_already_exists, "Topic '{}' already exists.", spec.name);
  }
  for (const auto& [name, _] : image_.topics) {
    if (topic_names_collide(name, spec.name)) {
      return make_error(errc::invalid_topic_exception,
                        "Topic '{}' collides with existing topic: {}", spec.name, name);
    }
  }
  TopicState t;
  t.name = spec.name;
  t.topic_id = static_cast<int64_t>(std::random_device{}()) << 31 ^ std::random_device{}();
  t.configs = spec.configs;
  for (auto& reps : assignment) {
    PartitionState p;
    p.replicas = reps;
    p.isr = reps;
    p.leader = reps.front();
    t.partitions.push_back(std::move(p));
  }
  if (validate_only) return t;
  SHOAL_TRY(commit_locked(CreateTopicRecord{t}));
  log().info("created topic {} with {} partition(s), replication factor {}", t.name,
             t.partitions.size(), t.partitions.front().replicas.size());
  auto l = listener_;
  auto img = published_;
  // Listeners run outside no lock of ours would be nicer, but the order of images matters
  // more: they run under mu_, so they see every image, in order.
  if (l) l(img);
  return t;
}

status Controller::delete_topic(const std::string& name) {
  std::lock_guard lock(mu_);
  const TopicState* t = image_.topic(name);
  if (t == nullptr) {
    return make_error(errc::unknown_topic_or_partition,
                      "This server does not host this topic-partition.");
  }
  SHOAL_TRY(commit_locked(DeleteTopicRecord{name, t->topic_id}));
  log().info("deleted topic {}", name);
  if (listener_) listener_(published_);
  return {};
}

result<TopicConfig> Controller::topic_config(const std::string& name) const {
  auto img = image();
  const TopicState* t = img->topic(name);
  if (t == nullptr) {
    return make_error(errc::unknown_topic_or_partition, "Unknown topic {}", name);
  }
  return opts_.topic_defaults.with(t->configs);
}

}  // namespace shoal::cluster
