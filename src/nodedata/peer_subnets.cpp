#include "nodedata/peer_subnets.hpp"

#include <fmt/format.h>

#include "nodedata/database_error.hpp"
#include "nodedata/one_line_file.hpp"

namespace swpt::nodedata {
namespace {

using std::filesystem::path;
using enum node_type;

[[noreturn]] void invalid_peer_type(const owner_data& owner, node_type peer_type, const path& peer_dir) {
  throw database_error{peer_dir / "nodetype.txt",
                       fmt::format("invalid peer type {} for an owner of type {}", quote(node_type_name(peer_type)),
                                   quote(node_type_name(owner.type)))};
}

peer_subnets for_aa_owner(const owner_data& owner, node_type peer_type, const path& peer_dir) {
  if (peer_type == creditors_agent) return {read_subnet_file(peer_dir / "subnet.txt"), owner.debtors};
  if (peer_type == debtors_agent) return {subnet::zero(), read_subnet_file(peer_dir / "subnet.txt")};
  invalid_peer_type(owner, peer_type, peer_dir);
}

peer_subnets for_ca_owner(const owner_data& owner, std::string_view peer_id, const path& peer_dir) {
  const path masq_file = peer_dir / "masq-subnet.txt";
  const subnet creditors = read_subnet_file(masq_file);
  if (creditors.mask() != owner.creditors.mask())
    throw database_error{masq_file, "the mask differs from the mask of the owner's creditors subnet"};
  // An AA's node ID is its debtors subnet.
  const auto debtors = subnet::parse(peer_id);
  if (!debtors) throw database_error{peer_dir, "peer node ID " + quote(peer_id) + " is not a subnet"};
  return {creditors, *debtors};
}

}  // namespace

peer_subnets read_peer_subnets(const owner_data& owner, node_type peer_type, std::string_view peer_id,
                               const path& peer_dir) {
  switch (owner.type) {
    case accounting_authority:
      return for_aa_owner(owner, peer_type, peer_dir);
    case creditors_agent:
      if (peer_type != accounting_authority) break;
      return for_ca_owner(owner, peer_id, peer_dir);
    case debtors_agent:
      if (peer_type != accounting_authority) break;
      return {subnet::zero(), owner.debtors};
  }
  invalid_peer_type(owner, peer_type, peer_dir);
}

}  // namespace swpt::nodedata
