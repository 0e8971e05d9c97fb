// core/trial_distributions.cc: see trial_distributions.h.
#include "core/trial_distributions.h"

#include <atomic>

#include "absl/hash/hash.h"

namespace nasq {
namespace {

// A hash of the keys of `map` (a std::map, so they come sorted): equal key sets hash alike.
template <typename SortedMap>
size_t NamesHash(const SortedMap& map) {
  size_t hash = map.size();
  for (const auto& [name, unused] : map) hash = absl::HashOf(hash, name);
  return hash;
}

// True when `map` holds exactly the names of `params`, each with the distribution that `space`
// declares for it.
bool MatchesSpace(const TrialDistributions::Map& map, const SearchSpace& space,
                  const InternalParams& params) {
  if (map.size() != params.size()) return false;
  auto entry = map.begin();
  for (const auto& [name, unused] : params) {
    if (entry->first != name || entry->second != space.Find(name)->distribution) return false;
    ++entry;
  }
  return true;
}

}  // namespace

TrialDistributions::TrialDistributions(Map map) {
  if (!map.empty()) map_ = std::make_shared<Map>(std::move(map));
}

const TrialDistributions::Map& TrialDistributions::EmptyMap() {
  static const Map* const empty = new Map();
  return *empty;
}

TrialDistributions::Map& TrialDistributions::MutableMap() {
  if (map_ == nullptr) {
    map_ = std::make_shared<Map>();
  } else if (map_.use_count() != 1) {
    map_ = std::make_shared<Map>(*map_);
  } else {
    // The last other holder may have let go on another thread just now; its release of the
    // count (acq_rel in the standard library) happens before the writes that follow.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *map_;
}

void TrialDistributions::insert_or_assign(const std::string& name, Distribution distribution) {
  MutableMap().insert_or_assign(name, std::move(distribution));
}

size_t TrialDistributions::erase(const std::string& name) {
  if (!contains(name)) return 0;
  MutableMap().erase(name);
  if (map_->empty()) map_.reset();  // empty means null, as after construction
  return 1;
}

template <typename Predicate>
DistributionsInterner::MapPtr DistributionsInterner::FindIf(size_t names_hash,
                                                            const Predicate& matches) const {
  auto bucket = maps_.find(names_hash);
  if (bucket == maps_.end()) return nullptr;
  for (const MapPtr& candidate : bucket->second) {
    if (matches(*candidate)) return candidate;
  }
  return nullptr;
}

void DistributionsInterner::Intern(TrialDistributions& distributions) {
  if (distributions.map_ == nullptr || distributions.map_ == last_) return;
  const TrialDistributions::Map& map = *distributions.map_;
  const size_t names_hash = NamesHash(map);
  if (MapPtr interned =
          FindIf(names_hash, [&](const auto& candidate) { return candidate == map; })) {
    distributions.map_ = last_ = std::move(interned);
  } else {
    Add(distributions.map_, names_hash);
  }
}

TrialDistributions DistributionsInterner::FromSpace(const SearchSpace& space,
                                                    const InternalParams& params) {
  TrialDistributions result;
  if (params.empty()) return result;
  auto matches = [&](const TrialDistributions::Map& map) {
    return MatchesSpace(map, space, params);
  };
  if (last_ == nullptr || !matches(*last_)) {
    const size_t names_hash = NamesHash(params);
    if (MapPtr interned = FindIf(names_hash, matches)) {
      last_ = std::move(interned);
    } else {
      // No interned map matches the space, so none equals the one built from it.
      auto built = std::make_shared<TrialDistributions::Map>();
      for (const auto& [name, unused] : params) {
        built->emplace_hint(built->end(), name, space.Find(name)->distribution);
      }
      Add(std::move(built), names_hash);
    }
  }
  result.map_ = last_;
  return result;
}

void DistributionsInterner::Add(MapPtr map, size_t names_hash) {
  last_ = map;
  maps_[names_hash].push_back(std::move(map));
}

}  // namespace nasq
