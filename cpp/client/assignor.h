// Client-side partition assignors of Kafka's classic consumer group protocol, and the
// ConsumerProtocol bytes they travel in. Each member sends its subscription as the metadata of
// its JoinGroup; the leader the coordinator elects decodes them all, runs the assignor the
// group agreed on (the first name of `partition.assignment.strategy` every member supports)
// and sends every member its share, encoded, with its SyncGroup.
//
// Assignors, by librdkafka's `partition.assignment.strategy` names (Java's RangeAssignor,
// RoundRobinAssignor and CooperativeStickyAssignor; see each class for its rule):
//   range               eager        per topic, contiguous ranges over the sorted members
//   roundrobin          eager        all partitions dealt out in turn over the sorted members
//   cooperative-sticky  cooperative  balanced, keeps owned partitions, never hands a partition
//                                    to a new owner before the old one has revoked it
// A group uses eager assignors only or cooperative ones only: an eager member gives up all its
// partitions before it rejoins, a cooperative one keeps them and gives up only those the new
// assignment takes away.
//
// The ConsumerProtocol messages are declared in
// cpp/protocol/schemas/formats/consumer_protocol.schema; here they carry the version they
// travel at.
//
// Thread safety: the functions are reentrant; an Assignor holds no state and may be used from
// any number of threads at once.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "protocol/codec.h"
#include "protocol/consumer_protocol.h"

namespace shoal::client {

using protocol::bytes;
using protocol::bytes_view;

// One partition of one topic (Kafka's TopicPartition). Ordered by topic, then partition.
struct TopicPartition {
  std::string topic;
  int32_t partition = -1;

  auto operator<=>(const TopicPartition&) const = default;
  bool operator==(const TopicPartition&) const = default;
};

// ---- ConsumerProtocol wire formats ----

using protocol::consumer_protocol_type;
using protocol::consumer_protocol_version;

// A topic with some of its partitions, as both messages group them.
using TopicPartitions = protocol::TopicPartition;

// A subscription with the version it travels at. Encoding: the version to write; fields newer
// than it are left out. Decoding: the version the bytes carry, which may be above
// consumer_protocol_version.
struct ConsumerProtocolSubscription : protocol::ConsumerProtocolSubscription {
  int16_t version = consumer_protocol_version;
  bool operator==(const ConsumerProtocolSubscription&) const = default;
};

struct ConsumerProtocolAssignment : protocol::ConsumerProtocolAssignment {
  int16_t version = consumer_protocol_version;  // as for ConsumerProtocolSubscription
  bool operator==(const ConsumerProtocolAssignment&) const = default;
};

// Encodes `s` at s.version, writing only the fields that version has (Kafka's
// ConsumerProtocol.serializeSubscription). A version above consumer_protocol_version is
// written as consumer_protocol_version, as Kafka does.
// REQUIRES: s.version >= 0; topic names of at most 32767 bytes (std::invalid_argument or
// std::length_error otherwise: these are the caller's mistakes, not bad input).
bytes encode_subscription(const ConsumerProtocolSubscription& s);
bytes encode_assignment(const ConsumerProtocolAssignment& a);

// Decodes what any Kafka client sends (Kafka's ConsumerProtocol.deserializeSubscription):
// versions 0..3 field by field; a higher version is read as version 3 (later versions only
// append fields), and bytes after the last known field are ignored, as Kafka ignores them.
// Errors: INVALID_REQUEST ("malformed ConsumerProtocolSubscription: ... at byte N") for a
// negative version, truncated input, a negative or oversized length or count, or null where
// the format has no null. Never reads outside `data`.
result<ConsumerProtocolSubscription> decode_subscription(bytes_view data);
result<ConsumerProtocolAssignment> decode_assignment(bytes_view data);

// ---- what assignors work on ----

// One member's subscription as the leader sees it (Kafka's ConsumerPartitionAssignor
// .Subscription plus the member's ids).
struct MemberSubscription {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // set for static members
  std::vector<std::string> topics;               // sorted, no duplicates
  // The partitions the member holds now (cooperative protocol), sorted, no duplicates.
  std::vector<TopicPartition> owned_partitions;
  // The generation in which the member was given owned_partitions; -1 when unknown.
  int32_t generation = -1;
  std::optional<bytes> user_data;
  std::optional<std::string> rack_id;  // carried, not used by Shoal's assignors yet

