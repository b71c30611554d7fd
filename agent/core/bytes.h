#pragma once
// A growable byte buffer that does not zero what it grows into: frames are appended straight into it.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

namespace sluice {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t capacity) { reserve(capacity); }
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }

  char* data() { return data_; }
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }

  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n <= cap_) return;
    char* p = static_cast<char*>(std::realloc(data_, n));
    if (p == nullptr) throw std::bad_alloc();
    data_ = p;
    cap_ = n;
  }
  // Returns room for `n` more bytes at the end; commit() them once written.
  char* prepare(size_t n) {
    if (size_ + n > cap_) reserve(std::max(size_ + n, cap_ * 2));
    return data_ + size_;
  }
  void commit(size_t n) { size_ += n; }
  void append(const char* p, size_t n) {
    if (n == 0) return;  // an empty buffer has no storage: memcpy(nullptr, p, 0) is undefined behaviour
    std::memcpy(prepare(n), p, n);
    size_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push(char c) { *prepare(1) = c; ++size_; }
  // Drops the first `n` bytes, moving the rest to the front.
  void consume(size_t n) {
    if (n >= size_) {
      size_ = 0;
      return;
    }
    std::memmove(data_, data_ + n, size_ - n);
    size_ -= n;
  }
  void resize(size_t n) {
    reserve(n);
    size_ = n;
  }
  // Gives memory back when a burst made the buffer much bigger than it usually needs to be.
  void shrinkTo(size_t capacity) {
    if (cap_ <= capacity || size_ > capacity) return;
    char* p = static_cast<char*>(std::realloc(data_, capacity));
    if (p != nullptr) {
      data_ = p;
      cap_ = capacity;
    }
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace sluice
