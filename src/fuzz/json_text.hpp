#pragma once
// Large JSON texts built in memory for hostile-input checks: the bench (`switchsim bench
// json`) and the tests (tests/hostile_json_test.cpp) feed the same shapes to the parser.

#include <cstddef>
#include <string>
#include <string_view>

namespace switchsim::fuzz {

// "[e,e,...,e]" with n copies of `element` (written as given: it must be JSON itself).
std::string json_array_of(std::size_t n, std::string_view element);

// {"k0":v,"k1":v,...} with n keys k0..k(n-1), each holding `value` (JSON itself).
std::string json_object_of_keys(std::size_t n, std::string_view value);

}  // namespace switchsim::fuzz
