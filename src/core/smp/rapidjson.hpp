#pragma once
// RapidJSON for the SAX reader, as a system header: its warnings under our
// flags (-Wshadow, -Wold-style-cast, ...) are not ours to fix.
#pragma GCC system_header

#include <rapidjson/allocators.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
