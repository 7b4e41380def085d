#include "bindings/binary_column.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include <fmt/format.h>

namespace shoal::bindings {

namespace {

// The Arrow C data interface (https://arrow.apache.org/docs/format/CDataInterface.html): an
// ABI, stable since Arrow 1.0, so these declarations are all Shoal needs of Arrow.
namespace arrow_c {
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  ArrowSchema** children;
  ArrowSchema* dictionary;
  void (*release)(ArrowSchema*);
  void* private_data;
};
struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  ArrowArray** children;
  ArrowArray* dictionary;
  void (*release)(ArrowArray*);
  void* private_data;
};
struct ArrowArrayStream {
  int (*get_schema)(ArrowArrayStream*, ArrowSchema* out);
  int (*get_next)(ArrowArrayStream*, ArrowArray* out);
  const char* (*get_last_error)(ArrowArrayStream*);
  void (*release)(ArrowArrayStream*);
  void* private_data;
};
}  // namespace arrow_c

const uint8_t empty_item[1] = {0};

bool type_error(const char* what, const std::string& msg) {
  PyErr_Format(PyExc_TypeError, "%s: %s", what, msg.c_str());
  return false;
}

// numpy exports an 'S<n>' array with the struct-module format "<n>s" (maybe with a byte-order
// prefix, meaningless for bytes).
bool is_fixed_bytes_format(const char* f) {
  if (f == nullptr) return false;
  while (*f == '@' || *f == '=' || *f == '<' || *f == '>' || *f == '!') ++f;
  while (std::isdigit(static_cast<unsigned char>(*f))) ++f;
  return f[0] == 's' && f[1] == '\0';
}

// numpy 'U<n>' arrays: "<n>w" (UCS-4).
bool is_unicode_format(const char* f) {
  if (f == nullptr) return false;
  while (*f == '@' || *f == '=' || *f == '<' || *f == '>' || *f == '!') ++f;
  while (std::isdigit(static_cast<unsigned char>(*f))) ++f;
  return f[0] == 'w' && f[1] == '\0';
}

// numpy object arrays: "O".
bool is_object_format(const char* f) {
  return f != nullptr && f[0] == 'O' && f[1] == '\0';
}

bool is_byte_format(const char* f) {
  if (f == nullptr) return true;  // PyBUF_FORMAT not honoured: unsigned bytes
  while (*f == '@' || *f == '=' || *f == '<' || *f == '>' || *f == '!') ++f;
  return (f[0] == 'B' || f[0] == 'b' || f[0] == 'c') && f[1] == '\0';
}

}  // namespace

struct BinaryColumn::ArrowChunk {
  arrow_c::ArrowArray owned{};  // released on destruction when `owns`
  bool owns = false;
  const arrow_c::ArrowArray* array = nullptr;
  bool large = false;  // int64 offsets
  const uint8_t* validity = nullptr;
  const void* offsets = nullptr;
  const uint8_t* data = nullptr;
  int64_t offset = 0;
  int64_t length = 0;

  ~ArrowChunk() {
    if (owns && owned.release != nullptr) owned.release(&owned);
  }
  int64_t start(int64_t j) const {
    return large ? static_cast<const int64_t*>(offsets)[j]
                 : static_cast<const int32_t*>(offsets)[j];
  }
};

BinaryColumn::BinaryColumn() = default;

BinaryColumn::~BinaryColumn() {
  chunks_.clear();  // before owner_: a chunk may point into what owner_ keeps alive
  for (auto& b : buffers_) PyBuffer_Release(&b);
  if (has_buffer_) PyBuffer_Release(&buffer_);
  Py_XDECREF(owner_);
}

bool BinaryColumn::set(PyObject* obj, const char* what) {
  if (obj == nullptr || obj == Py_None) return type_error(what, "expected a sequence, not None");
  if (PyBytes_Check(obj) || PyByteArray_Check(obj) || PyUnicode_Check(obj) ||
      PyMemoryView_Check(obj)) {
    return type_error(what, std::string("expected a sequence of records (a list of bytes, a numpy "
                                        "or a pyarrow array), not one ") +
                                Py_TYPE(obj)->tp_name);
  }
  if (PyDict_Check(obj)) return type_error(what, "expected a sequence of records, not a dict");
  if (PyObject_HasAttrString(obj, "__arrow_c_array__")) return set_arrow_array(obj, what);
  if (PyObject_HasAttrString(obj, "__arrow_c_stream__")) return set_arrow_stream(obj, what);
  if (!PyList_Check(obj) && !PyTuple_Check(obj) && PyObject_CheckBuffer(obj)) {
    bool handled = false;
    if (!set_buffer(obj, what, &handled)) return false;
    if (handled) return true;
  }
  return set_sequence(obj, what);
}

