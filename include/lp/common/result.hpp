// Result<T>: a value or an lp::Error. Expected failures travel as values, never as exceptions.
#pragma once

#include <boost/system/result.hpp>
#include <source_location>
#include <stdexcept>

#include "lp/common/error.hpp"

namespace lp {

template <class T>
using Result = boost::system::result<T, Error>;

// Called by Result<T>::value() on an error (found by ADL): a programming error, so it throws.
[[noreturn]] inline void throw_exception_from_error(const Error& e,
                                                    const boost::source_location& = {}) {
  throw std::runtime_error("unchecked lp::Error: " + e.code + ": " + e.message + " " + e.detail);
}

}  // namespace lp
