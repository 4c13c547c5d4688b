#include "state_dict_reader.h"

#include <caffe2/serialize/inline_container.h>
#include <sluice/text.h>

#include <cstring>
#include <map>
#include <memory>
#include <variant>

namespace sluice::models {
namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Global {
  std::string module, name;
};
struct Storage {
  at::ScalarType type;
  std::string key;  // the record data/<key> in the zip
  int64_t numel;
};
struct Mark {};
struct None {};
using Tuple = std::vector<ValuePtr>;
using Dict = std::vector<std::pair<ValuePtr, ValuePtr>>;  // keeps insertion order

struct Value {
  std::variant<None, bool, int64_t, double, std::string, Tuple, Dict, Global, Storage, at::Tensor,
               Mark>
      v;
};

ValuePtr make(auto x) { return std::make_shared<Value>(Value{std::move(x)}); }

std::optional<at::ScalarType> storage_type(const std::string& name) {
  static const std::map<std::string, at::ScalarType> kTypes{
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},   {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},   {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},   {"BoolStorage", at::kBool}};
  auto it = kTypes.find(name);
  return it == kTypes.end() ? std::nullopt : std::optional(it->second);
}

class Unpickler {
 public:
  Unpickler(const std::string& pickle, caffe2::serialize::PyTorchStreamReader& zip,
            std::string path)
      : p_(pickle), zip_(zip), path_(std::move(path)) {}

  Result<ValuePtr> run() {
    try {
      while (pos_ < p_.size()) {
        const auto op = static_cast<unsigned char>(p_[pos_++]);
        if (op == '.') return pop();
        Status s = step(op);
        if (!s.ok()) return s;
      }
      return bad("the pickle ends without STOP");
    } catch (const std::out_of_range&) {
      return bad("the pickle is truncated");
    } catch (const c10::Error& e) {
      return bad(e.what_without_backtrace());
    }
  }

