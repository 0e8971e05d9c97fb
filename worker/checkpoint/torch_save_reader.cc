#include "worker/checkpoint/torch_save_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/checkpoint/zip_directory.h"

namespace nasq {
namespace {

// A Python value as far as a torch.save'd state dict needs one.
struct PyValue;
using PyRef = std::shared_ptr<PyValue>;
struct PyValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor
  };
  Kind kind = Kind::kNone;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;          // string; "module.name" for a global
  std::vector<PyRef> items;  // tuple/list; dict as key, value, key, value, ...
  int depth = 0;             // 1 + the largest depth of `items`; 0 for a value without items
  bool contained = false;    // whether it is in the `items` of another value
  torch::ScalarType storage_type = torch::kFloat32;  // global of a storage class
  torch::Tensor tensor;                              // flat storage or rebuilt tensor
};

PyRef Make(PyValue::Kind kind) {
  auto value = std::make_shared<PyValue>();
  value->kind = kind;
  return value;
}

struct StorageClass {
  const char* name;
  torch::ScalarType type;
};
constexpr StorageClass kStorageClasses[] = {
    {"torch.DoubleStorage", torch::kFloat64}, {"torch.FloatStorage", torch::kFloat32},
    {"torch.HalfStorage", torch::kFloat16},   {"torch.BFloat16Storage", torch::kBFloat16},
    {"torch.LongStorage", torch::kInt64},     {"torch.IntStorage", torch::kInt32},
    {"torch.ShortStorage", torch::kInt16},    {"torch.CharStorage", torch::kInt8},
    {"torch.ByteStorage", torch::kUInt8},     {"torch.BoolStorage", torch::kBool},
};

absl::Status Unsupported(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("torch.save file: ", std::string(what),
                                                 " is not supported (only dicts of tensors)"));
}

// Deepest nesting of tuples, lists and dicts accepted. A state dict nests at most a few levels;
// the bound keeps the recursive searches and destructors of PyValue off the end of the stack.
constexpr int kMaxNesting = 100;

// Interprets the pickle of one torch.save archive.
class PickleMachine {
 public:
  PickleMachine(caffe2::serialize::PyTorchStreamReader& archive, std::string_view pickle)
      : archive_(archive), in_(pickle) {}

  absl::StatusOr<PyRef> Run() {
    while (true) {
      NASQ_ASSIGN_OR_RETURN(uint8_t opcode, Byte());
      if (opcode == '.') break;
      NASQ_RETURN_IF_ERROR(Step(opcode));
    }
    if (stack_.size() != 1)
      return absl::InvalidArgumentError("torch.save pickle: bad stack at STOP");
    return stack_.back();
  }

