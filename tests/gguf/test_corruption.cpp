// Corruption tests for the GGUF reader: every header, KV-record and tensor-info field of
// real fixtures overwritten with boundary and random values, truncation at 200 offsets,
// and hand-crafted malformed files (spec §1.11). For each input the reader must either
// succeed (and then hand out only in-bounds, non-overlapping tensors) or throw
// hearth::Error with a one-line message that starts with the file name and names the
// field or tensor at fault — never crash, hang, or allocate memory out of proportion to
// the input. The test parses the fixtures' layout itself (independently of the reader).
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "test_support.h"

using namespace hearth;

// ---------------------------------------------------------------------------------------
// Allocation tracking: the global operator new of this test binary counts, on the thread
// that is parsing, the largest single allocation and the peak of live bytes.
namespace {
thread_local bool t_tracking = false;
thread_local size_t t_live = 0;
thread_local size_t t_peak = 0;
thread_local size_t t_largest = 0;

void* tracked_alloc(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (p && t_tracking) {
    const size_t sz = malloc_usable_size(p);
    t_live += sz;
    t_peak = std::max(t_peak, t_live);
    t_largest = std::max(t_largest, n);
  }
  return p;
}
void tracked_free(void* p) noexcept {
  if (!p) return;
  if (t_tracking) {
    const size_t sz = malloc_usable_size(p);
    t_live = t_live >= sz ? t_live - sz : 0;
  }
  std::free(p);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = tracked_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = tracked_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void operator delete(void* p) noexcept { tracked_free(p); }
void operator delete[](void* p) noexcept { tracked_free(p); }
void operator delete(void* p, size_t) noexcept { tracked_free(p); }
void operator delete[](void* p, size_t) noexcept { tracked_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { tracked_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { tracked_free(p); }

namespace {

// ---------------------------------------------------------------------------------------
// Watchdog: a parse that takes longer than the limit aborts the test binary naming the case
// (a hang must fail the test, not stall CI until its global timeout).
class Watchdog {
 public:
  Watchdog() : thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void arm(const std::string& what, std::chrono::seconds limit) {
    std::lock_guard lk(mu_);
    what_ = what;
    deadline_ = std::chrono::steady_clock::now() + limit;
    armed_ = true;
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard lk(mu_);
    armed_ = false;
  }

 private:
  void loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lk);
        continue;
      }
      const auto deadline = deadline_;
      if (cv_.wait_until(lk, deadline) == std::cv_status::timeout && armed_ && deadline_ == deadline) {
        std::fprintf(stderr, "FATAL: parsing did not finish within the time limit: %s\n", what_.c_str());
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  std::string what_;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

Watchdog& watchdog() {
  static Watchdog w;
  return w;
}

// Counters reported at the end of each test.
struct Stats {
  size_t cases = 0, parsed = 0, rejected = 0;
  double max_ms = 0;
  double max_alloc_ratio = 0;
  std::string slowest, hungriest;
};

// Per-parse limits. Generous enough for ASan on a loaded 2-core machine; a real hang or a
// 2^30-element reservation is orders of magnitude beyond them.
constexpr auto kParseTimeLimit = std::chrono::seconds(60);
size_t memory_limit(size_t input_size) { return 64 * input_size + (16u << 20); }

struct Outcome {
  std::optional<gguf::File> file;
  std::string error;  // empty on success
};

// Parses `bytes` under the watchdog and the allocation tracker; any exception other than
// hearth::Error, or an allocation out of proportion to the input, is a test failure.
Outcome parse(const std::vector<uint8_t>& bytes, const std::string& name, const std::string& what, Stats* stats) {
  Outcome out;
  watchdog().arm(what, kParseTimeLimit);
  const auto t0 = std::chrono::steady_clock::now();
  t_live = t_peak = t_largest = 0;
  t_tracking = true;
  try {
    out.file.emplace(gguf::File::parse({bytes.data(), bytes.size()}, name));
  } catch (const Error& e) {
    t_tracking = false;
    out.error = e.what();
    if (out.error.empty()) out.error = "(empty message)";
  } catch (const std::exception& e) {
    t_tracking = false;
    ADD_FAILURE() << what << ": threw a non-hearth exception: " << e.what();
    out.error = "(foreign exception)";
  }
  t_tracking = false;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  watchdog().disarm();
  const size_t limit = memory_limit(bytes.size());
  EXPECT_LE(t_largest, limit) << what << ": single allocation of " << t_largest << " bytes for a " << bytes.size()
                              << "-byte input";
  EXPECT_LE(t_peak, limit) << what << ": peak of " << t_peak << " live bytes for a " << bytes.size()
                           << "-byte input";
  if (stats) {
    ++stats->cases;
    ++(out.error.empty() ? stats->parsed : stats->rejected);
    if (ms > stats->max_ms) stats->max_ms = ms, stats->slowest = what;
    const double ratio = double(t_peak) / double(std::max<size_t>(bytes.size(), 64 << 10));  // tiny inputs: vs 64 KiB
    if (ratio > stats->max_alloc_ratio) stats->max_alloc_ratio = ratio, stats->hungriest = what;
  }
  return out;
}

// Every error message: one printable line, prefixed with the file name, of sane length.
void check_message(const std::string& msg, const std::string& name, const std::string& what) {
  EXPECT_EQ(msg.rfind(name + ": ", 0), 0u) << what << ": message does not start with the file name: " << msg;
  EXPECT_LE(msg.size(), 600u) << what << ": overlong message: " << msg.substr(0, 600);
  const bool printable = std::all_of(msg.begin(), msg.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; });
  EXPECT_TRUE(printable) << what << ": message has control or non-ASCII bytes: " << msg;
}

// A successful parse hands out only consistent, in-bounds, non-overlapping tensors.
void check_parsed(const gguf::File& f, const std::vector<uint8_t>& bytes, const std::string& what) {
  EXPECT_TRUE(f.version() == 2 || f.version() == 3) << what;
  const uint64_t al = f.alignment();
  EXPECT_TRUE(al != 0 && (al & (al - 1)) == 0) << what;
  EXPECT_LE(f.data_offset(), bytes.size()) << what;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& t : f.tensors()) {
    SCOPED_TRACE(what + ": tensor '" + t.name + "'");
    ASSERT_LE(t.n_dims, 4u);
    ASSERT_NE(ggml_type_info(static_cast<uint32_t>(t.type)), nullptr);
    unsigned __int128 n = 1;
    for (int64_t d : t.ne) {
      ASSERT_GE(d, 0);
      n *= static_cast<uint64_t>(d);
    }
    const auto& info = type_info(t.type);
    ASSERT_EQ(t.ne[0] % info.block_size, 0);
    ASSERT_TRUE(static_cast<unsigned __int128>(t.n_bytes) == n / info.block_size * info.type_size) << t.n_bytes;
    ASSERT_EQ(t.offset % al, 0u);
    const uint64_t start = static_cast<uint64_t>(t.data - bytes.data());
    ASSERT_EQ(start, f.data_offset() + t.offset);
    ASSERT_LE(t.n_bytes, bytes.size() - start);
    if (t.n_bytes) ranges.emplace_back(start, start + t.n_bytes);
    ASSERT_EQ(f.find_tensor(t.name), &t);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first) << what;
  for (const auto& kv : f.metadata()) {
    EXPECT_FALSE(kv.key.empty()) << what;
    EXPECT_EQ(f.find(kv.key), &kv.value) << what;
  }
}

// ---------------------------------------------------------------------------------------
// Independent layout parser for well-formed fixtures.

enum class Kind {
  Magic, Version, NTensors, NKv,                                 // header
  KeyLen, KeyBytes, ValueType, ElemType, ArrayCount, StrLen, ElemStrLen,  // KV records
  NameLen, NameBytes, NDims, Ne, TensorType, TensorOffset,       // tensor infos
};

struct Field {
  Kind kind;
  uint64_t offset;
  unsigned size;       // bytes overwritten: 1, 4 or 8
  std::string owner;   // key or tensor name
  int64_t index = -1;  // KV / tensor index
  int64_t sub = -1;    // ne dimension, array element
  std::string label;   // for messages
};

struct Tensor {
  std::string name;
  uint32_t n_dims;
  std::array<int64_t, 4> ne{1, 1, 1, 1};
  uint32_t type;
  uint64_t offset;
  uint64_t ne_at[4]{};  // file offsets of the fields
  uint64_t type_at = 0, offset_at = 0;
};

struct Layout {
  std::vector<Field> fields;
  std::vector<Tensor> tensors;
  uint64_t n_kv = 0;
  uint64_t kv_begin = 24, infos_begin = 0, infos_end = 0, data_offset = 0, data_end = 0;
};

template <typename T>
T load(const std::vector<uint8_t>& b, uint64_t at) {
  if (at + sizeof(T) > b.size()) throw std::runtime_error("fixture layout: read past the end");
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

uint64_t elem_size(int32_t t) {
  switch (t) {
    case 0: case 1: case 7: return 1;
    case 2: case 3: return 2;
    case 4: case 5: case 6: return 4;
    case 10: case 11: case 12: return 8;
    default: throw std::runtime_error("fixture layout: unexpected element type");
  }
}

// Array string elements whose length field is mutated: the first few, the last, and some
// random ones (all 32000 would make the test too slow under ASan without finding more).
std::set<uint64_t> sampled_elements(uint64_t count, std::mt19937_64& rng) {
  std::set<uint64_t> s;
  for (uint64_t i = 0; i < std::min<uint64_t>(count, 3); ++i) s.insert(i);
  if (count) s.insert(count - 1);
  for (int k = 0; k < 4 && count; ++k) s.insert(rng() % count);
  return s;
}

Layout parse_layout(const std::vector<uint8_t>& b, std::mt19937_64& rng) {
  Layout L;
  auto add = [&](Kind k, uint64_t at, unsigned size, std::string owner, int64_t index, int64_t sub, std::string label) {
    L.fields.push_back({k, at, size, std::move(owner), index, sub, std::move(label)});
  };
  add(Kind::Magic, 0, 4, "", -1, -1, "magic");
  add(Kind::Version, 4, 4, "", -1, -1, "version");
  add(Kind::NTensors, 8, 8, "", -1, -1, "n_tensors");
  add(Kind::NKv, 16, 8, "", -1, -1, "n_kv");
  const uint64_t n_tensors = load<uint64_t>(b, 8);
  L.n_kv = load<uint64_t>(b, 16);
  uint64_t pos = 24;
  for (uint64_t i = 0; i < L.n_kv; ++i) {
    const auto ii = static_cast<int64_t>(i);
    const uint64_t klen = load<uint64_t>(b, pos);
    const std::string key(reinterpret_cast<const char*>(b.data() + pos + 8), klen);
    add(Kind::KeyLen, pos, 8, key, ii, -1, "key length of '" + key + "'");
    add(Kind::KeyBytes, pos + 8, 1, key, ii, 0, "first key byte of '" + key + "'");
    add(Kind::KeyBytes, pos + 8 + klen - 1, 1, key, ii, 1, "last key byte of '" + key + "'");
    pos += 8 + klen;
    const int32_t type = load<int32_t>(b, pos);
    add(Kind::ValueType, pos, 4, key, ii, -1, "value type of '" + key + "'");
    pos += 4;
    if (type == 8) {
      add(Kind::StrLen, pos, 8, key, ii, -1, "string length of '" + key + "'");
      pos += 8 + load<uint64_t>(b, pos);
    } else if (type == 9) {
      const int32_t et = load<int32_t>(b, pos);
      add(Kind::ElemType, pos, 4, key, ii, -1, "element type of '" + key + "'");
      add(Kind::ArrayCount, pos + 4, 8, key, ii, -1, "array count of '" + key + "'");
      const uint64_t count = load<uint64_t>(b, pos + 4);
      pos += 12;
      if (et == 8) {
        const auto sample = sampled_elements(count, rng);
        for (uint64_t j = 0; j < count; ++j) {
          if (sample.count(j))
            add(Kind::ElemStrLen, pos, 8, key, ii, static_cast<int64_t>(j),
                "length of element " + std::to_string(j) + " of '" + key + "'");
          pos += 8 + load<uint64_t>(b, pos);
        }
      } else {
        pos += count * elem_size(et);
      }
    } else {
      pos += elem_size(type);
    }
  }
  L.infos_begin = pos;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    const auto ii = static_cast<int64_t>(i);
    Tensor t;
    const uint64_t nlen = load<uint64_t>(b, pos);
    t.name.assign(reinterpret_cast<const char*>(b.data() + pos + 8), nlen);
    add(Kind::NameLen, pos, 8, t.name, ii, -1, "name length of tensor '" + t.name + "'");
    add(Kind::NameBytes, pos + 8, 1, t.name, ii, 0, "first name byte of tensor '" + t.name + "'");
    pos += 8 + nlen;
    t.n_dims = load<uint32_t>(b, pos);
    add(Kind::NDims, pos, 4, t.name, ii, -1, "n_dims of tensor '" + t.name + "'");
    pos += 4;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      t.ne[d] = load<int64_t>(b, pos);
      t.ne_at[d] = pos;
      add(Kind::Ne, pos, 8, t.name, ii, d, "ne[" + std::to_string(d) + "] of tensor '" + t.name + "'");
      pos += 8;
    }
    t.type = load<uint32_t>(b, pos);
    t.type_at = pos;
    add(Kind::TensorType, pos, 4, t.name, ii, -1, "type of tensor '" + t.name + "'");
    pos += 4;
    t.offset = load<uint64_t>(b, pos);
    t.offset_at = pos;
    add(Kind::TensorOffset, pos, 8, t.name, ii, -1, "offset of tensor '" + t.name + "'");
    pos += 8;
    L.tensors.push_back(std::move(t));
  }
  L.infos_end = pos;
  L.data_offset = n_tensors ? (pos + 31) / 32 * 32 : pos;  // the fixtures use the default alignment
  L.data_end = L.data_offset;
  for (const auto& t : L.tensors) {
    const auto& info = *ggml_type_info(t.type);
    const uint64_t nb = static_cast<uint64_t>(t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3]) / info.block_size * info.type_size;
    L.data_end = std::max(L.data_end, L.data_offset + t.offset + nb);
  }
  return L;
}

// What the reader must do with a tensor table whose fields were edited in place (ne, type
// and offset edits do not move anything else): nullopt = accept, else a reason.
std::optional<std::string> predict_tensors(const std::vector<Tensor>& ts, uint64_t data_offset, uint64_t file_size) {
  struct R {
    unsigned __int128 start, end;
  };
  std::vector<R> rs;
  for (const auto& t : ts) {
    for (uint32_t d = 0; d < t.n_dims; ++d)
      if (t.ne[d] < 0) return "negative";
    const GgmlTypeInfo* info = ggml_type_info(t.type);
    if (!info) return "type";
    unsigned __int128 nonzero = 1;  // product of the non-zero dimensions
    bool any_zero = false;
    for (int64_t d : t.ne) {
      if (d == 0) any_zero = true;
      else nonzero *= static_cast<uint64_t>(d);
      if (nonzero > static_cast<unsigned __int128>(INT64_MAX)) return "too many elements";
    }
    if (t.ne[0] % info->block_size) return "not a multiple";
    const unsigned __int128 n = any_zero ? 0 : nonzero;
    const unsigned __int128 nb = n / info->block_size * info->type_size;
    if (nb > static_cast<unsigned __int128>(INT64_MAX)) return "overflows";
    if (t.offset % 32) return "alignment";
    const unsigned __int128 start = static_cast<unsigned __int128>(data_offset) + t.offset;
    if (start + nb > file_size) return "ends past the file";
    if (nb) rs.push_back({start, start + nb});
  }
  std::sort(rs.begin(), rs.end(), [](const R& a, const R& b) { return a.start < b.start; });
  for (size_t i = 1; i < rs.size(); ++i)
    if (rs[i].start < rs[i - 1].end) return "overlaps";
  return std::nullopt;
}

void store(std::vector<uint8_t>& b, uint64_t at, uint64_t v, unsigned size) { std::memcpy(b.data() + at, &v, size); }
uint64_t fetch(const std::vector<uint8_t>& b, uint64_t at, unsigned size) {
  uint64_t v = 0;
  std::memcpy(&v, b.data() + at, size);
  return v;
}

// Boundary and random replacement values for a field currently holding `orig`.
std::vector<uint64_t> values_for(const Field& f, uint64_t orig, uint64_t file_size, std::mt19937_64& rng) {
  std::set<uint64_t> v;
  const uint64_t mask = f.size == 8 ? ~0ull : (1ull << (8 * f.size)) - 1;
  if (f.size == 1) {
    for (uint64_t x : std::initializer_list<uint64_t>{0x00ull, 0x01ull, 0x7full, 0x80ull, 0xffull, uint64_t('.'), uint64_t('G')}) v.insert(x);
    v.insert(rng() & 0xff);
  } else {
    for (uint64_t x : std::initializer_list<uint64_t>{0ull, 1ull, 2ull, 3ull, 7ull, 63ull, 64ull, 1ull << 16, 1ull << 30, (1ull << 30) + 1,
                       1ull << 31, (1ull << 31) + 1, 0xffffffffull, 0xfffffffeull, 0x7fffffffull})
      v.insert(x & mask);
    if (f.size == 8) {
      for (uint64_t x : std::initializer_list<uint64_t>{1ull << 32, 1ull << 62, 1ull << 63, (1ull << 63) + 1, ~0ull, ~0ull - 1,
                         uint64_t(INT64_MAX), uint64_t(INT64_MAX) - 1, file_size, file_size - f.offset,
                         file_size - f.offset - 7, file_size + 1})
        v.insert(x);
    }
    for (uint64_t x : std::initializer_list<uint64_t>{orig + 1, orig - 1, orig * 2, orig | 1, orig + 32, orig ^ (1ull << (rng() % (8 * f.size)))})
      v.insert(x & mask);
    v.insert(rng() & mask);
    v.insert(rng() & mask);
    v.insert(rng() % 4096);
    // Type-like fields: every id around the valid range.
    if (f.kind == Kind::ValueType || f.kind == Kind::ElemType)
      for (uint64_t x = 0; x <= 13; ++x) v.insert(x);
    if (f.kind == Kind::TensorType) {
      if (f.index < 2) {
        for (uint64_t x = 0; x <= 44; ++x) v.insert(x);
      } else {
        for (uint64_t x : {0, 1, 2, 4, 5, 8, 12, 14, 15, 30, 31, 32, 33, 36, 38, 39, 42, 43, 44}) v.insert(x);
      }
    }
    if (f.kind == Kind::NDims)
      for (uint64_t x = 0; x <= 6; ++x) v.insert(x);
  }
  v.erase(orig & mask);
  return {v.begin(), v.end()};
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Runs every field mutation of one fixture and checks each outcome.
Stats mutate_fields(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const std::string text = test::read_file(path);
  std::vector<uint8_t> bytes(text.begin(), text.end());
  const uint64_t size = bytes.size();
  std::mt19937_64 rng(0x9e3779b97f4a7c15ull);
  const Layout L = parse_layout(bytes, rng);
  Stats st;

  // The pristine file parses and our layout agrees with the reader.
  {
    auto o = parse(bytes, name, "pristine " + name, &st);
    EXPECT_EQ(o.error, "");
    if (!o.file) return st;
    EXPECT_EQ(o.file->metadata().size(), L.n_kv);
    EXPECT_EQ(o.file->tensors().size(), L.tensors.size());
    EXPECT_EQ(o.file->data_offset(), L.data_offset);
  }

  for (const Field& f : L.fields) {
    const uint64_t orig = fetch(bytes, f.offset, f.size);
    const uint64_t left = size - (f.offset + f.size);  // bytes after the field
    for (uint64_t v : values_for(f, orig, size, rng)) {
      const std::string what = name + ": " + f.label + " @" + hex(f.offset) + " = " + hex(v);
      store(bytes, f.offset, v, f.size);
      // Expectations: must the parse fail, and what must its message contain?
      bool must_fail = false, must_pass = false;
      std::vector<std::string> mention;  // all required when it fails
      const auto sv = static_cast<int64_t>(v);
      const auto sv32 = static_cast<int32_t>(static_cast<uint32_t>(v));
      switch (f.kind) {
        case Kind::Magic:
          must_fail = true;
          mention = {"magic"};
          break;
        case Kind::Version:
          must_fail = v != 2 && v != 3;
          mention = {"version"};
          if (v == 2) must_pass = true;
          break;
        case Kind::NTensors:
          if (sv < 0 || static_cast<uint64_t>(sv) > (size - 24) / 24) must_fail = true, mention = {"tensor count"};
          break;
        case Kind::NKv:
          if (sv < 0 || static_cast<uint64_t>(sv) > (size - 24) / 12) must_fail = true, mention = {"metadata count"};
          break;
        case Kind::KeyLen:
          if (v == 0) must_fail = true, mention = {"metadata entry " + std::to_string(f.index) + " "};
          if (v > left || v > (1ull << 30))
            must_fail = true, mention = {"key of metadata entry " + std::to_string(f.index) + " "};
          break;
        case Kind::KeyBytes:
          must_pass = true;  // another (unique) key of the same length
          break;
        case Kind::ValueType:
          if (sv32 < 0 || sv32 > 12) must_fail = true, mention = {"'" + f.owner + "'", "type"};
          break;
        case Kind::ElemType:
          if (sv32 < 0 || sv32 > 12) must_fail = true, mention = {"'" + f.owner + "'", "element type"};
          break;
        case Kind::ArrayCount: {
          const int32_t et = load<int32_t>(bytes, f.offset - 4);
          const uint64_t min = et == 8 ? 8 : elem_size(et);
          if (v > (1ull << 30) || v > left / min) must_fail = true, mention = {"'" + f.owner + "'"};
          break;
        }
        case Kind::StrLen:
          if (v > left || v > (1ull << 30)) must_fail = true, mention = {"value of key '" + f.owner + "'"};
          break;
        case Kind::ElemStrLen:
          if (v > left || v > (1ull << 30))
            must_fail = true, mention = {"element " + std::to_string(f.sub) + " of key '" + f.owner + "'"};
          break;
        case Kind::NameLen:
          if (v == 0 || v > 63 || v > left) must_fail = true, mention = {"tensor " + std::to_string(f.index) + " "};
          break;
        case Kind::NameBytes:
          must_pass = true;  // names differ from each other in more than the first byte
          break;
        case Kind::NDims:
          if (v > 4) must_fail = true, mention = {"'" + f.owner + "'", "n_dims"};
          break;
        case Kind::Ne:
        case Kind::TensorType:
        case Kind::TensorOffset: {
          // Nothing moves: the outcome is fully predictable.
          std::vector<Tensor> ts = L.tensors;
          Tensor& t = ts[static_cast<size_t>(f.index)];
          if (f.kind == Kind::Ne) t.ne[static_cast<size_t>(f.sub)] = sv;
          if (f.kind == Kind::TensorType) t.type = static_cast<uint32_t>(v);
          if (f.kind == Kind::TensorOffset) t.offset = v;
          const auto reason = predict_tensors(ts, L.data_offset, size);
          if (reason) {
            must_fail = true;
            mention = {"'" + f.owner + "'", *reason};
          } else {
            must_pass = true;
          }
          break;
        }
      }
      Outcome o = parse(bytes, name, what, &st);
      if (o.error.empty()) {
        EXPECT_FALSE(must_fail) << what << ": accepted, expected an error mentioning "
                                << (mention.empty() ? "" : mention[0]);
        if (o.file) check_parsed(*o.file, bytes, what);
      } else {
        EXPECT_FALSE(must_pass) << what << ": rejected: " << o.error;
        check_message(o.error, name, what);
        if (must_fail) {
          for (const auto& m : mention) EXPECT_NE(o.error.find(m), std::string::npos) << what << ": " << o.error;
        }
      }
      store(bytes, f.offset, orig, f.size);
    }
  }

  // A few hundred random multi-byte overwrites anywhere before the tensor data.
  for (int k = 0; k < 300; ++k) {
    const uint64_t at = rng() % std::max<uint64_t>(L.infos_end, 1);
    const unsigned len = 1 + static_cast<unsigned>(rng() % 8);
    if (at + len > size) continue;
    std::vector<uint8_t> saved(bytes.begin() + static_cast<ptrdiff_t>(at),
                               bytes.begin() + static_cast<ptrdiff_t>(at + len));
    for (unsigned i = 0; i < len; ++i) bytes[at + i] = static_cast<uint8_t>(rng());
    const std::string what = name + ": " + std::to_string(len) + " random bytes @" + hex(at);
    Outcome o = parse(bytes, name, what, &st);
    if (o.error.empty()) {
      if (o.file) check_parsed(*o.file, bytes, what);
    } else {
      check_message(o.error, name, what);
    }
    std::copy(saved.begin(), saved.end(), bytes.begin() + static_cast<ptrdiff_t>(at));
  }
  return st;
}

// Truncation at `n_cuts` offsets spread over the whole file, with extra weight on the
// header, every KV record and tensor-info boundary region, and the data.
Stats truncate_file(const std::filesystem::path& path, size_t n_cuts) {
  const std::string name = path.filename().string();
  const std::string text = test::read_file(path);
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  const uint64_t size = bytes.size();
  std::mt19937_64 rng(12345);
  const Layout L = parse_layout(bytes, rng);

  std::set<uint64_t> cuts;
  // Header: every byte boundary.
  for (uint64_t i = 0; i <= 24 && i < size; ++i) cuts.insert(i);
  // Field boundaries: at, at + 1, and mid-field, for a sample of fields.
  const size_t field_quota = n_cuts * 45 / 100;
  std::vector<uint64_t> field_cuts;
  for (const auto& f : L.fields) {
    if (f.offset < 24) continue;
    field_cuts.insert(field_cuts.end(), {f.offset, f.offset + 1, f.offset + f.size / 2});
  }
  std::shuffle(field_cuts.begin(), field_cuts.end(), rng);
  for (uint64_t c : field_cuts) {
    if (cuts.size() >= 25 + field_quota) break;
    if (c < size) cuts.insert(c);
  }
  // Section ends and starts.
  for (uint64_t c : {L.infos_begin - 1, L.infos_begin, L.infos_end - 1, L.infos_end, L.data_offset - 1,
                     L.data_offset, L.data_offset + 1, L.data_end - 1, L.data_end, size - 1})
    if (c < size) cuts.insert(c);
  // The rest evenly over the whole file (data included).
  const size_t rest = n_cuts > cuts.size() ? n_cuts - cuts.size() : 0;
  for (size_t i = 0; i < rest; ++i) cuts.insert((size - 1) * (i + 1) / (rest + 1));
  while (cuts.size() < n_cuts) cuts.insert(rng() % size);

  Stats st;
  for (uint64_t cut : cuts) {
    // A separate exact-size allocation, so that ASan flags any read past the cut.
    const std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
    const std::string what = name + " truncated to " + std::to_string(cut) + " bytes";
    Outcome o = parse(part, name, what, &st);
    // Only the zero padding after the last tensor's data may go missing.
    if (cut < L.data_end) {
      EXPECT_NE(o.error, "") << what << ": accepted";
    }
    if (!o.error.empty()) {
      check_message(o.error, name, what);
      const bool says_short = o.error.find("truncated") != std::string::npos ||
                              o.error.find("remain") != std::string::npos ||
                              o.error.find("does not fit") != std::string::npos ||
                              o.error.find("impossible") != std::string::npos ||
                              o.error.find("past the end") != std::string::npos ||
                              o.error.find("ends past the file") != std::string::npos;
      EXPECT_TRUE(says_short) << what << ": " << o.error;
      if (cut < L.infos_end && cut >= 24) {
        EXPECT_EQ(o.error.find("ends past the file"), std::string::npos) << what << ": " << o.error;
      }
    } else if (o.file) {
      check_parsed(*o.file, part, what);
    }
  }
  EXPECT_EQ(st.cases, n_cuts);
  return st;
}

void report(const char* test, const Stats& st) {
  std::printf("[ stats    ] %s: %zu cases, %zu parsed, %zu rejected cleanly\n", test, st.cases, st.parsed,
              st.rejected);
  std::printf("[ stats    ]   slowest parse %.1f ms (%s)\n", st.max_ms, st.slowest.c_str());
  std::printf("[ stats    ]   most memory %.1fx the input (%s)\n", st.max_alloc_ratio, st.hungriest.c_str());
}

std::filesystem::path model_fixture() { return test::model_path("tiny-llama-spm.Q4_K_M.gguf"); }
std::filesystem::path vocab_fixture() { return test::shared_dir() / "tokenizer" / "ggml-vocab-llama-spm.gguf"; }

}  // namespace

TEST(GgufCorruption, LayoutParserFindsEveryField) {
  const std::string text = test::read_file(model_fixture());
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  std::mt19937_64 rng(1);
  const Layout L = parse_layout(bytes, rng);
  auto f = gguf::File::open(model_fixture());
  ASSERT_EQ(L.tensors.size(), f.tensors().size());
  for (size_t i = 0; i < L.tensors.size(); ++i) {
    EXPECT_EQ(L.tensors[i].name, f.tensors()[i].name);
    EXPECT_EQ(L.tensors[i].offset, f.tensors()[i].offset);
    EXPECT_EQ(L.tensors[i].ne, f.tensors()[i].ne);
  }
  size_t per_kind[17] = {};
  for (const auto& fl : L.fields) ++per_kind[static_cast<int>(fl.kind)];
  EXPECT_EQ(per_kind[static_cast<int>(Kind::KeyLen)], f.metadata().size());
  EXPECT_EQ(per_kind[static_cast<int>(Kind::TensorOffset)], f.tensors().size());
  EXPECT_EQ(L.data_end, bytes.size());  // no trailing padding in this fixture after the last tensor
}

TEST(GgufCorruption, EveryFieldOfModelFixture) {
  const Stats st = mutate_fields(model_fixture());
  report("model fields", st);
  EXPECT_GT(st.cases, 2000u);
  EXPECT_GT(st.parsed, 0u);
  EXPECT_GT(st.rejected, 0u);
}

TEST(GgufCorruption, EveryFieldOfVocabFixture) {
  const Stats st = mutate_fields(vocab_fixture());
  report("vocab fields", st);
  EXPECT_GT(st.cases, 500u);
}

TEST(GgufCorruption, TruncatedModelFixture) { report("model truncation", truncate_file(model_fixture(), 200)); }

TEST(GgufCorruption, TruncatedVocabFixture) { report("vocab truncation", truncate_file(vocab_fixture(), 60)); }

// ---------------------------------------------------------------------------------------
// Hand-crafted files.
namespace {

class Bytes {
 public:
  // resize + memcpy rather than insert(): GCC 12 at -O3 warns (falsely) on small inserts.
  Bytes& append(const void* p, size_t n) {
    const size_t old = b_.size();
    b_.resize(old + n);
    if (n) std::memcpy(b_.data() + old, p, n);
    return *this;
  }
  Bytes& raw(std::string_view s) { return append(s.data(), s.size()); }
  template <typename T>
  Bytes& put(T v) {
    return append(&v, sizeof(T));
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& i32(int32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& i64(int64_t v) { return put(v); }
  Bytes& str(std::string_view s) { return u64(s.size()).raw(s); }
  Bytes& header(int64_t n_tensors, int64_t n_kv, uint32_t version = 3) {
    return raw("GGUF").u32(version).i64(n_tensors).i64(n_kv);
  }
  Bytes& kv_u32(std::string_view key, uint32_t v) { return str(key).i32(4).u32(v); }
  Bytes& kv_str(std::string_view key, std::string_view v) { return str(key).i32(8).str(v); }
  Bytes& tensor(std::string_view name, std::vector<int64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (int64_t d : ne) i64(d);
    return u32(type).u64(offset);
  }
  Bytes& pad(uint64_t alignment) {
    while (b_.size() % alignment) b_.push_back(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b_.resize(b_.size() + n, 0);
    return *this;
  }
  Bytes& zeros_to(size_t size) {
    if (b_.size() < size) b_.resize(size, 0);
    return *this;
  }
  size_t size() const { return b_.size(); }
  const std::vector<uint8_t>& bytes() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

// Parses (all the robustness checks apply) and returns the error, "" on success.
std::string error_of(const std::vector<uint8_t>& b, const std::string& what = "hand-crafted file") {
  Outcome o = parse(b, "model.gguf", what, nullptr);
  if (!o.error.empty()) check_message(o.error, "model.gguf", what);
  if (o.file) check_parsed(*o.file, b, what);
  return o.error;
}

gguf::File parse_ok(const Bytes& b) {
  try {
    return gguf::File::parse({b.bytes().data(), b.size()}, "model.gguf");
  } catch (const Error& e) {
    ADD_FAILURE() << "rejected: " << e.what();
    throw;
  }
}

#define EXPECT_REJECTED(file, ...)                                                         \
  do {                                                                                     \
    const std::string err_ = error_of((file).bytes());                                     \
    EXPECT_NE(err_, "") << "accepted";                                                     \
    for (const std::string& needle_ : std::initializer_list<std::string>{__VA_ARGS__})     \
      EXPECT_NE(err_.find(needle_), std::string::npos) << "'" << needle_ << "' not in: " << err_; \
  } while (0)

// One F32 tensor of 32 floats, packed: a minimal valid file around `kvs`.
Bytes with_one_tensor(const std::function<void(Bytes&)>& kvs, int64_t n_kv) {
  Bytes b;
  b.header(1, n_kv);
  kvs(b);
  b.tensor("w", {32}, 0, 0).pad(32).zeros(128);
  return b;
}

}  // namespace

TEST(GgufHandCrafted, TinyAndEmptyInputs) {
  EXPECT_REJECTED(Bytes(), "magic", "truncated");
  EXPECT_REJECTED(Bytes().raw("GGU"), "magic");
  EXPECT_REJECTED(Bytes().raw("GGUF"), "version");
  EXPECT_REJECTED(Bytes().raw("GGUF").u32(3).u32(0), "tensor count");
  EXPECT_REJECTED(Bytes().raw("GGML").u32(3).i64(0).i64(0), "not a GGUF file");
  // The smallest valid file: a header and nothing else.
  auto f = parse_ok(Bytes().header(0, 0));
  EXPECT_EQ(f.tensors().size(), 0u);
  EXPECT_EQ(f.data_offset(), 24u);
}

TEST(GgufHandCrafted, Versions) {
  EXPECT_REJECTED(Bytes().header(0, 0, 1), "version 1");
  EXPECT_REJECTED(Bytes().header(0, 0, 4), "version 4");
  EXPECT_REJECTED(Bytes().header(0, 0, 0), "version 0");
  EXPECT_REJECTED(Bytes().header(0, 0, 0xffffffffu), "version");
  // Big-endian (byte-swapped) file: version 3 reads as 0x03000000, counts are swapped too.
  Bytes be;
  be.raw("GGUF").u32(0x03000000u).i64(int64_t(0x0100000000000000)).i64(0);
  EXPECT_REJECTED(be, "byte-swapped", "big-endian");
  EXPECT_REJECTED(Bytes().header(0, 0, 0x02000000u), "big-endian");
  EXPECT_EQ(parse_ok(Bytes().header(0, 0, 2)).version(), 2u);
}

TEST(GgufHandCrafted, Counts) {
  EXPECT_REJECTED(Bytes().header(-1, 0), "tensor count -1");
  EXPECT_REJECTED(Bytes().header(0, -1), "metadata count -1");
  EXPECT_REJECTED(Bytes().header(INT64_MAX, 0), "tensor count");
  EXPECT_REJECTED(Bytes().header(0, INT64_MAX), "metadata count");
  EXPECT_REJECTED(Bytes().header(INT64_MIN, INT64_MIN), "tensor count");
  EXPECT_REJECTED(Bytes().header(0, 1).zeros(12), "empty key");  // 12 zero bytes: key length 0
  EXPECT_REJECTED(Bytes().header(0, 2).kv_u32("a", 1).zeros(8), "metadata entry 1", "empty key");
  EXPECT_REJECTED(Bytes().header(0, 2).kv_u32("a", 1), "metadata count 2 is impossible");
}

TEST(GgufHandCrafted, DuplicateAndEmptyKeys) {
  EXPECT_REJECTED(Bytes().header(0, 2).kv_u32("general.x", 1).kv_str("general.x", "y"), "duplicate", "'general.x'");
  EXPECT_REJECTED(Bytes().header(0, 1).kv_u32("", 1), "empty key", "entry 0");
  EXPECT_REJECTED(Bytes().header(0, 2).kv_u32("k", 1).kv_u32("", 1), "empty key", "entry 1");
  // Keys from the file are escaped and cut in messages.
  const std::string odd("a\x01\xff\n", 4);
  const std::string err = error_of(Bytes().header(0, 2).kv_u32(odd, 1).kv_u32(odd, 2).bytes());
  EXPECT_NE(err.find("a\\x01\\xff\\x0a"), std::string::npos) << err;
  const std::string long_key(100000, 'k');
  const std::string err2 = error_of(Bytes().header(0, 2).kv_u32(long_key, 1).kv_u32(long_key, 2).bytes());
  EXPECT_NE(err2.find("duplicate"), std::string::npos) << err2.substr(0, 300);
  EXPECT_LT(err2.size(), 300u);
}

TEST(GgufHandCrafted, ValueTypesAndLengths) {
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(13).u32(0), "'k'", "invalid value type 13");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(-1).u32(0), "'k'", "invalid value type -1");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(13).u64(0), "'k'", "element type 13");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(-5).u64(0), "'k'", "element type -5");
  // Lengths and counts beyond the file or the limits.
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(8).u64((1ull << 30) + 1).zeros(16), "'k'", "limit");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(8).u64(17).zeros(16), "'k'", "remain");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(8).u64(~0ull), "'k'");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(0).u64((1ull << 30) + 1).zeros(64), "'k'", "does not fit");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(4).u64(5).zeros(16), "'k'", "does not fit");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(8).u64(3).u64(0).u64(0), "'k'", "does not fit");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(8).u64(2).u64(0).u64(100).raw("abc").zeros(12),
                  "element 1 of key 'k'");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(8).u64(~0ull), "'k'");
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(4).u8(1), "value of key 'k'", "truncated");
  EXPECT_REJECTED(Bytes().header(0, 1).str("key").u8(4), "value type of key 'key'", "truncated");
  // Every scalar type, an empty string, an empty array, and a non-0/1 bool (read as true).
  Bytes b;
  b.header(0, 15)
      .str("u8").i32(0).u8(200)
      .str("i8").i32(1).u8(0x80)
      .str("u16").i32(2).put<uint16_t>(65535)
      .str("i16").i32(3).put<int16_t>(-2)
      .str("u32").i32(4).u32(7)
      .str("i32").i32(5).i32(-7)
      .str("f32").i32(6).put<float>(1.5f)
      .str("bool").i32(7).u8(2)
      .str("str").i32(8).str("")
      .str("arr").i32(9).i32(5).u64(0)
      .str("u64").i32(10).u64(~0ull)
      .str("i64").i32(11).i64(INT64_MIN)
      .str("f64").i32(12).put<double>(-0.25)
      .str("strs").i32(9).i32(8).u64(2).str("a").str("")
      .str("bools").i32(9).i32(7).u64(3).u8(0).u8(1).u8(255);
  auto f = parse_ok(b);
  EXPECT_EQ(f.get<uint8_t>("u8"), 200);
  EXPECT_EQ(f.get<int8_t>("i8"), -128);
  EXPECT_EQ(f.get<uint16_t>("u16"), 65535);
  EXPECT_EQ(f.get<int16_t>("i16"), -2);
  EXPECT_EQ(f.get<int32_t>("i32"), -7);
  EXPECT_EQ(f.get<float>("f32"), 1.5f);
  EXPECT_EQ(f.get<bool>("bool"), true);
  EXPECT_EQ(f.get<std::string>("str"), "");
  EXPECT_TRUE(f.get_array<int32_t>("arr").empty());
  EXPECT_EQ(f.get<uint64_t>("u64"), ~0ull);
  EXPECT_EQ(f.get<int64_t>("i64"), INT64_MIN);
  EXPECT_EQ(f.get<double>("f64"), -0.25);
  EXPECT_EQ(f.get_array<std::string>("strs"), (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(f.get_array<bool>("bools"), (std::vector<bool>{false, true, true}));
  EXPECT_THROW((void)f.get_int("u64"), Error);  // 2^64-1 does not fit int64
  EXPECT_EQ(f.get_int("u8"), 200);
}

TEST(GgufHandCrafted, NestedArrays) {
  // ARRAY[ARRAY[INT32]] is read (the ggml C reader refuses it; gguf-py can write it).
  Bytes b;
  b.header(0, 1).str("nested").i32(9).i32(9).u64(2);
  b.i32(5).u64(2).i32(1).i32(2);
  b.i32(5).u64(1).i32(3);
  auto f = parse_ok(b);
  const auto& outer = f.get_array_value("nested");
  ASSERT_EQ(outer.elem_type, gguf::ValueType::ARRAY);
  ASSERT_EQ(outer.items.size(), 2u);
  const auto& in0 = std::get<gguf::Array>(outer.items[0].data);
  EXPECT_EQ(in0.elem_type, gguf::ValueType::INT32);
  EXPECT_EQ(in0.items.size(), 2u);
  EXPECT_EQ(f.find("nested")->type_name(), "ARRAY[ARRAY]");

  // Nesting depth: 8 levels are read, 9 are refused naming the key.
  auto nested = [](int levels) {
    Bytes n;
    n.header(0, 1).str("deep").i32(9);
    for (int i = 0; i < levels - 1; ++i) n.i32(9).u64(1);
    n.i32(4).u64(1).u32(42);
    return n;
  };
  EXPECT_EQ(error_of(nested(8).bytes()), "");
  EXPECT_REJECTED(nested(9), "'deep[0][0][0][0][0][0][0][0]'", "nested");
  // A bad element type inside a nested array names the element.
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(9).u64(1).i32(77).u64(0), "'k[0]'", "element type 77");
  // Inner counts are bounded by the bytes left too.
  EXPECT_REJECTED(Bytes().header(0, 1).str("k").i32(9).i32(9).u64(1).i32(10).u64(1ull << 29), "'k[0]'",
                  "does not fit");
}

