#include "ipc/ring.h"

#include <cstring>
#include <new>

#include "ipc/futex.h"

namespace shoal::ipc {

namespace {
constexpr uint64_t align_up(uint64_t v) {
  return (v + message_alignment - 1) & ~(message_alignment - 1);
}
}  // namespace

void Ring::initialize(void* mem, uint64_t capacity) {
  auto* h = new (mem) RingHeader();
  h->capacity = capacity;
  h->tail.store(0, std::memory_order_relaxed);
  h->head.store(0, std::memory_order_relaxed);
  h->data_seq.store(0, std::memory_order_relaxed);
  h->space_seq.store(0, std::memory_order_relaxed);
  h->consumer_waiting.store(0, std::memory_order_relaxed);
  h->producer_waiting.store(0, std::memory_order_release);
}

result<Ring> Ring::attach(void* mem, size_t available) {
  if (available < sizeof(RingHeader)) {
    return make_error(errc::bad_msg, "ring area of {} bytes is smaller than its header", available);
  }
  auto* h = static_cast<RingHeader*>(mem);
  uint64_t cap = h->capacity;
  if (cap < 4096 || (cap & (cap - 1)) != 0 || cap > available - sizeof(RingHeader)) {
    return make_error(errc::bad_msg, "ring capacity {} is invalid for an area of {} bytes", cap,
                      available);
  }
  return Ring(h, static_cast<uint8_t*>(mem) + sizeof(RingHeader), cap);
}

uint8_t* Ring::try_reserve(size_t n) {
  uint64_t need = align_up(sizeof(MessageHeader) + n);
  uint64_t tail = h_->tail.load(std::memory_order_relaxed);
  uint64_t head = h_->head.load(std::memory_order_acquire);
  uint64_t offset = tail & (capacity_ - 1);
  uint64_t to_end = capacity_ - offset;
  // A message that does not fit before the end of the data area starts at its beginning,
  // after a padding record (or just a skip when not even a header fits).
  uint64_t pad = need <= to_end ? 0 : to_end;
  if (tail + pad + need - head > capacity_) return nullptr;
  if (pad != 0) {
    if (to_end >= sizeof(MessageHeader)) {
      auto* mh = reinterpret_cast<MessageHeader*>(data_ + offset);
      mh->length = static_cast<uint32_t>(to_end - sizeof(MessageHeader));
      mh->type = static_cast<uint32_t>(message_type::padding);
      mh->correlation_id = 0;
    }
    tail += pad;
  }
  reserved_at_ = tail;
  return data_ + (tail & (capacity_ - 1)) + sizeof(MessageHeader);
}

bool Ring::commit(message_type type, uint64_t correlation_id, size_t n) {
  auto* mh = reinterpret_cast<MessageHeader*>(data_ + (reserved_at_ & (capacity_ - 1)));
  mh->length = static_cast<uint32_t>(n);
  mh->type = static_cast<uint32_t>(type);
  mh->correlation_id = correlation_id;
  h_->tail.store(reserved_at_ + align_up(sizeof(MessageHeader) + n), std::memory_order_release);
  h_->data_seq.fetch_add(1, std::memory_order_seq_cst);
  return h_->consumer_waiting.load(std::memory_order_seq_cst) != 0;
}

bool Ring::wait_for_space(size_t n, int64_t timeout_ms) {
  uint64_t need = align_up(sizeof(MessageHeader) + n) * 2;  // room even after a padding record
  h_->producer_waiting.store(1, std::memory_order_seq_cst);
  uint32_t seq = h_->space_seq.load(std::memory_order_seq_cst);
  uint64_t used =
      h_->tail.load(std::memory_order_relaxed) - h_->head.load(std::memory_order_acquire);
  bool ok = true;
  if (capacity_ - used < need) ok = futex_wait(&h_->space_seq, seq, timeout_ms);
  h_->producer_waiting.store(0, std::memory_order_relaxed);
  return ok;
}

void Ring::wake_consumer() {
  futex_wake(&h_->data_seq);
}

result<std::optional<Ring::Message>> Ring::peek() {
  while (true) {
    uint64_t head = h_->head.load(std::memory_order_relaxed);
    uint64_t tail = h_->tail.load(std::memory_order_acquire);
    if (tail == head) return std::optional<Message>();
    if (tail < head || tail - head > capacity_ || (head & (message_alignment - 1)) != 0) {
      return make_error(errc::bad_msg, "ring positions are impossible (head {}, tail {})", head,
                        tail);
    }
    uint64_t offset = head & (capacity_ - 1);
    uint64_t to_end = capacity_ - offset;
    if (to_end < sizeof(MessageHeader)) {
      // Too little room for a header at the end: the producer skipped it.
      h_->head.store(head + to_end, std::memory_order_release);
      continue;
    }
    MessageHeader mh;
    std::memcpy(&mh, data_ + offset, sizeof(mh));
    uint64_t size = align_up(sizeof(MessageHeader) + uint64_t{mh.length});
    if (size > to_end || size > tail - head) {
      return make_error(errc::bad_msg, "ring message of {} bytes at position {} runs past {}",
                        mh.length, head, size > to_end ? "the data area" : "the published tail");
    }
    if (mh.type == static_cast<uint32_t>(message_type::padding)) {
      h_->head.store(head + size, std::memory_order_release);
      continue;
    }
    next_head_ = head + size;
    return std::optional<Message>(
        Message{static_cast<message_type>(mh.type), mh.correlation_id,
                bytes_view(data_ + offset + sizeof(MessageHeader), mh.length)});
  }
}

bool Ring::consume(const Message&) {
  h_->head.store(next_head_, std::memory_order_release);
  h_->space_seq.fetch_add(1, std::memory_order_seq_cst);
  return h_->producer_waiting.load(std::memory_order_seq_cst) != 0;
}

bool Ring::has_data() const {
  return h_->tail.load(std::memory_order_acquire) != h_->head.load(std::memory_order_relaxed);
}

bool Ring::wait_for_data(int64_t timeout_ms) {
  h_->consumer_waiting.store(1, std::memory_order_seq_cst);
  uint32_t seq = h_->data_seq.load(std::memory_order_seq_cst);
  bool ok = true;
  if (!has_data()) ok = futex_wait(&h_->data_seq, seq, timeout_ms);
  h_->consumer_waiting.store(0, std::memory_order_relaxed);
  return ok;
}

void Ring::wake_producer() {
  futex_wake(&h_->space_seq);
}

bool Ring::producer_waiting() const {
  return h_->producer_waiting.load(std::memory_order_seq_cst) != 0;
}

void Ring::set_producer_waiting(bool waiting) {
  h_->producer_waiting.store(waiting ? 1 : 0, std::memory_order_seq_cst);
}

}  // namespace shoal::ipc