 private:
  absl::StatusOr<std::string_view> Take(uint64_t n) {
    if (n > in_.size() - pos_) return absl::InvalidArgumentError("torch.save pickle: truncated");
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  absl::StatusOr<uint8_t> Byte() {
    NASQ_ASSIGN_OR_RETURN(std::string_view b, Take(1));
    return static_cast<uint8_t>(b[0]);
  }
  // Little-endian unsigned integer of `n` bytes.
  absl::StatusOr<uint64_t> Unsigned(int n) {
    NASQ_ASSIGN_OR_RETURN(std::string_view b, Take(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(b[i]);
    return v;
  }
  absl::StatusOr<std::string> Line() {
    const size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos)
      return absl::InvalidArgumentError("torch.save pickle: truncated");
    std::string line(in_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }
  absl::StatusOr<PyRef> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return absl::InvalidArgumentError("torch.save pickle: stack underflow");
    }
    PyRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  absl::StatusOr<std::vector<PyRef>> PopToMark() {
    if (marks_.empty()) return absl::InvalidArgumentError("torch.save pickle: missing MARK");
    std::vector<PyRef> items(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  absl::StatusOr<PyRef> Top(PyValue::Kind kind, const char* what) {
    if (stack_.empty() || stack_.back()->kind != kind) {
      return absl::InvalidArgumentError(
          absl::StrCat("torch.save pickle: ", what, " on a wrong object"));
    }
    return stack_.back();
  }
  void PushInt(int64_t v) {
    auto value = Make(PyValue::Kind::kInt);
    value->integer = v;
    stack_.push_back(value);
  }
  void PushString(std::string_view s) {
    auto value = Make(PyValue::Kind::kString);
    value->text = std::string(s);
    stack_.push_back(value);
  }
  absl::Status PushTuple(std::vector<PyRef> items) {
    auto value = Make(PyValue::Kind::kTuple);
    NASQ_RETURN_IF_ERROR(Contain(*value, std::move(items)));
    stack_.push_back(value);
    return absl::OkStatus();
  }
  absl::Status PushTupleOf(size_t n) {
    std::vector<PyRef> items(n);
    for (size_t i = n; i-- > 0;) {
      NASQ_ASSIGN_OR_RETURN(items[i], Pop());
    }
    return PushTuple(std::move(items));
  }
  absl::Status PushGlobal(const std::string& module, const std::string& name) {
    auto value = Make(PyValue::Kind::kGlobal);
    value->text = module + "." + name;
    for (const auto& c : kStorageClasses) {
      if (value->text == c.name) value->storage_type = c.type;
    }
    stack_.push_back(value);
    return absl::OkStatus();
  }
  absl::Status Memoize(uint64_t id) {
    if (stack_.empty()) return absl::InvalidArgumentError("torch.save pickle: PUT on empty stack");
    memo_[id] = stack_.back();
    return absl::OkStatus();
  }
  absl::Status Recall(uint64_t id) {
    auto it = memo_.find(id);
    if (it == memo_.end())
      return absl::InvalidArgumentError(absl::StrCat("torch.save pickle: memo ", id, " unset"));
    stack_.push_back(it->second);
    return absl::OkStatus();
  }
  // Appends to the list or dict on top of the stack. Python's pickler fills a container before
  // it puts it in another, so a container that is already inside another, or an item that is the
  // container itself, is refused: this keeps the shared_ptr graph acyclic (a cycle would never be
  // freed) and every `depth` final.
  absl::Status AddItems(std::vector<PyRef> items, bool dict) {
    NASQ_ASSIGN_OR_RETURN(PyRef target, Top(dict ? PyValue::Kind::kDict : PyValue::Kind::kList,
                                            dict ? "SETITEMS" : "APPENDS"));
    if (dict && items.size() % 2 != 0)
      return absl::InvalidArgumentError("torch.save pickle: odd SETITEMS");
    if (target->contained) return Unsupported("a container changed after it was put in another");
    for (const auto& item : items) {
      if (item == target) return Unsupported("a container that contains itself");
    }
    return Contain(*target, std::move(items));
  }
  // Appends `items` to `container`, refusing nesting deeper than kMaxNesting.
  static absl::Status Contain(PyValue& container, std::vector<PyRef> items) {
    for (auto& item : items) {
      if (item->depth + 1 > kMaxNesting)
        return Unsupported(absl::StrCat("nesting deeper than ", kMaxNesting, " levels"));
      container.depth = std::max(container.depth, item->depth + 1);
      item->contained = true;
      container.items.push_back(std::move(item));
    }
    return absl::OkStatus();
  }

  absl::Status Step(uint8_t opcode);
  absl::StatusOr<PyRef> LoadStorage(const PyValue& pid);
  absl::StatusOr<PyRef> Reduce(const PyValue& callable, const PyValue& args);

  caffe2::serialize::PyTorchStreamReader& archive_;
  std::string_view in_;
  size_t pos_ = 0;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PyRef> memo_;
  std::map<std::string, PyRef> storages_;
};

absl::Status PickleMachine::Step(uint8_t opcode) {
  switch (opcode) {
    case 0x80:
      return Take(1).status();  // PROTO
    case 0x95:
      return Take(8).status();  // FRAME
    case '(':
      marks_.push_back(stack_.size());
      return absl::OkStatus();
    case '}':
      stack_.push_back(Make(PyValue::Kind::kDict));
      return absl::OkStatus();
    case ']':
      stack_.push_back(Make(PyValue::Kind::kList));
      return absl::OkStatus();
    case ')':
      return PushTuple({});
    case 't': {
      NASQ_ASSIGN_OR_RETURN(auto items, PopToMark());
      return PushTuple(std::move(items));
    }
    case 0x85:
      return PushTupleOf(1);
    case 0x86:
      return PushTupleOf(2);
    case 0x87:
      return PushTupleOf(3);
    case 'q': {
      NASQ_ASSIGN_OR_RETURN(uint64_t id, Unsigned(1));
      return Memoize(id);
    }
    case 'r': {
      NASQ_ASSIGN_OR_RETURN(uint64_t id, Unsigned(4));
      return Memoize(id);
    }
    case 0x94:
      return Memoize(memo_.size());
    case 'h': {
      NASQ_ASSIGN_OR_RETURN(uint64_t id, Unsigned(1));
      return Recall(id);
    }
    case 'j': {
      NASQ_ASSIGN_OR_RETURN(uint64_t id, Unsigned(4));
      return Recall(id);
    }
    case 'c': {
      NASQ_ASSIGN_OR_RETURN(std::string module, Line());
      NASQ_ASSIGN_OR_RETURN(std::string name, Line());
      return PushGlobal(module, name);
    }
    case 0x93: {  // STACK_GLOBAL
      NASQ_ASSIGN_OR_RETURN(PyRef name, Pop());
      NASQ_ASSIGN_OR_RETURN(PyRef module, Pop());
      if (name->kind != PyValue::Kind::kString || module->kind != PyValue::Kind::kString) {
        return absl::InvalidArgumentError("torch.save pickle: STACK_GLOBAL needs strings");
      }
      return PushGlobal(module->text, name->text);
    }
    case 'J': {
      NASQ_ASSIGN_OR_RETURN(uint64_t v, Unsigned(4));
      PushInt(static_cast<int32_t>(v));
      return absl::OkStatus();
    }
    case 'K': {
      NASQ_ASSIGN_OR_RETURN(uint64_t v, Unsigned(1));
      PushInt(static_cast<int64_t>(v));
      return absl::OkStatus();
    }
    case 'M': {
      NASQ_ASSIGN_OR_RETURN(uint64_t v, Unsigned(2));
      PushInt(static_cast<int64_t>(v));
      return absl::OkStatus();
    }
    case 0x8a: {  // LONG1: little-endian two's complement of n <= 8 bytes
      NASQ_ASSIGN_OR_RETURN(uint64_t n, Unsigned(1));
      if (n > 8) return Unsupported("an integer wider than 64 bits");
      if (n == 0) {
        PushInt(0);
        return absl::OkStatus();
      }
      NASQ_ASSIGN_OR_RETURN(uint64_t v, Unsigned(static_cast<int>(n)));
      if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
      PushInt(static_cast<int64_t>(v));
      return absl::OkStatus();
    }
    case 'G': {  // BINFLOAT: big-endian double
      NASQ_ASSIGN_OR_RETURN(std::string_view b, Take(8));
      uint64_t bits = 0;
      for (char c : b) bits = (bits << 8) | static_cast<uint8_t>(c);
      auto value = Make(PyValue::Kind::kFloat);
      std::memcpy(&value->real, &bits, 8);
      stack_.push_back(value);
      return absl::OkStatus();
    }
    case 'X':
    case 0x8c:
    case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
      NASQ_ASSIGN_OR_RETURN(uint64_t n, Unsigned(opcode == 'X' ? 4 : (opcode == 0x8c ? 1 : 8)));
      NASQ_ASSIGN_OR_RETURN(std::string_view s, Take(n));
      PushString(s);
      return absl::OkStatus();
    }
    case 'N':
      stack_.push_back(Make(PyValue::Kind::kNone));
      return absl::OkStatus();
    case 0x88:
    case 0x89: {
      auto value = Make(PyValue::Kind::kBool);
      value->integer = opcode == 0x88;
      stack_.push_back(value);
      return absl::OkStatus();
    }
    case '0':
      return Pop().status();
    case 's':
    case 'a': {  // SETITEM, APPEND
      std::vector<PyRef> items(opcode == 's' ? 2 : 1);
      for (size_t i = items.size(); i-- > 0;) {
        NASQ_ASSIGN_OR_RETURN(items[i], Pop());
      }
      return AddItems(std::move(items), opcode == 's');
    }
    case 'u':
    case 'e': {  // SETITEMS, APPENDS
      NASQ_ASSIGN_OR_RETURN(auto items, PopToMark());
      return AddItems(std::move(items), opcode == 'u');
    }
    case 'Q': {  // BINPERSID
      NASQ_ASSIGN_OR_RETURN(PyRef pid, Pop());
      NASQ_ASSIGN_OR_RETURN(PyRef storage, LoadStorage(*pid));
      stack_.push_back(std::move(storage));
      return absl::OkStatus();
    }
    case 'R': {  // REDUCE
      NASQ_ASSIGN_OR_RETURN(PyRef args, Pop());
      NASQ_ASSIGN_OR_RETURN(PyRef callable, Pop());
      NASQ_ASSIGN_OR_RETURN(PyRef result, Reduce(*callable, *args));
      stack_.push_back(std::move(result));
      return absl::OkStatus();
    }
    case 'b': {  // BUILD: only the state of an OrderedDict (its _metadata) or a tensor, ignored
      NASQ_ASSIGN_OR_RETURN(PyRef state, Pop());
      if (stack_.empty() || (stack_.back()->kind != PyValue::Kind::kDict &&
                             stack_.back()->kind != PyValue::Kind::kTensor)) {
        return Unsupported("BUILD on an object other than a dict or tensor");
      }
      return absl::OkStatus();
    }
    default:
      return Unsupported(absl::StrCat("pickle opcode 0x", absl::Hex(opcode)));
  }
}

absl::StatusOr<PyRef> PickleMachine::LoadStorage(const PyValue& pid) {
  if (pid.kind != PyValue::Kind::kTuple || pid.items.size() != 5 ||
      pid.items[0]->kind != PyValue::Kind::kString || pid.items[0]->text != "storage" ||
      pid.items[1]->kind != PyValue::Kind::kGlobal ||
      pid.items[2]->kind != PyValue::Kind::kString || pid.items[4]->kind != PyValue::Kind::kInt) {
    return Unsupported("a persistent id other than ('storage', type, key, location, numel)");
  }
  const PyValue& type = *pid.items[1];
  bool known = false;
  for (const auto& c : kStorageClasses) known = known || type.text == c.name;
  if (!known) return Unsupported(absl::StrCat("storage class ", type.text));
  const std::string& key = pid.items[2]->text;
  if (auto it = storages_.find(key); it != storages_.end()) return it->second;
  const int64_t numel = pid.items[4]->integer;
  const std::string record = "data/" + key;
  if (numel < 0 || !archive_.hasRecord(record)) {
    return absl::InvalidArgumentError(
        absl::StrCat("torch.save file: storage record ", record, " missing"));
  }
  auto [data, size] = archive_.getRecord(record);
  // numel comes from the file: compare it with the record before allocating anything.
  const size_t element_size = c10::elementSize(type.storage_type);
  if (size % element_size != 0 || static_cast<uint64_t>(numel) != size / element_size) {
    return absl::InvalidArgumentError(absl::StrCat("torch.save file: storage ", record, " has ",
                                                   size, " bytes, expected ", numel,
                                                   " elements of ", element_size, " bytes"));
  }
  torch::Tensor flat = torch::empty({numel}, torch::TensorOptions().dtype(type.storage_type));
  // An empty storage has no data: memcpy to its null data_ptr() is undefined.
  if (size > 0) std::memcpy(flat.data_ptr(), data.get(), size);
  auto storage = Make(PyValue::Kind::kStorage);
  storage->tensor = std::move(flat);
  storages_[key] = storage;
  return storage;
}

absl::StatusOr<std::vector<int64_t>> IntTuple(const PyValue& value, const char* what) {
  if (value.kind != PyValue::Kind::kTuple)
    return Unsupported(absl::StrCat(what, " that is not a tuple"));
  std::vector<int64_t> out;
  for (const auto& item : value.items) {
    if (item->kind != PyValue::Kind::kInt) return Unsupported(absl::StrCat("a non-integer ", what));
    out.push_back(item->integer);
  }
  return out;
}

// storage.as_strided(size, stride, offset) as a contiguous copy, after checking the bounds.
absl::StatusOr<torch::Tensor> RebuildTensor(const PyValue& storage, const PyValue& offset,
                                            const PyValue& size_tuple,
                                            const PyValue& stride_tuple) {
  if (storage.kind != PyValue::Kind::kStorage || offset.kind != PyValue::Kind::kInt) {
    return Unsupported("_rebuild_tensor arguments other than (storage, offset, size, stride, ...)");
  }
  NASQ_ASSIGN_OR_RETURN(std::vector<int64_t> sizes, IntTuple(size_tuple, "tensor size"));
  NASQ_ASSIGN_OR_RETURN(std::vector<int64_t> strides, IntTuple(stride_tuple, "tensor stride"));
  if (sizes.size() != strides.size() || offset.integer < 0) {
    return absl::InvalidArgumentError("torch.save file: tensor size/stride/offset mismatch");
  }
  int64_t last = offset.integer;
  bool empty = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0 || strides[i] < 0)
      return absl::InvalidArgumentError("torch.save file: negative size or stride");
    int64_t span = 0;
    if (sizes[i] == 0) {
      empty = true;
    } else if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &span) ||
               __builtin_add_overflow(last, span, &last)) {
      return absl::InvalidArgumentError("torch.save file: tensor size/stride/offset overflows");
    }
  }
  if (empty) return torch::empty(sizes, storage.tensor.options());
  if (last >= storage.tensor.numel()) {
    return absl::InvalidArgumentError(absl::StrCat("torch.save file: tensor reaches element ", last,
                                                   " of a ", storage.tensor.numel(),
                                                   "-element storage"));
  }
  return storage.tensor.as_strided(sizes, strides, offset.integer)
      .clone(at::MemoryFormat::Contiguous);
}