TEST(GgufHandCrafted, GeneralAlignment) {
  auto kv = [](std::function<void(Bytes&)> value) {
    return with_one_tensor([&](Bytes& b) { value(b.str("general.alignment")); }, 1);
  };
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(10).u64(32); }), "general.alignment", "UINT64", "UINT32");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(5).i32(32); }), "general.alignment", "INT32");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(8).str("32"); }), "general.alignment", "STRING");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(9).i32(4).u64(1).u32(32); }), "general.alignment", "ARRAY[UINT32]");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(4).u32(0); }), "general.alignment = 0", "power of two");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(4).u32(3); }), "general.alignment = 3", "power of two");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(4).u32(48); }), "general.alignment = 48");
  EXPECT_REJECTED(kv([](Bytes& b) { b.i32(4).u32(0x80000001u); }), "power of two");
  // 1 and 64 are accepted; with 64 the data section starts at the next multiple of 64.
  for (uint32_t al : {1u, 2u, 32u, 64u}) {
    Bytes b;
    b.header(1, 1).kv_u32("general.alignment", al).tensor("w", {32}, 0, 0).pad(al).zeros(128);
    auto f = parse_ok(b);
    EXPECT_EQ(f.alignment(), al);
    EXPECT_EQ(f.data_offset() % al, 0u);
    EXPECT_EQ(f.data_offset() + 128, b.size());
  }
  // Under alignment 64 an offset of 32 is misaligned.
  Bytes m;
  m.header(2, 1).kv_u32("general.alignment", 64).tensor("a", {8}, 0, 0).tensor("b", {8}, 0, 32).pad(64).zeros(128);
  EXPECT_REJECTED(m, "'b'", "0x20", "alignment 64");
  // A very large alignment puts the data section past the end of the file.
  Bytes big;
  big.header(1, 1).kv_u32("general.alignment", 1u << 31).tensor("w", {32}, 0, 0).zeros(128);
  EXPECT_REJECTED(big, "data section", "past the end");
}

