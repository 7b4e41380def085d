// The memory maps of Shoal's shared-memory regions. Layouts only: the operations are in
// shm.h, ring.h, server.h, connection.h and cluster_region.h; docs/shared-memory.md draws
// the maps. Fixed-width integers and offsets only, never pointers; every field another
// process writes is an atomic; hot words sit on their own cache lines.
//
// A region is usable only once its magic is set, which its creator does last (release);
// readers check magic and version first (acquire) and otherwise wait or refuse.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shoal::ipc {

inline constexpr uint32_t layout_version = 3;
inline constexpr size_t cache_line = 64;

enum class region_kind : uint32_t { cluster = 1, inbox = 2, session = 3 };

inline constexpr uint64_t cluster_magic = 0x53484f414c434c55ULL;  // "SHOALCLU"
inline constexpr uint64_t inbox_magic = 0x53484f414c494e42ULL;    // "SHOALINB"
inline constexpr uint64_t session_magic = 0x53484f414c534553ULL;  // "SHOALSES"

// The first bytes of every region: who made it, and whether that process still lives.
struct RegionHeader {
  std::atomic<uint64_t> magic;  // written last at creation
  uint32_t version;
  uint32_t kind;  // region_kind
  uint64_t size;  // bytes mapped
  int32_t owner_pid;
  uint32_t reserved0;
  uint64_t owner_start_time;  // /proc/<pid>/stat starttime: tells a reused pid apart
  uint64_t owner_pid_ns;      // inode of the owner's pid namespace: is owner_pid meaningful here?
  uint64_t incarnation;       // random per creation: a recreated region is a new one
  std::atomic<int64_t> heartbeat_ms;  // CLOCK_MONOTONIC ms, bumped by the owner
};
static_assert(sizeof(RegionHeader) == 64);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<uint32_t>::is_always_lock_free);

// --- Ring: a single-producer single-consumer byte ring of framed messages ---

// Control block of one ring; the data area follows it. Positions only grow; the offset in
// the data area is position & (capacity - 1).
struct RingHeader {
  uint64_t capacity;  // bytes, a power of two
  uint8_t pad0[cache_line - 8];
  // Producer side.
  alignas(cache_line) std::atomic<uint64_t> tail;  // end of the last published message
  std::atomic<uint32_t> data_seq;                  // futex word: bumped after each publish
  std::atomic<uint32_t> consumer_waiting;          // set while the consumer sleeps on data_seq
  uint8_t pad1[cache_line - 16];
  // Consumer side.
  alignas(cache_line) std::atomic<uint64_t> head;  // start of the first unread message
  std::atomic<uint32_t> space_seq;                 // futex word: bumped after freeing space
  std::atomic<uint32_t> producer_waiting;          // set while the producer sleeps on space_seq
  uint8_t pad2[cache_line - 16];
};
static_assert(sizeof(RingHeader) == 3 * cache_line);

// Every message in a ring starts with this, 8-byte aligned; the payload follows.
struct MessageHeader {
  uint32_t length;  // payload bytes
  uint32_t type;    // message_type
  uint64_t correlation_id;
};
static_assert(sizeof(MessageHeader) == 16);
inline constexpr size_t message_alignment = 8;

enum class message_type : uint32_t {
  padding = 0xFFFFFFFFu,  // skip to the start of the data area
  request = 1,
  response = 2,
};

// --- Broker inbox: where clients register sessions and ring the broker's doorbell ---

inline constexpr uint32_t max_sessions = 1024;

enum class slot_state : uint32_t {
  free = 0,
  claimed = 1,  // a client is filling in the slot
  active = 2,   // the broker serves the session
  closing = 3,  // the client said goodbye; the broker releases the slot
};

struct alignas(cache_line) SessionSlot {
  std::atomic<uint32_t> state;       // slot_state
  std::atomic<uint32_t> generation;  // bumped whenever the slot is freed
  int32_t client_pid;
  uint32_t reserved0;
  uint64_t client_start_time;
  uint64_t client_pid_ns;
  std::atomic<int64_t> claimed_ms;  // CLOCK_MONOTONIC ms of the claim
  char region_name[128];            // the session region, NUL-terminated
};
static_assert(sizeof(SessionSlot) == 3 * cache_line);