 private:
  Status bad(const std::string& why) const {
    // `why` may quote the file's own bytes (a global's name): printable() escapes them.
    return invalid_argument("'" + printable(path_) +
                            "' is not a readable state_dict: " + printable(why));
  }
  uint64_t read_uint(int bytes) {
    if (pos_ + bytes > p_.size()) throw std::out_of_range("pickle");
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(p_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return v;
  }
  std::string read_bytes(std::size_t n) {
    if (pos_ + n > p_.size()) throw std::out_of_range("pickle");
    std::string s = p_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string read_line() {
    const std::size_t end = p_.find('\n', pos_);
    if (end == std::string::npos) throw std::out_of_range("pickle");
    std::string s = p_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  ValuePtr top() {
    if (stack_.empty()) throw std::out_of_range("stack");
    return stack_.back();
  }
  ValuePtr pop() {
    if (stack_.empty()) throw std::out_of_range("stack");
    ValuePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  // Everything above the last MARK, which is removed.
  std::vector<ValuePtr> pop_to_mark() {
    std::vector<ValuePtr> items;
    while (true) {
      ValuePtr v = pop();
      if (std::holds_alternative<Mark>(v->v)) break;
      items.push_back(v);
    }
    std::reverse(items.begin(), items.end());
    return items;
  }

  Status step(unsigned char op) {
    switch (op) {
      case 0x80:
        read_uint(1);
        return ok();  // PROTO
      case 0x95:
        read_uint(8);
        return ok();  // FRAME (protocol 4)
      case '(':
        stack_.push_back(make(Mark{}));
        return ok();  // MARK
      case ')':
        stack_.push_back(make(Tuple{}));
        return ok();  // EMPTY_TUPLE
      case '}':
        stack_.push_back(make(Dict{}));
        return ok();  // EMPTY_DICT
      case ']':
        stack_.push_back(make(Tuple{}));
        return ok();  // EMPTY_LIST (as a tuple)
      case 'N':
        stack_.push_back(make(None{}));
        return ok();
      case 0x88:
        stack_.push_back(make(true));
        return ok();  // NEWTRUE
      case 0x89:
        stack_.push_back(make(false));
        return ok();  // NEWFALSE
      case 'K':
        stack_.push_back(make(static_cast<int64_t>(read_uint(1))));
        return ok();
      case 'M':
        stack_.push_back(make(static_cast<int64_t>(read_uint(2))));
        return ok();
      case 'J':
        stack_.push_back(make(static_cast<int64_t>(static_cast<int32_t>(read_uint(4)))));
        return ok();
      case 0x8a: {  // LONG1
        const auto n = read_uint(1);
        if (n > 8) return bad("an integer too large");
        uint64_t v = 0;
        for (uint64_t i = 0; i < n; ++i) v |= read_uint(1) << (8 * i);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign
        stack_.push_back(make(static_cast<int64_t>(v)));
        return ok();
      }
      case 'G': {  // BINFLOAT (big-endian)
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i)
          bits = (bits << 8) | static_cast<unsigned char>(read_bytes(1)[0]);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        stack_.push_back(make(d));
        return ok();
      }
      case 'X':
        stack_.push_back(make(read_bytes(read_uint(4))));
        return ok();  // BINUNICODE
      case 0x8c:
        stack_.push_back(make(read_bytes(read_uint(1))));
        return ok();  // SHORT_BINUNICODE
      case 'q':
        memo_[read_uint(1)] = top();
        return ok();  // BINPUT
      case 'r':
        memo_[read_uint(4)] = top();
        return ok();  // LONG_BINPUT
      case 0x94:
        memo_[memo_.size()] = top();
        return ok();  // MEMOIZE
      case 'h':
      case 'j': {  // BINGET, LONG_BINGET
        auto it = memo_.find(read_uint(op == 'h' ? 1 : 4));
        if (it == memo_.end()) return bad("a memo reference to nothing");
        stack_.push_back(it->second);
        return ok();
      }
      case 't':
        stack_.push_back(make(Tuple(pop_to_mark())));
        return ok();  // TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        Tuple t(op - 0x84);
        for (auto it = t.rbegin(); it != t.rend(); ++it) *it = pop();
        stack_.push_back(make(std::move(t)));
        return ok();
      }
      case 'a': {  // APPEND
        ValuePtr v = pop();
        auto* list = std::get_if<Tuple>(&top()->v);
        if (!list) return bad("APPEND to something that is not a list");
        list->push_back(v);
        return ok();
      }
      case 'e': {  // APPENDS
        auto items = pop_to_mark();
        auto* list = std::get_if<Tuple>(&top()->v);
        if (!list) return bad("APPENDS to something that is not a list");
        list->insert(list->end(), items.begin(), items.end());
        return ok();
      }
      case 's':
      case 'u': {  // SETITEM, SETITEMS
        std::vector<ValuePtr> items = op == 's' ? std::vector<ValuePtr>{} : pop_to_mark();
        if (op == 's') {
          ValuePtr value = pop(), key = pop();
          items = {key, value};
        }
        auto* dict = std::get_if<Dict>(&top()->v);
        if (!dict) return bad("SETITEMS on something that is not a dict");
        for (std::size_t i = 0; i + 1 < items.size(); i += 2)
          dict->emplace_back(items[i], items[i + 1]);
        return ok();
      }
      case 'b':
        pop();
        return ok();  // BUILD: an OrderedDict's _metadata; not needed for weights
      case 'c': {     // GLOBAL
        Global g{read_line(), read_line()};
        const bool allowed = (g.module == "collections" && g.name == "OrderedDict") ||
                             (g.module == "torch._utils" &&
                              (g.name == "_rebuild_tensor_v2" || g.name == "_rebuild_parameter")) ||
                             (g.module == "torch" && storage_type(g.name));
        if (!allowed)
          return bad("it refers to '" + g.module + "." + g.name +
                     "', which a plain state_dict of tensors does not (a whole pickled model?)");
        stack_.push_back(make(std::move(g)));
        return ok();
      }
      case 'Q': {  // BINPERSID: a storage
        ValuePtr pid = pop();
        auto* t = std::get_if<Tuple>(&pid->v);
        if (!t || t->size() < 5) return bad("a persistent id that is not a storage");
        auto* type = std::get_if<Global>(&(*t)[1]->v);
        auto* key = std::get_if<std::string>(&(*t)[2]->v);
        auto* numel = std::get_if<int64_t>(&(*t)[4]->v);
        if (!type || !key || !numel || !storage_type(type->name)) return bad("an unknown storage");
        stack_.push_back(make(Storage{*storage_type(type->name), *key, *numel}));
        return ok();
      }
      case 'R': {  // REDUCE
        ValuePtr args = pop(), callable = pop();
        auto* g = std::get_if<Global>(&callable->v);
        auto* a = std::get_if<Tuple>(&args->v);
        if (!g || !a) return bad("a call to something that is not a known function");
        if (g->name == "OrderedDict") {
          stack_.push_back(make(Dict{}));
          return ok();
        }
        if (g->name == "_rebuild_parameter") {
          if (a->empty()) return bad("_rebuild_parameter without a tensor");
          stack_.push_back((*a)[0]);
          return ok();
        }
        return rebuild_tensor(*a);
      }
      default:
        return bad("pickle opcode " + std::to_string(op) +
                   " is not one torch.save uses for a state_dict");
    }
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks)
  Status rebuild_tensor(const Tuple& a) {
    if (a.size() < 4) return bad("_rebuild_tensor_v2 with too few arguments");
    auto* storage = std::get_if<Storage>(&a[0]->v);
    auto* offset = std::get_if<int64_t>(&a[1]->v);
    auto* size = std::get_if<Tuple>(&a[2]->v);
    auto* stride = std::get_if<Tuple>(&a[3]->v);
    if (!storage || !offset || !size || !stride)
      return bad("_rebuild_tensor_v2 with odd arguments");
    auto ints = [](const Tuple& t) {
      std::vector<int64_t> v;
      for (const auto& x : t) v.push_back(std::get<int64_t>(x->v));
      return v;
    };
    at::Tensor& bytes = storages_[storage->key];
    if (!bytes.defined()) {
      const std::string record = "data/" + storage->key;
      if (!zip_.hasRecord(record)) return bad("the tensor data '" + record + "' is missing");
      auto [data, n] = zip_.getRecord(record);
      const auto item = c10::elementSize(storage->type);
      if (n < static_cast<std::size_t>(storage->numel) * item)
        return bad("tensor data '" + record + "' is truncated");
      bytes = torch::empty({storage->numel}, torch::TensorOptions().dtype(storage->type));
      std::memcpy(bytes.data_ptr(), data.get(), static_cast<std::size_t>(storage->numel) * item);
    }
    const auto sizes = ints(*size), strides = ints(*stride);
    int64_t last = *offset;
    for (std::size_t i = 0; i < sizes.size(); ++i) last += (sizes[i] - 1) * strides[i];
    if (!sizes.empty() && last >= storage->numel) return bad("a tensor reaches past its storage");
    stack_.push_back(make(bytes.as_strided(sizes, strides, *offset).clone()));
    return ok();
  }

  const std::string& p_;
  caffe2::serialize::PyTorchStreamReader& zip_;
  std::string path_;
  std::size_t pos_ = 0;
  std::vector<ValuePtr> stack_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, at::Tensor> storages_;
};

}  // namespace

Result<StateDict> read_state_dict(const std::string& path, const std::string& key) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip;
  std::string pickle;
  try {
    zip = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    if (!zip->hasRecord("data.pkl"))
      return invalid_argument("'" + path + "' holds no data.pkl: not a torch.save file");
    auto [data, n] = zip->getRecord("data.pkl");
    pickle.assign(static_cast<const char*>(data.get()), n);
  } catch (const c10::Error& e) {
    return invalid_argument("cannot read '" + path + "': " + e.what_without_backtrace());
  }
  Unpickler unpickler(pickle, *zip, path);
  SLUICE_ASSIGN_OR_RETURN(ValuePtr top, unpickler.run());
  const Dict* dict = std::get_if<Dict>(&top->v);
  if (!dict) return invalid_argument("'" + path + "' does not hold a dict of tensors");
  if (!key.empty()) {
    const Dict* inner = nullptr;
    for (const auto& [k, v] : *dict)
      if (auto* s = std::get_if<std::string>(&k->v); s && *s == key)
        inner = std::get_if<Dict>(&v->v);
    if (!inner)
      return invalid_argument("'" + path + "' has no dict entry '" + key +
                              "' (param state_dict_key)");
    dict = inner;
  }
  StateDict out;
  std::vector<std::string> not_tensors;
  for (const auto& [k, v] : *dict) {
    auto* name = std::get_if<std::string>(&k->v);
    auto* tensor = std::get_if<at::Tensor>(&v->v);
    if (name && tensor)
      out.emplace_back(*name, *tensor);
    else if (name)
      not_tensors.push_back(*name);
  }
  if (out.empty())
    return invalid_argument("'" + path + "' holds no tensors" +
                            (not_tensors.empty() ? std::string()
                                                 : " at the top (it has '" + not_tensors[0] +
                                                       "': a checkpoint? set state_dict_key)"));
  return out;
}

}  // namespace sluice::models
