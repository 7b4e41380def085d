#include "client/assignor.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/endian.h"

namespace shoal::client {

// ---- ConsumerProtocol wire formats ----

bytes encode_subscription(const ConsumerProtocolSubscription& s) {
  return protocol::encode_versioned(s, s.version);
}

bytes encode_assignment(const ConsumerProtocolAssignment& a) {
  return protocol::encode_versioned(a, a.version);
}

result<ConsumerProtocolSubscription> decode_subscription(bytes_view data) {
  SHOAL_ASSIGN_OR_RETURN(auto got, protocol::decode_subscription_versioned(data));
  ConsumerProtocolSubscription s;
  static_cast<protocol::ConsumerProtocolSubscription&>(s) = std::move(got.second);
  s.version = got.first;
  return s;
}

result<ConsumerProtocolAssignment> decode_assignment(bytes_view data) {
  SHOAL_ASSIGN_OR_RETURN(auto got, protocol::decode_assignment_versioned(data));
  ConsumerProtocolAssignment a;
  static_cast<protocol::ConsumerProtocolAssignment&>(a) = std::move(got.second);
  a.version = got.first;
  return a;
}

std::vector<TopicPartitions> group_by_topic(std::vector<TopicPartition> partitions) {
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  std::vector<TopicPartitions> out;
  for (auto& tp : partitions) {
    if (out.empty() || out.back().topic != tp.topic) {
      out.push_back(TopicPartitions{std::move(tp.topic), {}});
    }
    out.back().partitions.push_back(tp.partition);
  }
  return out;
}

std::vector<TopicPartition> flatten(const std::vector<TopicPartitions>& grouped) {
  std::vector<TopicPartition> out;
  for (const auto& t : grouped) {
    for (int32_t p : t.partitions) out.push_back(TopicPartition{t.topic, p});
  }
  return out;
}

MemberSubscription to_member_subscription(std::string member_id,
                                          std::optional<std::string> group_instance_id,
                                          const ConsumerProtocolSubscription& s) {
  MemberSubscription m;
  m.member_id = std::move(member_id);
  m.group_instance_id = std::move(group_instance_id);
  m.topics = s.topics;
  std::sort(m.topics.begin(), m.topics.end());
  m.topics.erase(std::unique(m.topics.begin(), m.topics.end()), m.topics.end());
  m.owned_partitions = flatten(s.owned_partitions);
  std::sort(m.owned_partitions.begin(), m.owned_partitions.end());
  m.owned_partitions.erase(std::unique(m.owned_partitions.begin(), m.owned_partitions.end()),
                           m.owned_partitions.end());
  m.generation = s.generation_id;
  m.user_data = s.user_data;
  if (s.rack_id && !s.rack_id->empty()) m.rack_id = s.rack_id;
  return m;
}

ConsumerProtocolSubscription to_protocol_subscription(const MemberSubscription& m) {
  ConsumerProtocolSubscription s;
  s.version = consumer_protocol_version;
  s.topics = m.topics;
  std::sort(s.topics.begin(), s.topics.end());
  s.topics.erase(std::unique(s.topics.begin(), s.topics.end()), s.topics.end());
  s.user_data = m.user_data;
  s.owned_partitions = group_by_topic(m.owned_partitions);
  s.generation_id = m.generation;
  s.rack_id = m.rack_id;
  return s;
}

// ---- assignors ----

bool member_order_less(const MemberSubscription& a, const MemberSubscription& b) {
  if (a.group_instance_id && b.group_instance_id) {
    if (*a.group_instance_id != *b.group_instance_id) {
      return *a.group_instance_id < *b.group_instance_id;
    }
    return a.member_id < b.member_id;
  }
  if (a.group_instance_id) return true;
  if (b.group_instance_id) return false;
  return a.member_id < b.member_id;
}

namespace {

// The members with distinct ids (first entry wins), each with an empty entry in `out`.
std::vector<const MemberSubscription*> distinct_members(
    const std::vector<MemberSubscription>& members, Assignment& out) {
  std::vector<const MemberSubscription*> result;
  for (const auto& m : members) {
    if (out.emplace(m.member_id, std::vector<TopicPartition>{}).second) result.push_back(&m);
  }
  return result;
}

// The partition count of `topic` if it has partitions, else 0.
int32_t partition_count(const std::map<std::string, int32_t>& partitions_per_topic,
                        const std::string& topic) {
  auto it = partitions_per_topic.find(topic);
  return it == partitions_per_topic.end() ? 0 : std::max(it->second, 0);
}

void sort_lists(Assignment& a) {
  for (auto& [member, partitions] : a) std::sort(partitions.begin(), partitions.end());
}

}  // namespace

Assignment RangeAssignor::assign(const std::map<std::string, int32_t>& partitions_per_topic,
                                 const std::vector<MemberSubscription>& members) const {
  Assignment out;
  auto ms = distinct_members(members, out);
  std::map<std::string, std::vector<const MemberSubscription*>> per_topic;
  for (const auto* m : ms) {
    const std::set<std::string> topics(m->topics.begin(), m->topics.end());
    for (const auto& t : topics) {
      if (partition_count(partitions_per_topic, t) > 0) per_topic[t].push_back(m);
    }
  }
  for (auto& [topic, subscribers] : per_topic) {
    std::sort(subscribers.begin(), subscribers.end(),
              [](const auto* a, const auto* b) { return member_order_less(*a, *b); });
    const int32_t n = partition_count(partitions_per_topic, topic);
    const int32_t m = static_cast<int32_t>(subscribers.size());
    const int32_t quota = n / m;
    const int32_t extra = n % m;  // the first `extra` members get one more
    for (int32_t i = 0; i < m; ++i) {
      const int32_t start = quota * i + std::min(i, extra);
      const int32_t len = quota + (i < extra ? 1 : 0);
      auto& list = out[subscribers[i]->member_id];
      for (int32_t p = start; p < start + len; ++p) list.push_back(TopicPartition{topic, p});
    }
  }
  sort_lists(out);
  return out;
}

Assignment RoundRobinAssignor::assign(const std::map<std::string, int32_t>& partitions_per_topic,
                                      const std::vector<MemberSubscription>& members) const {
  Assignment out;
  auto ms = distinct_members(members, out);
  std::sort(ms.begin(), ms.end(),
            [](const auto* a, const auto* b) { return member_order_less(*a, *b); });
  std::vector<std::set<std::string>> subscribed;
  std::set<std::string> all_topics;
  for (const auto* m : ms) {
    subscribed.emplace_back(m->topics.begin(), m->topics.end());
    all_topics.insert(m->topics.begin(), m->topics.end());
  }
  size_t next = 0;  // the member the next partition is offered to first
  for (const auto& topic : all_topics) {
    const int32_t n = partition_count(partitions_per_topic, topic);
    for (int32_t p = 0; p < n; ++p) {
      // Ends: someone subscribes to every topic in all_topics.
      while (!subscribed[next].contains(topic)) next = (next + 1) % ms.size();
      out[ms[next]->member_id].push_back(TopicPartition{topic, p});
      next = (next + 1) % ms.size();
    }
  }
  sort_lists(out);
  return out;
}

// ---- cooperative-sticky ----

namespace {

constexpr int no_owner = -1;
constexpr int contested = -2;

// The working state of one cooperative-sticky assignment. Members are indexed in member id
// order, topics in name order, and partitions by pid = topic_base[topic] + partition, so pid
// order is (topic, partition) order.
class StickyBuilder {
 public:
  StickyBuilder(const std::map<std::string, int32_t>& partitions_per_topic,
                std::vector<const MemberSubscription*> members)
      : members_(std::move(members)) {
    std::sort(members_.begin(), members_.end(),
              [](const auto* a, const auto* b) { return a->member_id < b->member_id; });
    index_topics(partitions_per_topic);
    resolve_previous_owners();
  }

