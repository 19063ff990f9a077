#include "nodedata/owner.hpp"

#include <utility>

#include "nodedata/database_error.hpp"
#include "nodedata/one_line_file.hpp"
#include "nodedata/pem.hpp"

namespace swpt::nodedata {
namespace {

struct subnet_pair {
  subnet creditors, debtors;
};

subnet_pair read_owner_subnets(const std::filesystem::path& root, node_type type, const std::string& node_id) {
  switch (type) {
    case node_type::accounting_authority: {
      // is_node_id_of guarantees 8 hex digits, which always parse.
      const auto debtors = subnet::parse(node_id);
      if (!debtors) throw database_error{root / "db" / "nodeid", "node ID is not a subnet"};
      return {subnet{}, *debtors};
    }
    case node_type::creditors_agent:
      return {read_subnet_file(root / "creditors-subnet.txt"), subnet{}};
    case node_type::debtors_agent:
      return {subnet::zero(), read_subnet_file(root / "debtors-subnet.txt")};
  }
  throw database_error{root / "db" / "nodetype", "unknown node type"};
}

}  // namespace

owner_data read_owner_data(const std::filesystem::path& root) {
  const node_type type = read_node_type_file(root / "db" / "nodetype");
  std::string node_id = read_node_id_file(root / "db" / "nodeid", type);
  const subnet_pair subnets = read_owner_subnets(root, type, node_id);
  return owner_data{
      .type = type,
      .node_id = std::move(node_id),
      .creditors = subnets.creditors,
      .debtors = subnets.debtors,
      .root_ca_pem = read_pem_file(root / "root-ca.crt"),
  };
}

}  // namespace swpt::nodedata