TEST(GgufHandCrafted, TensorNames) {
  auto one = [](std::string_view name) {
    Bytes b;
    b.header(1, 0).tensor(name, {32}, 0, 0).pad(32).zeros(128);
    return b;
  };
  EXPECT_REJECTED(one(""), "tensor 0", "empty name");
  EXPECT_REJECTED(one(std::string(64, 'x')), "name of tensor 0", "length 64", "limit 63");
  EXPECT_EQ(error_of(one(std::string(63, 'x')).bytes()), "");
  Bytes dup;
  dup.header(2, 0).tensor("blk.0.attn_q.weight", {32}, 0, 0).tensor("blk.0.attn_q.weight", {32}, 0, 128).pad(32).zeros(256);
  EXPECT_REJECTED(dup, "duplicate tensor name 'blk.0.attn_q.weight'");
  Bytes huge;
  huge.header(1, 0).u64(1ull << 40).raw("w").zeros(32);
  EXPECT_REJECTED(huge, "name of tensor 0", "limit 63");
  // Names are escaped in messages.
  const std::string nul("a\0b", 3);
  Bytes dup2;
  dup2.header(2, 0).tensor(nul, {32}, 0, 0).tensor(nul, {32}, 0, 128).pad(32).zeros(256);
  EXPECT_REJECTED(dup2, "duplicate tensor name 'a\\x00b'");
}