struct InboxHeader {
  RegionHeader region;
  int32_t broker_id;
  uint32_t slot_count;  // max_sessions
  uint8_t pad0[cache_line - 8];
  alignas(cache_line) std::atomic<uint32_t> doorbell;  // futex word: bumped by clients
  std::atomic<uint32_t> broker_waiting;                // set while the broker sleeps
  uint8_t pad1[cache_line - 8];
  // Bit i of word i/64: session slot i has news (a request, freed space, a state change).
  alignas(cache_line) std::atomic<uint64_t> pending[max_sessions / 64];
  SessionSlot slots[max_sessions];
};

// --- Session: one client's channel to one broker (created and owned by the client) ---

struct SessionHeader {
  RegionHeader region;  // owner: the client
  int32_t broker_id;
  uint32_t slot;                  // index in the broker's inbox
  uint64_t inbox_incarnation;     // the inbox this session was made for
  uint64_t request_ring_offset;   // from the region start; client -> broker
  uint64_t response_ring_offset;  // broker -> client
  std::atomic<uint32_t> dropped;  // set by the broker when it gives up on the session
  uint8_t pad0[cache_line - 36];
};
static_assert(sizeof(SessionHeader) == 2 * cache_line);

// --- Cluster: the brokers of one cluster ---

inline constexpr uint32_t max_brokers = 64;

enum class broker_state : uint32_t { empty = 0, starting = 1, running = 2, stopping = 3 };

struct alignas(cache_line) BrokerSlot {
  std::atomic<uint32_t> state;  // broker_state
  std::atomic<int32_t> broker_id;
  int32_t pid;
  std::atomic<uint32_t> storage_failed;  // a log of this broker is offline (disk full, I/O error)
  uint64_t start_time;
  uint64_t pid_ns;
  std::atomic<uint64_t> inbox_incarnation;
  std::atomic<int64_t> heartbeat_ms;  // CLOCK_MONOTONIC ms
  char inbox_name[128];
  // The broker's advertised Kafka listener (advertised.listeners), written before `state`
  // says running; port 0 and an empty host: none.
  std::atomic<int32_t> advertised_port;
  char advertised_host[124];
};
static_assert(sizeof(BrokerSlot) == 5 * cache_line);

// The metadata image the controller publishes (an encoded cluster::PublishedImage).
inline constexpr size_t image_capacity = 4u << 20;

struct alignas(cache_line) ImageBuffer {
  std::atomic<uint64_t> version;  // 0 while the buffer is being written
  uint32_t size;
  uint32_t crc;  // CRC-32C of data[0, size)
  uint8_t pad[cache_line - 16];
  uint8_t data[image_capacity];
};

struct ClusterHeader {
  RegionHeader region;
  char cluster_name[64];
  char cluster_dir[512];
  BrokerSlot brokers[max_brokers];
  // The controller: (epoch << 32) | (broker id + 1); the low half 0 means no controller, the
  // epoch stays. Changed only by compare-and-swap, so exactly one broker wins an election.
  alignas(cache_line) std::atomic<uint64_t> controller;
  std::atomic<int64_t> controller_heartbeat_ms;  // CLOCK_MONOTONIC ms, by the controller
  // The published image: (version << 1) | index into images; 0 before the first.
  alignas(cache_line) std::atomic<uint64_t> image_current;
  ImageBuffer images[2];
};

// Every offset and size docs/shared-memory.md gives, checked: the document is what other
// processes (and readers) go by, so a field that moves fails the build here first.
#define SHOAL_AT(type, field, off) static_assert(offsetof(type, field) == (off), #type "." #field)
SHOAL_AT(RegionHeader, magic, 0);
SHOAL_AT(RegionHeader, version, 8);
SHOAL_AT(RegionHeader, kind, 12);
SHOAL_AT(RegionHeader, size, 16);
SHOAL_AT(RegionHeader, owner_pid, 24);
SHOAL_AT(RegionHeader, reserved0, 28);
SHOAL_AT(RegionHeader, owner_start_time, 32);
SHOAL_AT(RegionHeader, owner_pid_ns, 40);
SHOAL_AT(RegionHeader, incarnation, 48);
SHOAL_AT(RegionHeader, heartbeat_ms, 56);