  void run() {
    keep_owned();
    fill_unowned();
    balance();
  }

  CooperativeStickyAssignor::Plan plan() const {
    CooperativeStickyAssignor::Plan plan;
    for (const auto* m : members_) {
      plan.target[m->member_id];
      plan.assignment[m->member_id];
    }
    for (size_t pid = 0; pid < owner_.size(); ++pid) {
      const int to = owner_[pid];
      if (to < 0) continue;
      TopicPartition tp{topic_names_[part_topic_[pid]], part_num_[pid]};
      const auto& id = members_[to]->member_id;
      plan.target[id].push_back(tp);
      const int from = prev_[pid];
      if (from == contested || (from >= 0 && from != to)) {
        plan.transferring.push_back(std::move(tp));
      } else {
        plan.assignment[id].push_back(std::move(tp));
      }
    }
    return plan;
  }

 private:
  // Orders a member's previously owned partitions so that the one it gives up first (the
  // highest partition number, then the last topic) is last.
  using OwnedKey = std::pair<int32_t, size_t>;  // (partition, topic index)

  void index_topics(const std::map<std::string, int32_t>& partitions_per_topic) {
    std::set<std::string> wanted;
    for (const auto* m : members_) wanted.insert(m->topics.begin(), m->topics.end());
    for (const auto& topic : wanted) {
      const int32_t n = partition_count(partitions_per_topic, topic);
      if (n <= 0) continue;
      topic_index_[topic] = topic_names_.size();
      topic_names_.push_back(topic);
      topic_base_.push_back(part_topic_.size());
      for (int32_t p = 0; p < n; ++p) {
        part_topic_.push_back(topic_names_.size() - 1);
        part_num_.push_back(p);
      }
    }
    const size_t topics = topic_names_.size();
    subscribed_.assign(members_.size(), std::vector<char>(topics, 0));
    topic_members_.assign(topics, {});
    for (size_t i = 0; i < members_.size(); ++i) {
      for (const auto& topic : members_[i]->topics) {
        auto it = topic_index_.find(topic);
        if (it == topic_index_.end() || subscribed_[i][it->second]) continue;
        subscribed_[i][it->second] = 1;
        topic_members_[it->second].push_back(static_cast<int>(i));
      }
    }
    owner_.assign(part_topic_.size(), no_owner);
    prev_.assign(part_topic_.size(), no_owner);
    count_.assign(members_.size(), 0);
    per_topic_.assign(members_.size(), std::vector<int32_t>(topics, 0));
    kept_.assign(members_.size(), {});
    fresh_.assign(members_.size(), {});
  }

