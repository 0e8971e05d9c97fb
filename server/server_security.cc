#include "server/server_security.h"

#include <grpcpp/security/auth_metadata_processor.h>
#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/net_address.h"
#include "core/status_macros.h"
#include "proto/grpc_status.h"

namespace nasq {
namespace {

namespace ssl = boost::asio::ssl;

absl::string_view View(grpc::string_ref s) { return absl::string_view(s.data(), s.size()); }

// The value of `key` in `metadata`; empty when absent.
template <typename Multimap>
absl::string_view FindMetadata(const Multimap& metadata, absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  return it == metadata.end() ? absl::string_view() : View(it->second);
}

// Checks every gRPC call against the Authorizer before its handler runs.
class TokenProcessor final : public grpc::AuthMetadataProcessor {
 public:
  explicit TokenProcessor(std::shared_ptr<Authorizer> auth) : auth_(std::move(auth)) {}

  // The check is a hash and a stat (a small file read when it changed): run it inline.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata*,
                       OutputMetadata*) override {
    return ToGrpcStatus(
        auth_->Check(FindMetadata(metadata, "authorization"), FindMetadata(metadata, ":path")));
  }

 private:
  const std::shared_ptr<Authorizer> auth_;
};

struct TlsFiles {
  std::string cert;
  std::string key;
  std::string client_ca;
};

absl::StatusOr<TlsFiles> ReadTlsFiles(const SecurityOptions& o) {
  TlsFiles files;
  NASQ_ASSIGN_OR_RETURN(files.cert, ReadFileToString(o.tls_cert_file, "--tls-cert"));
  NASQ_ASSIGN_OR_RETURN(files.key, ReadFileToString(o.tls_key_file, "--tls-key"));
  if (!o.tls_client_ca_file.empty()) {
    NASQ_ASSIGN_OR_RETURN(files.client_ca,
                          ReadFileToString(o.tls_client_ca_file, "--tls-client-ca"));
  }
  return files;
}

// The HTTP TLS context; also checks with OpenSSL that the certificate and key are usable and
// match, so a bad file is refused with a clear message before gRPC tries it.
absl::StatusOr<std::shared_ptr<ssl::context>> MakeTlsContext(const TlsFiles& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code error;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       error);
  context->use_certificate_chain(boost::asio::buffer(files.cert), error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: not a usable PEM certificate: ", error.message()));
  }
  context->use_private_key(boost::asio::buffer(files.key), ssl::context::pem, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: not a usable PEM private key for --tls-cert: ", error.message()));
  }
  return context;
}

absl::Status CheckExposure(const SecurityOptions& o, const std::string& address,
                           absl::string_view flag) {
  if (address.empty() || IsLoopbackAddress(address)) return absl::OkStatus();
  const bool tls = !o.tls_cert_file.empty();
  if (!o.auth_tokens_file.empty() && !tls) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", address,
        "' is not a loopback address; tokens would cross the network in clear text: give "
        "--tls-cert and --tls-key"));
  }
  if (o.auth_tokens_file.empty() && o.tls_client_ca_file.empty() && !o.insecure) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", address,
        "' is not a loopback address and nothing authenticates callers: give --auth-tokens "
        "(with --tls-cert/--tls-key) or --tls-client-ca, or --insecure to serve it open"));
  }
  return absl::OkStatus();
}

absl::Status CheckOptions(const SecurityOptions& o, const std::string& grpc_address,
                          const std::string& http_address) {
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(o.tls_cert_file.empty() ? "--tls-key: needs --tls-cert"
                                                              : "--tls-cert: needs --tls-key");
  }
  if (!o.tls_client_ca_file.empty() && o.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");
  }
  NASQ_RETURN_IF_ERROR(CheckExposure(o, grpc_address, "--listen"));
  return CheckExposure(o, http_address, "--http");
}

}  // namespace

absl::StatusOr<ServerSecurity> SetUpSecurity(const SecurityOptions& options,
                                             const std::string& grpc_address,
                                             const std::string& http_address, const Clock* clock) {
  NASQ_RETURN_IF_ERROR(CheckOptions(options, grpc_address, http_address));
  ServerSecurity security;
  if (!options.auth_tokens_file.empty()) {
    NASQ_ASSIGN_OR_RETURN(security.auth, Authorizer::Open(options.auth_tokens_file, clock));
  }
  if (!options.tls_cert_file.empty()) {
    NASQ_ASSIGN_OR_RETURN(TlsFiles files, ReadTlsFiles(options));
    NASQ_ASSIGN_OR_RETURN(security.http_tls, MakeTlsContext(files));
    grpc::SslServerCredentialsOptions ssl(
        files.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = files.client_ca;
    ssl.pem_key_cert_pairs.push_back({files.key, files.cert});
    security.grpc_credentials = grpc::SslServerCredentials(ssl);
  } else if (security.auth) {
    // Loopback only (checked above); unlike insecure credentials these accept a processor.
    security.grpc_credentials = grpc::experimental::LocalServerCredentials(
        absl::StartsWith(grpc_address, "unix") ? UDS : LOCAL_TCP);
  } else {
    security.grpc_credentials = grpc::InsecureServerCredentials();
  }
  if (security.auth) {
    security.grpc_credentials->SetAuthMetadataProcessor(
        std::make_shared<TokenProcessor>(security.auth));
  }
  const char* transport = "plain text (no TLS)";
  if (!options.tls_cert_file.empty()) {
    transport = options.tls_client_ca_file.empty() ? "TLS" : "mutual TLS";
  }
  spdlog::info("security: {}, {}", transport, security.auth ? "tokens required" : "no tokens");
  for (const std::string& address : {grpc_address, http_address}) {
    if (!address.empty() && !IsLoopbackAddress(address) && !security.auth &&
        options.tls_client_ca_file.empty()) {
      spdlog::warn("security: {} is served to anyone who can reach it (--insecure)", address);
    }
  }
  return security;
}

bool CallerHasRole(Authorizer* auth, const grpc::ServerContext& context, Role role) {
  if (auth == nullptr) return true;
  return auth->HasRole(FindMetadata(context.client_metadata(), "authorization"), role);
}

}  // namespace nasq
