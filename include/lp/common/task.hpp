// Task<T>: the coroutine type of every asynchronous operation (an Asio awaitable).
#pragma once

#include <boost/asio/awaitable.hpp>

namespace lp {
template <class T = void>
using Task = boost::asio::awaitable<T>;
}  // namespace lp