TEST(GgufHandCrafted, Dimensions) {
  auto one = [](std::vector<int64_t> ne, uint32_t type, size_t data) {
    Bytes b;
    b.header(1, 0).tensor("t", std::move(ne), type, 0).pad(32).zeros(data);
    return b;
  };
  EXPECT_REJECTED(one({32, 1, 1, 1, 1}, 0, 128), "'t'", "n_dims = 5");
  EXPECT_REJECTED(Bytes().header(1, 0).str("t").u32(0xffffffffu).zeros(64), "'t'", "n_dims = 4294967295");
  EXPECT_REJECTED(one({-1}, 0, 128), "'t'", "ne[0] = -1 is negative");
  EXPECT_REJECTED(one({32, INT64_MIN}, 0, 128), "'t'", "ne[1]", "negative");
  // n_dims = 0 is a scalar.
  {
    auto f = parse_ok(one({}, 0, 32));
    const auto& t = f.tensors().at(0);
    EXPECT_EQ(t.n_dims, 0u);
    EXPECT_EQ(t.n_elements(), 1);
    EXPECT_EQ(t.n_bytes, 4u);
  }
  // Zero-sized dimensions: no data, no division by zero, anywhere in the shape.
  for (auto ne : std::vector<std::vector<int64_t>>{{0}, {32, 0}, {32, 4, 0}, {32, 4, 4, 0}, {0, INT64_MAX},
                                                   {256, 0, 1ll << 20}, {0, 0, 0, 0}, {INT64_MAX, 0}}) {
    auto f = parse_ok(one(ne, 0, 0));
    const auto& t = f.tensors().at(0);
    EXPECT_EQ(t.n_bytes, 0u);
    EXPECT_EQ(t.n_elements(), 0);
    (void)t.n_rows();  // must not overflow (UBSan)
  }
  EXPECT_EQ(parse_ok(one({0, 256}, 12, 0)).tensors().at(0).n_bytes, 0u);
  // The non-zero dimensions must still multiply within int64, so that n_elements() and
  // n_rows() cannot overflow whatever the order of the zero.
  EXPECT_REJECTED(one({0, INT64_MAX, 2}, 0, 0), "'t'", "too many elements");
  EXPECT_REJECTED(one({INT64_MAX, INT64_MAX, 0}, 0, 0), "'t'", "too many elements");
  // Element-count and byte-size overflow.
  EXPECT_REJECTED(one({1ll << 32, 1ll << 32}, 0, 128), "'t'", "too many elements", "[4294967296, 4294967296]");
  EXPECT_REJECTED(one({1ll << 62, 2}, 0, 128), "'t'", "too many elements");
  EXPECT_REJECTED(one({2, 2, 1ll << 31, 1ll << 31}, 0, 128), "'t'", "too many elements");
  EXPECT_REJECTED(one({INT64_MAX, 2}, 0, 128), "'t'", "too many elements");
  EXPECT_REJECTED(one({INT64_MAX}, 0, 128), "'t'", "overflows");  // 4 * (2^63 - 1) bytes
  EXPECT_REJECTED(one({1ll << 61}, 0, 128), "'t'", "overflows");  // 2^63 bytes
  EXPECT_REJECTED(one({1ll << 60}, 0, 128), "'t'", "ends past the file");
  EXPECT_REJECTED(one({256ll << 20, 1 << 20}, 14, 128), "'t'", "ends past the file");
}

