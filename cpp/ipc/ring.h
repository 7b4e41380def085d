// A single-producer single-consumer ring of framed messages in shared memory (layout in
// layout.h: RingHeader, then the data area). Lock-free: the producer only writes `tail`,
// the consumer only writes `head`, so either side can die or stop at any instruction without
// wedging the other. A message is visible only once `tail` moves past it (release/acquire),
// so a reader never sees a half-written one. Messages never wrap: a padding record fills the
// end of the data area when the next message does not fit there.
//
// The consumer must not trust the other process: peek() checks every length and position and
// reports a corrupt ring as an error (the caller then drops the channel).
//
// Thread safety: one producer thread and one consumer thread at a time (callers serialize).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/result.h"
#include "ipc/layout.h"

namespace shoal::ipc {

using bytes_view = std::span<const uint8_t>;

class Ring {
 public:
  // Bytes a ring of `capacity` data bytes occupies (header included).
  static size_t footprint(uint64_t capacity) { return sizeof(RingHeader) + capacity; }
  // Formats a ring in zeroed memory. REQUIRES: capacity is a power of two >= 4096.
  static void initialize(void* mem, uint64_t capacity);
  // Attaches to a ring at `mem`, checking its header against the `available` bytes.
  static result<Ring> attach(void* mem, size_t available);

  uint64_t capacity() const { return capacity_; }
  // The largest payload this ring can ever carry.
  size_t max_payload() const { return capacity_ / 2 - sizeof(MessageHeader); }

  // --- producer ---
  // Reserves room for a payload of n bytes; nullptr if there is not enough room now.
  // REQUIRES: n <= max_payload().
  uint8_t* try_reserve(size_t n);
  // Publishes the reserved message. Returns true if the consumer is asleep and should be woken.
  bool commit(message_type type, uint64_t correlation_id, size_t n);
  // Sleeps until the consumer frees space (or timeout_ms passes); false on timeout.
  bool wait_for_space(size_t n, int64_t timeout_ms);
  // Wakes a consumer sleeping in wait_for_data().
  void wake_consumer();

  // --- consumer ---
  struct Message {
    message_type type;
    uint64_t correlation_id;
    bytes_view payload;  // valid until consume()
  };
  // The next message, if any. Errors when the ring holds something impossible.
  result<std::optional<Message>> peek();
  // Frees the message returned by the last peek(). Returns true if the producer is asleep
  // waiting for space and should be woken.
  bool consume(const Message& m);
  // Sleeps until a message may be available (or timeout_ms passes); false on timeout.
  bool wait_for_data(int64_t timeout_ms);
  bool has_data() const;
  // Wakes a producer sleeping in wait_for_space().
  void wake_producer();
  // Whether the producer sleeps waiting for space.
  bool producer_waiting() const;
  // Producer: says it waits for space without sleeping here (it is woken some other way,
  // e.g. the broker's doorbell), so the consumer's consume() reports that it freed some.
  void set_producer_waiting(bool waiting);

 private:
  Ring(RingHeader* h, uint8_t* data, uint64_t capacity) : h_(h), data_(data), capacity_(capacity) {}
  RingHeader* h_ = nullptr;
  uint8_t* data_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t reserved_at_ = 0;  // producer: where the reserved message starts
  uint64_t next_head_ = 0;    // consumer: head after the peeked message
};

}  // namespace shoal::ipc
