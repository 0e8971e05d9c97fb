// fuzz/convert_fuzzer.cc: libFuzzer target for the CreateStudy path at the RPC edge: the bytes
// are parsed as a nasq.v1.CreateStudyRequest (as gRPC would), and its spec is converted and
// validated (proto/convert.h StudySpecFromProto). A spec the server accepts must convert back
// and be accepted again unchanged.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_check.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "nasq/v1/study_service.pb.h"
#include "proto/convert.h"

using nasq::fuzz::Check;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field with invalid UTF-8 it refuses to parse; keep runs quiet.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nasq::v1::CreateStudyRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  auto spec = nasq::StudySpecFromProto(request.spec());
  if (!spec.ok()) return 0;
  const nasq::v1::StudySpec wire = nasq::StudySpecToProto(*spec);
  auto again = nasq::StudySpecFromProto(wire);
  Check(again.ok(), "an accepted spec is refused after StudySpecToProto");
  Check(google::protobuf::util::MessageDifferencer::Equals(nasq::StudySpecToProto(*again), wire),
        "an accepted spec does not round-trip through the proto");
  return 0;
}