TEST(GgufHandCrafted, TensorTypes) {
  auto one = [](uint32_t type, int64_t ne0) {
    Bytes b;
    b.header(1, 0).tensor("t", {ne0}, type, 0).pad(32).zeros(1024);
    return b;
  };
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 43u, 44u, 1000u, 0x80000000u, 0xffffffffu}) {
    SCOPED_TRACE(removed);
    EXPECT_REJECTED(one(removed, 256), "'t'", "type id", std::to_string(removed));
  }
  // Every valid id with a row of one block is accepted with the right size.
  for (uint32_t id = 0; id < kGgmlTypeCount; ++id) {
    const GgmlTypeInfo* info = ggml_type_info(id);
    if (!info) continue;
    SCOPED_TRACE(info->name);
    auto f = parse_ok(one(id, info->block_size));
    EXPECT_EQ(f.tensors().at(0).n_bytes, info->type_size);
  }
  // ne[0] not a multiple of the block size.
  EXPECT_REJECTED(one(12, 100), "'t'", "ne[0] = 100", "Q4_K", "256");
  EXPECT_REJECTED(one(2, 48), "'t'", "ne[0] = 48", "Q4_0", "32");
  EXPECT_REJECTED(one(14, 255), "'t'", "Q6_K");
}

TEST(GgufHandCrafted, TensorDataBounds) {
  // The message format quoted in the docs, exactly.
  Bytes b;
  b.header(1, 0).tensor("blk.3.attn_q.weight", {64, 128}, 0, 0x1f00 - 0x60);
  ASSERT_EQ(b.size(), 83u);
  b.pad(32).zeros_to(0x8000);
  EXPECT_EQ(error_of(b.bytes()), "model.gguf: tensor 'blk.3.attn_q.weight': data [0x1f00, 0x9f00) ends past the file (0x8000)");

  // One byte short / exactly fitting.
  Bytes fit;
  fit.header(1, 0).tensor("w", {32}, 0, 0).pad(32).zeros(128);
  EXPECT_EQ(error_of(fit.bytes()), "");
  std::vector<uint8_t> short_by_one(fit.bytes().begin(), fit.bytes().end() - 1);
  EXPECT_NE(error_of(short_by_one).find("tensor 'w': data [0x40, 0xc0) ends past the file (0xbf)"), std::string::npos)
      << error_of(short_by_one);
  // Offsets whose sums overflow 64 bits.
  for (uint64_t off : {~0ull - 31, 1ull << 63, ~0ull - 0x5f}) {
    Bytes o;
    o.header(1, 0).tensor("w", {32}, 0, off).pad(32).zeros(128);
    EXPECT_REJECTED(o, "'w'", "ends past the file");
  }
  // Misaligned offset.
  Bytes mis;
  mis.header(1, 0).tensor("w", {8}, 0, 4).pad(32).zeros(64);
  EXPECT_REJECTED(mis, "'w'", "0x4 is not a multiple of the alignment 32");
  // File ending inside the padding before the data section.
  Bytes cut;
  cut.header(1, 0).tensor("w", {0}, 0, 0);
  EXPECT_REJECTED(cut, "data section would start at 0x40", "past the end");
}

