// A column of nullable byte strings handed over from Python in one piece, for
// Producer.produce_batch(topic, values, keys=...): a list (or any sequence) of bytes / str /
// None, a numpy array of fixed-width bytes ('S' dtype) or of uint8 rows (2-D), or an Arrow
// binary or string array (anything with __arrow_c_array__ or __arrow_c_stream__, read through
// the Arrow C data interface, so neither numpy nor pyarrow is needed to build or import Shoal).
//
// For numpy and Arrow input the items are read straight from the array's buffers, with no
// Python object per item, and raw() is true: the reader may release the GIL. The column keeps
// the Python object (and any exported Arrow structures) alive until it is destroyed.
//
// Thread safety: at() may be called without the GIL when raw(); everything else needs it.
#pragma once

#include <Python.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "storage/record_batch.h"

namespace shoal::bindings {

class BinaryColumn {
 public:
  BinaryColumn();
  BinaryColumn(const BinaryColumn&) = delete;
  BinaryColumn& operator=(const BinaryColumn&) = delete;
  ~BinaryColumn();

  // Takes `obj` apart. `what` names it in errors ("values", "keys"). Returns false with a
  // Python exception set (TypeError for an unsupported type or item, naming its index).
  bool set(PyObject* obj, const char* what);

  size_t size() const { return size_; }
  // True when items are read from raw buffers (numpy, Arrow): no GIL needed by at().
  bool raw() const { return raw_; }
  // An upper bound on the length of any item.
  size_t max_item_size() const { return max_item_; }

  // Item i (nullopt: null). Sequential reads are fastest (Arrow chunks are found from the last
  // one read). REQUIRES: i < size().
  std::optional<storage::bytes_view> at(size_t i) const;
  // A new reference to a Python object for item i, for a delivery report: the list's own item,
  // or new bytes for raw columns, or None. REQUIRES: the GIL.
  PyObject* item_object(size_t i) const;

 private:
  struct ArrowChunk;
  bool set_sequence(PyObject* obj, const char* what);
  bool set_buffer(PyObject* obj, const char* what, bool* handled);
  bool set_arrow_array(PyObject* obj, const char* what);
  bool set_arrow_stream(PyObject* obj, const char* what);
  bool add_arrow_chunk(std::unique_ptr<ArrowChunk> chunk, const char* format, const char* what);

  enum class kind { none, sequence, fixed, arrow };
  kind kind_ = kind::none;
  size_t size_ = 0;
  size_t max_item_ = 0;
  bool raw_ = false;
  PyObject* owner_ = nullptr;  // strong reference to what the views point into

  // sequence: one view per item (null data with size SIZE_MAX: None). owner_ is the list (or
  // the list PySequence_Fast made), which keeps the items alive.
  struct ItemView {
    const uint8_t* data;
    size_t size;
  };
  std::vector<ItemView> items_;
  std::deque<Py_buffer> buffers_;  // items that needed the buffer protocol (never moved)

  // fixed: numpy 'S' items (trailing NULs dropped, as numpy does) or uint8 rows.
  Py_buffer buffer_{};
  bool has_buffer_ = false;
  const uint8_t* base_ = nullptr;
  Py_ssize_t stride_ = 0;
  size_t width_ = 0;
  bool strip_nuls_ = false;

  // arrow: one or more chunks, each an exported ArrowArray.
  std::vector<std::unique_ptr<ArrowChunk>> chunks_;
  std::vector<size_t> chunk_start_;  // index of each chunk's first item
  mutable size_t last_chunk_ = 0;
};

}  // namespace shoal::bindings
