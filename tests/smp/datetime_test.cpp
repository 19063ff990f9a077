#include "core/smp/datetime.hpp"

#include <catch2/catch.hpp>

using swpt::smp::date;
using swpt::smp::datetime;

TEST_CASE("datetime vectors of docs/smp-messages.md 2.3 re-emit as specified", "[smp][datetime]") {
  const std::pair<const char*, const char*> rows[] = {
      {"2022-01-01T00:00:00Z", "2022-01-01T00:00:00+00:00"},
      {"2022-01-01T00:00Z", "2022-01-01T00:00:00+00:00"},
      {"2022-01-01T00:00:00.1234567891Z", "2022-01-01T00:00:00.123456+00:00"},
      {"2022-01-01 00:00:00+0530", "2022-01-01T00:00:00+05:30"},
      {"2022-1-1T0:0:0-02", "2022-01-01T00:00:00-02:00"},
      {"2022-01-01T00:00:00", "2022-01-01T00:00:00"},
      {"9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"},
  };
  for (const auto& [in, out] : rows) {
    INFO(in);
    const auto t = datetime::parse(in);
    REQUIRE(t);
    CHECK(t->to_string() == out);
  }
}

TEST_CASE("datetime forms accepted beyond the spec vectors", "[smp][datetime]") {
  const std::pair<const char*, const char*> rows[] = {
      {"2022-01-01T01:02:03.5+01:00", "2022-01-01T01:02:03.500000+01:00"},
      {"2022-01-01T01:02:03.000001Z", "2022-01-01T01:02:03.000001+00:00"},
      {"2022-01-01T01:02:03.000000Z", "2022-01-01T01:02:03+00:00"},
      {"2022-01-01T01:02:03.0000009Z", "2022-01-01T01:02:03+00:00"},  // truncated, not rounded
      {"2022-01-01T01:02:03.9999999999Z", "2022-01-01T01:02:03.999999+00:00"},
      {"2022-01-01T01:02:03.123456789012Z", "2022-01-01T01:02:03.123456+00:00"},  // 12 digits
      {"2022-01-01T00:00:00-00:00", "2022-01-01T00:00:00+00:00"},
      {"2022-01-01T00:00:00-0230", "2022-01-01T00:00:00-02:30"},
      {"2022-01-01T00:00:00+23:59", "2022-01-01T00:00:00+23:59"},
      {"2022-01-01T00:00:00-23:59", "2022-01-01T00:00:00-23:59"},
      {"2022-01-01T00:00:00+05", "2022-01-01T00:00:00+05:00"},
      {"2022-01-01T00:00+05:30", "2022-01-01T00:00:00+05:30"},
      {"2022-01-01 23:59:59.5", "2022-01-01T23:59:59.500000"},
      {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00+00:00"},
      {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00+00:00"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"},
      {"2022-12-31T9:5:7Z", "2022-12-31T09:05:07+00:00"},
  };
  for (const auto& [in, out] : rows) {
    INFO(in);
    const auto t = datetime::parse(in);
    REQUIRE(t);
    CHECK(t->to_string() == out);
  }
}

TEST_CASE("invalid datetimes are rejected", "[smp][datetime]") {
  const char* rows[] = {
      // spec vectors
      "2022-01-01t00:00:00z", "2022-01-01T24:00:00Z", "2022-01-01T00:00:60Z", "2022-01-01T00:00:00+24:00",
      // case and separators
      "2022-01-01t00:00:00Z", "2022-01-01T00:00:00z", "2022-01-01_00:00:00Z", "2022-01-0100:00:00Z",
      "2022/01/01T00:00:00Z",
      // quirks of the original we do not keep
      "2022-01-01T00:00:00Z\n", "2022-01-01T00:00:00\n", "2022-01-01T00:00:00+05:60", "2022-01-01T00:00:00+00:99",
      "2022-01-01T00:00:00+0560", "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa2-01-01T00:00:00Z",  // Arabic-Indic digits
      // field widths
      "22-01-01T00:00:00Z", "02022-01-01T00:00:00Z", "2022-001-01T00:00:00Z", "2022-01-001T00:00:00Z",
      "2022-01-01T000:00:00Z", "2022-01-01T00:000:00Z", "2022-01-01T00:00:000Z", "2022-01-01T00Z",
      "2022-01-01T00:00:00.1234567890123Z",  // 13 fraction digits
      "2022-01-01T00:00:00.Z", "2022-01-01T00:00.5Z", "2022-01-01T00:00:Z", "2022-01-01T:00:00Z",
      // offsets
      "2022-01-01T00:00:00+5", "2022-01-01T00:00:00+053", "2022-01-01T00:00:00+05:3", "2022-01-01T00:00:00+05:",
      "2022-01-01T00:00:00+05:30:00", "2022-01-01T00:00:00+", "2022-01-01T00:00:00 +05:00",
      "2022-01-01T00:00:00ZZ", "2022-01-01T00:00:00UTC", "2022-01-01T00:00:00+24", "2022-01-01T00:00:00-2400",
      // calendar
      "0000-01-01T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2022-04-31T00:00:00Z",
      "2022-13-01T00:00:00Z", "2022-00-01T00:00:00Z", "2022-01-00T00:00:00Z", "2022-01-32T00:00:00Z",
      "2022-01-01T00:60:00Z",
      // not a datetime
      "", " 2022-01-01T00:00:00Z", "2022-01-01T00:00:00Z ", "2022-01-01", "2022-01-01T", "-2022-01-01T00:00:00Z",
      "+2022-01-01T00:00:00Z"};
  for (const char* in : rows) {
    INFO(in);
    CHECK_FALSE(datetime::parse(in));
  }
  CHECK_FALSE(datetime::parse(std::string_view("2022-01-01T00:00:00Z\0", 21)));
}

TEST_CASE("datetime fields hold the local time and the offset", "[smp][datetime]") {
  const auto t = datetime::parse("2022-03-04 05:06:07.089-02:30");
  REQUIRE(t);
  CHECK(*t == datetime{.year = 2022, .month = 3, .day = 4, .hour = 5, .minute = 6, .second = 7,
                       .microsecond = 89000, .offset_minutes = -150});
  CHECK_FALSE(datetime::parse("2022-03-04T05:06:07")->offset_minutes);
}

TEST_CASE("utc_microseconds applies the offset; naive has none", "[smp][datetime]") {
  CHECK(datetime::parse("1970-01-01T00:00:00Z")->utc_microseconds() == 0);
  CHECK(datetime::parse("1970-01-01T00:00:00.000001Z")->utc_microseconds() == 1);
  CHECK(datetime::parse("2022-01-01 00:00:00+0530")->utc_microseconds() == (1640995200LL - 19800) * 1'000'000);
  CHECK(datetime::parse("2022-01-01T00:00:00-02")->utc_microseconds() == (1640995200LL + 7200) * 1'000'000);
  CHECK(datetime::parse("0001-01-01T00:00:00Z")->utc_microseconds() == -62135596800LL * 1'000'000);
  CHECK(datetime::parse("9999-12-31T23:59:59.999999Z")->utc_microseconds() == 253402300799999999LL);
  CHECK(datetime::parse("1969-12-31T23:59:59.999999+00:00")->utc_microseconds() == -1);
  CHECK_FALSE(datetime::parse("2022-01-01T00:00:00")->utc_microseconds());
}

TEST_CASE("from_utc_microseconds gives +00:00 datetimes", "[smp][datetime]") {
  CHECK(datetime::from_utc_microseconds(0).to_string() == "1970-01-01T00:00:00+00:00");
  CHECK(datetime::from_utc_microseconds(-1).to_string() == "1969-12-31T23:59:59.999999+00:00");
  CHECK(datetime::from_utc_microseconds(1640995200LL * 1'000'000 + 123).to_string() ==
        "2022-01-01T00:00:00.000123+00:00");
  CHECK(datetime::from_utc_microseconds(951782400LL * 1'000'000).to_string() == "2000-02-29T00:00:00+00:00");
  CHECK(datetime::from_utc_microseconds(253402300799999999LL).to_string() == "9999-12-31T23:59:59.999999+00:00");
  CHECK(datetime::from_utc_microseconds(-62135596800LL * 1'000'000).to_string() == "0001-01-01T00:00:00+00:00");
  for (std::int64_t us : {0LL, -1LL, 1700000000123456LL, -62135596800000000LL, 253402300799999999LL}) {
    const auto t = datetime::from_utc_microseconds(us);
    CHECK(t.valid());
    CHECK(t.utc_microseconds() == us);
    CHECK(datetime::parse(t.to_string()) == t);
  }
}

TEST_CASE("datetime::valid checks every field", "[smp][datetime]") {
  CHECK(datetime{}.valid());
  CHECK_FALSE(datetime{.year = 0}.valid());
  CHECK_FALSE(datetime{.year = 10000}.valid());
  CHECK_FALSE(datetime{.month = 257}.valid());  // not wrapped into January
  CHECK_FALSE(datetime{.day = 257}.valid());
  CHECK_FALSE(datetime{.hour = 24}.valid());
  CHECK_FALSE(datetime{.minute = -1}.valid());
  CHECK_FALSE(datetime{.second = 60}.valid());
  CHECK_FALSE(datetime{.microsecond = 1'000'000}.valid());
  CHECK(datetime{.offset_minutes = 1439}.valid());
  CHECK(datetime{.offset_minutes = -1439}.valid());
  CHECK_FALSE(datetime{.offset_minutes = 1440}.valid());
  CHECK_FALSE(datetime{.offset_minutes = -1440}.valid());
}

TEST_CASE("dates of docs/smp-messages.md 2.4", "[smp][date]") {
  const std::pair<const char*, const char*> rows[] = {
      {"2021-1-5", "2021-01-05"},   {"2023-01-01", "2023-01-01"}, {"0001-01-01", "0001-01-01"},
      {"9999-12-31", "9999-12-31"}, {"2024-02-29", "2024-02-29"}, {"2021-12-9", "2021-12-09"},
  };
  for (const auto& [in, out] : rows) {
    INFO(in);
    const auto d = date::parse(in);
    REQUIRE(d);
    CHECK(d->to_string() == out);
  }
  CHECK(*date::parse("2021-1-5") == date{.year = 2021, .month = 1, .day = 5});
}

TEST_CASE("invalid dates are rejected", "[smp][date]") {
  const char* rows[] = {"",
                        "2021-01-01T00:00:00Z",
                        "2021-01-01 00:00",
                        "2021-01-01\n",
                        "21-01-01",
                        "02021-01-01",
                        "2021-001-01",
                        "2021-01-001",
                        "2021/01/01",
                        "20210101",
                        "0000-01-01",
                        "2023-02-29",
                        "2021-13-01",
                        "2021-00-10",
                        "2021-01-00",
                        "2021-04-31",
                        " 2021-01-01",
                        "2021-01-01 ",
                        "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa1-01-01"};
  for (const char* in : rows) {
    INFO(in);
    CHECK_FALSE(date::parse(in));
  }
}
