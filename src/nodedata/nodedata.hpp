#pragma once
// The node database reader in one include: where the database is
// (parse_database_url), what it holds (database, owner_data, peer_data,
// stomp_manifest) and how it fails (database_error).

#include "nodedata/database.hpp"        // IWYU pragma: export
#include "nodedata/database_error.hpp"  // IWYU pragma: export
#include "nodedata/database_url.hpp"    // IWYU pragma: export
#include "nodedata/owner.hpp"           // IWYU pragma: export
#include "nodedata/pem.hpp"             // IWYU pragma: export
#include "nodedata/stomp_manifest.hpp"  // IWYU pragma: export
