// Runs a coroutine (lp::Task) to completion on a private io_context, for tests of services whose
// methods are coroutines. The store completes its work back on that io_context, so the loop keeps
// running until the task's result is ready.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>

#include "lp/common/task.hpp"

namespace lp::testing {

template <class T>
T RunTask(Task<T> task) {
  boost::asio::io_context ioc;
  auto fut = boost::asio::co_spawn(ioc, std::move(task), boost::asio::use_future);
  while (fut.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    ioc.restart();
    ioc.run_for(std::chrono::milliseconds(2));
  }
  return fut.get();
}

}  // namespace lp::testing