  bool operator==(const MemberSubscription&) const = default;
};

// The wire subscription of a member (topics and owned partitions sorted and deduplicated;
// an empty rack_id counts as none, as in Kafka).
MemberSubscription to_member_subscription(std::string member_id,
                                          std::optional<std::string> group_instance_id,
                                          const ConsumerProtocolSubscription& s);
// What a member sends: `m` at the newest version (member_id and group_instance_id travel in
// JoinGroup itself).
ConsumerProtocolSubscription to_protocol_subscription(const MemberSubscription& m);

// Groups partitions by topic, topics and partitions ascending, duplicates dropped.
std::vector<TopicPartitions> group_by_topic(std::vector<TopicPartition> partitions);
// The inverse: one TopicPartition per listed partition, in the order listed.
std::vector<TopicPartition> flatten(const std::vector<TopicPartitions>& grouped);

// member id -> the partitions it is assigned, sorted by (topic, partition). Every member the
// assignor was given has an entry, possibly empty.
using Assignment = std::map<std::string, std::vector<TopicPartition>>;

// ---- assignors ----

class Assignor {
 public:
  virtual ~Assignor() = default;
  // The `partition.assignment.strategy` name, also the protocol name in JoinGroup.
  virtual std::string_view name() const = 0;
  // True for the cooperative rebalance protocol (incremental revocation), false for eager.
  virtual bool cooperative() const = 0;
  // Assigns the partitions of `partitions_per_topic` (topic -> partition count) to `members`.
  // Topics nobody subscribes to, and topics with no partitions, are left out; a member that
  // subscribes to a topic missing from the map gets nothing of it. Every partition of a topic
  // someone subscribes to goes to exactly one member subscribed to it (a cooperative assignor
  // may hold some back for one rebalance, see CooperativeStickyAssignor). Deterministic: the
  // same input gives the same output whatever the order of `members`.
  // Member ids should be unique; a repeated one is ignored after its first entry.
  virtual Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                            const std::vector<MemberSubscription>& members) const = 0;
};

// Kafka's member order for range and roundrobin (AbstractPartitionAssignor.MemberInfo): static
// members first, by group.instance.id, then dynamic members by member id. Bytewise comparison
// (Java compares UTF-16 code units: the same order unless ids hold characters above U+FFFF);
// ties between equal instance ids fall back to the member id.
bool member_order_less(const MemberSubscription& a, const MemberSubscription& b);

// "range" (Java's RangeAssignor without rack awareness): per topic, the members subscribed to
// it in member_order_less order and the partitions in numeric order; with P partitions and M
// members, every member gets P / M contiguous partitions and the first P % M members one more.
// Example (t0 and t1 with 3 partitions each, members C0 and C1):
//   C0: t0-0 t0-1 t1-0 t1-1     C1: t0-2 t1-2
class RangeAssignor final : public Assignor {
 public:
  std::string_view name() const override { return "range"; }
  bool cooperative() const override { return false; }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override;
};

// "roundrobin" (Java's RoundRobinAssignor): every partition of every subscribed topic, sorted
// by topic then partition, is dealt to the next member in member_order_less order (cycling),
// skipping members not subscribed to its topic. Identical subscriptions give counts within one
// of each other; different ones can be unbalanced, as in Kafka.
// Example (t0 and t1 with 3 partitions each, members C0 and C1):
//   C0: t0-0 t0-2 t1-1          C1: t0-1 t1-0 t1-2
class RoundRobinAssignor final : public Assignor {
 public:
  std::string_view name() const override { return "roundrobin"; }
  bool cooperative() const override { return false; }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override;
};