SHOAL_AT(InboxHeader, region, 0);
SHOAL_AT(InboxHeader, broker_id, 64);
SHOAL_AT(InboxHeader, slot_count, 68);
SHOAL_AT(InboxHeader, doorbell, 128);
SHOAL_AT(InboxHeader, broker_waiting, 132);
SHOAL_AT(InboxHeader, pending, 192);
SHOAL_AT(InboxHeader, slots, 320);
static_assert(sizeof(InboxHeader) == 196'928);

SHOAL_AT(SessionSlot, state, 0);
SHOAL_AT(SessionSlot, generation, 4);
SHOAL_AT(SessionSlot, client_pid, 8);
SHOAL_AT(SessionSlot, reserved0, 12);
SHOAL_AT(SessionSlot, client_start_time, 16);
SHOAL_AT(SessionSlot, client_pid_ns, 24);
SHOAL_AT(SessionSlot, claimed_ms, 32);
SHOAL_AT(SessionSlot, region_name, 40);
static_assert(sizeof(SessionSlot) == 192);

SHOAL_AT(SessionHeader, region, 0);
SHOAL_AT(SessionHeader, broker_id, 64);
SHOAL_AT(SessionHeader, slot, 68);
SHOAL_AT(SessionHeader, inbox_incarnation, 72);
SHOAL_AT(SessionHeader, request_ring_offset, 80);
SHOAL_AT(SessionHeader, response_ring_offset, 88);
SHOAL_AT(SessionHeader, dropped, 96);
static_assert(sizeof(SessionHeader) == 128);

SHOAL_AT(RingHeader, capacity, 0);
SHOAL_AT(RingHeader, tail, 64);
SHOAL_AT(RingHeader, data_seq, 72);
SHOAL_AT(RingHeader, consumer_waiting, 76);
SHOAL_AT(RingHeader, head, 128);
SHOAL_AT(RingHeader, space_seq, 136);
SHOAL_AT(RingHeader, producer_waiting, 140);
static_assert(sizeof(RingHeader) == 192);

SHOAL_AT(MessageHeader, length, 0);
SHOAL_AT(MessageHeader, type, 4);
SHOAL_AT(MessageHeader, correlation_id, 8);

SHOAL_AT(ClusterHeader, region, 0);
SHOAL_AT(ClusterHeader, cluster_name, 64);
SHOAL_AT(ClusterHeader, cluster_dir, 128);
SHOAL_AT(ClusterHeader, brokers, 640);
SHOAL_AT(ClusterHeader, controller, 21'120);
SHOAL_AT(ClusterHeader, controller_heartbeat_ms, 21'128);
SHOAL_AT(ClusterHeader, image_current, 21'184);
SHOAL_AT(ClusterHeader, images, 21'248);
static_assert(sizeof(ClusterHeader) == 8'409'984);

SHOAL_AT(ImageBuffer, version, 0);
SHOAL_AT(ImageBuffer, size, 8);
SHOAL_AT(ImageBuffer, crc, 12);
SHOAL_AT(ImageBuffer, data, 64);
static_assert(sizeof(ImageBuffer) == 4'194'368);

SHOAL_AT(BrokerSlot, state, 0);
SHOAL_AT(BrokerSlot, broker_id, 4);
SHOAL_AT(BrokerSlot, pid, 8);
SHOAL_AT(BrokerSlot, storage_failed, 12);
SHOAL_AT(BrokerSlot, start_time, 16);
SHOAL_AT(BrokerSlot, pid_ns, 24);
SHOAL_AT(BrokerSlot, inbox_incarnation, 32);
SHOAL_AT(BrokerSlot, heartbeat_ms, 40);
SHOAL_AT(BrokerSlot, inbox_name, 48);
SHOAL_AT(BrokerSlot, advertised_port, 176);
SHOAL_AT(BrokerSlot, advertised_host, 180);
static_assert(sizeof(BrokerSlot) == 320);
#undef SHOAL_AT

}  // namespace shoal::ipc
