// core/net_address.h: what a "host:port" address of nasq reaches, for the safe defaults of the
// server (serve only loopback without authentication) and the clients (send a token in clear
// text only to loopback).
//
// Pure function; thread-safe.
#ifndef NASQ_CORE_NET_ADDRESS_H_
#define NASQ_CORE_NET_ADDRESS_H_

#include <string>

namespace nasq {

// Whether `address` ("host:port", "[v6]:port", "unix:PATH" or "unix-abstract:NAME") only
// reaches this machine: localhost, 127.0.0.0/8, ::1 or a Unix socket. A wildcard (0.0.0.0,
// [::]), an empty host, any other IP or a host name is not.
bool IsLoopbackAddress(const std::string& address);

}  // namespace nasq

#endif  // NASQ_CORE_NET_ADDRESS_H_