absl::StatusOr<PyRef> PickleMachine::Reduce(const PyValue& callable, const PyValue& args) {
  if (callable.kind != PyValue::Kind::kGlobal || args.kind != PyValue::Kind::kTuple) {
    return Unsupported("REDUCE of something other than a global");
  }
  const std::string& name = callable.text;
  const auto& a = args.items;
  if (name == "collections.OrderedDict" && a.empty()) return Make(PyValue::Kind::kDict);
  auto tensor = Make(PyValue::Kind::kTensor);
  if ((name == "torch._utils._rebuild_tensor_v2" && a.size() >= 4) ||
      (name == "torch._utils._rebuild_tensor" && a.size() == 4)) {
    NASQ_ASSIGN_OR_RETURN(tensor->tensor, RebuildTensor(*a[0], *a[1], *a[2], *a[3]));
    return tensor;
  }
  if ((name == "torch._utils._rebuild_parameter" ||
       name == "torch._utils._rebuild_parameter_with_state") &&
      a.size() >= 1 && a[0]->kind == PyValue::Kind::kTensor) {
    tensor->tensor = a[0]->tensor;
    return tensor;
  }
  return Unsupported(absl::StrCat("the Python callable ", name));
}

absl::Status NotTorchSaveArchive(const std::filesystem::path& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      path.string(),
      " is not a zip-format torch.save archive (legacy pre-1.6 files are not supported): ", why));
}

}  // namespace