TEST(GgufHandCrafted, OverlappingTensors) {
  Bytes b;
  b.header(2, 0).tensor("a", {32}, 0, 0).tensor("b", {32}, 0, 64).pad(32).zeros(256);
  EXPECT_REJECTED(b, "'b'", "overlaps", "'a'");
  Bytes same;
  same.header(2, 0).tensor("a", {32}, 0, 0).tensor("b", {16}, 0, 0).pad(32).zeros(256);
  EXPECT_REJECTED(same, "overlaps");
  // Listed out of order, the later-listed earlier data still overlaps.
  Bytes rev;
  rev.header(3, 0).tensor("c", {32}, 0, 256).tensor("a", {64}, 0, 0).tensor("b", {32}, 0, 128).pad(32).zeros(512);
  EXPECT_REJECTED(rev, "'b'", "overlaps", "'a'");
  // Gaps, reordering and zero-sized tensors inside others are accepted.
  Bytes ok;
  ok.header(3, 0).tensor("c", {32}, 0, 256).tensor("a", {32}, 0, 0).tensor("z", {0}, 0, 64).pad(32).zeros(512);
  EXPECT_EQ(error_of(ok.bytes()), "");
}

// Spec §1.6a: the 384-byte file, byte for byte.
namespace {
std::vector<float> worked_example_values() {
  std::vector<float> v(64);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
  return v;
}

std::vector<uint8_t> worked_example_bytes() {
  Bytes b;
  b.raw("GGUF").u32(3).u64(1).u64(1);
  EXPECT_EQ(b.size(), 24u);
  b.u64(17).raw("general.alignment");
  EXPECT_EQ(b.size(), 49u);
  b.u32(4).u32(32);
  EXPECT_EQ(b.size(), 57u);
  b.u64(1).raw("w");
  EXPECT_EQ(b.size(), 66u);
  b.u32(2).u64(32).u64(2);
  EXPECT_EQ(b.size(), 86u);
  b.u32(0).u64(0);
  EXPECT_EQ(b.size(), 98u);
  b.zeros(30);
  for (float x : worked_example_values()) b.put(x);
  EXPECT_EQ(b.size(), 384u);
  return b.bytes();
}
}  // namespace

