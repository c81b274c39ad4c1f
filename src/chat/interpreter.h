#pragma once
// Tree-walking evaluator for parsed templates. Statement and expression semantics follow the
// reference renderer (@huggingface/jinja); where the reference rejects something Jinja allows
// (test arguments, string methods like find, filters like round), Jinja's behaviour is used.
#include <ctime>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat/ast.h"
#include "chat/value.h"

namespace hearth::chat::jinja {

// Resource limits and hooks for one render.
struct RenderSettings {
  size_t max_output_bytes = size_t{64} << 20;  // also bounds any single string built on the way
  uint64_t max_steps = 50'000'000;            // evaluated nodes; stops runaway loops
  // Local time for strftime_now(); unset means the current time.
  std::function<std::tm()> now;
};

inline constexpr size_t kMaxListLength = 1'000'000;
inline constexpr int kMaxCallDepth = 64;

struct Scope {
  explicit Scope(ScopePtr parent_scope = nullptr) : parent(std::move(parent_scope)) {}
  ScopePtr parent;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* lookup(std::string_view name) const;
  void set(std::string_view name, Value value);  // in this scope
};

class Interpreter {
 public:
  Interpreter(std::string_view source, const RenderSettings& settings);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  std::string render(const Program& program, const ScopePtr& globals);

  Value eval(const Expr& e, const ScopePtr& scope);
  Value call(const Value& fn, CallArgs& args, const ScopePtr& scope);
  CallArgs eval_args(const std::vector<Arg>& args, const ScopePtr& scope);
  // Checks a string or list about to be built against the limits.
  void check_size(size_t bytes) const;
  const RenderSettings& settings() const { return settings_; }
  // Remembers a container the template mutated (namespace, list.append) so the cycles it may
  // form are broken when the render ends.
  void track_mutable(const Value& container);

 private:
  enum class Flow { Normal, Break, Continue };

  Flow exec_block(const Block& block, const ScopePtr& scope, std::string& out);
  Flow exec(const Stmt& s, const ScopePtr& scope, std::string& out);
  Flow exec_for(const Stmt& s, const ScopePtr& scope, std::string& out);
  Flow exec_call_block(const Stmt& s, const ScopePtr& scope, std::string& out);
  void assign(const Expr& target, Value value, const ScopePtr& scope);
  Value make_macro(const Stmt& s);
  void bind_params(const std::vector<Param>& params, CallArgs& args, const ScopePtr& scope);

  Value eval_inner(const Expr& e, const ScopePtr& scope);
  Value eval_binary(const Expr& e, const ScopePtr& scope);
  Value eval_call(const Expr& e, const ScopePtr& scope);
  Value eval_slice(const Expr& e, const ScopePtr& scope);
  void append_output(std::string& out, const Value& v) const;
  void step();

  [[noreturn]] void fail_at(uint32_t offset, const std::string& msg) const;

  std::string_view source_;
  const RenderSettings& settings_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  std::vector<Value> mutated_;
};

// --- Built-in members, filters, tests and globals (one file each) ---------------------------

// A property of a built-in type (`s.length`, `d.items`, `s.upper`): methods come back as bound
// functions. Nullopt if the type has no such member.
std::optional<Value> builtin_member(const Value& object, std::string_view name);
// Calls method `name` of a string, list or object directly; false if there is no such method.
bool call_builtin_method(Interpreter& in, const Value& object, std::string_view name, CallArgs& args, Value& result);

Value apply_filter(Interpreter& in, std::string_view name, const Value& operand, CallArgs& args,
                   const ScopePtr& scope);
bool apply_test(Interpreter& in, std::string_view name, const Value& operand, CallArgs& args);

// The global scope: true/false/none, namespace, range, raise_exception, strftime_now, dict.
ScopePtr make_global_scope();
// strftime_now's formatting: %Y %m %d %b %B %H %M %% as in the reference (English month
// names); any other directive is kept as written, as the reference does.
std::string format_time(std::string_view fmt, const std::tm& tm);

}  // namespace hearth::chat::jinja