bool BinaryColumn::set_buffer(PyObject* obj, const char* what, bool* handled) {
  Py_buffer v;
  if (PyObject_GetBuffer(obj, &v, PyBUF_RECORDS_RO) != 0) {
    // No strided buffer (a read-only or odd exporter): read it as a sequence.
    PyErr_Clear();
    return true;
  }
  if (v.ndim == 1 && is_fixed_bytes_format(v.format)) {
    strip_nuls_ = true;
    width_ = static_cast<size_t>(v.itemsize);
    size_ = static_cast<size_t>(v.shape[0]);
    stride_ = v.strides != nullptr ? v.strides[0] : v.itemsize;
  } else if (v.ndim == 2 && is_byte_format(v.format) && v.itemsize == 1) {
    if (v.shape[1] > 1 && v.strides != nullptr && v.strides[1] != 1) {
      PyBuffer_Release(&v);
      return type_error(what, "a 2-D uint8 array must have contiguous rows (np.ascontiguousarray)");
    }
    width_ = static_cast<size_t>(v.shape[1]);
    size_ = static_cast<size_t>(v.shape[0]);
    stride_ = v.strides != nullptr ? v.strides[0] : v.shape[1];
  } else if (v.ndim == 1 && is_byte_format(v.format)) {
    PyBuffer_Release(&v);
    return type_error(what,
                      "a 1-D array of bytes is one record, not a column: pass a 2-D uint8 "
                      "array (one row per record) or an array of dtype 'S'");
  } else if (v.ndim == 1 && (is_unicode_format(v.format) || is_object_format(v.format))) {
    // numpy 'U' and object arrays: item by item (numpy.str_ as UTF-8, bytes), as a sequence.
    PyBuffer_Release(&v);
    return true;
  } else {
    std::string f = v.format != nullptr ? v.format : "B";
    int ndim = v.ndim;
    PyBuffer_Release(&v);
    return type_error(what, fmt::format("a {}-D array of format '{}' holds no byte strings: "
                                        "use dtype 'S', object or 2-D uint8, or a pyarrow "
                                        "binary array",
                                        ndim, f));
  }
  buffer_ = v;
  has_buffer_ = true;
  base_ = static_cast<const uint8_t*>(v.buf);
  max_item_ = width_;
  kind_ = kind::fixed;
  raw_ = true;
  *handled = true;
  return true;
}

bool BinaryColumn::set_sequence(PyObject* obj, const char* what) {
  PyObject* seq = PySequence_Fast(obj, "");
  if (seq == nullptr) {
    PyErr_Clear();
    return type_error(what, std::string("expected a list of bytes, a numpy array or a pyarrow "
                                        "binary array, not ") +
                                Py_TYPE(obj)->tp_name);
  }
  owner_ = seq;
  kind_ = kind::sequence;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject** items = PySequence_Fast_ITEMS(seq);
  items_.resize(static_cast<size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* o = items[i];
    ItemView& iv = items_[static_cast<size_t>(i)];
    if (o == Py_None) {
      iv = {nullptr, SIZE_MAX};
      continue;
    }
    if (PyBytes_Check(o)) {
      iv = {reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(o)),
            static_cast<size_t>(PyBytes_GET_SIZE(o))};
    } else if (PyUnicode_Check(o)) {
      Py_ssize_t len = 0;
      const char* s = PyUnicode_AsUTF8AndSize(o, &len);  // cached in the str object
      if (s == nullptr) return false;
      iv = {reinterpret_cast<const uint8_t*>(s), static_cast<size_t>(len)};
    } else if (PyObject_CheckBuffer(o)) {
      Py_buffer& b = buffers_.emplace_back();
      if (PyObject_GetBuffer(o, &b, PyBUF_SIMPLE) != 0) {
        buffers_.pop_back();
        return false;
      }
      iv = {static_cast<const uint8_t*>(b.buf), static_cast<size_t>(b.len)};
    } else {
      PyErr_Format(PyExc_TypeError, "%s[%zd] must be bytes, str or None, not %s", what, i,
                   Py_TYPE(o)->tp_name);
      return false;
    }
    max_item_ = std::max(max_item_, iv.size);
  }
  size_ = static_cast<size_t>(n);
  return true;
}

bool BinaryColumn::add_arrow_chunk(std::unique_ptr<ArrowChunk> c, const char* format,
                                   const char* what) {
  std::string f = format != nullptr ? format : "";
  if (f != "z" && f != "Z" && f != "u" && f != "U") {
    return type_error(what, "an Arrow array of format '" + f +
                                "' is not binary: cast it to pa.binary() or pa.large_binary()");
  }
  const arrow_c::ArrowArray* a = c->array;
  if (a->n_buffers != 3 || a->buffers == nullptr) {
    return type_error(what, "a binary Arrow array must have 3 buffers");
  }
  c->large = f == "Z" || f == "U";
  c->validity = a->null_count != 0 ? static_cast<const uint8_t*>(a->buffers[0]) : nullptr;
  c->offsets = a->buffers[1];
  c->data = a->buffers[2] != nullptr ? static_cast<const uint8_t*>(a->buffers[2]) : empty_item;
  c->offset = a->offset;
  c->length = a->length;
  if (c->length > 0 && c->offsets == nullptr) {
    return type_error(what, "a binary Arrow array has no offsets buffer");
  }
  for (int64_t j = c->offset; j < c->offset + c->length; ++j) {
    int64_t len = c->start(j + 1) - c->start(j);
    if (len < 0) return type_error(what, "an Arrow array has decreasing offsets");
    max_item_ = std::max(max_item_, static_cast<size_t>(len));
  }
  chunk_start_.push_back(size_);
  size_ += static_cast<size_t>(c->length);
  chunks_.push_back(std::move(c));
  return true;
}

