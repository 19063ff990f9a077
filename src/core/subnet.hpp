#pragma once
// Subnets of creditor and debtor IDs: a value and a prefix mask over the
// unsigned 64-bit two's-complement form of a (signed) ID.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swpt {

class subnet {
 public:
  // The universal subnet: contains every ID.
  constexpr subnet() noexcept = default;

  // Parses 0..16 hexadecimal digits (either case): the digits are the top
  // bits of the value and the mask covers exactly them. Only whole bytes
  // (an even number of digits) are accepted, since binding keys and subnet
  // files are byte-based. Returns nullopt for anything else (signs, spaces,
  // "0x", odd length, more than 16 digits).
  static std::optional<subnet> parse(std::string_view hex) noexcept;

  // The subnet that contains only ID 0 ("0000000000000000").
  static constexpr subnet zero() noexcept { return subnet{0, ~std::uint64_t{0}}; }

  constexpr std::uint64_t value() const noexcept { return value_; }
  constexpr std::uint64_t mask() const noexcept { return mask_; }

  constexpr bool contains(std::int64_t id) const noexcept {
    return (static_cast<std::uint64_t>(id) & mask_) == value_;
  }

  // The AMQP topic binding key matching IDs of this subnet written as eight
  // dot-separated lowercase hex bytes: "" -> "#", "0a1b" -> "0a.1b.#",
  // a full 16-digit subnet -> "12.34.56.78.90.ab.cd.ef" (no wildcard).
  std::string binding_key() const;

  // Moves `id` from this subnet into `to`, keeping the bits outside the mask
  // (CA creditor-ID masquerading). Requires equal masks and contains(id);
  // returns nullopt otherwise.
  std::optional<std::int64_t> translate(std::int64_t id, const subnet& to) const noexcept;

  friend constexpr bool operator==(const subnet&, const subnet&) noexcept = default;

 private:
  constexpr subnet(std::uint64_t value, std::uint64_t mask) noexcept : value_{value}, mask_{mask} {}

  std::uint64_t value_ = 0;
  std::uint64_t mask_ = 0;  // invariant: a whole-byte prefix mask; value_ & ~mask_ == 0
};

// Formats an ID as in the ERROR texts: "0x" + 16 lowercase hex digits of its
// 64-bit two's complement (-1 -> "0xffffffffffffffff").
std::string format_id(std::int64_t id);

}  // namespace swpt
