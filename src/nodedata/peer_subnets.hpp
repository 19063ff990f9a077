#pragma once
// Which creditor and debtor IDs a peer may send messages about, derived from
// the owner and the peer's files (docs/node-database.md §5.2, docs/message-processing.md §1).

#include <filesystem>
#include <string_view>

#include "core/node_type.hpp"
#include "core/subnet.hpp"
#include "nodedata/owner.hpp"

namespace swpt::nodedata {

struct peer_subnets {
  subnet creditors, debtors;
};

// Only AA<->CA, AA<->DA pairs exist; any other combination throws
// database_error "invalid peer type" naming <peer_dir>/nodetype.txt. A CA
// owner's masq-subnet.txt must have the mask of the owner's creditors
// subnet, since masquerading maps one onto the other bit for bit.
peer_subnets read_peer_subnets(const owner_data& owner, node_type peer_type, std::string_view peer_id,
                               const std::filesystem::path& peer_dir);

}  // namespace swpt::nodedata