// "cooperative-sticky" (the behaviour of Java's CooperativeStickyAssignor, not its code).
//
// Previous owner. A member's owned_partitions come with the generation it got them in. When
// several members claim one partition, the claim of the highest generation wins (an older
// claim is stale: that member lost the partition when its generation ended); if two or more
// claim it at that same generation, nobody is its previous owner and it is contested, as in
// Kafka.
//
// Target assignment, in three steps:
//   1. Keep: every previous owner keeps its partitions of topics it still subscribes to.
//   2. Fill: every unowned partition goes to the eligible member (one subscribed to its topic)
//      with the fewest partitions, ties to the smaller member id. Topics with fewer eligible
//      members go first, so the members that can take anything are left for last.
//   3. Balance: while some member A has a partition that an eligible member B could take with
//      |A| >= |B| + 2, move one (A the fullest, B the emptiest such member; of A's partitions
//      first one whose previous owner is B, then one A did not own before, then the owned one
//      with the highest partition number). Every move lowers the sum of squared counts, so
//      this ends, and when it ends no single move can improve the balance (Java's
//      isBalanced()): in particular members with the same subscription differ by at most one
//      partition, and with identical subscriptions everybody has floor or ceil of P / M.
//   Steps 1 and 3 make it sticky: a member loses an owned partition only to balance.
//
// Cooperative adjustment: a partition whose target member is not its previous owner (or which
// is contested) is left out of this assignment. Its previous owner is not assigned it either,
// so it revokes it, and, seeing a revocation, rejoins at once; in that follow-up rebalance the
// partition is unowned and step 2 hands it over. So no partition is ever owned by two members,
// at the cost of a second rebalance when partitions move. With identical subscriptions the
// follow-up gives out every held-back partition and revokes nothing (its counts can only fill
// up to the balanced ones). With different subscriptions step 2 of the follow-up can choose
// differently from the first target, and rarely (about one group change in several hundred in
// the tests) balancing then moves one more owned partition, settling a rebalance later; every
// step is still balanced and safe.
//
// Generations: a member's generation is MemberSubscription::generation; when that is negative
// and user_data holds at least 4 bytes, the first 4 (big-endian int32) are used, as Java does
// for Java members of Kafka 2.4 to 3.3, which carried the generation in user data.
class CooperativeStickyAssignor final : public Assignor {
 public:
  std::string_view name() const override { return "cooperative-sticky"; }
  bool cooperative() const override { return true; }
  Assignment assign(const std::map<std::string, int32_t>& partitions_per_topic,
                    const std::vector<MemberSubscription>& members) const override;

  struct Plan {
    Assignment target;      // where every partition ends up once revocations are done
    Assignment assignment;  // what assign() returns: target minus the partitions in transfer
    // Partitions in target whose previous owner is another member (or which are contested),
    // held back from this assignment; sorted.
    std::vector<TopicPartition> transferring;
  };
  // assign() with its workings shown, for tests and logs.
  Plan plan(const std::map<std::string, int32_t>& partitions_per_topic,
            const std::vector<MemberSubscription>& members) const;
};

// The assignor of that `partition.assignment.strategy` name, or nullptr for an unknown name.
std::unique_ptr<Assignor> make_assignor(std::string_view name);

// The assignors a `partition.assignment.strategy` value names, in order of preference
// (librdkafka's rd_kafka_assignors_init): comma-separated, blanks around names ignored, empty
// entries skipped, a repeated name counted once. Errors (INVALID_ARG, librdkafka's texts):
// an unknown name ("Unsupported partition.assignment.strategy: sticky"), eager and
// cooperative assignors together, or no name at all.
result<std::vector<std::unique_ptr<Assignor>>> parse_assignment_strategy(std::string_view value);

}  // namespace shoal::client
