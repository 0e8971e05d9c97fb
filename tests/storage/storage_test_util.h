// tests/storage/storage_test_util.h: shared fixtures for the storage tests: sample study specs
// and trials, field-by-field equality checks for StudySpec and Trial (NaN-aware), temporary
// database paths, and file helpers (raw bytes, a corrupted page).
#ifndef NASQ_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
#define NASQ_TESTS_STORAGE_STORAGE_TEST_UTIL_H_

#include <string>

#include "core/study.h"
#include "core/trial.h"

namespace nasq::testing {

// A valid spec named `name`: float, int and categorical params, one conditional param and a
// constraint.
StudySpec SampleSpec(const std::string& name);

// A spec exercising every field with non-default values (multi-objective, mixed-type
// categorical choices, conditions of every kind, constraints with and without rhs, all sampler
// options, limits, task JSON and user attributes).
StudySpec RichSpec(const std::string& name);

// A RUNNING trial template with params of SampleSpec's space, values, intermediate values
// (incl. NaN and +-inf), attributes, a lease and timestamps.
Trial SampleTrialTemplate();

// GoogleTest expectations that every field of the two values is equal; external values must
// also have the same type (16 vs 16.0 vs true differ).
void ExpectSameSpec(const StudySpec& expected, const StudySpec& actual);
// Compares every field including id, study_id and number; NaN equals NaN.
void ExpectSameTrial(const Trial& expected, const Trial& actual);

// A fresh path under the test temp dir, unique per test and process; removes any leftover
// database files (main, -wal, -shm) at that path.
std::string TempDbPath(const std::string& stem);
// Removes the database file and its -wal / -shm companions.
void RemoveDbFiles(const std::string& path);

// The bytes of the file at `path` (empty when it cannot be read).
std::string ReadFileBytes(const std::string& path);
// Overwrites the page in the middle of the closed SQLite file at `path` (at least 8 pages) with
// garbage, as a disk or a stray write might.
void CorruptMiddlePage(const std::string& path);

}  // namespace nasq::testing

#endif  // NASQ_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