bool BinaryColumn::set_arrow_array(PyObject* obj, const char* what) {
  PyObject* pair = PyObject_CallMethod(obj, "__arrow_c_array__", nullptr);
  if (pair == nullptr) return false;
  owner_ = pair;
  if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
    return type_error(what, "__arrow_c_array__ did not return (schema, array) capsules");
  }
  auto* schema = static_cast<arrow_c::ArrowSchema*>(
      PyCapsule_GetPointer(PyTuple_GET_ITEM(pair, 0), "arrow_schema"));
  if (schema == nullptr) return false;
  auto* array = static_cast<arrow_c::ArrowArray*>(
      PyCapsule_GetPointer(PyTuple_GET_ITEM(pair, 1), "arrow_array"));
  if (array == nullptr) return false;
  auto c = std::make_unique<ArrowChunk>();
  c->array = array;  // owned by its capsule, which owner_ keeps alive
  kind_ = kind::arrow;
  raw_ = true;
  return add_arrow_chunk(std::move(c), schema->format, what);
}

bool BinaryColumn::set_arrow_stream(PyObject* obj, const char* what) {
  PyObject* capsule = PyObject_CallMethod(obj, "__arrow_c_stream__", nullptr);
  if (capsule == nullptr) return false;
  owner_ = capsule;
  auto* stream =
      static_cast<arrow_c::ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
  if (stream == nullptr) return false;
  kind_ = kind::arrow;
  raw_ = true;
  arrow_c::ArrowSchema schema{};
  if (stream->get_schema(stream, &schema) != 0) {
    const char* e = stream->get_last_error(stream);
    return type_error(what, std::string("reading the Arrow stream's schema: ") + (e ? e : "?"));
  }
  std::string format = schema.format != nullptr ? schema.format : "";
  if (schema.release != nullptr) schema.release(&schema);
  while (true) {
    auto c = std::make_unique<ArrowChunk>();
    if (stream->get_next(stream, &c->owned) != 0) {
      const char* e = stream->get_last_error(stream);
      return type_error(what, std::string("reading the Arrow stream: ") + (e ? e : "?"));
    }
    if (c->owned.release == nullptr) break;  // the end of the stream
    c->owns = true;
    c->array = &c->owned;
    if (!add_arrow_chunk(std::move(c), format.c_str(), what)) return false;
  }
  return true;
}

std::optional<storage::bytes_view> BinaryColumn::at(size_t i) const {
  switch (kind_) {
    case kind::sequence: {
      const ItemView& v = items_[i];
      if (v.size == SIZE_MAX) return std::nullopt;
      return storage::bytes_view(v.data != nullptr ? v.data : empty_item, v.size);
    }
    case kind::fixed: {
      const uint8_t* p = base_ + static_cast<Py_ssize_t>(i) * stride_;
      size_t n = width_;
      if (strip_nuls_) {
        while (n > 0 && p[n - 1] == 0) --n;
      }
      return storage::bytes_view(n > 0 ? p : empty_item, n);
    }
    case kind::arrow: {
      size_t c = last_chunk_;
      if (i < chunk_start_[c] || i - chunk_start_[c] >= static_cast<size_t>(chunks_[c]->length)) {
        c = static_cast<size_t>(std::upper_bound(chunk_start_.begin(), chunk_start_.end(), i) -
                                chunk_start_.begin()) -
            1;
        // Empty chunks share their start with the next one: step over them.
        while (i - chunk_start_[c] >= static_cast<size_t>(chunks_[c]->length)) ++c;
        last_chunk_ = c;
      }
      const ArrowChunk& ch = *chunks_[c];
      int64_t j = static_cast<int64_t>(i - chunk_start_[c]) + ch.offset;
      if (ch.validity != nullptr && ((ch.validity[j >> 3] >> (j & 7)) & 1) == 0) {
        return std::nullopt;
      }
      int64_t s = ch.start(j);
      return storage::bytes_view(ch.data + s, static_cast<size_t>(ch.start(j + 1) - s));
    }
    case kind::none:
      break;
  }
  return std::nullopt;
}

PyObject* BinaryColumn::item_object(size_t i) const {
  if (kind_ == kind::sequence) {
    PyObject* o = PySequence_Fast_ITEMS(owner_)[i];
    Py_INCREF(o);
    return o;
  }
  auto v = at(i);
  if (!v) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize(reinterpret_cast<const char*>(v->data()),
                                   static_cast<Py_ssize_t>(v->size()));
}

}  // namespace shoal::bindings
