#pragma once
// PEM certificate files (root-ca.crt, sub-ca.crt). The scripts may store an
// `openssl x509 -text` dump around the certificate, and a file may hold a
// chain; only the first certificate counts.

#include <filesystem>
#include <string>
#include <string_view>

namespace swpt::nodedata {

// The first certificate block of `file_text`: a line exactly
// "-----BEGIN CERTIFICATE-----", one or more non-empty lines of base64
// characters, and a line exactly "-----END CERTIFICATE-----". Text before
// and after is ignored. Lines may end with LF or CRLF (the original accepted
// only LF, a quirk we do not repeat). The result is normalized to LF line
// ends and always ends with "\n". Returns an empty string if there is no
// block: the caller knows which file it read and reports the error.
std::string first_pem_certificate(std::string_view file_text);

// The first certificate block of the file; throws database_error naming the
// file when it is unreadable or holds no block.
std::string read_pem_file(const std::filesystem::path& file);

}  // namespace swpt::nodedata
