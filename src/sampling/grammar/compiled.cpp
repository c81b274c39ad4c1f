#include "sampling/grammar/compiled.h"

#include <algorithm>
#include <set>

#include "core/error.h"
#include "sampling/grammar/gbnf_parser.h"

namespace hearth::sampling::grammar {

bool CompiledClass::contains(uint32_t cp) const {
  if (cp < 128) return (ascii[cp >> 6] >> (cp & 63)) & 1;
  auto it = std::upper_bound(ranges.begin(), ranges.end(), cp, [](uint32_t v, const CharRange& r) { return v < r.lo; });
  const bool in = it != ranges.begin() && std::prev(it)->hi >= cp;
  return in != negated;
}

bool CompiledClass::intersects(uint32_t lo, uint32_t hi) const {
  // First range that ends at or after lo.
  auto it = std::lower_bound(ranges.begin(), ranges.end(), lo, [](const CharRange& r, uint32_t v) { return r.hi < v; });
  if (!negated) return it != ranges.end() && it->lo <= hi;
  // Negated: some code point escapes the ranges unless one (merged) range covers [lo, hi].
  return !(it != ranges.end() && it->lo <= lo && it->hi >= hi);
}

namespace {

CompiledClass normalise(const CharClass& c) {
  CompiledClass out;
  out.negated = c.negated;
  std::vector<CharRange> r = c.ranges;
  std::sort(r.begin(), r.end(), [](const CharRange& a, const CharRange& b) { return a.lo < b.lo; });
  for (const auto& x : r) {
    if (!out.ranges.empty() && x.lo <= out.ranges.back().hi + 1)
      out.ranges.back().hi = std::max(out.ranges.back().hi, x.hi);
    else
      out.ranges.push_back(x);
  }
  for (uint32_t cp = 0; cp < 128; ++cp) {
    bool in = false;
    for (const auto& x : out.ranges) in = in || (cp >= x.lo && cp <= x.hi);
    if (in != out.negated) out.ascii[cp >> 6] |= uint64_t{1} << (cp & 63);
  }
  return out;
}

// Cap on the precomputed expansions: only pathological grammars come near it.
constexpr size_t kMaxExpansionData = size_t{1} << 24;

}  // namespace

class Compiler {
 public:
  explicit Compiler(const Grammar& g) : g_(g) {}

  std::shared_ptr<const CompiledGrammar> run() {
    auto out = std::make_shared<CompiledGrammar>();
    out_ = out.get();
    for (const auto& c : g_.classes) out->classes_.push_back(normalise(c));
    for (const auto& r : g_.rules) out->rule_names_.push_back(r.name);
    out->elements_.push_back({Element::Kind::Rule, g_.root});
    out->elements_.push_back({Element::Kind::End, g_.root});
    alt_starts_.resize(g_.rules.size());
    for (uint32_t r = 0; r < g_.rules.size(); ++r) {
      for (const auto& alt : g_.rules[r].alternatives) {
        alt_starts_[r].push_back(static_cast<uint32_t>(out->elements_.size()));
        for (const auto& s : alt) {
          HEARTH_CHECK(s.index < (s.kind == Symbol::Kind::Char ? g_.classes.size() : g_.rules.size()),
                       "symbol index out of range");
          out->elements_.push_back(
              {s.kind == Symbol::Kind::Char ? Element::Kind::Char : Element::Kind::Rule, s.index});
        }
        out->elements_.push_back({Element::Kind::End, r});
      }
    }
    const size_t n = out->elements_.size();
    state_.assign(n, State::Todo);
    seqs_.resize(n);
    completes_.assign(n, false);
    for (uint32_t p = 0; p < n; ++p) closure(p);
    out->closures_.resize(n);
    out->exp_offsets_.push_back(0);
    for (uint32_t p = 0; p < n; ++p) {
      auto& c = out->closures_[p];
      c.first = static_cast<uint32_t>(out->exp_offsets_.size() - 1);
      c.count = static_cast<uint32_t>(seqs_[p].size());
      c.completes = completes_[p];
      for (const auto& s : seqs_[p]) {
        out->exp_data_.insert(out->exp_data_.end(), s.begin(), s.end());
        out->exp_offsets_.push_back(static_cast<uint32_t>(out->exp_data_.size()));
      }
    }
    return out;
  }

 private:
  enum class State : uint8_t { Todo, Busy, Done };

  void closure(uint32_t p) {
    if (state_[p] == State::Done) return;
    const Element e = out_->elements_[p];
    if (state_[p] == State::Busy)
      fail("grammar: rule '{}' is left-recursive: it can reach itself without matching a character "
           "(also the case for x* or x+ when x can match nothing)",
           rule_of(p));
    state_[p] = State::Busy;
    std::set<std::vector<uint32_t>> seqs;
    bool completes = false;
    if (e.kind == Element::Kind::Char) {
      seqs.insert({p});
    } else if (e.kind == Element::Kind::End) {
      completes = true;
    } else {
      const uint32_t next = p + 1;
      const bool push_next = out_->elements_[next].kind != Element::Kind::End;
      bool nullable = false;
      for (uint32_t q : alt_starts_[e.value]) {
        closure(q);
        for (const auto& s : seqs_[q]) {
          std::vector<uint32_t> t;
          t.reserve(s.size() + 1);
          if (push_next) t.push_back(next);
          t.insert(t.end(), s.begin(), s.end());
          add(seqs, std::move(t));
        }
        nullable = nullable || completes_[q];
      }
      if (nullable) {
        closure(next);
        for (const auto& s : seqs_[next]) add(seqs, s);
        completes = completes_[next];
      }
    }
    seqs_[p].assign(seqs.begin(), seqs.end());
    completes_[p] = completes;
    state_[p] = State::Done;
  }

  void add(std::set<std::vector<uint32_t>>& seqs, std::vector<uint32_t> s) {
    total_ += s.size();
    if (total_ > kMaxExpansionData)
      fail("grammar: too many ways to expand its rules (over {} positions); simplify nested optional rules",
           kMaxExpansionData);
    seqs.insert(std::move(s));
  }

  // The rule whose alternative holds position p (for messages).
  std::string rule_of(uint32_t p) const {
    while (out_->elements_[p].kind != Element::Kind::End) ++p;
    return out_->rule_names_[out_->elements_[p].value];
  }

  const Grammar& g_;
  CompiledGrammar* out_ = nullptr;
  std::vector<std::vector<uint32_t>> alt_starts_;
  std::vector<State> state_;
  std::vector<std::vector<std::vector<uint32_t>>> seqs_;
  std::vector<bool> completes_;
  size_t total_ = 0;
};

std::shared_ptr<const CompiledGrammar> CompiledGrammar::compile(const Grammar& g) { return Compiler(g).run(); }

std::shared_ptr<const CompiledGrammar> CompiledGrammar::from_gbnf(std::string_view text) {
  return compile(parse_gbnf(text));
}

}  // namespace hearth::sampling::grammar
