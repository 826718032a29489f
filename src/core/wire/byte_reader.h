// Bounds-checked big-endian reader/writer over byte spans. Every read checks
// the remaining length first and reports failure instead of reading past the
// end; nothing here ever reinterpret_casts packet bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace meridian::wire {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

  std::optional<uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return std::to_integer<uint8_t>(data_[pos_++]);
  }
  std::optional<uint16_t> u16() { return read_be<uint16_t>(); }
  std::optional<uint32_t> u32() { return read_be<uint32_t>(); }
  std::optional<uint64_t> u64() { return read_be<uint64_t>(); }
  // A view of the next n bytes, or nullopt if fewer remain.
  std::optional<std::span<const std::byte>> bytes(size_t n) {
    if (remaining() < n) return std::nullopt;
    auto view = data_.subspan(pos_, n);
    pos_ += n;
    return view;
  }

 private:
  template <typename T>
  std::optional<T> read_be() {
    if (remaining() < sizeof(T)) return std::nullopt;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v = static_cast<T>((v << 8) | std::to_integer<T>(data_[pos_ + i]));
    }
    pos_ += sizeof(T);
    return v;
  }

  std::span<const std::byte> data_;
  size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::byte>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(std::byte{v}); }
  void u16(uint16_t v) { write_be(v); }
  void u32(uint32_t v) { write_be(v); }
  void u64(uint64_t v) { write_be(v); }
  void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, std::byte{0}); }

 private:
  template <typename T>
  void write_be(T v) {
    for (size_t i = sizeof(T); i-- > 0;)
      out_.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
  }
  std::vector<std::byte>& out_;
};

}  // namespace meridian::wire