TEST(GgufWorkedExample, ReaderAcceptsIt) {
  const auto bytes = worked_example_bytes();
  auto f = gguf::File::parse({bytes.data(), bytes.size()}, "example.gguf");
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset(), 128u);
  EXPECT_EQ(f.get<uint32_t>("general.alignment"), 32u);
  ASSERT_EQ(f.tensors().size(), 1u);
  const auto& t = f.tensors()[0];
  EXPECT_EQ(t.name, "w");
  EXPECT_EQ(t.n_dims, 2u);
  EXPECT_EQ(t.ne, (std::array<int64_t, 4>{32, 2, 1, 1}));
  EXPECT_EQ(t.type, GgmlType::F32);
  EXPECT_EQ(t.n_bytes, 256u);
  EXPECT_EQ(t.data, bytes.data() + 128);
  const auto values = worked_example_values();
  EXPECT_EQ(std::memcmp(t.data, values.data(), 256), 0);
  EXPECT_EQ(error_of(bytes), "");
}

TEST(GgufWorkedExample, WriterProducesIt) {
  const auto values = worked_example_values();
  const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float));
  test::TempDir dir;
  const auto path = dir.path() / "example.gguf";
  gguf::Writer w(32);
  w.set("general.alignment", uint32_t{32});
  w.add_tensor("w", GgmlType::F32, {32, 2}, data);
  w.write(path);
  const std::string written = test::read_file(path);
  const auto expected = worked_example_bytes();
  ASSERT_EQ(written.size(), 384u);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), reinterpret_cast<const uint8_t*>(written.data())));
  for (size_t i = 0; i < expected.size(); ++i)
    if (static_cast<uint8_t>(written[i]) != expected[i]) {
      ADD_FAILURE() << "first difference at byte " << i;
      break;
    }
}