  static int32_t generation_of(const MemberSubscription& m) {
    if (m.generation >= 0) return m.generation;
    if (m.user_data && m.user_data->size() >= 4) return load_be<int32_t>(m.user_data->data());
    return m.generation;
  }

  // The previous owner of each partition: its claimant of the highest generation, or
  // `contested` when several claim it at that generation.
  void resolve_previous_owners() {
    std::vector<int32_t> best(part_topic_.size(), 0);
    for (size_t i = 0; i < members_.size(); ++i) {
      const int32_t gen = generation_of(*members_[i]);
      std::set<size_t> claimed;
      for (const auto& tp : members_[i]->owned_partitions) {
        auto it = topic_index_.find(tp.topic);
        if (it == topic_index_.end()) continue;
        const size_t t = it->second;
        const size_t n =
            (t + 1 < topic_base_.size() ? topic_base_[t + 1] : part_topic_.size()) - topic_base_[t];
        if (tp.partition < 0 || static_cast<size_t>(tp.partition) >= n) continue;
        claimed.insert(topic_base_[t] + static_cast<size_t>(tp.partition));
      }
      for (size_t pid : claimed) {
        if (prev_[pid] == no_owner || gen > best[pid]) {
          prev_[pid] = static_cast<int>(i);
          best[pid] = gen;
        } else if (gen == best[pid]) {
          prev_[pid] = contested;
        }
      }
    }
  }

  void give(size_t pid, int to) {
    owner_[pid] = to;
    ++count_[to];
    ++per_topic_[to][part_topic_[pid]];
    if (prev_[pid] == to) {
      kept_[to].insert(OwnedKey{part_num_[pid], part_topic_[pid]});
    } else {
      fresh_[to].insert(pid);
    }
  }

  void take(size_t pid) {
    const int from = owner_[pid];
    --count_[from];
    --per_topic_[from][part_topic_[pid]];
    if (prev_[pid] == from) {
      kept_[from].erase(OwnedKey{part_num_[pid], part_topic_[pid]});
    } else {
      fresh_[from].erase(pid);
    }
    owner_[pid] = no_owner;
  }

  // Step 1.
  void keep_owned() {
    for (size_t pid = 0; pid < prev_.size(); ++pid) {
      const int i = prev_[pid];
      if (i >= 0 && subscribed_[i][part_topic_[pid]]) give(pid, i);
    }
  }

  // Step 2.
  void fill_unowned() {
    std::vector<size_t> order(topic_names_.size());
    for (size_t t = 0; t < order.size(); ++t) order[t] = t;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return topic_members_[a].size() < topic_members_[b].size();
    });
    for (size_t t : order) {
      const size_t end = t + 1 < topic_base_.size() ? topic_base_[t + 1] : part_topic_.size();
      for (size_t pid = topic_base_[t]; pid < end; ++pid) {
        if (owner_[pid] != no_owner) continue;
        int best = -1;
        for (int i : topic_members_[t]) {  // ascending index: ties go to the smaller id
          if (best < 0 || count_[i] < count_[best]) best = i;
        }
        give(pid, best);
      }
    }
  }

  // Whether `from` holds a partition of a topic `to` subscribes to.
  bool can_move(int from, int to) const {
    for (size_t t = 0; t < topic_names_.size(); ++t) {
      if (subscribed_[to][t] && per_topic_[from][t] > 0) return true;
    }
    return false;
  }

