#pragma once
// The owner: the node this program runs for, described by the files at the
// root of the node database.

#include <filesystem>
#include <string>

#include "core/node_type.hpp"
#include "core/subnet.hpp"

namespace swpt::nodedata {

struct owner_data {
  node_type type;
  std::string node_id;      // valid for `type`: AA 8, CA/DA 32 lowercase hex digits
  subnet creditors;         // AA: universal; CA: creditors-subnet.txt; DA: zero
  subnet debtors;           // AA: the node ID; CA: universal; DA: debtors-subnet.txt
  std::string root_ca_pem;  // first PEM block of root-ca.crt
};

// Reads db/nodetype, db/nodeid, the owner's subnet file (CA, DA) and
// root-ca.crt under `root`. Throws database_error.
owner_data read_owner_data(const std::filesystem::path& root);

}  // namespace swpt::nodedata