absl::StatusOr<TensorMap> ReadTorchSaveStateDict(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("no file ", path.string()));
  }
  // PyTorchStreamReader allocates what a record declares before reading it: bound every
  // declared size by the file's before handing the file over.
  auto entries = ReadZipDirectory(path);
  if (!entries.ok()) return NotTorchSaveArchive(path, entries.status().message());
  const uint64_t file_size = std::filesystem::file_size(path, error);
  for (const ZipEntry& entry : *entries) {
    if (entry.uncompressed_size > file_size) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": zip entry ", entry.name,
                                                     " declares ", entry.uncompressed_size,
                                                     " bytes in a file of ", file_size, " bytes"));
    }
  }
  try {
    caffe2::serialize::PyTorchStreamReader archive(path.string());
    if (archive.hasRecord("byteorder")) {
      auto [data, size] = archive.getRecord("byteorder");
      if (std::string_view(static_cast<const char*>(data.get()), size) != "little") {
        return Unsupported("a big-endian archive");
      }
    }
    if (!archive.hasRecord("data.pkl")) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": archive has no data.pkl"));
    }
    auto [pickle_data, pickle_size] = archive.getRecord("data.pkl");
    PickleMachine machine(
        archive, std::string_view(static_cast<const char*>(pickle_data.get()), pickle_size));
    auto root = machine.Run();
    if (!root.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": ", root.status().message()));
    }
    if ((*root)->kind != PyValue::Kind::kDict) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": the saved object is not a dict"));
    }
    TensorMap tensors;
    const auto& items = (*root)->items;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i]->kind != PyValue::Kind::kString ||
          items[i + 1]->kind != PyValue::Kind::kTensor) {
        return absl::InvalidArgumentError(
            absl::StrCat(path.string(), ": entry ", i / 2, " is not a str -> tensor pair"));
      }
      tensors[items[i]->text] = items[i + 1]->tensor;
    }
    return tensors;
  } catch (const c10::Error& e) {
    return NotTorchSaveArchive(path, e.what_without_backtrace());
  }
}

}  // namespace nasq
