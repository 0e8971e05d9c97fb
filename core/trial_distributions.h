// core/trial_distributions.h: a trial's distributions (param name -> Distribution), shared
// between the trials of a study instead of copied into each.
//
// Every trial records the distribution of each of its params (Optuna does the same), and in a
// study they are nearly always the same map: the search space's. TrialDistributions is a value
// type with the const interface of std::map<std::string, Distribution> that holds its map
// through a shared pointer, so that copies of a trial, and trials whose maps were interned
// (DistributionsInterner), point at one map. Mutators copy the map first unless this object is
// its only holder (copy on write), so a change never shows through another trial.
//
// Thread-safety: a map that two holders share is never modified (a mutation copies it), so
// sharing one between trials on different threads is safe; a single TrialDistributions object
// is a plain value (no internal synchronisation, like std::map). DistributionsInterner is not
// thread-safe: its owner serialises the calls (one per study, under the study's lock).
#ifndef NASQ_CORE_TRIAL_DISTRIBUTIONS_H_
#define NASQ_CORE_TRIAL_DISTRIBUTIONS_H_

#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/distribution.h"
#include "core/search_space.h"

namespace nasq {

class TrialDistributions {
 public:
  using Map = std::map<std::string, Distribution>;
  using value_type = Map::value_type;
  using const_iterator = Map::const_iterator;
  using iterator = const_iterator;  // entries are read-only; use the mutators below

  TrialDistributions() = default;  // empty; allocates nothing
  TrialDistributions(Map map);     // NOLINT(runtime/explicit): a map converts implicitly
  TrialDistributions(std::initializer_list<value_type> entries)
      : TrialDistributions(Map(entries)) {}

  // The const interface of std::map.
  const_iterator begin() const { return map().begin(); }
  const_iterator end() const { return map().end(); }
  const_iterator find(const std::string& name) const { return map().find(name); }
  const Distribution& at(const std::string& name) const { return map().at(name); }
  size_t count(const std::string& name) const { return map().count(name); }
  bool contains(const std::string& name) const { return map().contains(name); }
  size_t size() const { return map().size(); }
  bool empty() const { return map().empty(); }
  const Map& map() const { return map_ ? *map_ : EmptyMap(); }

  // Equal entries; O(1) when both share one map.
  friend bool operator==(const TrialDistributions& a, const TrialDistributions& b) {
    return a.map_ == b.map_ || a.map() == b.map();
  }

  // Copy-on-write mutators with std::map's meaning; each invalidates this object's iterators.
  void insert_or_assign(const std::string& name, Distribution distribution);
  size_t erase(const std::string& name);
  void clear() { map_.reset(); }

  // True when both hold the very same map object (not merely equal ones); false when either is
  // empty. For tests and memory accounting.
  bool SharesMapWith(const TrialDistributions& other) const {
    return map_ != nullptr && map_ == other.map_;
  }

 private:
  friend class DistributionsInterner;

  static const Map& EmptyMap();
  // The map, copied first unless this object is its only holder.
  Map& MutableMap();

  std::shared_ptr<Map> map_;  // null when empty; never modified while shared
};

// Makes equal distribution maps share one map: where trials are materialised (storage loads,
// new trials of a study, proto conversion) each trial's map is interned, so that a study's trials
// hold one map per distinct set of distributions (one in an unconditional space) rather than one
// each. Keeps every distinct map it has seen alive for its own lifetime; use one per study (or
// per load) so that memory follows the studies.
class DistributionsInterner {
 public:
  // Replaces the map of `distributions` by an equal one interned before, or interns it.
  // O(1) when it already holds the last map interned or returned; otherwise hashing its names
  // and comparing it with the interned maps of the same names (usually one).
  void Intern(TrialDistributions& distributions);

  // The distributions that `space` declares for the names of `params` (each must be a param of
  // `space`), sharing an interned map when one is equal: a new trial's distributions. Allocates
  // nothing when an interned map matches.
  TrialDistributions FromSpace(const SearchSpace& space, const InternalParams& params);

 private:
  using MapPtr = std::shared_ptr<TrialDistributions::Map>;

  // The first interned map with names hashing to `names_hash` for which `matches(map)` holds,
  // or null.
  template <typename Predicate>
  MapPtr FindIf(size_t names_hash, const Predicate& matches) const;
  // Interns `map` (not equal to any interned one) under `names_hash`.
  void Add(MapPtr map, size_t names_hash);

  MapPtr last_;                                            // the last map interned or returned
  absl::flat_hash_map<size_t, std::vector<MapPtr>> maps_;  // by the hash of their names
};

}  // namespace nasq

#endif  // NASQ_CORE_TRIAL_DISTRIBUTIONS_H_