  // The partition `from` gives to `to` (see the class comment for the preference).
  // REQUIRES: can_move(from, to).
  size_t pick(int from, int to) const {
    std::optional<size_t> not_owned;
    for (auto it = fresh_[from].rbegin(); it != fresh_[from].rend(); ++it) {
      const size_t pid = *it;
      if (!subscribed_[to][part_topic_[pid]]) continue;
      if (prev_[pid] == to) return pid;
      if (!not_owned) not_owned = pid;
    }
    if (not_owned) return *not_owned;
    for (auto it = kept_[from].rbegin(); it != kept_[from].rend(); ++it) {
      if (subscribed_[to][it->second]) return topic_base_[it->second] + it->first;
    }
    SHOAL_ASSERT(false, "cooperative-sticky: no partition to move although can_move() said so");
    return 0;
  }

  // Step 3: single moves from a fuller to an emptier member until none improves the balance.
  void balance() {
    const int n = static_cast<int>(members_.size());
    std::vector<int> order(n);
    for (;;) {
      for (int i = 0; i < n; ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return count_[a] != count_[b] ? count_[a] > count_[b] : a < b;
      });
      bool moved = false;
      for (int ai = 0; ai < n && !moved; ++ai) {
        const int a = order[ai];
        if (count_[a] < count_[order[n - 1]] + 2) break;  // no emptier member left
        for (int bi = n - 1; bi > ai; --bi) {
          const int b = order[bi];
          if (count_[a] < count_[b] + 2) break;
          if (!can_move(a, b)) continue;
          const size_t pid = pick(a, b);
          take(pid);
          give(pid, b);
          moved = true;
          break;
        }
      }
      if (!moved) return;
    }
  }

  std::vector<const MemberSubscription*> members_;
  std::map<std::string, size_t> topic_index_;
  std::vector<std::string> topic_names_;
  std::vector<size_t> topic_base_;               // first pid of each topic
  std::vector<size_t> part_topic_;               // pid -> topic index
  std::vector<int32_t> part_num_;                // pid -> partition number
  std::vector<std::vector<char>> subscribed_;    // [member][topic]
  std::vector<std::vector<int>> topic_members_;  // topic -> members, ascending
  std::vector<int> owner_;                       // pid -> member in the target, or no_owner
  std::vector<int> prev_;                        // pid -> previous owner, no_owner, contested
  std::vector<int32_t> count_;                   // member -> partitions in the target
  std::vector<std::vector<int32_t>> per_topic_;  // [member][topic] -> partitions in the target
  std::vector<std::set<OwnedKey>> kept_;         // member -> target partitions it owned
  std::vector<std::set<size_t>> fresh_;          // member -> target partitions new to it
};

}  // namespace

CooperativeStickyAssignor::Plan CooperativeStickyAssignor::plan(
    const std::map<std::string, int32_t>& partitions_per_topic,
    const std::vector<MemberSubscription>& members) const {
  Assignment ids;
  StickyBuilder builder(partitions_per_topic, distinct_members(members, ids));
  builder.run();
  return builder.plan();
}

Assignment CooperativeStickyAssignor::assign(
    const std::map<std::string, int32_t>& partitions_per_topic,
    const std::vector<MemberSubscription>& members) const {
  return plan(partitions_per_topic, members).assignment;
}

// ---- configuration ----

namespace {

constexpr std::string_view available_assignors = "range, roundrobin, cooperative-sticky";

std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const size_t first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

}  // namespace

std::unique_ptr<Assignor> make_assignor(std::string_view name) {
  if (name == "range") return std::make_unique<RangeAssignor>();
  if (name == "roundrobin") return std::make_unique<RoundRobinAssignor>();
  if (name == "cooperative-sticky") return std::make_unique<CooperativeStickyAssignor>();
  return nullptr;
}

result<std::vector<std::unique_ptr<Assignor>>> parse_assignment_strategy(std::string_view value) {
  std::vector<std::unique_ptr<Assignor>> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) comma = value.size();
    const std::string_view name = trim(value.substr(pos, comma - pos));
    pos = comma + 1;
    if (name.empty()) continue;
    auto assignor = make_assignor(name);
    if (!assignor) {
      return make_error(errc::invalid_arg,
                        "Unsupported partition.assignment.strategy: {} (available: {})", name,
                        available_assignors);
    }
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const auto& a) { return a->name() == assignor->name(); });
    if (!seen) out.push_back(std::move(assignor));
  }
  if (out.empty()) {
    return make_error(errc::invalid_arg,
                      "partition.assignment.strategy is empty: name one or more of {}",
                      available_assignors);
  }
  std::vector<std::string_view> eager, cooperative;
  for (const auto& a : out) (a->cooperative() ? cooperative : eager).push_back(a->name());
  if (!eager.empty() && !cooperative.empty()) {
    return make_error(errc::invalid_arg,
                      "All partition.assignment.strategy ({}) assignors must have the same "
                      "protocol type, online migration between assignors with different "
                      "protocol types is not supported: {} eager, {} cooperative",
                      value, fmt::join(eager, ", "), fmt::join(cooperative, ", "));
  }
  return out;
}

}  // namespace shoal::client