TEST(GgufWriter, RoundTripsEveryValueTypeAndAlignment) {
  test::TempDir dir;
  std::vector<uint8_t> data(300 * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  for (uint32_t al : {32u, 64u, 8u}) {
    SCOPED_TRACE(al);
    const auto path = dir.path() / ("rt" + std::to_string(al) + ".gguf");
    gguf::Writer w(al);  // no general.alignment key: the writer must record a non-default one
    w.set("a.u8", uint8_t{1});
    w.set("a.i64", int64_t{-5});
    w.set("a.str", "hello");
    gguf::Array inner{gguf::ValueType::INT32, {int32_t{1}, int32_t{2}}};
    w.set("a.nested", gguf::Array{gguf::ValueType::ARRAY, {inner, inner}});
    w.set("a.strs", gguf::Array{gguf::ValueType::STRING, {std::string("x"), std::string("")}});
    w.add_tensor("t0", GgmlType::F32, {300}, std::span<const uint8_t>(data));
    w.add_tensor("t1", GgmlType::F32, {3, 100, 1, 1}, std::span<const uint8_t>(data));
    w.write(path);
    auto f = gguf::File::open(path);
    EXPECT_EQ(f.alignment(), al);
    EXPECT_EQ(f.get<int64_t>("a.i64"), -5);
    EXPECT_EQ(f.get_array_value("a.nested").items.size(), 2u);
    EXPECT_EQ(f.get_array<std::string>("a.strs"), (std::vector<std::string>{"x", ""}));
    ASSERT_EQ(f.tensors().size(), 2u);
    EXPECT_EQ(f.tensors()[1].n_dims, 2u);  // trailing 1s trimmed
    for (const auto& t : f.tensors()) {
      EXPECT_EQ(t.offset % al, 0u);
      EXPECT_EQ(std::memcmp(t.data, data.data(), data.size()), 0);
    }
    EXPECT_EQ(f.file_size() % al, 0u);
  }
  // A general.alignment key of the wrong type is refused rather than written inconsistently.
  gguf::Writer bad;
  bad.set("general.alignment", uint64_t{32});
  EXPECT_THROW(bad.write(dir.path() / "bad.gguf"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "bad.gguf"));
}

TEST(GgufFiles, OpenNamesThePathInErrors) {
  test::TempDir dir;
  const std::string text = test::read_file(model_fixture());
  const auto write = [&](const std::string& name, size_t n) {
    const auto p = dir.path() / name;
    std::ofstream(p, std::ios::binary).write(text.data(), static_cast<std::streamsize>(n));
    return p;
  };
  for (const auto& [name, n] : std::vector<std::pair<std::string, size_t>>{
           {"empty.gguf", 0}, {"header.gguf", 20}, {"kv.gguf", 5000}, {"data.gguf", text.size() - 1}}) {
    const auto p = write(name, n);
    try {
      (void)gguf::File::open(p);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(p.string() + ": ", 0), 0u) << e.what();
    }
  }
  EXPECT_THROW((void)gguf::File::open(dir.path() / "missing.gguf"), Error);
  EXPECT_THROW((void)gguf::File::open(dir.path()), Error);  // a directory
}

// The fuzzer's hand-made seeds (tests/fuzz/seeds, written by tests/fuzz/make_seeds.py) are
// complete valid files, so that fuzzing starts past the tensor-bounds checks.
TEST(GgufFiles, FuzzSeedsAreValid) {
  const auto seeds = std::filesystem::path(__FILE__).parent_path().parent_path() / "fuzz" / "seeds";
  if (!std::filesystem::exists(seeds)) GTEST_SKIP() << seeds << " not found";
  const auto files = test::files_with_extension(seeds, ".gguf");
  EXPECT_GE(files.size(), 4u);
  for (const auto& p : files) {
    const std::string text = test::read_file(p);
    const std::vector<uint8_t> bytes(text.begin(), text.end());
    EXPECT_EQ(error_of(bytes, p.string()), "") << p;
  }
  // The §1.6a example (its tensor values differ from the test's).
  const std::string example = test::read_file(seeds / "example-384.gguf");
  const auto expected = worked_example_bytes();
  ASSERT_EQ(example.size(), expected.size());
  EXPECT_TRUE(std::equal(expected.begin(), expected.begin() + 128, reinterpret_cast<const uint8_t*>(example.data())));
}
