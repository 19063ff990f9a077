#pragma once
// Sharding routing keys for the node's *_in exchanges.

#include <cstdint>
#include <initializer_list>
#include <string>

namespace swpt {

// MD5 over each ID as 8 big-endian bytes (two's complement), concatenated;
// the first 24 bits of the digest, most significant first, written as
// "0"/"1" joined by dots. Node applications shard their queues on it.
std::string routing_key(std::initializer_list<std::int64_t> ids);

}  // namespace swpt
